"""Fast header location for the analysis pass: link -> IP -> TCP/UDP with no Field objects.

The whole-capture pass (stream ids, sequence analysis, reassembly) reads millions of frames;
building trees there would cost ten times more.  This module returns plain tuples and is the
only place, besides the tree dissectors, that knows how to walk the link layers.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

# Link types (https://www.tcpdump.org/linktypes.html)
LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_RAW_ALT = (12, 14)  # DLT_RAW on some BSDs
LINKTYPE_LOOP = 108
LINKTYPE_LINUX_SLL = 113
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
LINKTYPE_LINUX_SLL2 = 276

ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ, ETH_VLAN_OLD = 0x0800, 0x86DD, 0x8100, 0x88A8, 0x9100
VLAN_TYPES = (ETH_VLAN, ETH_QINQ, ETH_VLAN_OLD)
BSD_AF_INET6 = (24, 28, 30)  # AF_INET6 differs between BSDs

_u16 = struct.Struct(">H").unpack_from
_ipv4 = struct.Struct(">BBHHHBBH4s4s").unpack_from
_tcp = struct.Struct(">HHIIBBHHH").unpack_from
_udp = struct.Struct(">HHHH").unpack_from


def network_offset(data, off: int, end: int, linktype: int) -> tuple[int, int]:
    """(ethertype, offset of the network header) for a frame, or (0, -1) if not IP."""
    if linktype == LINKTYPE_ETHERNET:
        if off + 14 > end:
            return 0, -1
        etype = _u16(data, off + 12)[0]
        pos = off + 14
        while etype in VLAN_TYPES and pos + 4 <= end:
            etype = _u16(data, pos + 2)[0]
            pos += 4
        return etype, pos
    if linktype == LINKTYPE_LINUX_SLL:
        if off + 16 > end:
            return 0, -1
        return _u16(data, off + 14)[0], off + 16
    if linktype == LINKTYPE_LINUX_SLL2:
        if off + 20 > end:
            return 0, -1
        return _u16(data, off)[0], off + 20
    if linktype in (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) or linktype in LINKTYPE_RAW_ALT:
        if off >= end:
            return 0, -1
        v = data[off] >> 4
        return (ETH_IPV4 if v == 4 else ETH_IPV6 if v == 6 else 0), off
    if linktype in (LINKTYPE_NULL, LINKTYPE_LOOP):
        if off + 4 > end:
            return 0, -1
        raw = bytes(data[off:off + 4])
        if linktype == LINKTYPE_LOOP:
            family = int.from_bytes(raw, "big")
        else:  # host byte order of the capturing machine: guess by which half is zero
            family = int.from_bytes(raw, "little") if raw[2:] == b"\0\0" else int.from_bytes(raw, "big")
        if family == 2:
            return ETH_IPV4, off + 4
        if family in BSD_AF_INET6:
            return ETH_IPV6, off + 4
        return 0, -1
    return 0, -1


class Transport(NamedTuple):
    """What the analysis pass needs from one TCP or UDP packet."""

    proto: int  # 6 or 17
    src: bytes  # 4 or 16 bytes
    dst: bytes
    sport: int
    dport: int
    ttl: int
    ip_id: int  # -1 for IPv6
    l4_off: int  # offset of the TCP/UDP header in the frame buffer
    payload_off: int  # offset of the payload in the frame buffer
    payload_len: int  # length on the wire (from IP/UDP lengths), may exceed captured bytes
    seq: int
    ack: int
    flags: int
    window: int
    tcp_hdr_len: int
    ip_off: int = 0  # offset of the IP header in the frame buffer
    ip_version: int = 4


# Ethernet + IPv4 without options + TCP: most frames of most captures, read in one unpack.
_eth_ip4_tcp = struct.Struct(">12xHBBHHHBBH4s4sHHIIBBHHH").unpack_from


def parse_transport(data, off: int, cap_len: int, linktype: int) -> Transport | None:
    """Locate TCP/UDP in one frame; None for anything else or a header cut short."""
    end = off + cap_len
    if linktype == LINKTYPE_ETHERNET and cap_len >= 54:
        (etype, vhl, _tos, total, ip_id, frag, ttl, proto, _sum, src, dst,
         sport, dport, seq, ack, doff, flags, window, _sum, _urg) = _eth_ip4_tcp(data, off)
        if etype == ETH_IPV4 and vhl == 0x45 and proto == 6 and not frag & 0x1FFF and doff >= 0x50:
            hl = (doff >> 4) * 4
            l4 = off + 34
            ip_end = off + 14 + total if total >= 20 else l4
            return Transport(6, src, dst, sport, dport, ttl, ip_id, l4, l4 + hl, max(0, ip_end - l4 - hl), seq,
                             ack, flags | (doff & 0x0F) << 8, window, hl, off + 14, 4)
    return parse_transport_general(data, off, end, linktype)


def parse_transport_general(data, off: int, end: int, linktype: int) -> Transport | None:
    """``parse_transport`` for every link type and header layout (``end``: where the frame stops)."""
    etype, pos = network_offset(data, off, end, linktype)
    if pos < 0:
        return None
    if etype == ETH_IPV4:
        if pos + 20 > end:
            return None
        vhl, _tos, total, ip_id, frag, ttl, proto, _sum, src, dst = _ipv4(data, pos)
        ihl = (vhl & 15) * 4
        if vhl >> 4 != 4 or ihl < 20 or frag & 0x1FFF:
            return None  # not IPv4, or a non-first fragment carries no transport header
        l4 = pos + ihl
        ip_end = pos + total if total >= ihl else pos + ihl
    elif etype == ETH_IPV6:
        if pos + 40 > end:
            return None
        plen = _u16(data, pos + 4)[0]
        proto = data[pos + 6]
        ttl = data[pos + 7]
        src = bytes(data[pos + 8:pos + 24])
        dst = bytes(data[pos + 24:pos + 40])
        ip_id = -1
        l4 = pos + 40
        ip_end = l4 + plen
        # Skip the common extension headers (hop-by-hop, routing, destination options).
        while proto in (0, 43, 60) and l4 + 2 <= end:
            proto, l4 = data[l4], l4 + (data[l4 + 1] + 1) * 8
    else:
        return None
    if proto == 6:
        if l4 + 20 > end:
            return None
        sport, dport, seq, ack, doff, flags, window, _sum, _urg = _tcp(data, l4)
        hl = (doff >> 4) * 4
        if hl < 20:
            return None
        flags |= (doff & 0x0F) << 8  # AE and reserved bits
        return Transport(6, src, dst, sport, dport, ttl, ip_id, l4, l4 + hl,
                         max(0, ip_end - l4 - hl), seq, ack, flags, window, hl, pos, 4 if ip_id >= 0 else 6)
    if proto == 17:
        if l4 + 8 > end:
            return None
        sport, dport, ulen, _sum = _udp(data, l4)
        return Transport(17, src, dst, sport, dport, ttl, ip_id, l4, l4 + 8,
                         max(0, ulen - 8), 0, 0, 0, 0, 0, pos, 4 if ip_id >= 0 else 6)
    return None
