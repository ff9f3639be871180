"""Builds capture files for tests from real frames: pcap/pcapng variants and link-type rewrites."""
from __future__ import annotations

import struct
from pathlib import Path

DATA = Path(__file__).parent / "data"


def real_frames(name: str = "s01_tls12_http_close_notify.pcap") -> list[tuple[int, bytes, int]]:
    """[(time_ns, ethernet frame bytes, orig_len)] of a real little-endian microsecond pcap."""
    raw = (DATA / name).read_bytes()
    assert raw[:4] == b"\xd4\xc3\xb2\xa1"
    out, pos = [], 24
    while pos + 16 <= len(raw):
        sec, usec, incl, orig = struct.unpack_from("<IIII", raw, pos)
        out.append((sec * 10**9 + usec * 1000, raw[pos + 16:pos + 16 + incl], orig))
        pos += 16 + incl
    return out


def pcap(frames, linktype: int = 1, endian: str = "<", nanos: bool = False, snaplen: int = 262144) -> bytes:
    magic = 0xA1B23C4D if nanos else 0xA1B2C3D4
    out = [struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for t, data, orig in frames:
        sec, ns = divmod(t, 10**9)
        out.append(struct.pack(endian + "IIII", sec, ns if nanos else ns // 1000, len(data), orig) + data)
    return b"".join(out)


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def _block(endian: str, btype: int, body: bytes) -> bytes:
    body = _pad(body)
    n = len(body) + 12
    return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)


def _opt(endian: str, code: int, value: bytes) -> bytes:
    return struct.pack(endian + "HH", code, len(value)) + _pad(value)


def shb(endian: str = "<") -> bytes:
    return _block(endian, 0x0A0D0D0A, struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1))


def idb(endian: str, linktype: int, tsresol: int | None = None, name: str | None = None,
        snaplen: int = 0) -> bytes:
    opts = b""
    if name:
        opts += _opt(endian, 2, name.encode())
    if tsresol is not None:
        opts += _opt(endian, 9, bytes([tsresol]))
    if opts:
        opts += _opt(endian, 0, b"")
    return _block(endian, 1, struct.pack(endian + "HHI", linktype, 0, snaplen) + opts)


def epb(endian: str, iface: int, ts_units: int, data: bytes, orig: int | None = None) -> bytes:
    return _block(endian, 6, struct.pack(endian + "IIIII", iface, ts_units >> 32, ts_units & 0xFFFFFFFF,
                                         len(data), orig if orig is not None else len(data)) + data)


def obsolete_pb(endian: str, iface: int, ts_units: int, data: bytes) -> bytes:
    return _block(endian, 2, struct.pack(endian + "HHIIII", iface, 0, ts_units >> 32, ts_units & 0xFFFFFFFF,
                                         len(data), len(data)) + data)


def spb(endian: str, data: bytes) -> bytes:
    return _block(endian, 3, struct.pack(endian + "I", len(data)) + data)


def dsb(endian: str, secrets_type: int, secret: bytes) -> bytes:
    return _block(endian, 0x0A, struct.pack(endian + "II", secrets_type, len(secret)) + secret)


def unknown_block(endian: str) -> bytes:
    return _block(endian, 0x0BAD, b"whatever this is")


# --- link-type rewrites of an Ethernet frame -------------------------------------------------
def eth_payload(frame: bytes) -> tuple[int, bytes]:
    return struct.unpack_from(">H", frame, 12)[0], frame[14:]


def to_sll(frame: bytes) -> bytes:
    etype, payload = eth_payload(frame)
    return struct.pack(">HHH", 0, 772, 6) + frame[6:12] + b"\0\0" + struct.pack(">H", etype) + payload


def to_sll2(frame: bytes) -> bytes:
    etype, payload = eth_payload(frame)
    return struct.pack(">HHIHBB", etype, 0, 1, 772, 0, 6) + frame[6:12] + b"\0\0" + payload


def to_raw(frame: bytes) -> bytes:
    return eth_payload(frame)[1]


def to_null(frame: bytes, family: int = 2, endian: str = "<") -> bytes:
    return struct.pack(endian + "I", family) + eth_payload(frame)[1]


def to_vlan(frame: bytes, vids: tuple[int, ...] = (100,)) -> bytes:
    """Insert 802.1Q tags (QinQ when several: outer TPID 0x88a8, inner 0x8100)."""
    etype, payload = eth_payload(frame)
    tpids = [0x88A8] * (len(vids) - 1) + [0x8100]
    out = frame[:12]
    for i, vid in enumerate(vids):
        out += struct.pack(">HH", tpids[i], vid)
    return out + struct.pack(">H", etype) + payload


def damaged_s04(tmp_path: Path) -> Path:
    """s04 (12 frames) whose 10th record header claims 3 GB: the reader keeps 1-9, skips the
    damaged record and resynchronises on 11 (frames 10 and 11 of the result)."""
    raw = bytearray((DATA / "s04_mtls12_no_client_cert.pcap").read_bytes())
    pos = 24
    for _ in range(9):
        pos += 16 + struct.unpack_from("<I", raw, pos + 8)[0]
    struct.pack_into("<I", raw, pos + 8, 3_000_000_000)
    out = tmp_path / "damaged.pcap"
    out.write_bytes(bytes(raw))
    return out
