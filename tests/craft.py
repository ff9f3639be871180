"""Captures made for the findings tests: real TLS bytes (``tlspair``) laid onto crafted TCP/IP frames.

``TcpTalk`` keeps both sides' sequence numbers, so a test writes a connection as the story it
tells ("client sends these records, server answers, server sends FIN, client sends more, server
answers RST") and gets a pcap whose TCP layer is self-consistent.  ``icmp_frag_needed`` and
``icmpv6_too_big`` build the ICMP errors a router sends back quoting a packet.
"""
from __future__ import annotations

import struct
import time
import warnings
from pathlib import Path

from factory import pcap
from tcpfactory import ACK, CLIENT, FIN, PSH, RST, SERVER, SYN, Conn, _csum, mss

__all__ = ["TcpTalk", "write", "open_session", "findings_of", "icmp_frag_needed", "ACK", "FIN", "PSH", "RST",
           "SYN", "CLIENT", "SERVER"]


class TcpTalk(Conn):
    """A TCP connection written in the order things happen, with sequence numbers kept per side."""

    def __init__(self, *a, t0_ns: int | None = None, **kw) -> None:
        # Now, by default: certificates made at test time are valid now, not in 2023.
        super().__init__(*a, t0_ns=time.time_ns() if t0_ns is None else t0_ns, **kw)
        self.next = [1, 1]  # next relative sequence number, client and server

    def open(self, opts_c: bytes = b"", opts_s: bytes = b"", dt_us: int = 1000) -> None:
        self.send(True, 0, 0, SYN, opts=opts_c or mss(), dt_us=dt_us)
        self.send(False, 0, 1, SYN | ACK, opts=opts_s or mss(), dt_us=dt_us)
        self.send(True, 1, 1, ACK, dt_us=dt_us)

    def _side(self, from_client: bool) -> int:
        return 0 if from_client else 1

    def data(self, from_client: bool, payload: bytes, dt_us: int = 1000, flags: int = PSH | ACK,
             seq: int | None = None, **kw) -> int:
        """One segment of ``payload``; ``seq`` (relative) to resend or reorder, else the next byte."""
        i = self._side(from_client)
        s = self.next[i] if seq is None else seq
        n = self.send(from_client, s, self.next[1 - i], flags, payload, dt_us=dt_us, **kw)
        self.next[i] = max(self.next[i], s + len(payload))
        return n

    def ack(self, from_client: bool, dt_us: int = 1000) -> int:
        i = self._side(from_client)
        return self.send(from_client, self.next[i], self.next[1 - i], ACK, dt_us=dt_us)

    def records(self, from_client: bool, records: list[bytes], dt_us: int = 1000, mss_bytes: int = 1400,
                ack: bool = True) -> list[int]:
        """Send TLS records back to back, cut into segments of at most ``mss_bytes``; the peer ACKs."""
        blob = b"".join(records)
        frames = []
        for p in range(0, len(blob), mss_bytes):
            frames.append(self.data(from_client, blob[p:p + mss_bytes], dt_us=dt_us))
        if ack and blob:
            self.ack(not from_client, dt_us=dt_us)
        return frames

    def fin(self, from_client: bool, dt_us: int = 1000) -> int:
        i = self._side(from_client)
        n = self.send(from_client, self.next[i], self.next[1 - i], FIN | ACK, dt_us=dt_us)
        self.next[i] += 1
        return n

    def rst(self, from_client: bool, dt_us: int = 1000, with_ack: bool = True) -> int:
        i = self._side(from_client)
        return self.send(from_client, self.next[i], self.next[1 - i], RST | (ACK if with_ack else 0), dt_us=dt_us)

    def replay(self, recording, dt_us: int = 1000, until: int | None = None) -> list[int]:
        """Lay ``recording.records`` (tlspair) onto the connection, each flight in one burst.
        Returns the first frame of each record (in order)."""
        firsts = []
        recs = recording.records[:until]
        i = 0
        while i < len(recs):
            d = recs[i][0]
            j = i
            while j < len(recs) and recs[j][0] == d:
                j += 1
            before = len(self.frames) + 1
            self.records(d == 0, [r for _, r in recs[i:j]], dt_us=dt_us)
            firsts.extend([before] * (j - i))
            i = j
        return firsts


def write(path: Path, *conns, extra: list[tuple[int, bytes, int]] | None = None, snaplen: int = 262144) -> Path:
    """A pcap of several connections' frames (and ``extra`` frames), merged by time."""
    frames = sorted([f for c in conns for f in c.frames] + list(extra or []), key=lambda f: f[0])
    Path(path).write_bytes(pcap(frames, snaplen=snaplen))
    return Path(path)


def open_session(path: Path, keylog: str | None = None):
    from tlstui.session import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(path), keylog)
        s.analyze()
    return s


def findings_of(path: Path, keylog: str | None = None, **kw) -> list:
    from tlstui.findings import find_all

    return find_all(open_session(path, keylog), **kw)


def _ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ttl: int = 64, ip_id: int = 1) -> bytes:
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ip_id, 0, ttl, proto, 0, src, dst)
    return ip[:10] + struct.pack(">H", _csum(ip)) + ip[12:] + payload


def icmp_frag_needed(router: bytes, to: bytes, quoted_ip: bytes, mtu: int) -> bytes:
    """An Ethernet frame: ICMP type 3 code 4 from ``router`` quoting ``quoted_ip`` (IP header + 8+ bytes)."""
    body = struct.pack(">BBHHH", 3, 4, 0, 0, mtu) + quoted_ip[:28]
    body = body[:2] + struct.pack(">H", _csum(body)) + body[4:]
    return b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x09" + b"\x08\x00" + _ipv4(router, to, 1, body)
