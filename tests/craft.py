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

__all__ = ["TcpTalk", "TcpTalk6", "write", "open_session", "findings_of", "icmp_frag_needed", "icmpv6_too_big",
           "icmp_unreachable", "tcp6_frame", "ip_packet", "ACK", "FIN", "PSH", "RST", "SYN", "CLIENT", "SERVER",
           "CLIENT6", "SERVER6"]


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


def write(path: Path, *conns, extra: list[tuple[int, bytes, int]] | None = None, snaplen: int = 262144,
          linktype: int = 1, convert=None) -> Path:
    """A pcap of several connections' frames (and ``extra`` frames), merged by time.
    ``convert`` (e.g. factory.to_sll with ``linktype=113``) rewrites each Ethernet frame for another
    link type; a frame's wire length keeps what it lacked in captured bytes."""
    frames = sorted([f for c in conns for f in c.frames] + list(extra or []), key=lambda f: f[0])
    if convert is not None:
        frames = [(t, convert(b), o - len(b) + len(convert(b))) for t, b, o in frames]
    Path(path).write_bytes(pcap(frames, snaplen=snaplen, linktype=linktype))
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


CLIENT6 = bytes.fromhex("20010db8000000000000000000000001")
SERVER6 = bytes.fromhex("20010db8000000000000000000000002")


def ip_packet(frame: bytes) -> bytes:
    """The IP packet of an Ethernet frame (what an ICMP error quotes)."""
    return frame[14:]


def icmp_unreachable(router: bytes, to: bytes, quoted_ip: bytes, code: int = 3) -> bytes:
    """An Ethernet frame: ICMP type 3 with another code (3: port unreachable), quoting ``quoted_ip``."""
    body = struct.pack(">BBHI", 3, code, 0, 0) + quoted_ip[:28]
    body = body[:2] + struct.pack(">H", _csum(body)) + body[4:]
    return b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x09" + b"\x08\x00" + _ipv4(router, to, 1, body)


def _ipv6(src: bytes, dst: bytes, nxt: int, payload: bytes, hlim: int = 64) -> bytes:
    return struct.pack(">IHBB", 6 << 28, len(payload), nxt, hlim) + src + dst + payload


def icmpv6_too_big(router: bytes, to: bytes, quoted_ip: bytes, mtu: int) -> bytes:
    """An Ethernet frame: ICMPv6 Packet Too Big (type 2) from ``router`` quoting ``quoted_ip`` (as much of it
    as fits in 1280 bytes, as RFC 4443 asks)."""
    quote = quoted_ip[:1280 - 48]
    body = struct.pack(">BBHI", 2, 0, 0, mtu) + quote
    pseudo = router + to + struct.pack(">IxxxB", len(body), 58)
    body = body[:2] + struct.pack(">H", _csum(pseudo + body)) + body[4:]
    return b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x09" + b"\x86\xdd" + _ipv6(router, to, 58, body)


def tcp6_frame(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int,
               win: int = 65535, payload: bytes = b"", opts: bytes = b"", hlim: int = 64) -> bytes:
    """One Ethernet/IPv6/TCP frame with a correct TCP checksum."""
    opts += b"\0" * (-len(opts) % 4)
    hl = 20 + len(opts)
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, (hl // 4) << 4, flags,
                      win, 0, 0) + opts + payload
    pseudo = src + dst + struct.pack(">IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack(">H", _csum(pseudo + tcp)) + tcp[18:]
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x86\xdd" + _ipv6(src, dst, 6, tcp, hlim)


class TcpTalk6(TcpTalk):
    """``TcpTalk`` over IPv6 (default addresses 2001:db8::1 and 2001:db8::2)."""

    def __init__(self, *a, client: bytes = CLIENT6, server: bytes = SERVER6, **kw) -> None:
        super().__init__(*a, client=client, server=server, **kw)

    def send(self, from_client: bool, seq: int, ack: int, flags: int, payload: bytes = b"", win: int = 65535,
             opts: bytes = b"", dt_us: int = 1000, **kw) -> int:
        self.t += dt_us * 1000
        if from_client:
            f = tcp6_frame(self.client, self.server, self.sport, self.dport, self.cisn + seq, self.sisn + ack, flags,
                           win, payload, opts)
        else:
            f = tcp6_frame(self.server, self.client, self.dport, self.sport, self.sisn + seq, self.cisn + ack, flags,
                           win, payload, opts)
        self.frames.append((self.t, f, len(f)))
        return len(self.frames)
