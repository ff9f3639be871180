"""CRYPTO frame reassembly per connection, direction and encryption level, as tshark 4.0 does it
(RFC 9001 4.1.3: QUIC buffers what arrives out of order, TLS what arrives in order).

Bytes at the next expected offset go to the TLS layer at once.  A frame past a gap opens a
pending buffer from the expected offset; it is handed to TLS whole, by the CRYPTO frame that
closes its last gap.  Bytes already delivered are retransmissions; a frame that overlaps them
is trimmed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import limits

Ref = tuple[int, int]  # (frame number, index of the CRYPTO frame in that frame's packets)


@dataclass(slots=True)
class Delivery:
    """What one CRYPTO frame did.  ``kind``: "deliver" (its bytes go to TLS), "reassembled" (the
    pending buffer it completed goes to TLS), "buffered" (kept for later) or "retransmission".
    ``trim``: bytes cut from the front (an overlap).  ``data``/``offset``: what TLS gets and its
    stream offset; ``pieces``: (frame, stream offset, length) of a reassembled buffer."""

    kind: str
    trim: int = 0
    data: bytes = b""
    offset: int = 0
    pieces: tuple[tuple[int, int, int], ...] = ()


@dataclass
class _Pending:
    start: int
    end: int
    parts: dict[int, bytes] = field(default_factory=dict)  # stream offset -> bytes
    frames: list[tuple[int, int, int]] = field(default_factory=list)

    def contiguous_from(self, pos: int) -> int:
        changed = True
        while changed:
            changed = False
            for off, b in self.parts.items():
                if off <= pos < off + len(b):
                    pos = off + len(b)
                    changed = True
        return pos


class CryptoStream:
    """One direction's CRYPTO stream at one encryption level."""

    __slots__ = ("expected", "pending", "buffered_bytes")

    def __init__(self) -> None:
        self.expected = 0  # tshark's max_contiguous_offset
        self.pending: _Pending | None = None
        self.buffered_bytes = 0

    def add(self, offset: int, data: bytes, frame: int) -> Delivery:
        end = offset + len(data)
        trim = 0
        if end <= self.expected:
            return Delivery("retransmission")
        if offset < self.expected:
            trim = self.expected - offset
            data = data[trim:]
            offset = self.expected
        p = self.pending
        if p is not None and p.start <= offset:
            p.end = max(p.end, end)
            self._keep(p, offset, data, frame)
            self.expected = max(self.expected, p.contiguous_from(self.expected))
            if self.expected >= p.end:
                buf = bytearray(p.end - p.start)
                for off, b in sorted(p.parts.items()):
                    buf[off - p.start:off - p.start + len(b)] = b
                self.pending = None
                self.buffered_bytes = 0
                return Delivery("reassembled", trim, bytes(buf), p.start, tuple(sorted(p.frames, key=lambda x: x[1])))
            return Delivery("buffered", trim)
        if offset > self.expected:
            p = self.pending = _Pending(self.expected, end)
            self._keep(p, offset, data, frame)
            return Delivery("buffered", trim)
        self.expected = end
        return Delivery("deliver", trim, data, offset)

    def _keep(self, p: _Pending, offset: int, data: bytes, frame: int) -> None:
        if self.buffered_bytes + len(data) > limits.DTLS_MESSAGE_BYTES:
            return  # bounded like a DTLS message: a hostile stream cannot hold memory forever
        old = p.parts.get(offset)
        if old is None or len(old) < len(data):
            p.parts[offset] = data
            self.buffered_bytes += len(data) - (len(old) if old else 0)
        p.frames.append((frame, offset, len(data)))
