"""Synthetic frames for filter tests: real header bytes plus the Field tree that covers them.

The registry here is a private ``Registry()`` so the tests never touch the global one; its
field types and value names follow Wireshark's (``tshark -G fields`` / ``-G values``).
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field as dfield

from tlstui.field import Field
from tlstui.registry import Base, FieldSpec, FieldType as T, Registry

REG = Registry()


def _r(name: str, ftype: T, desc: str = "", base: Base = Base.DEC, bits: int = 32,
       names: dict[int, str] | None = None) -> None:
    REG.add(FieldSpec(name, ftype, desc or name, base, bits, dict(names or {})))


for _p in ("frame", "eth", "ip", "ipv6", "tcp", "udp", "tls", "dtls", "_ws.malformed"):
    _r(_p, T.PROTOCOL)
_r("frame.number", T.FRAMENUM)
_r("frame.len", T.UINT)
_r("frame.cap_len", T.UINT)
_r("frame.time_relative", T.RELATIVE_TIME)
_r("frame.time", T.ABSOLUTE_TIME)
_r("frame.comment", T.STRING)
_r("eth.src", T.ETHER)
_r("eth.dst", T.ETHER)
_r("eth.addr", T.ETHER)
_r("eth.type", T.UINT, base=Base.HEX, bits=16)
_r("ip.src", T.IPV4)
_r("ip.dst", T.IPV4)
_r("ip.addr", T.IPV4)
_r("ip.ttl", T.UINT, bits=8)
_r("ip.id", T.UINT, base=Base.HEX, bits=16)
_r("ip.len", T.UINT, bits=16)
_r("ip.proto", T.UINT, bits=8, names={6: "TCP", 17: "UDP", 1: "ICMP"})
_r("ipv6.src", T.IPV6)
_r("ipv6.dst", T.IPV6)
_r("ipv6.addr", T.IPV6)
_r("ipv6.hlim", T.UINT, bits=8)
_r("tcp.srcport", T.UINT, bits=16)
_r("tcp.dstport", T.UINT, bits=16)
_r("tcp.port", T.UINT, bits=16)
_r("tcp.stream", T.UINT)
_r("tcp.len", T.UINT)
_r("tcp.seq", T.UINT)
_r("tcp.flags", T.UINT, base=Base.HEX, bits=16)
for _f in ("syn", "ack", "fin", "reset", "push"):
    _r(f"tcp.flags.{_f}", T.BOOLEAN, bits=1)
_r("tcp.payload", T.BYTES)
_r("tcp.analysis.retransmission", T.NONE)
_r("tcp.time_delta", T.RELATIVE_TIME)
_r("udp.srcport", T.UINT, bits=16)
_r("udp.dstport", T.UINT, bits=16)
_r("udp.port", T.UINT, bits=16)
_r("udp.length", T.UINT, bits=16)
_CT = {20: "Change Cipher Spec", 21: "Alert", 22: "Handshake", 23: "Application Data", 24: "Heartbeat"}
_HS = {0: "Hello Request", 1: "Client Hello", 2: "Server Hello", 4: "New Session Ticket",
       8: "Encrypted Extensions", 11: "Certificate", 12: "Server Key Exchange",
       13: "Certificate Request", 14: "Server Hello Done", 15: "Certificate Verify",
       16: "Client Key Exchange", 20: "Finished"}
_VER = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}
for _p in ("tls", "dtls"):
    _r(f"{_p}.record", T.NONE)
    _r(f"{_p}.record.content_type", T.UINT, bits=8, names=_CT)
    _r(f"{_p}.record.version", T.UINT, base=Base.HEX, bits=16, names=_VER)
    _r(f"{_p}.record.length", T.UINT, bits=16)
    _r(f"{_p}.handshake.type", T.UINT, bits=8, names=_HS)
    _r(f"{_p}.handshake.extensions_server_name", T.STRING)
    _r(f"{_p}.alert_message", T.NONE)
    _r(f"{_p}.alert_message.level", T.UINT, bits=8, names={1: "Warning", 2: "Fatal"})
    _r(f"{_p}.alert_message.desc", T.UINT, bits=8,
       names={0: "Close Notify", 40: "Handshake Failure", 70: "Protocol Version"})
_r("dtls.handshake.fragment_offset", T.UINT, bits=24)
_r("http.host", T.STRING)


@dataclass
class FakeView:
    """A FrameView over one synthetic frame."""

    number: int
    data: bytes
    root: Field
    by_name: dict[str, list[Field]] = dfield(default_factory=dict)

    def __post_init__(self) -> None:
        for node in self.root.walk():
            if node.name:
                self.by_name.setdefault(node.name, []).append(node)

    def fields(self, name: str) -> list[Field]:
        return self.by_name.get(name, [])

    def field_bytes(self, f: Field) -> bytes:
        return self.data[f.offset:f.offset + f.length]


def _ip4(s: str) -> int:
    return int(ipaddress.IPv4Address(s))


def tls_record(ctype: int, version: int, body: bytes) -> bytes:
    return struct.pack("!BHH", ctype, version, len(body)) + body


def handshake(htype: int, body: bytes) -> bytes:
    return struct.pack("!B", htype) + len(body).to_bytes(3, "big") + body


def client_hello(sni: str) -> bytes:
    name = sni.encode()
    ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    body = b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x02\xc0\x2f" + b"\x01\x00" + \
        struct.pack("!H", len(ext)) + ext
    return handshake(1, body)


def make_frame(number: int, *, src: str = "127.0.0.1", dst: str = "127.0.0.1", sport: int = 40000,
               dport: int = 443, flags: int = 0x18, payload: bytes = b"", ttl: int = 64,
               stream: int = 0, seq: int = 1, time: float = 0.0, udp: bool = False,
               cap_len: int | None = None, retrans: bool = False, eth_src: bytes = bytes(6),
               ip_id: int = 0x1234) -> FakeView:
    """One Ethernet/IPv4 (or IPv6 when src has ':')/TCP-or-UDP frame; TLS/DTLS dissected from payload."""
    v6 = ":" in src
    eth = bytes(6) + eth_src + (b"\x86\xdd" if v6 else b"\x08\x00")
    if udp:
        l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    else:
        opts = b"\x02\x04\xff\xd7" + b"\x01" * 16 if flags & 0x02 else b""
        hl = 20 + len(opts)
        l4 = struct.pack("!HHIIBBHHH", sport, dport, seq, 0, (hl // 4) << 4, flags, 65535, 0, 0) + opts
    proto = 17 if udp else 6
    if v6:
        ip = struct.pack("!IHBB", 0x60000000, len(l4) + len(payload), proto, ttl) + \
            ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed
    else:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4) + len(payload), ip_id, 0x4000, ttl, proto, 0,
                         ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    data = eth + ip + l4 + payload
    wire_len = len(data)
    if cap_len is not None:
        data = data[:cap_len]
    F = Field
    root = F("frame", "Frame", None, 0, len(data))
    root.add(F("frame.number", "", number, 0, 0))
    root.add(F("frame.len", "", wire_len, 0, 0))
    root.add(F("frame.cap_len", "", len(data), 0, 0))
    root.add(F("frame.time_relative", "", time, 0, 0))
    root.add(F("frame.time", "", 1700000000.0 + time, 0, 0))
    e = F("eth", "Ethernet II", None, 0, 14)
    e.add(F("eth.dst", "", bytes(6), 0, 6))
    e.add(F("eth.addr", "", bytes(6), 0, 6, hidden=True))
    e.add(F("eth.src", "", eth_src, 6, 6))
    e.add(F("eth.addr", "", eth_src, 6, 6, hidden=True))
    e.add(F("eth.type", "", 0x86DD if v6 else 0x0800, 12, 2))
    root.add(e)
    o = 14
    if v6:
        i = F("ipv6", "IPv6", None, o, 40)
        s6, d6 = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
        i.add(F("ipv6.hlim", "", ttl, o + 7, 1))
        i.add(F("ipv6.src", "", s6, o + 8, 16))
        i.add(F("ipv6.addr", "", s6, o + 8, 16, hidden=True))
        i.add(F("ipv6.dst", "", d6, o + 24, 16))
        i.add(F("ipv6.addr", "", d6, o + 24, 16, hidden=True))
        o += 40
    else:
        i = F("ip", "IPv4", None, o, 20)
        i.add(F("ip.len", "", 20 + len(l4) + len(payload), o + 2, 2))
        i.add(F("ip.id", "", ip_id, o + 4, 2))
        i.add(F("ip.ttl", "", ttl, o + 8, 1))
        i.add(F("ip.proto", "", proto, o + 9, 1))
        i.add(F("ip.src", "", _ip4(src), o + 12, 4))
        i.add(F("ip.addr", "", _ip4(src), o + 12, 4, hidden=True))
        i.add(F("ip.dst", "", _ip4(dst), o + 16, 4))
        i.add(F("ip.addr", "", _ip4(dst), o + 16, 4, hidden=True))
        o += 20
    root.add(i)
    if udp:
        u = F("udp", "UDP", None, o, 8)
        u.add(F("udp.srcport", "", sport, o, 2))
        u.add(F("udp.port", "", sport, o, 2, hidden=True))
        u.add(F("udp.dstport", "", dport, o + 2, 2))
        u.add(F("udp.port", "", dport, o + 2, 2, hidden=True))
        u.add(F("udp.length", "", 8 + len(payload), o + 4, 2))
        root.add(u)
        o += 8
    else:
        t = F("tcp", "TCP", None, o, len(l4))
        t.add(F("tcp.srcport", "", sport, o, 2))
        t.add(F("tcp.dstport", "", dport, o + 2, 2))
        t.add(F("tcp.port", "", sport, o, 2, hidden=True))
        t.add(F("tcp.port", "", dport, o + 2, 2, hidden=True))
        t.add(F("tcp.stream", "", stream, 0, 0))
        t.add(F("tcp.len", "", len(payload), 0, 0))
        t.add(F("tcp.seq", "", seq, o + 4, 4))
        fl = t.add(F("tcp.flags", "", flags, o + 12, 2))
        for bit, name in ((0x02, "syn"), (0x10, "ack"), (0x01, "fin"), (0x04, "reset"), (0x08, "push")):
            fl.add(F(f"tcp.flags.{name}", "", 1 if flags & bit else 0, o + 13, 1))
        if retrans:
            t.add(F("tcp.analysis.retransmission", "", None, 0, 0))
        if payload:
            t.add(F("tcp.payload", "", payload, o + len(l4), len(payload)))
        root.add(t)
        o += len(l4)
    if payload:
        _dissect_records(root, payload, o, "dtls" if udp else "tls")
    return FakeView(number, data, root)


def _dissect_records(root: Field, payload: bytes, base: int, proto: str) -> None:
    hdr = 13 if proto == "dtls" else 5
    if payload[0] not in (20, 21, 22, 23):
        return
    p = root.add(Field(proto, proto.upper(), None, base, len(payload)))
    k = 0
    while k + hdr <= len(payload):
        ctype, ver = payload[k], int.from_bytes(payload[k + 1:k + 3], "big")
        length = int.from_bytes(payload[k + hdr - 2:k + hdr], "big")
        rec = p.add(Field(f"{proto}.record", "Record", None, base + k, hdr + length))
        rec.add(Field(f"{proto}.record.content_type", "", ctype, base + k, 1))
        rec.add(Field(f"{proto}.record.version", "", ver, base + k + 1, 2))
        rec.add(Field(f"{proto}.record.length", "", length, base + k + hdr - 2, 2))
        body = payload[k + hdr:k + hdr + length]
        if ctype == 22:
            j = 0
            hh = 12 if proto == "dtls" else 4
            while j + hh <= len(body):
                htype = body[j]
                hlen = int.from_bytes(body[j + 1:j + 4], "big")
                rec.add(Field(f"{proto}.handshake.type", "", htype, base + k + hdr + j, 1))
                if proto == "dtls":
                    off = int.from_bytes(body[j + 6:j + 9], "big")
                    flen = int.from_bytes(body[j + 9:j + 12], "big")
                    rec.add(Field("dtls.handshake.fragment_offset", "", off, base + k + hdr + j + 6, 3))
                    hlen = flen
                if htype == 1 and proto == "tls":
                    # the fake ClientHello carries exactly one extension, server_name, at its end
                    ext = body[j + hh:j + hh + hlen]
                    nlen = int.from_bytes(ext[-2 - _name_len(ext):-_name_len(ext)], "big")
                    at = base + k + hdr + j + hh + hlen - nlen
                    rec.add(Field("tls.handshake.extensions_server_name", "", ext[-nlen:].decode(), at, nlen))
                j += hh + hlen
        elif ctype == 21 and length == 2:
            a = rec.add(Field(f"{proto}.alert_message", "Alert", None, base + k + hdr, 2))
            a.add(Field(f"{proto}.alert_message.level", "", body[0], base + k + hdr, 1))
            a.add(Field(f"{proto}.alert_message.desc", "", body[1], base + k + hdr + 1, 1))
        elif ctype == 21:
            rec.add(Field(f"{proto}.alert_message", "Encrypted Alert", None, base + k + hdr, length))
        k += hdr + length


def _name_len(ext: bytes) -> int:
    """Length of the server name that ends ``ext`` (its 2-byte length sits just before it)."""
    for n in range(1, 256):
        if len(ext) >= n + 2 and int.from_bytes(ext[-n - 2:-n], "big") == n:
            return n
    return 0


def dtls_record(ctype: int, body: bytes, seq: int = 0, version: int = 0xFEFD) -> bytes:
    return struct.pack("!BHH", ctype, version, 0) + seq.to_bytes(6, "big") + struct.pack("!H", len(body)) + body


def dtls_fragment(htype: int, total: int, frag: bytes, offset: int, msg_seq: int = 0) -> bytes:
    return (struct.pack("!B", htype) + total.to_bytes(3, "big") + struct.pack("!H", msg_seq)
            + offset.to_bytes(3, "big") + len(frag).to_bytes(3, "big") + frag)


MAC = bytes.fromhex("001122334455")


def capture() -> list[FakeView]:
    """A small capture: a TLS 1.2 connection over loopback, an IPv6 SYN, DTLS, an alert, a cut frame."""
    sh = handshake(2, b"\x03\x03" + b"\x22" * 32 + b"\x00\xc0\x2f\x00\x00\x00") + handshake(11, b"\x00\x00\x00")
    ch = tls_record(22, 0x0301, client_hello("server.tlslab.test"))
    sh = tls_record(22, 0x0303, sh)
    app = tls_record(23, 0x0303, b"\xaa" * 40)
    return [
        make_frame(1, flags=0x02, seq=0, time=0.0),
        make_frame(2, sport=443, dport=40000, flags=0x12, seq=0, time=0.0001, ip_id=0),
        make_frame(3, flags=0x10, time=0.0002),
        make_frame(4, payload=ch, time=0.001),
        make_frame(5, sport=443, dport=40000, payload=sh, time=0.002),
        make_frame(6, payload=app, seq=1 + len(ch), time=0.5, retrans=True),
        make_frame(7, sport=443, dport=40000, flags=0x19, payload=tls_record(21, 0x0303, b"\x01" * 26),
                   seq=1 + len(sh), time=1.0),
        make_frame(8, flags=0x04, seq=1 + len(ch) + len(app), time=1.5, ttl=16),
        make_frame(9, src="::1", dst="::1", sport=50000, flags=0x02, seq=0, stream=1, time=2.0),
        make_frame(10, src="10.10.0.1", dst="10.10.0.2", sport=5000, dport=4433, udp=True, eth_src=MAC,
                   time=2.5, payload=dtls_record(22, dtls_fragment(1, 200, b"\x01" * 100, 0))
                   + dtls_record(22, dtls_fragment(1, 200, b"\x02" * 100, 100), seq=1)),
        make_frame(11, src="10.10.0.2", dst="10.10.0.1", sport=443, dport=51000, stream=2, time=3.0,
                   payload=tls_record(21, 0x0303, b"\x02\x28"), eth_src=MAC, ttl=16),
        make_frame(12, src="10.10.0.1", dst="10.10.0.2", sport=51000, dport=443, stream=2, time=3.25,
                   payload=b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", cap_len=60),
    ]
