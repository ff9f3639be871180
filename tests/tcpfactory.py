"""Synthetic TCP/IPv4 frames for the TCP tests (Ethernet, correct IP and TCP checksums)."""
from __future__ import annotations

import struct

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
CLIENT, SERVER = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def _csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_frame(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int,
              win: int = 65535, payload: bytes = b"", opts: bytes = b"", ttl: int = 64, ip_id: int = 1) -> bytes:
    """One Ethernet/IPv4/TCP frame."""
    opts += b"\0" * (-len(opts) % 4)
    hl = 20 + len(opts)
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (hl // 4) << 4, flags,
                      win, 0, 0) + opts + payload
    pseudo = src + dst + struct.pack(">BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack(">H", _csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ip_id, 0x4000, ttl, 6, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", _csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00" + ip + tcp


def mss(v: int = 1460) -> bytes:
    return struct.pack(">BBH", 2, 4, v)


def wscale(shift: int) -> bytes:
    return b"\x01" + struct.pack(">BBB", 3, 3, shift)


def sack(*blocks: tuple[int, int]) -> bytes:
    return b"\x01\x01" + struct.pack(">BB", 5, 2 + 8 * len(blocks)) + b"".join(
        struct.pack(">II", a & 0xFFFFFFFF, b & 0xFFFFFFFF) for a, b in blocks)


class Conn:
    """A client/server pair that writes frames with absolute sequence numbers."""

    def __init__(self, cisn: int = 1000, sisn: int = 5000, sport: int = 40000, dport: int = 443,
                 client: bytes = CLIENT, server: bytes = SERVER, t0_ns: int = 1_700_000_000 * 10**9) -> None:
        self.cisn, self.sisn, self.sport, self.dport = cisn, sisn, sport, dport
        self.client, self.server = client, server
        self.t = t0_ns
        self.frames: list[tuple[int, bytes, int]] = []
        self.ids = [100, 7000]

    def send(self, from_client: bool, seq: int, ack: int, flags: int, payload: bytes = b"", win: int = 65535,
             opts: bytes = b"", dt_us: int = 1000, **kw) -> int:
        """Append a frame; ``seq``/``ack`` are relative to the two ISNs.  Returns its frame number."""
        self.t += dt_us * 1000
        i = 0 if from_client else 1
        self.ids[i] += 1
        if from_client:
            f = tcp_frame(self.client, self.server, self.sport, self.dport, self.cisn + seq, self.sisn + ack, flags,
                          win, payload, opts, ip_id=kw.pop("ip_id", self.ids[i]), **kw)
        else:
            f = tcp_frame(self.server, self.client, self.dport, self.sport, self.sisn + seq, self.cisn + ack, flags,
                          win, payload, opts, ip_id=kw.pop("ip_id", self.ids[i]), **kw)
        self.frames.append((self.t, f, len(f)))
        return len(self.frames)

    def handshake(self, opts_c: bytes = b"", opts_s: bytes = b"") -> None:
        self.send(True, 0, 0, SYN, opts=opts_c or mss())
        self.send(False, 0, 1, SYN | ACK, opts=opts_s or mss())
        self.send(True, 1, 1, ACK)
