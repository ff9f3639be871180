"""ICMP and ICMPv6 messages, read from the IP payload: type, code, the MTU of a "too big" error and
the IP + TCP/UDP header it quotes.

Pure and total: every function takes bytes and returns a small frozen dataclass or None; hostile,
cut-short or random bytes never raise (fuzzed in tests/unit/dissect/test_icmp_fuzz.py).  No Field
objects here: the tree dissector of ICMP builds on these.

    parse_icmp(payload) -> IcmpMessage | None       # IPv4 protocol 1
    parse_icmpv6(payload) -> IcmpMessage | None     # IPv6 next header 58
    parse_quoted(data) -> QuotedPacket | None       # an IPv4/IPv6 header (+ 8 bytes) inside an error
    locate(data, off, cap_len, linktype) -> IcmpFrame | None   # an ICMP/ICMPv6 frame, any link type
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from . import fast

# ICMPv4 (RFC 792, RFC 1191)
ICMP_ECHO_REPLY, ICMP_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_ECHO = 0, 3, 4, 5, 8
ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM = 11, 12
UNREACH_FRAG_NEEDED = 4
# ICMPv6 (RFC 4443)
ICMP6_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ICMP6_PARAM_PROBLEM = 1, 2, 3, 4
ICMP6_ECHO, ICMP6_ECHO_REPLY = 128, 129

_ERRORS4 = (ICMP_UNREACH, ICMP_SOURCE_QUENCH, ICMP_REDIRECT, ICMP_TIME_EXCEEDED, ICMP_PARAM_PROBLEM)
_ERRORS6 = (ICMP6_UNREACH, ICMP6_PACKET_TOO_BIG, ICMP6_TIME_EXCEEDED, ICMP6_PARAM_PROBLEM)

TYPE_NAMES = {0: "Echo (ping) reply", 3: "Destination unreachable", 4: "Source quench", 5: "Redirect",
              8: "Echo (ping) request", 9: "Router advertisement", 10: "Router solicitation",
              11: "Time-to-live exceeded", 12: "Parameter problem", 13: "Timestamp request",
              14: "Timestamp reply"}
UNREACH_CODES = {0: "Network unreachable", 1: "Host unreachable", 2: "Protocol unreachable",
                 3: "Port unreachable", 4: "Fragmentation needed", 5: "Source route failed",
                 6: "Destination network unknown", 7: "Destination host unknown", 9: "Network administratively prohibited",
                 10: "Host administratively prohibited", 13: "Communication administratively filtered"}
TYPE6_NAMES = {1: "Destination Unreachable", 2: "Packet Too Big", 3: "Time Exceeded", 4: "Parameter Problem",
               128: "Echo (ping) request", 129: "Echo (ping) reply", 133: "Router Solicitation",
               134: "Router Advertisement", 135: "Neighbor Solicitation", 136: "Neighbor Advertisement",
               143: "Multicast Listener Report Message v2"}

_u16 = struct.Struct(">H").unpack_from
_u32 = struct.Struct(">I").unpack_from


@dataclass(frozen=True, slots=True)
class QuotedPacket:
    """The start of the packet an ICMP error is about (the offending packet, as the router saw it)."""

    version: int  # 4 or 6
    src: bytes  # 4 or 16 bytes: the sender of the offending packet
    dst: bytes
    proto: int  # 6 TCP, 17 UDP, ...
    length: int  # its IP length as it claimed (ip.len, or 40 + ipv6.plen)
    ip_id: int  # -1 for IPv6
    dont_fragment: bool
    sport: int | None = None  # TCP/UDP ports when the quote reaches them
    dport: int | None = None
    seq: int | None = None  # TCP raw sequence number when quoted


@dataclass(frozen=True, slots=True)
class IcmpMessage:
    version: int  # 4 (ICMP) or 6 (ICMPv6)
    type: int
    code: int
    checksum: int
    length: int  # bytes of the message that were available
    mtu: int | None = None  # next-hop MTU (frag needed; 0 = not given) or the MTU (Packet Too Big)
    quoted: QuotedPacket | None = None

    @property
    def too_big(self) -> bool:
        """Fragmentation needed (ICMP 3/4) or Packet Too Big (ICMPv6 2): a path MTU message."""
        return (self.version == 4 and self.type == ICMP_UNREACH and self.code == UNREACH_FRAG_NEEDED) or \
            (self.version == 6 and self.type == ICMP6_PACKET_TOO_BIG)

    @property
    def is_error(self) -> bool:
        return self.type in (_ERRORS4 if self.version == 4 else _ERRORS6)

    def describe(self) -> str:
        """'Destination unreachable (Fragmentation needed)', as Wireshark's Info column says it."""
        if self.version == 4:
            name = TYPE_NAMES.get(self.type, f"Type {self.type}")
            if self.type == ICMP_UNREACH:
                return f"{name} ({UNREACH_CODES.get(self.code, f'code {self.code}')})"
            return name if self.code == 0 else f"{name} (code {self.code})"
        name = TYPE6_NAMES.get(self.type, f"Type {self.type}")
        return name if self.code == 0 else f"{name} (code {self.code})"


@dataclass(frozen=True, slots=True)
class IcmpFrame:
    """An ICMP message located in a frame: the IP header that carried it, and the message."""

    version: int
    src: bytes  # who sent the ICMP message (the router, for an error)
    dst: bytes
    ttl: int
    message: IcmpMessage
    tunnelled: bool = False  # IPv6 inside IPv4 (protocol 41)


def parse_quoted(data: bytes) -> QuotedPacket | None:
    """An IPv4 or IPv6 header and (if present) the first bytes of its TCP/UDP header."""
    try:
        n = len(data)
        if n < 1:
            return None
        v = data[0] >> 4
        if v == 4:
            if n < 20:
                return None
            ihl = (data[0] & 15) * 4
            if ihl < 20:
                return None
            total, ip_id, frag = _u16(data, 2)[0], _u16(data, 4)[0], _u16(data, 6)[0]
            proto = data[9]
            src, dst = bytes(data[12:16]), bytes(data[16:20])
            l4 = ihl
            df = bool(frag & 0x4000)
            if frag & 0x1FFF:
                return QuotedPacket(4, src, dst, proto, total, ip_id, df)  # not the first fragment: no ports
        elif v == 6:
            if n < 40:
                return None
            plen = _u16(data, 4)[0]
            proto = data[6]
            src, dst = bytes(data[8:24]), bytes(data[24:40])
            l4 = 40
            total, ip_id, df = 40 + plen, -1, True  # IPv6 routers never fragment
            hops = 0
            while proto in (0, 43, 44, 60) and l4 + 8 <= n and hops < 8:
                if proto == 44:  # fragment header: ports only in the first fragment
                    if _u16(data, l4 + 2)[0] & 0xFFF8:
                        return QuotedPacket(6, src, dst, data[l4], total, ip_id, df)
                    proto, l4 = data[l4], l4 + 8
                else:
                    proto, l4 = data[l4], l4 + (data[l4 + 1] + 1) * 8
                hops += 1
        else:
            return None
        sport = dport = seq = None
        if proto in (6, 17) and l4 + 4 <= n:
            sport, dport = _u16(data, l4)[0], _u16(data, l4 + 2)[0]
            if proto == 6 and l4 + 8 <= n:
                seq = _u32(data, l4 + 4)[0]
        return QuotedPacket(v, src, dst, proto, total, ip_id, df, sport, dport, seq)
    except (IndexError, struct.error, ValueError, TypeError):
        return None


def _parse(data: bytes, version: int) -> IcmpMessage | None:
    try:
        data = bytes(data)
        n = len(data)
        if n < 4:
            return None
        typ, code, csum = data[0], data[1], _u16(data, 2)[0]
        mtu = None
        quoted = None
        errors = _ERRORS4 if version == 4 else _ERRORS6
        if version == 4 and typ == ICMP_UNREACH and code == UNREACH_FRAG_NEEDED and n >= 8:
            mtu = _u16(data, 6)[0]  # RFC 1191: the low 16 bits; 0 from a router older than it
        elif version == 6 and typ == ICMP6_PACKET_TOO_BIG and n >= 8:
            mtu = _u32(data, 4)[0]
        if typ in errors and n > 8:
            quoted = parse_quoted(data[8:])
        return IcmpMessage(version, typ, code, csum, n, mtu, quoted)
    except (IndexError, struct.error, ValueError, TypeError):
        return None


def parse_icmp(payload: bytes) -> IcmpMessage | None:
    """An ICMP (IPv4) message from the IP payload; None when shorter than its 4-byte header."""
    return _parse(payload, 4)


def parse_icmpv6(payload: bytes) -> IcmpMessage | None:
    """An ICMPv6 message from the IPv6 payload (after any extension headers)."""
    return _parse(payload, 6)


def _ip_icmp(data, pos: int, end: int, etype: int, depth: int = 0) -> IcmpFrame | None:
    if etype == fast.ETH_IPV4:
        if pos + 20 > end:
            return None
        vhl, proto, frag, ttl = data[pos], data[pos + 9], _u16(data, pos + 6)[0], data[pos + 8]
        ihl = (vhl & 15) * 4
        if vhl >> 4 != 4 or ihl < 20 or frag & 0x1FFF:
            return None
        total = _u16(data, pos + 2)[0]
        stop = min(end, pos + total) if total >= ihl else end
        src, dst = bytes(data[pos + 12:pos + 16]), bytes(data[pos + 16:pos + 20])
        if proto == 1:
            m = parse_icmp(bytes(data[pos + ihl:stop]))
            return IcmpFrame(4, src, dst, ttl, m) if m is not None else None
        if proto == 41 and depth == 0:  # 6in4: ICMPv6 inside an IPv4 tunnel
            got = _ip_icmp(data, pos + ihl, stop, fast.ETH_IPV6, 1)
            if got is not None:
                return IcmpFrame(got.version, got.src, got.dst, got.ttl, got.message, True)
        return None
    if etype == fast.ETH_IPV6:
        if pos + 40 > end or data[pos] >> 4 != 6:
            return None
        plen, nxt, hlim = _u16(data, pos + 4)[0], data[pos + 6], data[pos + 7]
        src, dst = bytes(data[pos + 8:pos + 24]), bytes(data[pos + 24:pos + 40])
        l4 = pos + 40
        stop = min(end, l4 + plen) if plen else end
        hops = 0
        while nxt in (0, 43, 60) and l4 + 2 <= stop and hops < 8:
            nxt, l4 = data[l4], l4 + (data[l4 + 1] + 1) * 8
            hops += 1
        if nxt != 58 or l4 >= stop:
            return None
        m = parse_icmpv6(bytes(data[l4:stop]))
        return IcmpFrame(6, src, dst, hlim, m) if m is not None else None
    return None


def locate(data, off: int, cap_len: int, linktype: int) -> IcmpFrame | None:
    """The ICMP/ICMPv6 message of one frame (Ethernet, VLAN, SLL, SLL2, raw IP, loopback; and IPv6
    in IPv4), or None when the frame carries none.  ``data[off:off+cap_len]`` is the frame."""
    try:
        end = min(off + cap_len, len(data))
        etype, pos = fast.network_offset(data, off, end, linktype)
        if pos < 0:
            return None
        return _ip_icmp(data, pos, end, etype)
    except (IndexError, struct.error, ValueError, TypeError):
        return None
