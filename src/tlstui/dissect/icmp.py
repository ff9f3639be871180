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
    tunnelled: bool = False  # inside a tunnel (IPv6 in IPv4, GRE, MPLS, VXLAN...: dissect/encap.py)
    ip_off: int = -1  # where the IP header that carried it starts (in the buffer ``locate`` read)


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
    """The ICMP/ICMPv6 message of one frame (Ethernet, VLAN, SLL, SLL2, raw IP, loopback; inside
    tunnels too: the innermost IP header, found as the analysis pass finds it), or None when the
    frame carries none.  ``data[off:off+cap_len]`` is the frame."""
    try:
        end = min(off + cap_len, len(data))
        got = fast.innermost_ip(data, off, end - off, linktype)
        if got is None:
            return None
        etype, pos, _ip_end, tunnel = got
        fr = _ip_icmp(data, pos, end, etype, 1)
        if fr is None:
            return None
        return IcmpFrame(fr.version, fr.src, fr.dst, fr.ttl, fr.message, bool(tunnel), pos)
    except (IndexError, struct.error, ValueError, TypeError):
        return None


# --- the protocol tree (tshark 4.0's ICMP and ICMPv6) -----------------------------------------------
# Registered here so that filters and `tlstui fields -e` know them; built by ``dissect_icmp``.
from ..field import FRAME, Field  # noqa: E402
from ..registry import Base, FieldType as T, register  # noqa: E402

register("icmp", T.PROTOCOL, "Internet Control Message Protocol")
register("icmp.type", T.UINT, "Type", bits=8)
register("icmp.code", T.UINT, "Code", bits=8)
register("icmp.checksum", T.UINT, "Checksum", Base.HEX, 16)
register("icmp.checksum.status", T.UINT, "Checksum Status", bits=8, value_names={0: "Bad", 1: "Good", 2: "Unverified"})
register("icmp.ident", T.UINT, "Identifier (BE)", bits=16)
register("icmp.ident_le", T.UINT, "Identifier (LE)", bits=16)
register("icmp.seq", T.UINT, "Sequence Number (BE)", bits=16)
register("icmp.seq_le", T.UINT, "Sequence Number (LE)", bits=16)
register("icmp.data_time", T.ABSOLUTE_TIME, "Timestamp from icmp data")
register("icmp.data_time_relative", T.RELATIVE_TIME, "Timestamp from icmp data (relative)")
register("icmp.resp_in", T.FRAMENUM, "Response frame")
register("icmp.resp_to", T.FRAMENUM, "Request frame")
register("icmp.resptime", T.DOUBLE, "Response time")
register("icmp.no_resp", T.NONE, "No response seen")
register("icmp.unused", T.BYTES, "Unused")
register("icmp.mtu", T.UINT, "MTU of next hop", bits=16)
register("icmp.redir_gw", T.IPV4, "Gateway address")
register("icmp.pointer", T.UINT, "Pointer", bits=32)
register("icmpv6", T.PROTOCOL, "Internet Control Message Protocol v6")
register("icmpv6.type", T.UINT, "Type", bits=8)
register("icmpv6.code", T.UINT, "Code", bits=8)
register("icmpv6.checksum", T.UINT, "Checksum", Base.HEX, 16)
register("icmpv6.checksum.status", T.UINT, "Checksum Status", bits=8, value_names={0: "Bad", 1: "Good", 2: "Unverified"})
register("icmpv6.reserved", T.BYTES, "Reserved")
register("icmpv6.mtu", T.UINT, "MTU")
register("icmpv6.pointer", T.UINT, "Pointer")
register("icmpv6.echo.identifier", T.UINT, "Identifier", Base.HEX, 16)
register("icmpv6.echo.sequence_number", T.UINT, "Sequence", bits=16)
register("icmpv6.resp_in", T.FRAMENUM, "Response In")
register("icmpv6.resp_to", T.FRAMENUM, "Response To")
register("icmpv6.resptime", T.DOUBLE, "Response Time")
register("icmpv6.no_resp", T.NONE, "No response seen")
register("icmpv6.nd.ns.target_address", T.IPV6, "Target Address")
register("icmpv6.nd.na.target_address", T.IPV6, "Target Address")
register("icmpv6.nd.na.flag", T.UINT, "Flags", Base.HEX, 32)
register("icmpv6.nd.na.flag.r", T.BOOLEAN, "Router")
register("icmpv6.nd.na.flag.s", T.BOOLEAN, "Solicited")
register("icmpv6.nd.na.flag.o", T.BOOLEAN, "Override")
register("icmpv6.nd.ra.cur_hop_limit", T.UINT, "Cur hop limit", bits=8)
register("icmpv6.nd.ra.router_lifetime", T.UINT, "Router lifetime (s)", bits=16)
register("icmpv6.nd.ra.reachable_time", T.UINT, "Reachable time (ms)")
register("icmpv6.nd.ra.retrans_timer", T.UINT, "Retrans timer (ms)")
register("icmpv6.nd.rd.target_address", T.IPV6, "Target Address")
register("icmpv6.nd.rd.destination_address", T.IPV6, "Destination Address")
register("icmpv6.opt", T.NONE, "ICMPv6 Option")
register("icmpv6.opt.type", T.UINT, "Type", bits=8)
register("icmpv6.opt.length", T.UINT, "Length", bits=8)
register("icmpv6.opt.linkaddr", T.ETHER, "Link-layer address")
register("icmpv6.opt.src_linkaddr", T.ETHER, "Source Link-layer address")
register("icmpv6.opt.target_linkaddr", T.ETHER, "Target Link-layer address")
register("icmpv6.opt.mtu", T.UINT, "MTU")
register("icmpv6.opt.prefix", T.IPV6, "Prefix")

TYPE_STR = {0: "Echo (ping) reply", 1: "Reserved", 2: "Reserved", 3: "Destination unreachable",
            4: "Source quench (flow control)", 5: "Redirect", 6: "Alternate host address", 8: "Echo (ping) request",
            9: "Router advertisement", 10: "Router solicitation", 11: "Time-to-live exceeded",
            12: "Parameter problem", 13: "Timestamp request", 14: "Timestamp reply", 15: "Information request",
            16: "Information reply", 17: "Address mask request", 18: "Address mask reply",
            19: "Reserved (for security)", 30: "Traceroute", 31: "Datagram Conversion Error",
            32: "Mobile Host Redirect", 33: "IPv6 Where-Are-You", 34: "IPv6 I-Am-Here",
            35: "Mobile Registration Request", 36: "Mobile Registration Reply", 37: "Domain Name Request",
            38: "Domain Name Reply", 39: "SKIP", 40: "Photuris", 41: "Experimental mobility protocols",
            42: "Extended Echo request", 43: "Extended Echo reply"}
UNREACH_STR = {0: "Network unreachable", 1: "Host unreachable", 2: "Protocol unreachable", 3: "Port unreachable",
               4: "Fragmentation needed", 5: "Source route failed", 6: "Destination network unknown",
               7: "Destination host unknown", 8: "Source host isolated", 9: "Network administratively prohibited",
               10: "Host administratively prohibited", 11: "Network unreachable for TOS",
               12: "Host unreachable for TOS", 13: "Communication administratively filtered",
               14: "Host precedence violation", 15: "Precedence cutoff in effect"}
REDIRECT_STR = {0: "Redirect for network", 1: "Redirect for host", 2: "Redirect for TOS and network",
                3: "Redirect for TOS and host"}
TTL_STR = {0: "Time to live exceeded in transit", 1: "Fragment reassembly time exceeded"}
PARAM_STR = {0: "Pointer indicates the error", 1: "Required option missing", 2: "Bad length"}
RTRADV_STR = {0: "Normal router advertisement", 16: "Does not route common traffic"}
CODE_STR = {3: UNREACH_STR, 5: REDIRECT_STR, 11: TTL_STR, 12: PARAM_STR, 9: RTRADV_STR}
TYPE6_STR = {1: "Destination Unreachable", 2: "Packet Too Big", 3: "Time Exceeded", 4: "Parameter Problem",
             100: "Private experimentation", 101: "Private experimentation", 127: "Reserved for expansion of ICMPv6 error messages",
             128: "Echo (ping) request", 129: "Echo (ping) reply", 130: "Multicast Listener Query",
             131: "Multicast Listener Report", 132: "Multicast Listener Done", 133: "Router Solicitation",
             134: "Router Advertisement", 135: "Neighbor Solicitation", 136: "Neighbor Advertisement",
             137: "Redirect", 138: "Router Renumbering", 139: "ICMP Node Information Query",
             140: "ICMP Node Information Response", 141: "Inverse Neighbor Discovery Solicitation Message",
             142: "Inverse Neighbor Discovery Advertisement Message", 143: "Multicast Listener Report Message v2",
             144: "Home Agent Address Discovery Request Message", 145: "Home Agent Address Discovery Reply Message",
             146: "Mobile Prefix Solicitation", 147: "Mobile Prefix Advertisement",
             148: "Certification Path Solicitation Message", 149: "Certification Path Advertisement Message",
             151: "Multicast Router Advertisement", 152: "Multicast Router Solicitation",
             153: "Multicast Router Termination", 155: "RPL Control Message"}
CODE6_STR = {1: {0: "no route to destination", 1: "Administratively prohibited", 2: "Beyond scope of source address",
                 3: "Address unreachable", 4: "Port unreachable", 5: "Source address failed ingress/egress policy",
                 6: "Reject route to destination", 7: "Error in Source Routing Header"},
             3: {0: "hop limit exceeded in transit", 1: "fragment reassembly time exceeded"},
             4: {0: "erroneous header field encountered", 1: "unrecognized Next Header type encountered",
                 2: "unrecognized IPv6 option encountered"}}
ND_OPTS = {1: "Source link-layer address", 2: "Target link-layer address", 3: "Prefix information",
           4: "Redirected header", 5: "MTU", 25: "Recursive DNS Server", 31: "DNS Search List"}


def _csum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def info_text(version: int, typ: int, code: int) -> str:
    """The start of the Info column: the type name and, in brackets, the code's."""
    if version == 4:
        name = TYPE_STR.get(typ, "Unknown ICMP (obsolete or malformed?)")
        codes = CODE_STR.get(typ)
        code_s = f" ({codes.get(code, 'Unknown code')})" if codes else ""
        return f"{name:<20}{code_s}"
    name = TYPE6_STR.get(typ, f"Unknown ICMPv6 Type ({typ})")
    codes = CODE6_STR.get(typ)
    return name + (f" ({codes.get(code, 'Unknown')})" if codes else "")


class EchoLinks:
    """Which echo request an echo reply answers, as tshark pairs them (same addresses, identifier,
    sequence number and contents: its key is the checksum corrected for the type), built by
    ``pair_echoes``: frame -> ("reply_in"|"request_in", other frame, seconds between) or
    ("no_response", 0, 0)."""

    def __init__(self) -> None:
        self.by_frame: dict[int, tuple[str, int, float]] = {}

    def get(self, frame: int) -> tuple[str, int, float] | None:
        return self.by_frame.get(frame)


def _ones_sub(a: int, b: int) -> int:
    s = a + (~b & 0xFFFF)
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def echo_key(version: int, src: bytes, dst: bytes, data: bytes) -> tuple | None:
    """(conversation, key, is_reply) of an echo message; None for other messages."""
    if len(data) < 8:
        return None
    typ, csum, ident, seq = data[0], _u16(data, 2)[0], _u16(data, 4)[0], _u16(data, 6)[0]
    req, rep = (8, 0) if version == 4 else (128, 129)
    if typ not in (req, rep):
        return None
    # The type is in the checksummed word: a reply's checksum, minus the type difference, is its request's.
    if typ == req:
        norm = csum
    elif version == 4:
        norm = _ones_sub(csum, 0x0800)
    else:
        norm = _ones_sub(csum, ~0x0100 & 0xFFFF)  # plus 0x0100
    conv = (src, dst) if src <= dst else (dst, src)
    return conv, (norm, ident, seq), typ == rep


def pair_echoes(items) -> EchoLinks:  # noqa: ANN001 - iterable of (frame, time_ns, version, src, dst, icmp bytes)
    """Pair echo requests and replies over a whole capture, in capture order."""
    links = EchoLinks()
    pending: dict[tuple, list[tuple[int, int]]] = {}
    for frame, t, version, src, dst, data in items:
        k = echo_key(version, src, dst, data)
        if k is None:
            continue
        conv, key, is_reply = k
        if not is_reply:
            pending.setdefault((version, conv, key), []).append((frame, t))
            links.by_frame[frame] = ("no_response", 0, 0.0)
            continue
        reqs = pending.get((version, conv, key))
        if reqs:
            rf, rt = reqs.pop(0)
            links.by_frame[rf] = ("reply_in", frame, (t - rt) / 1e9)
            links.by_frame[frame] = ("request_in", rf, (t - rt) / 1e9)
    return links


class Helper:
    """What the ICMP tree asks of the capture beyond the frame's bytes (a session implements it;
    this default knows nothing: no echo pairs, no streams)."""

    def echo_link(self, number: int) -> tuple[str, int, float] | None:
        return None

    def quoted_stream(self, number: int, proto: int, src: bytes, sport: int, dst: bytes, dport: int):
        """For a quoted TCP header: (stream, rel time, delta time, window shift) or None; for UDP:
        (stream,) or None."""
        return None

    def quoted_payload(self, data: bytes, off: int, end: int, sport: int, dport: int,
                       protos: list[str]) -> list[Field]:
        """The layers above the quoted UDP header (DNS, STUN...), or []."""
        return []


NO_HELPER = Helper()


def dissect_icmp(data: bytes, pos: int, end: int, version: int, number: int, ip_src: bytes, ip_dst: bytes,
                 hop: int, layers: list[Field], protos: list[str], helper: Helper = NO_HELPER) -> str:
    """Add the ICMP (``version`` 4) or ICMPv6 (6) layer of ``data[pos:end]``; returns its Info text.

    ``hop`` is the carrying packet's TTL / hop limit (Info shows it for echoes); ``ip_src``/``ip_dst``
    its addresses (the ICMPv6 checksum covers them)."""
    name = "icmp" if version == 4 else "icmpv6"
    n = min(end, len(data)) - pos
    if version == 4 and n < 8:  # tshark gives up before it adds the ICMP item: only the damage shows
        protos.append(name)
        layers.append(Field("_ws.malformed", "[Malformed Packet: ICMP]", None, pos, max(0, n)))
        return "[Malformed Packet]"
    top = Field(name, "Internet Control Message Protocol" + (" v6" if version == 6 else ""), None, pos, max(0, n))
    layers.append(top)
    protos.append(name)
    try:
        if version == 4:
            return _icmp4(data, pos, pos + n, number, hop, top, layers, protos, helper)
        return _icmp6(data, pos, pos + n, number, ip_src, ip_dst, hop, top, layers, protos, helper)
    except (IndexError, struct.error, ValueError):
        top.add(Field("_ws.malformed", "[Malformed Packet: ICMP]", None, pos, max(0, n)))
        return "[Malformed Packet]"


def _checksum_fields(top: Field, name: str, data: bytes, pos: int, end: int, csum: int, pseudo: bytes,
                     complete: bool) -> None:
    if complete:
        calc = _csum16(pseudo + bytes(data[pos:pos + 2]) + b"\0\0" + bytes(data[pos + 4:end]))
        good = calc == csum
        label = f"Checksum: 0x{csum:04x} [{'correct' if good else f'incorrect, should be 0x{calc:04x}'}]"
        top.add(Field(f"{name}.checksum", label, csum, pos + 2, 2))
        top.add(Field(f"{name}.checksum.status", f"[Checksum Status: {'Good' if good else 'Bad'}]", 1 if good else 0,
                      pos + 2, 0))
    else:
        top.add(Field(f"{name}.checksum", f"Checksum: 0x{csum:04x} [unverified]", csum, pos + 2, 2))
        top.add(Field(f"{name}.checksum.status", "[Checksum Status: Unverified]", 2, pos + 2, 0))


def _echo_fields(top: Field, name: str, number: int, helper: Helper, pos: int) -> str:
    link = helper.echo_link(number)
    if link is None:
        return ""
    kind, other, dt = link
    resp_in = "icmp.resp_in" if name == "icmp" else "icmpv6.resp_in"
    if kind == "reply_in":
        top.add(Field(resp_in, f"[Response frame: {other}]" if name == "icmp" else f"[Response In: {other}]",
                      other, pos, 0))
        return f" (reply in {other})"
    if kind == "request_in":
        top.add(Field(f"{name}.resp_to", f"[Request frame: {other}]" if name == "icmp" else f"[Response To: {other}]",
                      other, pos, 0))
        top.add(Field(f"{name}.resptime", f"[Response time: {dt * 1000:.3f} ms]", dt * 1000, pos, 0))
        return f" (request in {other})"
    top.add(Field(f"{name}.no_resp", "[No response seen]", None, pos, 0))
    return " (no response found!)"


def _data_layer(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> None:
    if end > pos:
        d = Field("data", f"Data ({end - pos} bytes)", None, pos, end - pos)
        d.add(Field("data.data", None, bytes(data[pos:end]), pos, end - pos))
        d.add(Field("data.len", f"[Length: {end - pos}]", end - pos, pos, 0))
        layers.append(d)
        protos.append("data")


def _icmp4(data: bytes, pos: int, end: int, number: int, ttl: int, top: Field, layers: list[Field],
           protos: list[str], helper: Helper) -> str:
    if end - pos < 8:
        raise ValueError("ICMP header cut short")
    typ, code, csum = data[pos], data[pos + 1], _u16(data, pos + 2)[0]
    info = info_text(4, typ, code)
    top.add(Field("icmp.type", f"Type: {typ} ({TYPE_STR.get(typ, 'Unknown ICMP (obsolete or malformed?)')})", typ,
                  pos, 1))
    codes = CODE_STR.get(typ)
    top.add(Field("icmp.code", f"Code: {code}" + (f" ({codes.get(code, 'Unknown code')})" if codes else ""), code,
                  pos + 1, 1))
    _checksum_fields(top, "icmp", data, pos, end, csum, b"", True)
    if typ in (0, 8, 13, 14, 15, 16, 17, 18):
        ident, seq = _u16(data, pos + 4)[0], _u16(data, pos + 6)[0]
        ident_le, seq_le = int.from_bytes(data[pos + 4:pos + 6], "little"), int.from_bytes(data[pos + 6:pos + 8], "little")
        top.add(Field("icmp.ident", f"Identifier (BE): {ident} (0x{ident:04x})", ident, pos + 4, 2))
        top.add(Field("icmp.ident_le", f"Identifier (LE): {ident_le} (0x{ident_le:04x})", ident_le, pos + 4, 2))
        top.add(Field("icmp.seq", f"Sequence Number (BE): {seq} (0x{seq:04x})", seq, pos + 6, 2))
        top.add(Field("icmp.seq_le", f"Sequence Number (LE): {seq_le} (0x{seq_le:04x})", seq_le, pos + 6, 2))
        if typ in (0, 8):
            info += f" id=0x{ident:04x}, seq={seq}/{seq_le}, ttl={ttl}"
            info += _echo_fields(top, "icmp", number, helper, pos)
            _data_layer(data, pos + 8, end, layers, protos)
        return info
    if typ == 3 and code == 4:
        top.add(Field("icmp.unused", "Unused: " + bytes(data[pos + 4:pos + 6]).hex(), bytes(data[pos + 4:pos + 6]),
                      pos + 4, 2))
        mtu = _u16(data, pos + 6)[0]
        top.add(Field("icmp.mtu", f"MTU of next hop: {mtu}", mtu, pos + 6, 2))
    elif typ == 5:
        gw = int.from_bytes(data[pos + 4:pos + 8], "big")
        top.add(Field("icmp.redir_gw", None, gw, pos + 4, 4))
    elif typ == 12:
        top.add(Field("icmp.pointer", None, data[pos + 4], pos + 4, 1))
    else:
        top.add(Field("icmp.unused", "Unused: " + bytes(data[pos + 4:pos + 8]).hex(), bytes(data[pos + 4:pos + 8]),
                      pos + 4, 4))
    if typ in (3, 4, 5, 11, 12) and end > pos + 8:
        quote(data, pos + 8, end, number, top, protos, helper)
    return info


def _icmp6(data: bytes, pos: int, end: int, number: int, src: bytes, dst: bytes, hlim: int, top: Field,
           layers: list[Field], protos: list[str], helper: Helper) -> str:
    if end - pos < 4:
        raise ValueError("ICMPv6 header cut short")
    typ, code, csum = data[pos], data[pos + 1], _u16(data, pos + 2)[0]
    info = info_text(6, typ, code)
    top.add(Field("icmpv6.type", f"Type: {TYPE6_STR.get(typ, 'Unknown')} ({typ})", typ, pos, 1))
    codes = CODE6_STR.get(typ)
    top.add(Field("icmpv6.code", f"Code: {code}" + (f" ({codes.get(code, 'Unknown')})" if codes else ""), code,
                  pos + 1, 1))
    pseudo = bytes(src) + bytes(dst) + struct.pack(">IxxxB", end - pos, 58)
    _checksum_fields(top, "icmpv6", data, pos, end, csum, pseudo, len(src) == 16)
    if end - pos < 8:
        raise ValueError("ICMPv6 message cut short")
    if typ in (128, 129):
        ident, seq = _u16(data, pos + 4)[0], _u16(data, pos + 6)[0]
        top.add(Field("icmpv6.echo.identifier", f"Identifier: 0x{ident:04x}", ident, pos + 4, 2))
        top.add(Field("icmpv6.echo.sequence_number", f"Sequence: {seq}", seq, pos + 6, 2))
        info += f" id=0x{ident:04x}, seq={seq}, hop limit={hlim}"
        info += _echo_fields(top, "icmpv6", number, helper, pos)
        _data_layer(data, pos + 8, end, layers, protos)
        return info
    if typ == 2:
        mtu = _u32(data, pos + 4)[0]
        top.add(Field("icmpv6.mtu", None, mtu, pos + 4, 4))
    elif typ == 4:
        top.add(Field("icmpv6.pointer", None, _u32(data, pos + 4)[0], pos + 4, 4))
    elif typ in (1, 3):
        top.add(Field("icmpv6.reserved", None, bytes(data[pos + 4:pos + 8]), pos + 4, 4))
    if typ in (1, 2, 3, 4):
        if end > pos + 8:
            quote(data, pos + 8, end, number, top, protos, helper)
        return info
    if typ in (133, 134, 135, 136, 137):
        return info + _nd(data, pos, end, typ, top)
    return info


def _nd(data: bytes, pos: int, end: int, typ: int, top: Field) -> str:
    """Neighbour discovery (RFC 4861): the fixed part, the options, and what tshark's Info adds."""
    import socket

    extra = ""
    opts = pos + 8
    if typ == 133:
        top.add(Field("icmpv6.reserved", None, bytes(data[pos + 4:pos + 8]), pos + 4, 4))
    elif typ == 134:
        if end - pos < 16:
            raise ValueError("RA cut short")
        top.add(Field("icmpv6.nd.ra.cur_hop_limit", None, data[pos + 4], pos + 4, 1))
        top.add(Field("icmpv6.nd.ra.router_lifetime", None, _u16(data, pos + 6)[0], pos + 6, 2))
        top.add(Field("icmpv6.nd.ra.reachable_time", None, _u32(data, pos + 8)[0], pos + 8, 4))
        top.add(Field("icmpv6.nd.ra.retrans_timer", None, _u32(data, pos + 12)[0], pos + 12, 4))
        opts = pos + 16
    elif typ in (135, 136):
        if end - pos < 24:
            raise ValueError("NS/NA cut short")
        target = bytes(data[pos + 8:pos + 24])
        t_txt = socket.inet_ntop(socket.AF_INET6, target)
        if typ == 135:
            top.add(Field("icmpv6.reserved", None, bytes(data[pos + 4:pos + 8]), pos + 4, 4))
            top.add(Field("icmpv6.nd.ns.target_address", None, target, pos + 8, 16))
            extra = f" for {t_txt}"
        else:
            fl = _u32(data, pos + 4)[0]
            names = [nm for bit, nm in ((31, "rtr"), (30, "sol"), (29, "ovr")) if fl >> bit & 1]
            f = top.add(Field("icmpv6.nd.na.flag", f"Flags: 0x{fl:08x}" + (f", {', '.join(n.capitalize() for n in names)}"
                                                                           if names else ""), fl, pos + 4, 4))
            for bit, nm in ((31, "r"), (30, "s"), (29, "o")):
                f.add(Field(f"icmpv6.nd.na.flag.{nm}", None, fl >> bit & 1, pos + 4, 4))
            top.add(Field("icmpv6.nd.na.target_address", None, target, pos + 8, 16))
            extra = f" {t_txt}" + (f" ({', '.join(names)})" if names else "")
        opts = pos + 24
    elif typ == 137:
        if end - pos < 40:
            raise ValueError("Redirect cut short")
        top.add(Field("icmpv6.nd.rd.target_address", None, bytes(data[pos + 8:pos + 24]), pos + 8, 16))
        top.add(Field("icmpv6.nd.rd.destination_address", None, bytes(data[pos + 24:pos + 40]), pos + 24, 16))
        opts = pos + 40
    p = opts
    while p + 2 <= end:
        otype, olen = data[p], data[p + 1] * 8
        if olen == 0 or p + olen > end:
            top.add(Field("_ws.malformed", "[Malformed option]", None, p, end - p))
            break
        o = top.add(Field("icmpv6.opt", f"ICMPv6 Option ({ND_OPTS.get(otype, f'Unknown {otype}')})", None, p, olen))
        o.add(Field("icmpv6.opt.type", f"Type: {ND_OPTS.get(otype, 'Unknown')} ({otype})", otype, p, 1))
        o.add(Field("icmpv6.opt.length", f"Length: {data[p + 1]} ({olen} bytes)", data[p + 1], p + 1, 1))
        if otype in (1, 2):
            addr = bytes(data[p + 2:p + olen])
            o.add(Field("icmpv6.opt.linkaddr", "Link-layer address: " + ":".join(f"{b:02x}" for b in addr), addr,
                        p + 2, olen - 2))
            if len(addr) >= 6:
                mac = addr[:6]
                o.add(Field("icmpv6.opt.src_linkaddr" if otype == 1 else "icmpv6.opt.target_linkaddr", None, mac,
                            p + 2, 6, hidden=True))
                text_mac = ":".join(f"{b:02x}" for b in mac)
                if otype == 1 and typ in (133, 134, 135):
                    extra += f" from {text_mac}"
                elif otype == 2 and typ == 136:
                    extra += f" is at {text_mac}"
        elif otype == 5 and olen >= 8:
            o.add(Field("icmpv6.opt.mtu", None, _u32(data, p + 4)[0], p + 4, 4))
        elif otype == 3 and olen >= 32:
            o.add(Field("icmpv6.opt.prefix", None, bytes(data[p + 16:p + 32]), p + 16, 16))
        p += olen
    return extra


def quote(data: bytes, pos: int, end: int, number: int, top: Field, protos: list[str], helper: Helper) -> None:
    """The offending packet an error quotes: its IP header (ip.*/ipv6.* again, as further
    occurrences, as tshark shows them), its TCP or UDP header and what follows that tshark decodes."""
    from .ip import dissect_ipv4, dissect_ipv6

    inner: list[Field] = []
    sub = data[:end] if end < len(data) else data
    v = sub[pos] >> 4 if pos < len(sub) else 0
    if v == 4:
        proto, l4, l4end, frag = dissect_ipv4(sub, pos, inner, protos)
        if frag & 0x7FFFFFFF:
            proto = -1
    elif v == 6:
        proto, l4, l4end = dissect_ipv6(sub, pos, inner, protos)
    else:
        return
    top.children.extend(inner)
    if l4 < 0 or l4 >= end:
        return
    src_a = bytes(sub[pos + 12:pos + 16]) if v == 4 else bytes(sub[pos + 8:pos + 24])
    dst_a = bytes(sub[pos + 16:pos + 20]) if v == 4 else bytes(sub[pos + 24:pos + 40])
    if proto == 6:
        _quoted_tcp(sub, l4, end, number, src_a, dst_a, top, protos, helper)
    elif proto == 17 and l4 + 8 <= end:
        from .transport import dissect_udp

        sport, dport = _u16(sub, l4)[0], _u16(sub, l4 + 2)[0]
        got = helper.quoted_stream(number, 17, src_a, sport, dst_a, dport)
        layers: list[Field] = []
        _info, poff, plen = dissect_udp(sub, l4, end, got[0] if got else -1, layers, protos)
        top.children.extend(layers)
        if plen and poff < end:
            top.children.extend(helper.quoted_payload(sub, poff, min(end, poff + plen), sport, dport, protos))


def _quoted_tcp(data: bytes, pos: int, end: int, number: int, src: bytes, dst: bytes, top: Field,
                protos: list[str], helper: Helper) -> None:
    """A TCP header inside an ICMP error as tshark shows it: raw sequence numbers, no length, and
    past the first 8 bytes (all a router must quote) only what was quoted."""
    from .transport import FLAG_BITS, flag_names, flags_str

    n = end - pos
    if n < 4:
        return
    sport, dport = _u16(data, pos)[0], _u16(data, pos + 2)[0]
    title = f"Transmission Control Protocol, Src Port: {sport}, Dst Port: {dport}"
    t = Field("tcp", title, None, pos, min(n, 20))
    protos.append("tcp")
    top.add(t)
    t.add(Field("tcp.srcport", None, sport, pos, 2))
    t.add(Field("tcp.dstport", None, dport, pos + 2, 2))
    t.add(Field("tcp.port", None, sport, pos, 2, hidden=True))
    t.add(Field("tcp.port", None, dport, pos + 2, 2, hidden=True))
    if n < 8:
        return
    seq = _u32(data, pos + 4)[0]
    t.add(Field("tcp.seq", f"Sequence Number: {seq}", seq, pos + 4, 4))
    if n < 20:
        return
    ack, doff, fl, win, csum, urg = struct.unpack_from(">IBBHHH", data, pos + 8)
    flags = fl | (doff & 0x0F) << 8
    got = helper.quoted_stream(number, 6, src, sport, dst, dport)
    t.label = title + f", Seq: {seq}" + (f", Ack: {ack}" if flags & 0x10 else "")
    if got:
        t.add(Field("tcp.stream", f"[Stream index: {got[0]}]", got[0], pos, 0))
        from .transport import completeness_field

        t.add(completeness_field(got[4], pos))
    t.add(Field("tcp.ack", f"Acknowledgment Number: {ack}" + ("    (relative ack number)" if flags & 0x10 else ""),
                ack, pos + 8, 4))
    t.add(Field("tcp.ack_raw", None, ack, pos + 8, 4))
    hl = (doff >> 4) * 4
    t.add(Field("tcp.hdr_len", f"{doff >> 4:04b} .... = Header Length: {hl} bytes ({doff >> 4})", hl, pos + 12, 1))
    names = flag_names(flags)
    ff = t.add(Field("tcp.flags", f"Flags: 0x{flags:03x} ({', '.join(names) if names else '<None>'})", flags,
                     pos + 12, 2))
    for bit, name, title_, pattern in FLAG_BITS:
        v = 1 if flags & bit else 0
        if bit == 0x800:
            v = 1 if flags & 0xE00 else 0
        shown = pattern.replace("0", "1") if v and bit != 0x800 else pattern
        ff.add(Field(name, f"{shown} = {title_}: {'Set' if v else 'Not set'}", v, pos + 12, 2 if bit >= 0x100 else 1))
    ff.add(Field("tcp.flags.str", None, flags_str(flags), pos + 12, 2))
    t.add(Field("tcp.window_size_value", None, win, pos + 14, 2))
    # tshark scales no window inside an error; its factor is the sender's own from its SYN, and a
    # quoted SYN has none
    shift = got[3] if got else -1
    t.add(Field("tcp.window_size", f"[Calculated window size: {win}]", win, pos + 14, 2))
    if flags & 0x02:
        pass
    elif shift >= 0:
        t.add(Field("tcp.window_size_scalefactor", f"[Window size scaling factor: {1 << shift}]", 1 << shift,
                    pos + 14, 2))
    else:
        t.add(Field("tcp.window_size_scalefactor", f"[Window size scaling factor: {shift} "
                    f"({'unknown' if shift == -1 else 'no window scaling used'})]", shift, pos + 14, 2))
    t.add(Field("tcp.checksum", f"Checksum: 0x{csum:04x} [unverified]", csum, pos + 16, 2))
    t.add(Field("tcp.checksum.status", "[Checksum Status: Unverified]", 2, pos + 16, 0))
    t.add(Field("tcp.urgent_pointer", None, urg, pos + 18, 2))
    if got:
        ts = t.add(Field("", "[Timestamps]", None, pos, 0))
        ts.add(Field("tcp.time_relative", f"[Time since first frame in this TCP stream: {got[1]:.9f} seconds]",
                     got[1], pos, 0))
        ts.add(Field("tcp.time_delta", f"[Time since previous frame in this TCP stream: {got[2]:.9f} seconds]",
                     got[2], pos, 0))
    if hl >= 20 and pos + hl < end:
        t.add(Field("tcp.payload", f"TCP payload ({end - pos - hl} bytes)", bytes(data[pos + hl:end]), pos + hl,
                    end - pos - hl))
