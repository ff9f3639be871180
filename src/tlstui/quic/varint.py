"""QUIC variable-length integers (RFC 9000 16): the two top bits of the first byte give the size."""
from __future__ import annotations


def read_varint(buf: bytes, pos: int, end: int | None = None) -> tuple[int, int] | None:
    """(value, encoded length) of the varint at ``pos``, or None when it runs past ``end``."""
    stop = len(buf) if end is None else min(end, len(buf))
    if pos < 0 or pos >= stop:
        return None
    n = 1 << (buf[pos] >> 6)
    if pos + n > stop:
        return None
    v = buf[pos] & 0x3F
    for i in range(1, n):
        v = (v << 8) | buf[pos + i]
    return v, n


def encode_varint(value: int) -> bytes:
    """The shortest encoding of ``value`` (0 .. 2**62-1)."""
    if value < 0x40:
        return bytes([value])
    if value < 0x4000:
        return (value | 0x4000).to_bytes(2, "big")
    if value < 0x40000000:
        return (value | 0x80000000).to_bytes(4, "big")
    if value < 0x4000000000000000:
        return (value | 0xC000000000000000).to_bytes(8, "big")
    raise ValueError("varint out of range")
