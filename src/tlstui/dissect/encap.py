"""Where a tunnel's inner packet starts: the decisions shared by the analysis pass (``fast``) and the
tree (``tunnel``), so that the two cannot follow a tunnel differently.

Each function reads only a header's fixed part and returns ``(kind, offset of the inner packet)``:
``ETHERNET`` (an Ethernet frame follows), ``IPV4`` / ``IPV6`` (an IP packet follows), or ``NONE``
(nothing this tool follows: a payload it does not decode, or a header cut short).  The rules are
tshark 4.0's: the UDP ports it registers (the lower port tried first), GRE's protocol types with
ERSPAN's "sequence number present" rule, GTP-U's T-PDU with the IP version read from the payload,
MPLS's bottom-of-stack label followed by the first nibble of the payload.
"""
from __future__ import annotations

NONE, ETHERNET, IPV4, IPV6 = 0, 1, 2, 3
ETH_MPLS, ETH_MPLS_MC = 0x8847, 0x8848
MPLS_TYPES = (ETH_MPLS, ETH_MPLS_MC)
GRE_TEB, ERSPAN_I_II, ERSPAN_III = 0x6558, 0x88BE, 0x22EB
PORT_VXLAN, PORT_GENEVE, PORT_GTPU, PORT_TEREDO = 4789, 6081, 2152, 3544
UDP_PORTS = (PORT_VXLAN, PORT_GENEVE, PORT_GTPU, PORT_TEREDO)
IP_TUNNEL_PROTOS = (4, 41, 47)  # IPv4 in IP, IPv6 in IP, GRE
MAX_DEPTH = 8  # encapsulations followed in one frame; deeper ones are left undecoded

_BY_ETHERTYPE = {0x0800: IPV4, 0x86DD: IPV6, GRE_TEB: ETHERNET}


def _u16(data, pos: int) -> int:
    return data[pos] << 8 | data[pos + 1]


def udp_tunnel_port(sport: int, dport: int) -> int:
    """The tunnel port a UDP datagram goes to, or 0.  tshark tries the lower port first, then the
    higher; a lower port below 1024 is taken to belong to another protocol (DNS on 53 ...)."""
    low, high = (sport, dport) if sport <= dport else (dport, sport)
    if low in UDP_PORTS:
        return low
    if high in UDP_PORTS and low >= 1024:
        return high
    return 0


def vxlan(data, pos: int, end: int) -> tuple[int, int]:
    """VXLAN (RFC 7348): 8 bytes, then Ethernet (tshark does not require the I flag)."""
    return (ETHERNET, pos + 8) if pos + 8 <= end else (NONE, -1)


def geneve_length(data, pos: int) -> int:
    return 8 + (data[pos] & 0x3F) * 4


def geneve(data, pos: int, end: int) -> tuple[int, int]:
    """Geneve (RFC 8926): 8 bytes and the options, then the protocol type's payload."""
    if pos + 8 > end or data[pos] >> 6 != 0:
        return NONE, -1
    inner = pos + geneve_length(data, pos)
    kind = _BY_ETHERTYPE.get(_u16(data, pos + 2), NONE)
    return (kind, inner) if kind != NONE and inner <= end else (NONE, -1)


def gtpu_length(data, pos: int, end: int) -> int:
    """The length of a GTPv1 header with its optional fields and extension headers, or -1."""
    if pos + 8 > end:
        return -1
    flags = data[pos]
    n = 8
    if flags & 0x07:
        if pos + 12 > end:
            return -1
        n = 12
        nxt = data[pos + 11] if flags & 0x04 else 0
        while nxt:
            if pos + n + 1 > end:
                return -1
            ext_len = data[pos + n] * 4
            if ext_len == 0 or pos + n + ext_len > end:
                return -1
            nxt = data[pos + n + ext_len - 1]
            n += ext_len
    return n


def gtpu(data, pos: int, end: int) -> tuple[int, int]:
    """GTPv1-U: a T-PDU (message 0xFF) carries IPv4 or IPv6, told by the first nibble."""
    if pos + 8 > end or data[pos] >> 5 != 1 or data[pos + 1] != 0xFF:
        return NONE, -1
    n = gtpu_length(data, pos, end)
    if n < 0 or pos + n >= end:
        return NONE, -1
    v = data[pos + n] >> 4
    return (IPV4 if v == 4 else IPV6 if v == 6 else NONE), pos + n


def teredo_length(data, pos: int, end: int) -> int:
    """The Teredo authentication and origin indication headers before the IPv6 packet, or -1."""
    n = 0
    if pos + 2 <= end and _u16(data, pos) == 0x0001:  # authentication
        if pos + 4 > end:
            return -1
        n = 13 + data[pos + 2] + data[pos + 3]
    if pos + n + 2 <= end and _u16(data, pos + n) == 0x0000:  # origin indication
        n += 8
    return n if pos + n <= end else -1


def teredo(data, pos: int, end: int) -> tuple[int, int]:
    """Teredo (RFC 4380): optional headers, then IPv6."""
    n = teredo_length(data, pos, end)
    if n < 0 or pos + n + 40 > end or data[pos + n] >> 4 != 6:
        return NONE, -1
    return IPV6, pos + n


UDP_FOLLOW = {PORT_VXLAN: vxlan, PORT_GENEVE: geneve, PORT_GTPU: gtpu, PORT_TEREDO: teredo}


def gre_length(data, pos: int, end: int) -> int:
    """The GRE header's length with its optional fields (checksum/offset, key, sequence number,
    acknowledgment of version 1), or -1 when cut short or routed (source routes: not followed)."""
    if pos + 4 > end:
        return -1
    flags = _u16(data, pos)
    if flags & 0x4000:
        return -1
    n = 4 + (4 if flags & 0x8000 else 0) + (4 if flags & 0x2000 else 0) + (4 if flags & 0x1000 else 0) \
        + (4 if flags & 0x0080 and flags & 7 == 1 else 0)
    return n if pos + n <= end else -1


def gre(data, pos: int, end: int) -> tuple[int, int]:
    """GRE (RFC 2784/2890) version 0: IPv4, IPv6, Ethernet (0x6558) and ERSPAN (Ethernet after its
    header: none for type I, which is 0x88BE without a sequence number)."""
    n = gre_length(data, pos, end)
    if n < 0 or _u16(data, pos) & 7 != 0:
        return NONE, -1
    proto = _u16(data, pos + 2)
    inner = pos + n
    if proto == ERSPAN_I_II and not _u16(data, pos) & 0x1000:
        return ETHERNET, inner  # type I: no ERSPAN header
    if proto in (ERSPAN_I_II, ERSPAN_III):
        n = erspan_length(data, inner, end)
        if n < 0 or (data[inner] >> 4 == 2 and (_u16(data, inner + 10) >> 10) & 0x1F != 0):
            return NONE, -1  # cut short, an unknown version, or a type III frame that is not Ethernet
        return ETHERNET, inner + n
    if proto in MPLS_TYPES:
        return mpls(data, inner, end)
    kind = _BY_ETHERTYPE.get(proto, NONE)
    return (kind, inner) if kind != NONE else (NONE, -1)


def erspan_length(data, pos: int, end: int) -> int:
    """The ERSPAN header's length by its version (1: type II, 8 bytes; 2: type III, 12 bytes and the
    8-byte platform sub-header when its O bit is set), or -1 (cut short, another version)."""
    if pos + 2 > end:
        return -1
    version = data[pos] >> 4
    if version == 1:
        return 8 if pos + 8 <= end else -1
    if version == 2:
        if pos + 12 > end:
            return -1
        n = 12 + (8 if data[pos + 11] & 1 else 0)
        return n if pos + n <= end else -1
    return -1


def mpls_labels(data, pos: int, end: int) -> int:
    """The number of labels in an MPLS stack (to its bottom-of-stack label), or -1 when cut short."""
    k = 0
    while pos + 4 * k + 4 <= end:
        k += 1
        if data[pos + 4 * k - 2] & 1:
            return k
    return -1


def mpls(data, pos: int, end: int) -> tuple[int, int]:
    """MPLS (RFC 3032): the label stack, then IPv4 or IPv6 told by the first nibble."""
    k = mpls_labels(data, pos, end)
    if k < 0:
        return NONE, -1
    inner = pos + 4 * k
    if inner >= end:
        return NONE, -1
    v = data[inner] >> 4
    return (IPV4 if v == 4 else IPV6 if v == 6 else NONE), inner
