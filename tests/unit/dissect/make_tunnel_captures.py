"""Writes the crafted tunnel captures into tests/data/ and, with --truth, tshark 4.0's output for them
beside each (the tests never need tshark).

    python tests/unit/dissect/make_tunnel_captures.py [--truth] [--out DIR] [--only NAME]

The inner traffic is real: the TLS 1.2 conversation of s01, the TLS 1.3 one of s02 and the DTLS 1.2
handshake of s10a (with their key logs, so the decrypted truth holds inside tunnels too), moved onto
documentation addresses and wrapped frame by frame in the tunnels; the rest is built from the RFCs'
layouts:

- tunnel_udp.pcap: VXLAN (RFC 7348) carrying s01; GTP-U (TS 29.281) carrying s10a's datagrams, some
  with a sequence number or a PDU session container extension header, an Echo Request/Response and
  an IPv6 T-PDU; Geneve (RFC 8926) carrying Ethernet (with options) and IPv4 straight (protocol
  0x0800); VXLAN carrying ARP and a second VNI; UDP to 4789 from a well-known port; payloads no
  dissector takes; GTP-U inside VXLAN; VXLAN over IPv6.
- tunnel_gre.pcap: GRE (RFC 2784/2890) carrying s02; GRE with checksum, key and sequence number;
  GRE over IPv6; transparent Ethernet bridging (0x6558); ERSPAN type I, II and III (with and without
  the platform sub-header); an ICMP echo inside GRE; GRE cut short.
- tunnel_ip.pcap: IPv4 in IPv4 (protocol 4), IPv6 in IPv4 (41), IPv4 in IPv6, IPv6 in IPv6, MPLS
  (RFC 3032: one label, a stack of two, multicast 0x8848, MPLS inside GRE) carrying TCP and UDP;
  Teredo (RFC 4380, UDP 3544) with an origin indication.
"""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from factory import pcap, real_frames  # noqa: E402
from tcpfactory import ACK, PSH, SYN, FIN, _csum  # noqa: E402

DATA = HERE.parents[1] / "data"
TOOLS = HERE.parents[3] / "shared" / "tools"  # truth.sh, as the shared truth is made
T0 = 1_700_000_000 * 10**9
MAC_A, MAC_B = bytes.fromhex("020000000a01"), bytes.fromhex("020000000a02")  # the tunnel endpoints
MAC_C, MAC_S = bytes.fromhex("02000000c001"), bytes.fromhex("02000000c002")  # the inner hosts
VTEP_A, VTEP_B = bytes([192, 0, 2, 1]), bytes([192, 0, 2, 2])
VTEP6_A = bytes.fromhex("20010db8000a00000000000000000001")
VTEP6_B = bytes.fromhex("20010db8000a00000000000000000002")
IN_C, IN_S = bytes([198, 51, 100, 10]), bytes([198, 51, 100, 20])
IN6_C = bytes.fromhex("20010db8000b00000000000000000010")
IN6_S = bytes.fromhex("20010db8000b00000000000000000020")


def eth(dst: bytes, src: bytes, etype: int, payload: bytes) -> bytes:
    return dst + src + struct.pack(">H", etype) + payload


def ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ttl: int = 64, ip_id: int = 0x4242) -> bytes:
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ip_id, 0x4000, ttl, proto, 0, src, dst)
    return ip[:10] + struct.pack(">H", _csum(ip)) + ip[12:] + payload


def ipv6(src: bytes, dst: bytes, nxt: int, payload: bytes, hlim: int = 64) -> bytes:
    return struct.pack(">IHBB", 6 << 28, len(payload), nxt, hlim) + src + dst + payload


def _l4sum(src: bytes, dst: bytes, proto: int, seg: bytes) -> int:
    if len(src) == 4:
        pseudo = src + dst + struct.pack(">BBH", 0, proto, len(seg))
    else:
        pseudo = src + dst + struct.pack(">IxxxB", len(seg), proto)
    return _csum(pseudo + seg)


def udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    u = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    return u[:6] + struct.pack(">H", _l4sum(src, dst, 17, u) or 0xFFFF) + u[8:]


def tcp(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes = b"",
        opts: bytes = b"") -> bytes:
    if flags & SYN and not opts:
        opts = b"\x02\x04\x05\xb4"  # MSS 1460: a SYN (or SYN-ACK) without options is an anomaly of its own
    hl = 20 + len(opts)
    t = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, (hl // 4) << 4, flags, 64240, 0, 0) + opts + payload
    return t[:16] + struct.pack(">H", _l4sum(src, dst, 6, t)) + t[18:]


def retarget(frame: bytes, client_port: int, v6: bool = False) -> bytes:
    """A real loopback Ethernet/IPv4 frame moved onto the inner documentation addresses: the side
    that uses ``client_port`` becomes IN_C, the other IN_S (checksums left as they were: tshark does
    not check them)."""
    ip = frame[14:]
    sport = struct.unpack_from(">H", ip, (ip[0] & 15) * 4)[0]
    a, b = (IN_C, IN_S) if sport == client_port else (IN_S, IN_C)
    macs = (MAC_S + MAC_C) if sport == client_port else (MAC_C + MAC_S)
    return macs + frame[12:14] + ip[:12] + a + b + ip[20:]


class Timeline:
    def __init__(self) -> None:
        self.t = T0
        self.frames: list[tuple[int, bytes, int]] = []

    def add(self, frame: bytes, dt_us: int = 1000) -> int:
        self.t += dt_us * 1000
        self.frames.append((self.t, frame, len(frame)))
        return len(self.frames)


def outer4(payload: bytes, proto: int, forward: bool = True, ttl: int = 64, ip_id: int = 0x0101) -> bytes:
    s, d = (VTEP_A, VTEP_B) if forward else (VTEP_B, VTEP_A)
    macs = (MAC_B, MAC_A) if forward else (MAC_A, MAC_B)
    return eth(macs[0], macs[1], 0x0800, ipv4(s, d, proto, payload, ttl, ip_id))


def outer_udp4(payload: bytes, sport: int, dport: int, forward: bool = True, ip_id: int = 0x0101) -> bytes:
    s, d = (VTEP_A, VTEP_B) if forward else (VTEP_B, VTEP_A)
    return outer4(udp(s, d, sport, dport, payload), 17, forward, ip_id=ip_id)


def _forward(inner_eth: bytes) -> bool:
    return inner_eth[26:30] == IN_C if inner_eth[12:14] == b"\x08\x00" else True


# --- tunnel headers -----------------------------------------------------------------------------
def vxlan(vni: int, flags: int = 0x08) -> bytes:
    return struct.pack(">B3xI", flags, vni << 8)


def geneve(vni: int, proto: int, options: bytes = b"", oam: bool = False, critical: bool = False) -> bytes:
    return struct.pack(">BBHI", len(options) // 4, (0x80 if oam else 0) | (0x40 if critical else 0), proto,
                       vni << 8) + options


def geneve_option(cls: int, typ: int, data: bytes) -> bytes:
    return struct.pack(">HBB", cls, typ, len(data) // 4) + data


def gtpu(teid: int, payload: bytes, msg: int = 0xFF, seq: int | None = None, ext: bytes = b"",
         ext_type: int = 0) -> bytes:
    """GTPv1-U: flags (version 1, PT 1, E/S/PN), type, length, TEID, the optional fields, payload."""
    e, s = bool(ext), seq is not None
    flags = 0x30 | (0x04 if e else 0) | (0x02 if s else 0)
    opt = struct.pack(">HBB", seq or 0, 0, ext_type if e else 0) + ext if (e or s) else b""
    return struct.pack(">BBHI", flags, msg, len(opt) + len(payload), teid) + opt + payload


def pdu_session_container(qfi: int, pdu_type: int = 1) -> bytes:
    """Extension header 0x85 (TS 38.415): length 1 (4 octets), PDU type, QFI, next type 0."""
    return struct.pack(">BBBB", 1, pdu_type << 4, qfi, 0)


def gre(proto: int, payload: bytes, checksum: bool = False, key: int | None = None, seq: int | None = None,
        version: int = 0, ack: int | None = None) -> bytes:
    flags = (0x8000 if checksum else 0) | (0x2000 if key is not None else 0) | (0x1000 if seq is not None else 0) \
        | (0x0080 if ack is not None else 0) | version
    body = b""
    if checksum:
        body += b"\0\0\0\0"
    if key is not None:
        body += struct.pack(">I", key)
    if seq is not None:
        body += struct.pack(">I", seq)
    if ack is not None:
        body += struct.pack(">I", ack)
    raw = struct.pack(">HH", flags, proto) + body + payload
    if checksum:
        raw = raw[:4] + struct.pack(">H", _csum(raw)) + raw[6:]
    return raw


def erspan2(vlan: int, session: int, index: int, cos: int = 0, en: int = 0, truncated: bool = False) -> bytes:
    return struct.pack(">HHI", 1 << 12 | vlan, cos << 13 | en << 11 | (0x400 if truncated else 0) | session, index)


def erspan3(vlan: int, session: int, ts: int, sgt: int, hw: int, direction: int, gra: int = 1,
            subheader: bytes | None = None, cos: int = 0) -> bytes:
    word = 0x8000 | 0 << 10 | hw << 4 | direction << 3 | gra << 1 | (1 if subheader is not None else 0)
    return struct.pack(">HHIHH", 2 << 12 | vlan, cos << 13 | session, ts, sgt, word) + (subheader or b"")


def mpls(labels: list[tuple[int, int]], payload: bytes, tc: int = 0) -> bytes:
    out = b""
    for k, (label, ttl) in enumerate(labels):
        out += struct.pack(">I", label << 12 | tc << 9 | (0x100 if k == len(labels) - 1 else 0) | ttl)
    return out + payload


# --- the captures ---------------------------------------------------------------------------------
def udp_capture() -> bytes:
    tl = Timeline()
    # VXLAN (VNI 4096) carrying s01's TLS 1.2 conversation; the VTEPs' source port is a flow hash.
    for _t, f, _o in real_frames("s01_tls12_http_close_notify.pcap"):
        inner = retarget(f, 55198)
        fwd = _forward(inner)
        tl.add(outer_udp4(vxlan(4096) + inner, 49152 + (7 if fwd else 9), 4789, fwd))
    # VXLAN carrying ARP (who-has, reply) on another VNI; the same VTEPs.
    arp_req = eth(b"\xff" * 6, MAC_C, 0x0806, struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, MAC_C, IN_C,
                                                          bytes(6), IN_S))
    arp_rep = eth(MAC_C, MAC_S, 0x0806, struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, MAC_S, IN_S, MAC_C, IN_C))
    tl.add(outer_udp4(vxlan(77) + arp_req, 50001, 4789, True))
    tl.add(outer_udp4(vxlan(77) + arp_rep, 50002, 4789, False))
    # GTP-U (TEIDs 0x1000/0x2000) carrying s10a's DTLS 1.2 handshake; some T-PDUs with a sequence
    # number, one with a PDU session container.
    for k, (_t, f, _o) in enumerate(real_frames("s10a_dtls12_fragmented.pcap")):
        ip = f[14:]
        sport = struct.unpack_from(">H", ip, 20)[0]
        fwd = k == 0 or sport == struct.unpack_from(">H", real_frames("s10a_dtls12_fragmented.pcap")[0][1], 34)[0]
        inner = ip[:12] + ((IN_C + IN_S) if fwd else (IN_S + IN_C)) + ip[20:]
        kw = {}
        if k % 3 == 1:
            kw["seq"] = 100 + k
        if k == 2:
            kw.update(ext=pdu_session_container(9), ext_type=0x85)
        tl.add(outer_udp4(gtpu(0x1000 if fwd else 0x2000, inner, **kw), 2152, 2152, fwd))
    # GTP-U Echo Request / Response (no T-PDU: nothing inside), then an IPv6 T-PDU with UDP.
    tl.add(outer_udp4(gtpu(0, b"", msg=1, seq=7), 2152, 2152, True))
    tl.add(outer_udp4(gtpu(0, b"\x0e\x00", msg=2, seq=7), 2152, 2152, False))
    tl.add(outer_udp4(gtpu(0x3000, ipv6(IN6_C, IN6_S, 17, udp(IN6_C, IN6_S, 5000, 6000, b"gtp v6 payload"))),
                      2152, 2152, True))
    # Geneve: Ethernet (0x6558) with two options carrying a TCP handshake; IPv4 straight (0x0800).
    opts = geneve_option(0x0103, 0x80, b"\x00\x00\x00\x2a") + geneve_option(0xFFFF, 0x01, b"abcdefgh")
    syn = tcp(IN_C, IN_S, 40100, 8443, 1000, 0, SYN, opts=b"\x02\x04\x05\xb4")
    tl.add(outer_udp4(geneve(0x123456, 0x6558, opts, critical=True) +
                      eth(MAC_S, MAC_C, 0x0800, ipv4(IN_C, IN_S, 6, syn)), 51000, 6081, True))
    synack = tcp(IN_S, IN_C, 8443, 40100, 5000, 1001, SYN | ACK, opts=b"\x02\x04\x05\xb4")
    tl.add(outer_udp4(geneve(0x123456, 0x6558, opts) + eth(MAC_C, MAC_S, 0x0800, ipv4(IN_S, IN_C, 6, synack)),
                      51001, 6081, False))
    tl.add(outer_udp4(geneve(0x123456, 0x0800, oam=True) +
                      ipv4(IN_C, IN_S, 6, tcp(IN_C, IN_S, 40100, 8443, 1001, 5001, ACK)), 51000, 6081, True))
    # VXLAN from a well-known source port (53): tshark tries the lower port first (DNS), then VXLAN.
    tl.add(outer_udp4(vxlan(4096) + eth(MAC_S, MAC_C, 0x0800, ipv4(IN_C, IN_S, 17, udp(IN_C, IN_S, 7000, 7001,
                                                                                         b"x" * 12))), 53, 4789))
    # VXLAN with the I flag clear (tshark still decodes it), and one cut short after its header.
    tl.add(outer_udp4(vxlan(4096, flags=0x00) + eth(MAC_S, MAC_C, 0x0800, ipv4(IN_C, IN_S, 17, udp(
        IN_C, IN_S, 7000, 7001, b"y" * 12))), 49153, 4789))
    tl.add(outer_udp4(vxlan(4096)[:6], 49154, 4789))
    # what the tunnels carry and nothing decodes: Geneve with an unknown protocol type, VXLAN
    # carrying an unknown ethertype, a GTP-U T-PDU that is not IP
    tl.add(outer_udp4(geneve(7, 0x1234) + b"opaque payload", 51002, 6081))
    tl.add(outer_udp4(vxlan(4096) + eth(MAC_S, MAC_C, 0x88B5, b"local experimental"), 49155, 4789))
    tl.add(outer_udp4(gtpu(0x4000, b"\x11not an IP packet"), 2152, 2152))
    # tunnels in tunnels: GTP-U inside VXLAN (three udp.stream occurrences), and VXLAN over IPv6
    gtp_in = gtpu(0x5000, ipv4(IN_C, IN_S, 17, udp(IN_C, IN_S, 7002, 7003, b"two tunnels deep")))
    tl.add(outer_udp4(vxlan(4096) + eth(MAC_S, MAC_C, 0x0800, ipv4(VTEP_A, VTEP_B, 17, udp(
        VTEP_A, VTEP_B, 2152, 2152, gtp_in))), 49156, 4789))
    tl.add(eth(MAC_B, MAC_A, 0x86DD, ipv6(VTEP6_A, VTEP6_B, 17, udp(VTEP6_A, VTEP6_B, 49157, 4789, vxlan(4096) + eth(
        MAC_S, MAC_C, 0x0800, ipv4(IN_C, IN_S, 6, tcp(IN_C, IN_S, 40110, 443, 3000, 0, SYN)))))))
    return pcap(tl.frames)


def gre_capture() -> bytes:
    tl = Timeline()
    # plain GRE (4 bytes) carrying s02's TLS 1.3 conversation
    for _t, f, _o in real_frames("s02_tls13_http_close_notify.pcap"):
        inner = retarget(f, struct.unpack_from(">H", real_frames("s02_tls13_http_close_notify.pcap")[0][1], 34)[0])
        fwd = _forward(inner)
        tl.add(outer4(gre(0x0800, inner[14:]), 47, fwd))
    # GRE with checksum, key and sequence number carrying UDP
    for k in range(2):
        tl.add(outer4(gre(0x0800, ipv4(IN_C, IN_S, 17, udp(IN_C, IN_S, 9000, 9001, b"keyed %d" % k)),
                          checksum=True, key=0xABCD0001, seq=k + 1), 47, True))
    # GRE over IPv6 carrying IPv4 TCP
    tl.add(eth(MAC_B, MAC_A, 0x86DD, ipv6(VTEP6_A, VTEP6_B, 47, gre(0x0800, ipv4(IN_C, IN_S, 6, tcp(
        IN_C, IN_S, 40200, 80, 77, 0, SYN))))))
    tl.add(eth(MAC_A, MAC_B, 0x86DD, ipv6(VTEP6_B, VTEP6_A, 47, gre(0x0800, ipv4(IN_S, IN_C, 6, tcp(
        IN_S, IN_C, 80, 40200, 99, 78, SYN | ACK))))))
    # transparent Ethernet bridging: Ethernet inside GRE (0x6558), carrying IPv6 UDP
    tl.add(outer4(gre(0x6558, eth(MAC_S, MAC_C, 0x86DD, ipv6(IN6_C, IN6_S, 17, udp(IN6_C, IN6_S, 7010, 7011,
                                                                                 b"bridged")))), 47, True))

    def inner_tcp(k: int) -> bytes:
        return eth(MAC_S, MAC_C, 0x0800, ipv4(IN_C, IN_S, 6, tcp(IN_C, IN_S, 40300 + k, 443, 500, 0, SYN)))

    # ERSPAN type I (0x88BE without a sequence number: no ERSPAN header), type II, type III with and
    # without the platform sub-header
    tl.add(outer4(gre(0x88BE, inner_tcp(0)), 47, True))
    tl.add(outer4(gre(0x88BE, erspan2(100, 42, 7, cos=5) + inner_tcp(1), seq=1), 47, True))
    tl.add(outer4(gre(0x88BE, erspan2(0, 43, 0x12345, en=3, truncated=True) + inner_tcp(2), seq=2), 47, True))
    tl.add(outer4(gre(0x22EB, erspan3(200, 44, 0xDEADBEEF, 0x1234, 5, 1) + inner_tcp(3), seq=3), 47, True))
    tl.add(outer4(gre(0x22EB, erspan3(201, 45, 0x01020304, 7, 6, 0, gra=3,
                                      subheader=struct.pack(">II", 3 << 26 | 0x1234, 0x89ABCDEF)) + inner_tcp(4),
                      seq=4), 47, True))
    # an ICMP echo request and reply inside GRE
    ping = struct.pack(">BBHHH", 8, 0, 0, 0x77, 1) + b"ping data 123456"
    ping = ping[:2] + struct.pack(">H", _csum(ping)) + ping[4:]
    pong = b"\0" + ping[1:2] + struct.pack(">H", _csum(b"\0" + ping[1:2] + b"\0\0" + ping[4:])) + ping[4:]
    tl.add(outer4(gre(0x0800, ipv4(IN_C, IN_S, 1, ping)), 47, True))
    tl.add(outer4(gre(0x0800, ipv4(IN_S, IN_C, 1, pong)), 47, False))
    # GRE carrying an unknown protocol type, and GRE cut short inside its optional fields
    tl.add(outer4(gre(0x1234, b"opaque"), 47, True))
    tl.add(outer4(gre(0x0800, b"", key=1)[:6], 47, True))
    return pcap(tl.frames)


def ip_capture() -> bytes:
    tl = Timeline()

    def talk(wrap, sport: int, dport: int, data: bytes, v6: bool = False) -> None:
        """A short TCP connection (handshake, one request, FIN) inside ``wrap(ip_packet, forward)``."""
        c, s = (IN6_C, IN6_S) if v6 else (IN_C, IN_S)

        def ip(src, dst, seg):  # each host its own ip.id sequence (one shared would look like a middlebox)
            return ipv6(src, dst, 6, seg) if v6 else ipv4(src, dst, 6, seg, ip_id=(0x0a00 if src == c else 0x5000)
                                                          + len(tl.frames))

        steps = [(True, 0, 0, SYN, b""), (False, 0, 1, SYN | ACK, b""), (True, 1, 1, ACK, b""),
                 (True, 1, 1, PSH | ACK, data), (False, 1, 1 + len(data), ACK, b""),
                 (True, 1 + len(data), 1, FIN | ACK, b""), (False, 1, 2 + len(data), FIN | ACK, b""),
                 (True, 2 + len(data), 2, ACK, b"")]
        for fwd, seq, ack, flags, payload in steps:
            if fwd:
                seg = tcp(c, s, sport, dport, 1000 + seq, (5000 + ack) if flags & ACK else 0, flags, payload)
                tl.add(wrap(ip(c, s, seg), True))
            else:
                seg = tcp(s, c, dport, sport, 5000 + seq, 1000 + ack, flags, payload)
                tl.add(wrap(ip(s, c, seg), False))

    # IPv4 in IPv4
    talk(lambda p, fwd: outer4(p, 4, fwd), 40400, 80, b"GET / HTTP/1.0\r\n\r\n")
    # IPv6 in IPv4 (6in4), a UDP datagram
    tl.add(outer4(ipv6(IN6_C, IN6_S, 17, udp(IN6_C, IN6_S, 6000, 6001, b"six in four")), 41))

    def over6(p: bytes, fwd: bool, nxt: int) -> bytes:
        s, d = (VTEP6_A, VTEP6_B) if fwd else (VTEP6_B, VTEP6_A)
        return eth(MAC_B if fwd else MAC_A, MAC_A if fwd else MAC_B, 0x86DD, ipv6(s, d, nxt, p))

    # IPv4 in IPv6 (4in6), and IPv6 in IPv6
    talk(lambda p, fwd: over6(p, fwd, 4), 40500, 7777, b"hello in 4in6\r\n")
    tl.add(over6(ipv6(IN6_C, IN6_S, 17, udp(IN6_C, IN6_S, 6002, 6003, b"six in six")), True, 41))
    # MPLS: one label carrying IPv4 TCP; two labels carrying IPv6 TCP; multicast (0x8848)
    talk(lambda p, fwd: eth(MAC_B if fwd else MAC_A, MAC_A if fwd else MAC_B, 0x8847,
                            mpls([(16 if fwd else 17, 63)], p)), 40600, 443, b"\x17\x03\x03\x00\x05hello")
    talk(lambda p, fwd: eth(MAC_B if fwd else MAC_A, MAC_A if fwd else MAC_B, 0x8847,
                            mpls([(1000, 64), (2000 if fwd else 2001, 64)], p, tc=5)), 40700, 9999, b"ping", v6=True)
    tl.add(eth(MAC_B, MAC_A, 0x8848, mpls([(300, 10)], ipv4(IN_C, IN_S, 17, udp(IN_C, IN_S, 6004, 6005, b"m")))))
    # MPLS inside GRE
    tl.add(outer4(gre(0x8847, mpls([(500, 255)], ipv4(IN_C, IN_S, 17, udp(IN_C, IN_S, 6006, 6007, b"g")))), 47))
    # a payload that is neither IP nor a pseudowire, and a stack cut short
    tl.add(eth(MAC_B, MAC_A, 0x8847, mpls([(601, 1)], b"\x55not ip at all")))
    tl.add(eth(MAC_B, MAC_A, 0x8847, struct.pack(">I", 700 << 12 | 1)[:3]))
    # Teredo (UDP 3544): an origin indication, then IPv6 carrying UDP
    teredo = struct.pack(">HH4s", 0x0000, 0xFFFF ^ 40000, bytes(b ^ 0xFF for b in IN_C))
    tl.add(outer_udp4(teredo + ipv6(IN6_C, IN6_S, 17, udp(IN6_C, IN6_S, 6008, 6009, b"teredo")), 3544, 50000))
    return pcap(tl.frames)


CAPTURES = {"tunnel_udp.pcap": (udp_capture, ("s01_tls12_http_close_notify", "s10a_dtls12_fragmented")),
            "tunnel_gre.pcap": (gre_capture, ("s02_tls13_http_close_notify",)),
            "tunnel_ip.pcap": (ip_capture, ())}
# The tunnel fields tshark is asked for beside the shared list's (FILE.tunnel.tsv).
TUNNEL_FIELDS = """frame.number frame.protocols eth.src eth.dst eth.type ip.src ip.dst ip.proto ip.len ip.ttl ip.id
ipv6.src ipv6.dst ipv6.nxt ipv6.plen udp.srcport udp.dstport udp.length udp.stream tcp.srcport tcp.dstport tcp.stream
tcp.seq tcp.ack tcp.len
vxlan.flags vxlan.flag_g vxlan.flag_i vxlan.flag_d vxlan.flag_a vxlan.flags_reserved vxlan.gbp vxlan.vni
vxlan.reserved8
geneve.version geneve.flags geneve.flags.oam geneve.flags.critical geneve.flags.reserved geneve.proto_type
geneve.vni geneve.reserved geneve.options geneve.option.class geneve.option.type geneve.option.type.critical
geneve.option.flags geneve.option.flags.reserved geneve.option.length geneve.option.unknown.data
gre.flags_and_version gre.flags.checksum gre.flags.routing gre.flags.key gre.flags.sequence_number
gre.flags.strict_source_route gre.flags.recursion_control gre.flags.ack gre.flags.reserved gre.flags.version
gre.proto gre.checksum gre.offset gre.key gre.key.payload_length gre.key.call_id gre.sequence_number
gre.ack_number
erspan.version erspan.vlan erspan.cos erspan.encap erspan.bso erspan.truncated erspan.spanid erspan.reserved
erspan.index erspan.timestamp erspan.sgt erspan.p erspan.ft erspan.hw erspan.direction erspan.gra erspan.o
erspan.platid erspan.pid3.rsvd1 erspan.pid3.port_index erspan.pid3.timestamp
gtp.flags gtp.flags.version gtp.flags.payload gtp.flags.reserved gtp.flags.e gtp.flags.s gtp.flags.pn gtp.message
gtp.length gtp.teid gtp.seq_number gtp.npdu_number gtp.ext_hdr gtp.ext_hdr.length gtp.ext_hdr.next
gtp.ext_hdr.pdu_ses_con.pdu_type gtp.ext_hdr.pdu_ses_con.qos_flow_id
mpls.label mpls.exp mpls.bottom mpls.ttl
teredo.orig teredo.orig.port teredo.orig.addr
dtls.record.content_type tls.record.content_type tls.handshake.type
_ws.col.Protocol _ws.col.Info _ws.col.Source _ws.col.Destination _ws.malformed""".split()


# Filters checked against tshark's frame sets on these captures (FILE.tunnel_filters.json).
TUNNEL_FILTERS = ["vxlan", "vxlan.vni == 4096", "vxlan.flag_i == 0", "geneve", "geneve.vni == 0x123456",
                  "geneve.option.class == 0xffff", "geneve.flags.oam == 1", "gtp", "gtp.teid == 0x1000",
                  "gtp.message == 0xff", "gtp.seq_number", "gtp.ext_hdr.pdu_ses_con.qos_flow_id == 9", "gre",
                  "gre.proto == 0x6558", "gre.key == 0xabcd0001", "gre.flags.sequence_number == 1", "erspan",
                  "erspan.version == 2", "erspan.spanid == 43", "erspan.vlan == 100", "mpls", "mpls.label == 16",
                  "mpls.bottom == 0", "teredo", "ip.src == 192.0.2.1", "ip.addr == 198.51.100.10",
                  "ip.src == 192.0.2.1 && tcp", "ipv6.addr == 2001:db8:b::10", "ipv6 && ip", "ip.proto == 4",
                  "ip.proto == 41", "ip.proto == 47", "ipv6.nxt == 4", "udp.stream == 0", "udp.stream == 4",
                  "udp.port == 4789", "udp.srcport == 2152 && udp.dstport == 6000", "tcp.stream == 0",
                  "tcp.stream == 1", "tcp.port == 443", "tcp.flags.syn == 1", "tcp.len > 0", "tcp.analysis.flags",
                  "tls", "tls.handshake.type == 1", "tls.record.content_type == 23", "dtls",
                  "dtls.handshake.type == 11", "arp", "icmp", "eth.src == 02:00:00:00:c0:01", "eth.type == 0x8847",
                  "frame.len > 1000", "data", "_ws.malformed", "udp && !vxlan && !gtp && !geneve"]


def _tshark_filters(path: Path) -> str:
    import json

    out = {}
    for flt in TUNNEL_FILTERS:
        got = subprocess.run(["tshark", "-2", "-n", "-r", str(path), "-o", "tcp.reassemble_out_of_order:TRUE",
                              "-o", "tls.keylog_file:", "-Y", flt, "-T", "fields", "-e", "frame.number"],
                             capture_output=True, text=True, check=True).stdout.split()
        out[flt] = [int(x) for x in got]
    return json.dumps(out, indent=1) + "\n"


def _tshark_fields(path: Path, fields: list[str], keys: str = "") -> str:
    args = ["tshark", "-2", "-n", "-r", str(path), "-o", "tcp.relative_sequence_numbers:TRUE",
            "-o", "tcp.analyze_sequence_numbers:TRUE", "-o", "tcp.reassemble_out_of_order:TRUE",
            "-o", f"tls.keylog_file:{keys}", "-T", "fields", "-E", "header=y", "-E", "separator=/t",
            "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]
    for f in fields:
        args += ["-e", f]
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


# Protocols whose fields' byte ranges are kept (FILE.ranges.tsv): the tunnel headers and the layers
# around them.
RANGE_PROTOCOLS = ("eth", "ip", "ipv6", "udp", "vxlan", "geneve", "gre", "erspan", "gtp", "mpls", "teredo")
_RANGE_FIELDS = ("eth.src", "eth.dst", "eth.type", "ip.src", "ip.dst", "ip.proto", "ip.len", "ipv6.src", "ipv6.dst",
                 "ipv6.nxt", "udp.srcport", "udp.dstport", "udp.length", "tcp.srcport", "tcp.dstport", "tcp.seq_raw")


def ranges(path: Path) -> str:
    """tshark's PDML byte ranges (frame, field, pos, size, show) of the tunnel layers' fields."""
    import xml.etree.ElementTree as ET

    out = subprocess.run(["tshark", "-2", "-n", "-r", str(path), "-o", "tls.keylog_file:", "-T", "pdml"],
                         capture_output=True, text=True, check=True).stdout
    lines = ["frame\tfield\tpos\tsize\tshow"]
    for pkt in ET.fromstring(out).iter("packet"):
        number = None
        for proto in pkt.iter("proto"):
            name = proto.get("name")
            if name == "geninfo":
                number = next(f.get("show") for f in proto.iter("field") if f.get("name") == "num")
                continue
            if name not in RANGE_PROTOCOLS and name not in ("tcp",):
                continue
            if name in RANGE_PROTOCOLS and name not in ("eth", "ip", "ipv6", "udp"):
                lines.append(f"{number}\t{name}\t{proto.get('pos')}\t{proto.get('size')}\t")
            for f in proto.iter("field"):
                fname = f.get("name") or ""
                head = fname.split(".", 1)[0]
                if head not in RANGE_PROTOCOLS or (head in ("eth", "ip", "ipv6", "udp", "tcp")
                                                   and fname not in _RANGE_FIELDS) or f.get("hide") == "yes":
                    continue
                lines.append(f"{number}\t{fname}\t{f.get('pos')}\t{f.get('size')}\t{f.get('show')}")
    return "\n".join(lines) + "\n"


def main() -> None:
    out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv else DATA
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    for name, (make, key_sources) in CAPTURES.items():
        if only and name != only:
            continue
        p = out / name
        p.write_bytes(make())
        keys = out / (p.stem + ".keys")
        if key_sources:
            keys.write_text("".join((DATA / (k + ".keys")).read_text() for k in key_sources))
        if "--truth" in sys.argv:
            subprocess.run(["bash", str(TOOLS / "truth.sh"), str(p)], check=True)
            p.with_name(p.name + ".tunnel.tsv").write_text(_tshark_fields(p, TUNNEL_FIELDS))
            if key_sources:
                p.with_name(p.name + ".decrypted.tunnel.tsv").write_text(
                    _tshark_fields(p, TUNNEL_FIELDS, str(keys)))
            p.with_name(p.name + ".ranges.tsv").write_text(ranges(p))
            p.with_name(p.name + ".tunnel_filters.json").write_text(_tshark_filters(p))
        print(p)


if __name__ == "__main__":
    main()
