"""Writes the crafted captures of the clear-text protocols (ICMP, ICMPv6, ARP, DNS, STUN, HTTP/1.x)
into tests/data/, and, with --truth, tshark's output for them beside each (the tests never need tshark).

    python tests/unit/dissect/make_clear_captures.py [--truth]

Every frame is built here from the RFCs' layouts (addresses from the documentation ranges), so the
captures hold exactly the cases the dissectors must get right: echo pairs and an unanswered echo,
errors quoting TCP and UDP (IPv4 and IPv6), fragmentation needed and Packet Too Big, ARP requests,
replies, probes, announcements and gratuitous ARP, DNS over UDP and over TCP (a response split over
two segments, two messages in one segment), mDNS, STUN with XOR-MAPPED-ADDRESS, HTTP/1.1 on port 80 and (found by its first line) on another
port, with a response body over two segments, and Spanning Tree BPDUs in IEEE 802.3 frames.
"""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from factory import pcap  # noqa: E402
from tcpfactory import ACK, FIN, PSH, SYN, Conn, _csum, mss  # noqa: E402

DATA = HERE.parents[1] / "data"
T0 = 1_700_000_000 * 10**9
MAC_C, MAC_S, MAC_R = bytes.fromhex("020000000001"), bytes.fromhex("020000000002"), bytes.fromhex("020000000009")
C4, S4, R4, DNS4 = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20]), bytes([192, 0, 2, 1]), bytes([192, 0, 2, 53])
C6 = bytes.fromhex("20010db8000000000000000000000010")
S6 = bytes.fromhex("20010db8000100000000000000000020")
R6 = bytes.fromhex("fe800000000000000000000000000001")


def eth(dst: bytes, src: bytes, etype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack(">H", etype) + payload


def ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ttl: int = 64, ip_id: int = 0x1234,
         df: bool = True) -> bytes:
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ip_id, 0x4000 if df else 0, ttl, proto, 0,
                     src, dst)
    return ip[:10] + struct.pack(">H", _csum(ip)) + ip[12:] + payload


def ipv6(src: bytes, dst: bytes, nxt: int, payload: bytes, hlim: int = 64) -> bytes:
    return struct.pack(">IHBB", 6 << 28, len(payload), nxt, hlim) + src + dst + payload


def udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    u = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    if len(src) == 4:
        pseudo = src + dst + struct.pack(">BBH", 0, 17, len(u))
    else:
        pseudo = src + dst + struct.pack(">IxxxB", len(u), 17)
    c = _csum(pseudo + u) or 0xFFFF
    return u[:6] + struct.pack(">H", c) + u[8:]


def icmp(typ: int, code: int, rest: bytes, body: bytes) -> bytes:
    m = struct.pack(">BBH", typ, code, 0) + rest + body
    return m[:2] + struct.pack(">H", _csum(m)) + m[4:]


def icmp6(src: bytes, dst: bytes, typ: int, code: int, rest: bytes, body: bytes) -> bytes:
    m = struct.pack(">BBH", typ, code, 0) + rest + body
    pseudo = src + dst + struct.pack(">IxxxB", len(m), 58)
    return m[:2] + struct.pack(">H", _csum(pseudo + m)) + m[4:]


def udp4_frame(src, dst, sport, dport, payload, ttl=64, ip_id=0x1234, macs=(MAC_S, MAC_C)) -> bytes:
    return eth(macs[0], macs[1], 0x0800, ipv4(src, dst, 17, udp(src, dst, sport, dport, payload), ttl, ip_id))


def udp6_frame(src, dst, sport, dport, payload, macs=(MAC_S, MAC_C)) -> bytes:
    return eth(macs[0], macs[1], 0x86DD, ipv6(src, dst, 17, udp(src, dst, sport, dport, payload)))


# --- DNS -----------------------------------------------------------------------------------------
def dns_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def dns_msg(ident: int, flags: int, questions: list[tuple[str, int]], answers: list[tuple] = (),
            authority: list[tuple] = (), additional: list[tuple] = (), compress: bool = True) -> bytes:
    """A DNS message; each resource record is (name, type, ttl, rdata bytes); a name equal to the
    first question's name is written as a pointer to it (offset 12) when ``compress``."""
    out = struct.pack(">HHHHHH", ident, flags, len(questions), len(answers), len(authority), len(additional))
    qname0 = questions[0][0] if questions else None
    for name, qtype in questions:
        out += dns_name(name) + struct.pack(">HH", qtype, 1)
    for section in (answers, authority, additional):
        for name, rtype, ttl, rdata in section:
            nm = b"\xc0\x0c" if compress and name == qname0 else dns_name(name)
            out += nm + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata
    return out


def tcp_talk(c: Conn, chunks: list[tuple[bool, bytes]], fin: bool = True) -> None:
    """A connection: handshake, then each (from_client, bytes) as one segment acknowledged by the peer."""
    c.handshake()
    nxt = [1, 1]
    for from_client, data in chunks:
        i = 0 if from_client else 1
        c.send(from_client, nxt[i], nxt[1 - i], PSH | ACK, data)
        nxt[i] += len(data)
        c.send(not from_client, nxt[1 - i], nxt[i], ACK)
    if fin:
        c.send(True, nxt[0], nxt[1], FIN | ACK)
        c.send(False, nxt[1], nxt[0] + 1, FIN | ACK)
        c.send(True, nxt[0] + 1, nxt[1] + 1, ACK)


class Timeline:
    def __init__(self) -> None:
        self.t = T0
        self.frames: list[tuple[int, bytes, int]] = []

    def add(self, frame: bytes, dt_us: int = 1000) -> int:
        self.t += dt_us * 1000
        self.frames.append((self.t, frame, len(frame)))
        return len(self.frames)

    def conn(self, c: Conn) -> None:
        for _t, f, _o in c.frames:
            self.add(f)


def icmp_capture() -> bytes:
    tl = Timeline()
    # echo request and reply; a second pair; a request never answered
    for seq in (1, 2):
        tl.add(eth(MAC_R, MAC_C, 0x0800, ipv4(C4, S4, 1, icmp(8, 0, struct.pack(">HH", 0x1a2b, seq), b"abcdefgh" * 4))))
        tl.add(eth(MAC_C, MAC_R, 0x0800, ipv4(S4, C4, 1, icmp(0, 0, struct.pack(">HH", 0x1a2b, seq), b"abcdefgh" * 4),
                                              ttl=57, ip_id=0)))
    tl.add(eth(MAC_R, MAC_C, 0x0800, ipv4(C4, S4, 1, icmp(8, 0, struct.pack(">HH", 0x1a2b, 3), b"x" * 16))))
    # a TCP connection, one full-size segment, then fragmentation needed quoting it
    c = Conn(cisn=1000, sisn=90000, sport=40001, dport=443, client=C4, server=S4, t0_ns=tl.t)
    c.handshake(mss(1460), mss(1460))
    c.send(True, 1, 1, PSH | ACK, b"\x16\x03\x01" + b"z" * 1457)
    tl.conn(c)
    seg = c.frames[-1][1][14:]
    tl.add(eth(MAC_C, MAC_R, 0x0800, ipv4(R4, C4, 1, icmp(3, 4, struct.pack(">HH", 0, 1400), seg[:28]), ttl=254)))
    # port unreachable quoting a DNS query over UDP (the query and 8 bytes of it); time exceeded
    q = udp4_frame(C4, DNS4, 53001, 53, dns_msg(0x4242, 0x0100, [("example.com", 1)]))
    tl.add(q)
    tl.add(eth(MAC_C, MAC_R, 0x0800, ipv4(DNS4, C4, 1, icmp(3, 3, b"\0\0\0\0", q[14:]), ttl=64)))
    tl.add(eth(MAC_C, MAC_R, 0x0800, ipv4(R4, C4, 1, icmp(11, 0, b"\0\0\0\0", seg[:48]), ttl=255)))
    # host unreachable with a short quote (IP header and 4 bytes), an unknown type, a redirect
    tl.add(eth(MAC_C, MAC_R, 0x0800, ipv4(R4, C4, 1, icmp(3, 1, b"\0\0\0\0", seg[:24]), ttl=255)))
    tl.add(eth(MAC_C, MAC_R, 0x0800, ipv4(R4, C4, 1, icmp(165, 0, b"", b""), ttl=255)))
    tl.add(eth(MAC_C, MAC_R, 0x0800, ipv4(R4, C4, 1, icmp(5, 1, R4, seg[:28]), ttl=255)))
    # ICMPv6: echo pair, Packet Too Big quoting a TCP/IPv6 segment, neighbour discovery
    for typ, src, dst, hl in ((128, C6, S6, 64), (129, S6, C6, 55)):
        body = icmp6(src, dst, typ, 0, struct.pack(">HH", 0x77, 9), b"ping6" * 4)
        tl.add(eth(MAC_R, MAC_C, 0x86DD, ipv6(src, dst, 58, body, hl)))
    c6 = struct.pack(">HHIIBBHHH", 40002, 443, 5555, 1, 0x50, PSH | ACK, 65535, 0, 0) + b"\x17\x03\x03" + b"w" * 1377
    big = ipv6(C6, S6, 6, c6)
    tl.add(eth(MAC_C, MAC_R, 0x86DD, ipv6(R6, C6, 58, icmp6(R6, C6, 2, 0, struct.pack(">I", 1280), big[:1232]),
                                          255)))
    ns = icmp6(C6, bytes.fromhex("ff0200000000000000000001ff000001"), 135, 0, b"\0\0\0\0",
               R6 + b"\x01\x01" + MAC_C)
    tl.add(eth(bytes.fromhex("3333ff000001"), MAC_C, 0x86DD,
               ipv6(C6, bytes.fromhex("ff0200000000000000000001ff000001"), 58, ns, 255)))
    na = icmp6(R6, C6, 136, 0, b"\x60\0\0\0", R6 + b"\x02\x01" + MAC_R)
    tl.add(eth(MAC_C, MAC_R, 0x86DD, ipv6(R6, C6, 58, na, 255)))
    ra = icmp6(R6, bytes.fromhex("ff020000000000000000000000000001"), 134, 0, struct.pack(">BBHII", 64, 0, 1800, 0, 0),
               b"\x01\x01" + MAC_R)
    tl.add(eth(bytes.fromhex("333300000001"), MAC_R, 0x86DD,
               ipv6(R6, bytes.fromhex("ff020000000000000000000000000001"), 58, ra, 255)))
    rs = icmp6(C6, bytes.fromhex("ff020000000000000000000000000002"), 133, 0, b"\0\0\0\0", b"")
    tl.add(eth(bytes.fromhex("333300000002"), MAC_C, 0x86DD,
               ipv6(C6, bytes.fromhex("ff020000000000000000000000000002"), 58, rs, 255)))
    du = udp6_frame(C6, S6, 50000, 4433, b"q" * 40)[14:]
    tl.add(eth(MAC_C, MAC_R, 0x86DD, ipv6(S6, C6, 58, icmp6(S6, C6, 1, 4, b"\0\0\0\0", du), 60)))
    return pcap(tl.frames)


def arp(op: int, smac: bytes, sip: bytes, tmac: bytes, tip: bytes) -> bytes:
    return struct.pack(">HHBBH", 1, 0x0800, 6, 4, op) + smac + sip + tmac + tip


def arp_capture() -> bytes:
    tl = Timeline()
    bcast, zero = b"\xff" * 6, b"\0" * 6
    tl.add(eth(bcast, MAC_C, 0x0806, arp(1, MAC_C, C4, zero, R4) + b"\0" * 18))
    tl.add(eth(MAC_C, MAC_R, 0x0806, arp(2, MAC_R, R4, MAC_C, C4) + b"\0" * 18))
    tl.add(eth(bcast, MAC_S, 0x0806, arp(1, MAC_S, b"\0\0\0\0", zero, S4) + b"\0" * 18))  # probe
    tl.add(eth(bcast, MAC_S, 0x0806, arp(1, MAC_S, S4, zero, S4) + b"\0" * 18))  # announcement
    tl.add(eth(bcast, MAC_S, 0x0806, arp(2, MAC_S, S4, bcast, S4) + b"\0" * 18))  # gratuitous reply
    tl.add(eth(bcast, MAC_R, 0x0806, arp(9, MAC_R, R4, zero, C4)))  # unknown opcode
    # another MAC claims 192.0.2.1 (duplicate use), then answers a clean target (tshark shows the target's check)
    other = bytes.fromhex("0200000000ee")
    tl.add(eth(MAC_C, other, 0x0806, arp(2, other, R4, MAC_C, C4) + b"\0" * 18))
    tl.add(eth(MAC_C, other, 0x0806, arp(1, other, R4, zero, C4) + b"\0" * 18))
    tl.add(eth(MAC_R, MAC_C, 0x0806, arp(2, MAC_C, C4, other, R4) + b"\0" * 18))
    tl.add(eth(bcast, MAC_R, 0x0806, arp(1, MAC_R, R4, zero, S4)[:20]))  # cut short
    return pcap(tl.frames)


def dns_capture() -> bytes:
    tl = Timeline()
    A, NS, CNAME, PTR, MX, TXT, AAAA, SRV = 1, 2, 5, 12, 15, 16, 28, 33
    q = dns_msg(0x1001, 0x0100, [("www.example.com", A)])
    tl.add(udp4_frame(C4, DNS4, 53001, 53, q))
    r = dns_msg(0x1001, 0x8180, [("www.example.com", A)],
                [("www.example.com", CNAME, 300, dns_name("web.example.net")),
                 ("web.example.net", A, 60, bytes([203, 0, 113, 5])),
                 ("web.example.net", A, 60, bytes([203, 0, 113, 6]))])
    tl.add(udp4_frame(DNS4, C4, 53, 53001, r, macs=(MAC_C, MAC_S)))
    q6 = dns_msg(0x1002, 0x0100, [("www.example.com", AAAA)])
    tl.add(udp4_frame(C4, DNS4, 53002, 53, q6))
    tl.add(udp4_frame(DNS4, C4, 53, 53002, dns_msg(0x1002, 0x8180, [("www.example.com", AAAA)],
                                                   [("www.example.com", AAAA, 3600, S6)]), macs=(MAC_C, MAC_S)))
    nx = dns_msg(0x1003, 0x0100, [("nope.example.com", A)])
    tl.add(udp4_frame(C4, DNS4, 53003, 53, nx))
    soa = dns_name("example.com") + dns_name("ns.example.com") + dns_name("hostmaster.example.com") + \
        struct.pack(">IIIII", 2024010101, 7200, 3600, 1209600, 300)
    tl.add(udp4_frame(DNS4, C4, 53, 53003, dns_msg(0x1003, 0x8183, [("nope.example.com", A)], [],
                                                   [("example.com", 6, 300, soa)]), macs=(MAC_C, MAC_S)))
    # MX, TXT, PTR, SRV answers; a query over IPv6
    tl.add(udp6_frame(C6, S6, 53004, 53, dns_msg(0x1004, 0x0100, [("example.com", MX)])))
    tl.add(udp6_frame(S6, C6, 53, 53004, dns_msg(0x1004, 0x8580, [("example.com", MX)],
                                                 [("example.com", MX, 600, b"\0\x0a" + dns_name("mail.example.com"))],
                                                 [], [("mail.example.com", A, 600, bytes([203, 0, 113, 25]))]),
                      macs=(MAC_C, MAC_S)))
    tl.add(udp4_frame(C4, DNS4, 53005, 53, dns_msg(0x1005, 0x0100, [("5.113.0.203.in-addr.arpa", PTR)])))
    tl.add(udp4_frame(DNS4, C4, 53, 53005, dns_msg(0x1005, 0x8180, [("5.113.0.203.in-addr.arpa", PTR)],
                                                   [("5.113.0.203.in-addr.arpa", PTR, 86400,
                                                     dns_name("web.example.net"))]), macs=(MAC_C, MAC_S)))
    tl.add(udp4_frame(C4, DNS4, 53006, 53, dns_msg(0x1006, 0x0100, [("example.com", TXT),])))
    tl.add(udp4_frame(DNS4, C4, 53, 53006, dns_msg(0x1006, 0x8180, [("example.com", TXT)],
                                                   [("example.com", TXT, 300, b"\x0bv=spf1 -all\x05hello")]),
                      macs=(MAC_C, MAC_S)))
    tl.add(udp4_frame(C4, DNS4, 53007, 53, dns_msg(0x1007, 0x0120, [("_sip._tcp.example.com", SRV)])))
    tl.add(udp4_frame(DNS4, C4, 53, 53007, dns_msg(0x1007, 0x8182, [("_sip._tcp.example.com", SRV)]),
                      macs=(MAC_C, MAC_S)))
    # a name with a byte that must be escaped, and a query never answered
    tl.add(udp4_frame(C4, DNS4, 53008, 53, dns_msg(0x1008, 0x0100, [("a\x07b.example.com", A)])))
    # mDNS: a query and an unsolicited response
    tl.add(udp4_frame(C4, bytes([224, 0, 0, 251]), 5353, 5353, dns_msg(0, 0, [("printer.local", A)]), ttl=255,
                      macs=(bytes.fromhex("01005e0000fb"), MAC_C)))
    tl.add(udp4_frame(S4, bytes([224, 0, 0, 251]), 5353, 5353,
                      dns_msg(0, 0x8400, [], [("printer.local", A, 120, bytes([192, 0, 2, 77]))]), ttl=255,
                      macs=(bytes.fromhex("01005e0000fb"), MAC_S)))
    # DNS over TCP: a query, then the response in two segments; then two queries in one segment
    c = Conn(cisn=7000, sisn=8000, sport=40053, dport=53, client=C4, server=DNS4, t0_ns=tl.t)
    tq = dns_msg(0x2001, 0x0100, [("big.example.com", A)])
    tr = dns_msg(0x2001, 0x8180, [("big.example.com", A)],
                 [("big.example.com", A, 30, bytes([203, 0, 113, i])) for i in range(1, 9)])
    tq2 = dns_msg(0x2002, 0x0100, [("one.example.com", A)])
    tq3 = dns_msg(0x2003, 0x0100, [("two.example.com", AAAA)])
    framed = struct.pack(">H", len(tr)) + tr
    tcp_talk(c, [(True, struct.pack(">H", len(tq)) + tq), (False, framed[:40]), (False, framed[40:]),
                 (True, struct.pack(">H", len(tq2)) + tq2 + struct.pack(">H", len(tq3)) + tq3)])
    tl.conn(c)
    return pcap(tl.frames)


def stun_attr(t: int, v: bytes) -> bytes:
    return struct.pack(">HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def stun_msg(mtype: int, tid: bytes, attrs: bytes) -> bytes:
    return struct.pack(">HHI", mtype, len(attrs), 0x2112A442) + tid + attrs


def stun_capture() -> bytes:
    tl = Timeline()
    tid = bytes.fromhex("0102030405060708090a0b0c")
    tl.add(udp4_frame(C4, S4, 50000, 3478, stun_msg(0x0001, tid, stun_attr(0x8022, b"tlstui test"))))
    xport = 50000 ^ 0x2112
    xaddr = bytes(a ^ b for a, b in zip(C4, bytes.fromhex("2112a442")))
    resp = stun_attr(0x0020, b"\x00\x01" + struct.pack(">H", xport) + xaddr) + \
        stun_attr(0x0001, b"\x00\x01" + struct.pack(">H", 50000) + C4) + stun_attr(0x8022, b"srv")
    tl.add(udp4_frame(S4, C4, 3478, 50000, stun_msg(0x0101, tid, resp), macs=(MAC_C, MAC_S)))
    tid2 = bytes.fromhex("a1a2a3a4a5a6a7a8a9aaabac")
    err = stun_attr(0x0009, b"\0\0\x04\x01" + b"Unauthorized") + stun_attr(0x0015, b"abcd")
    tl.add(udp4_frame(C4, S4, 50002, 3478, stun_msg(0x0003, tid2, stun_attr(0x0019, b"\x11\0\0\0"))))
    tl.add(udp4_frame(S4, C4, 3478, 50002, stun_msg(0x0113, tid2, err), macs=(MAC_C, MAC_S)))
    # a Binding request on a port that is not STUN's (found by the magic cookie), and a Binding indication
    tl.add(udp4_frame(C4, S4, 50004, 19302, stun_msg(0x0001, bytes(range(12)), b"")))
    tl.add(udp4_frame(C4, S4, 50004, 19302, stun_msg(0x0011, bytes(range(12, 24)), b"")))
    # ICE-TCP (RFC 4571 framing) on ports that are not STUN's: found by the magic cookie
    c = Conn(cisn=900, sisn=1900, sport=41588, dport=42000, client=C4, server=S4, t0_ns=tl.t)
    req = stun_msg(0x0001, bytes(range(30, 42)), stun_attr(0x0006, b"ab:cd"))
    ok = stun_msg(0x0101, bytes(range(30, 42)), stun_attr(0x0020, b"\x00\x01" + struct.pack(">H", xport) + xaddr))
    tcp_talk(c, [(True, struct.pack(">H", len(req)) + req), (False, struct.pack(">H", len(ok)) + ok)], fin=False)
    tl.conn(c)
    # SSDP: HTTP requests in UDP datagrams to port 1900
    mcast = bytes([239, 255, 255, 250])
    tl.add(udp4_frame(C4, mcast, 50010, 1900, b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                      b"MAN: \"ssdp:discover\"\r\nMX: 1\r\nST: ssdp:all\r\n\r\n",
                      macs=(bytes.fromhex("01005e7ffffa"), MAC_C)))
    tl.add(udp4_frame(S4, C4, 1900, 50010, b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=100\r\n"
                      b"LOCATION: http://198.51.100.20:80/desc.xml\r\nST: upnp:rootdevice\r\n\r\n",
                      macs=(MAC_C, MAC_S)))
    return pcap(tl.frames)


def http_capture() -> bytes:
    tl = Timeline()
    c = Conn(cisn=100, sisn=200, sport=40080, dport=80, client=C4, server=S4, t0_ns=tl.t)
    req = b"GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: tlstui-test\r\nAccept: */*\r\n\r\n"
    body = b"<html>" + b"x" * 100 + b"</html>"
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nServer: test\r\n\r\n" % len(body)) + body
    req2 = b"POST /api HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{\"a\": 1}\n"
    resp2 = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    tcp_talk(c, [(True, req), (False, resp[:60]), (False, resp[60:]), (True, req2), (False, resp2)])
    tl.conn(c)
    # port 8000: HTTP found by its first line; the request line is split over two segments
    c2 = Conn(cisn=300, sisn=400, sport=40081, dport=8000, client=C4, server=S4, t0_ns=tl.t)
    r3 = b"HEAD /status HTTP/1.0\r\nHost: 198.51.100.20:8000\r\n\r\n"
    tcp_talk(c2, [(True, r3[:10]), (True, r3[10:]), (False, b"HTTP/1.0 301 Moved Permanently\r\nLocation: /s\x1b[2J\r\n\r\n")])
    tl.conn(c2)
    return pcap(tl.frames)


def _bpdu(version: int, kind: int, flags: int, root: tuple[int, bytes], cost: int, bridge: tuple[int, bytes],
          port: int, ages=(0, 20, 2, 15)) -> bytes:
    body = struct.pack(">HBBBH6sIH6sH", 0, version, kind, flags, root[0], root[1], cost, bridge[0], bridge[1], port)
    body += b"".join(struct.pack(">H", a * 256) for a in ages)
    return body + (b"\x00" if version >= 2 else b"")  # RSTP: the Version 1 Length


def _ieee_802_3(src: bytes, llc_and_payload: bytes) -> bytes:
    frame = bytes.fromhex("0180c2000000") + src + struct.pack(">H", len(llc_and_payload)) + llc_and_payload
    return frame + b"\x00" * max(0, 60 - len(frame))  # padded to Ethernet's minimum


def stp_capture() -> bytes:
    """IEEE 802.3 frames with Spanning Tree BPDUs (configuration, with a topology change, a
    topology change notification, rapid STP), and an Ethernet II frame of type 0 (not a length)."""
    sw, sw2 = bytes.fromhex("525400c2ac1f"), bytes.fromhex("7828ca05facc")
    llc = b"\x42\x42\x03"
    frames = [
        _ieee_802_3(MAC_R, llc + _bpdu(0, 0x00, 0x00, (0x8000, sw), 0, (0x8000, sw), 0x8003)),
        _ieee_802_3(MAC_R, llc + _bpdu(0, 0x00, 0x01, (0x9001, sw2), 4, (0x8000, sw), 0x8001, (1, 20, 2, 15))),
        _ieee_802_3(MAC_R, llc + b"\x00\x00\x00\x80"),
        _ieee_802_3(MAC_R, llc + _bpdu(2, 0x02, 0x3C, (0x1000, sw2), 20000, (0x7000, sw), 0x8002)),
        eth(MAC_S, MAC_C, 0x0000, bytes(range(46))),
    ]
    return pcap([(T0 + k * 2 * 10**9, f, len(f)) for k, f in enumerate(frames)])


CAPTURES = {"clear_icmp.pcap": icmp_capture, "clear_arp.pcap": arp_capture, "clear_dns.pcap": dns_capture,
            "clear_stun.pcap": stun_capture, "clear_http.pcap": http_capture, "clear_stp.pcap": stp_capture}
# What tshark is asked for the truth files: the shared list's fields of these protocols and around them.
TRUTH_FIELDS = """frame.number frame.protocols ip.src ip.dst ip.ttl ip.id ip.len ip.proto ipv6.src ipv6.dst ipv6.plen ipv6.nxt
tcp.stream tcp.srcport tcp.dstport tcp.seq tcp.ack tcp.len udp.stream udp.srcport udp.dstport udp.length
arp.hw.type arp.proto.type arp.hw.size arp.proto.size arp.opcode arp.src.hw_mac arp.src.proto_ipv4 arp.dst.hw_mac
arp.dst.proto_ipv4 arp.isgratuitous arp.isprobe arp.isannouncement
icmp.type icmp.code icmp.checksum icmp.ident icmp.seq icmp.seq_le icmp.data_time data.len icmp.mtu icmp.resp_in icmp.resp_to icmp.no_resp
icmpv6.type icmpv6.code icmpv6.checksum icmpv6.mtu icmpv6.echo.identifier icmpv6.echo.sequence_number
icmpv6.nd.ns.target_address icmpv6.nd.na.target_address icmpv6.opt.type icmpv6.opt.linkaddr
dns.id dns.flags dns.flags.response dns.flags.opcode dns.flags.rcode dns.count.queries dns.count.answers
dns.count.auth_rr dns.count.add_rr dns.qry.name dns.qry.type dns.qry.class dns.resp.name dns.resp.type dns.resp.ttl
dns.resp.len dns.a dns.aaaa dns.cname dns.ptr.domain_name dns.mx.mail_exchange dns.txt dns.soa.mname dns.ns
dns.response_in dns.response_to
stun.type stun.type.class stun.type.method stun.length stun.cookie stun.id stun.attribute stun.att.type
stun.att.software stun.att.port-xord stun.att.ipv4-xord stun.att.family stun.att.length stun.att.port stun.att.ipv4 stun.att.error
stun.att.error.reason
http.request http.response http.request.method http.request.uri http.request.version http.host http.user_agent
http.response.code http.response.phrase http.content_length http.content_type http.location http.server
http.request.full_uri http.file_data stun.tcp_frame_length stun.att.username
eth.type eth.len eth.padding llc.dsap llc.ssap llc.control stp.protocol stp.version stp.type stp.flags stp.flags.tc
stp.flags.tcack stp.root.prio stp.root.ext stp.root.hw stp.root.cost stp.bridge.prio stp.bridge.ext stp.bridge.hw
stp.port stp.msg_age stp.max_age stp.hello stp.forward
_ws.col.Protocol _ws.col.Info""".split()


def truth(path: Path) -> None:
    """FILE.clear.tsv: tshark 4.0's -T fields for TRUTH_FIELDS (as truth.sh runs it)."""
    args = ["tshark", "-2", "-n", "-r", str(path), "-o", "tcp.relative_sequence_numbers:TRUE",
            "-o", "tcp.analyze_sequence_numbers:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE",
            "-o", "tls.keylog_file:", "-T", "fields", "-E", "header=y", "-E", "separator=/t",
            "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]
    for f in TRUTH_FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    path.with_name(path.name + ".clear.tsv").write_text(out)


# Filters checked against tshark's frame sets on these captures (the shared list's, and more of ours).
TRUTH_FILTERS = ["icmp || icmpv6", "icmp.type == 3 && icmp.code == 4", "dns", "arp", "stun", "http.request",
                 "icmp", "icmpv6", "icmpv6.type == 2", "icmp.mtu < 1500", "icmpv6.mtu == 1280",
                 'dns.qry.name == "www.example.com"', "dns.flags.rcode == 3", "dns.a == 203.0.113.5",
                 "dns.flags.response == 1", "mdns", "arp.opcode == 2", "arp.src.proto_ipv4 == 198.51.100.20",
                 "arp.isgratuitous", "stun.type == 0x0101", "http.response.code == 404",
                 'http.request.method == "GET"', "http.response", "ip.src == 192.0.2.10", "tcp.port == 443",
                 "udp.port == 53", "udp", "tcp.stream == 0", "data", "_ws.malformed", "icmp.resp_in",
                 'http.host contains "example"', "dns.count.answers > 2", "icmp.seq == 2", "ssdp",
                 'http.request.method == "M-SEARCH"', "stun && tcp", "stp", "llc", "stp.flags.tc == 1",
                 "eth.len < 100", "stp.root.cost > 0", "eth.type == 0"]


def filter_truth(path: Path) -> None:
    """FILE.clear_filters.json: {filter: frames tshark shows for it}."""
    import json

    out = {}
    for flt in TRUTH_FILTERS:
        got = subprocess.run(["tshark", "-2", "-n", "-r", str(path), "-o", "tcp.reassemble_out_of_order:TRUE",
                              "-o", "tls.keylog_file:", "-Y", flt, "-T", "fields", "-e", "frame.number"],
                             capture_output=True, text=True, check=True).stdout.split()
        out[flt] = [int(x) for x in got]
    path.with_name(path.name + ".clear_filters.json").write_text(json.dumps(out, indent=1) + "\n")


def main() -> None:
    for name, make in CAPTURES.items():
        p = DATA / name
        p.write_bytes(make())
        if "--truth" in sys.argv:
            truth(p)
            filter_truth(p)
        print(p)


if __name__ == "__main__":
    main()
