"""Fast header location for the analysis pass: link -> IP -> TCP/UDP with no Field objects.

The whole-capture pass (stream ids, sequence analysis, reassembly) reads millions of frames;
building trees there would cost ten times more.  This module returns plain tuples and is the
only place, besides the tree dissectors, that knows how to walk the link layers.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

from . import encap

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
LINKTYPE_CHDLC = 104  # Cisco HDLC: address, control, then an ethertype

ETH_IPV4, ETH_IPV6, ETH_VLAN, ETH_QINQ, ETH_VLAN_OLD = 0x0800, 0x86DD, 0x8100, 0x88A8, 0x9100
VLAN_TYPES = (ETH_VLAN, ETH_QINQ, ETH_VLAN_OLD)
BSD_AF_INET6 = (24, 28, 30)  # AF_INET6 differs between BSDs

TUNNELLED, CARRIER = 1, 2
_TUNNEL_PORTS = frozenset(encap.UDP_PORTS)
_MPLS = frozenset(encap.MPLS_TYPES)
_IP_TUNNELS = frozenset(encap.IP_TUNNEL_PROTOS)
_MAX_DEPTH = encap.MAX_DEPTH

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
    if linktype == LINKTYPE_CHDLC:
        if off + 4 > end:
            return 0, -1
        return _u16(data, off + 2)[0], off + 4
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
    # Tunnels (dissect/encap.py): TUNNELLED when this TCP/UDP travels inside encapsulations (the
    # tree then holds outer headers too: more ip.src, eth.src... occurrences), CARRIER when this is
    # a tunnel's own UDP and nothing inside is TCP or UDP (its payload is the tunnel's, no
    # application's).  ``outer``: the UDP datagrams of the tunnels around this one, outermost first.
    tunnel: int = 0
    outer: tuple = ()

    # The addresses as ``TransportColumns`` holds them, so one expression reads either.
    @property
    def src4(self) -> int:
        return int.from_bytes(self.src, "big")

    @property
    def dst4(self) -> int:
        return int.from_bytes(self.dst, "big")

    @property
    def src6(self) -> bytes:
        return self.src

    @property
    def dst6(self) -> bytes:
        return self.dst


# Ethernet + IPv4 without options + TCP: most frames of most captures, read in one unpack.
_eth_ip4_tcp = struct.Struct(">12xHBBHHHBBH4s4sHHIIBBHHH").unpack_from


def parse_transport(data, off: int, cap_len: int, linktype: int, orig_len: int = 0) -> Transport | None:
    """Locate TCP/UDP in one frame; None for anything else or a header cut short.

    ``orig_len`` (the frame's length on the wire, 0 if unknown) bounds the IP datagram as tshark
    bounds it: an IP length that claims more than the frame carries ends at the frame's end, and an
    IPv4 total length of 0 (a TSO/GSO frame captured before the NIC split it) takes the frame's
    length.  Without it a longer claim is believed (a snapshot length cuts frames short) and a
    length of 0 takes the captured bytes."""
    end = off + cap_len
    if linktype == LINKTYPE_ETHERNET and cap_len >= 54:
        (etype, vhl, _tos, total, ip_id, frag, ttl, proto, _sum, src, dst,
         sport, dport, seq, ack, doff, flags, window, _sum, _urg) = _eth_ip4_tcp(data, off)
        if etype == ETH_IPV4 and vhl == 0x45 and proto == 6 and not frag & 0x1FFF and doff >= 0x50 and total >= 20:
            hl = (doff >> 4) * 4
            l4 = off + 34
            ip_end = off + 14 + total
            if orig_len and 14 + total > max(orig_len, cap_len):
                ip_end = off + max(orig_len, cap_len)
            return Transport(6, src, dst, sport, dport, ttl, ip_id, l4, l4 + hl, max(0, ip_end - l4 - hl), seq,
                             ack, flags | (doff & 0x0F) << 8, window, hl, off + 14, 4)
    return _walk(data, off, end, linktype, off + max(orig_len, cap_len) if orig_len else 0)[0]


def parse_transport_general(data, off: int, end: int, linktype: int, wire_end: int = 0) -> Transport | None:
    """``parse_transport`` for every link type and header layout (``end``: where the captured bytes
    stop, ``wire_end``: where the frame stops on the wire, 0 if unknown).

    Tunnels are followed to the innermost TCP/UDP (dissect/encap.py decides where each inner
    packet starts, for the tree too): IP in IP, GRE (with ERSPAN and Ethernet bridging), MPLS, and
    UDP to VXLAN, Geneve, GTP-U and Teredo; the UDP datagrams passed on the way are in ``outer``."""
    return _walk(data, off, end, linktype, wire_end)[0]


def innermost_ip(data, off: int, cap_len: int, linktype: int, orig_len: int = 0) -> tuple[int, int, int, int] | None:
    """(ethertype, offset, end on the wire, ``Transport.tunnel`` flags) of a frame's innermost IP
    header, tunnels followed as ``parse_transport`` follows them (ICMP inside a tunnel), or None."""
    _t, etype, pos, ip_end, tunnel = _walk(data, off, off + cap_len, linktype,
                                           off + max(orig_len, cap_len) if orig_len else 0)
    return (etype, pos, ip_end, tunnel) if pos >= 0 else None


def _walk(data, off: int, end: int, linktype: int, wire_end: int):  # noqa: ANN202 - a plain tuple
    """The walk of ``parse_transport_general``: (its Transport or None, and the ethertype, offset
    and datagram end of the last IP header it read (-1 if none), and the tunnel flags)."""
    last_etype, last_pos, last_end = 0, -1, 0
    etype, pos = network_offset(data, off, end, linktype)
    outer: list[Transport] = []
    tunnel = 0
    for depth in range(_MAX_DEPTH + 1):
        if pos < 0:
            break
        if etype in _MPLS:
            tunnel = TUNNELLED
            kind, pos = encap.mpls(data, pos, end)
            etype = ETH_IPV4 if kind == encap.IPV4 else ETH_IPV6 if kind == encap.IPV6 else 0
            continue
        # The IP header (inline: the hot path of every frame the one-unpack path leaves here).
        if etype == ETH_IPV4:
            if pos + 20 > end:
                break
            vhl, _tos, total, ip_id, frag, ttl, proto, _sum, src, dst = _ipv4(data, pos)
            ihl = (vhl & 15) * 4
            if vhl >> 4 != 4 or ihl < 20 or frag & 0x1FFF:
                break  # not IPv4, or a non-first fragment carries no transport header
            if total == 0:  # TSO/GSO: the frame's own length (tshark's ip.tso_support)
                ip_end = wire_end or end
            elif total < ihl:
                break  # tshark: "Bogus IP length", nothing above IP
            else:
                ip_end = min(pos + total, wire_end) if wire_end else pos + total
            l4, fragment = pos + ihl, frag & 0x2000
        elif etype == ETH_IPV6:
            if pos + 40 > end:
                break
            plen = _u16(data, pos + 4)[0]
            if plen == 0:
                break  # tshark 4.0 dissects nothing above such IPv6 (Malformed Packet)
            proto, ttl, ip_id, fragment = data[pos + 6], data[pos + 7], -1, 0
            src, dst = bytes(data[pos + 8:pos + 24]), bytes(data[pos + 24:pos + 40])
            l4 = pos + 40
            ip_end = min(l4 + plen, wire_end) if wire_end else l4 + plen
            # Skip the common extension headers (hop-by-hop, routing, destination options).
            while proto in (0, 43, 60) and l4 + 2 <= end:
                proto, l4 = data[l4], l4 + (data[l4 + 1] + 1) * 8
        else:
            break
        last_etype, last_pos, last_end = etype, pos, ip_end
        if proto in _IP_TUNNELS:
            if depth == _MAX_DEPTH or fragment:
                break
            if proto != 47:  # IPv4 / IPv6 in IP
                tunnel, etype, pos, wire_end = TUNNELLED, ETH_IPV4 if proto == 4 else ETH_IPV6, l4, ip_end
                continue
            tunnel = TUNNELLED
            lim = min(end, ip_end)
            etype, pos = _inner_network(data, *encap.gre(data, l4, lim), lim)
            wire_end = ip_end
            continue
        version = 4 if ip_id >= 0 else 6
        if proto == 6:
            if l4 + 20 > end:
                break
            sport, dport, seq, ack, doff, flags, window, _sum, _urg = _tcp(data, l4)
            hl = (doff >> 4) * 4
            if hl < 20:
                break
            flags |= (doff & 0x0F) << 8  # AE and reserved bits
            return Transport(6, src, dst, sport, dport, ttl, ip_id, l4, l4 + hl, max(0, ip_end - l4 - hl), seq, ack,
                             flags, window, hl, pos, version, tunnel, tuple(outer) if outer else ()), \
                etype, pos, ip_end, tunnel
        if proto == 17:
            if l4 + 8 > end:
                break
            sport, dport, ulen, _sum = _udp(data, l4)
            t = Transport(17, src, dst, sport, dport, ttl, ip_id, l4, l4 + 8, max(0, ulen - 8), 0, 0, 0, 0, 0, pos,
                          version, tunnel, tuple(outer) if outer else ())
            port = encap.udp_tunnel_port(sport, dport) if (sport in _TUNNEL_PORTS or dport in _TUNNEL_PORTS) \
                and depth < _MAX_DEPTH and not fragment else 0
            if not port:
                return t, etype, pos, ip_end, tunnel
            udp_end = min(ip_end, l4 + ulen) if ulen >= 8 else ip_end
            lim = min(end, udp_end)
            kind, inner = encap.UDP_FOLLOW[port](data, l4 + 8, lim)
            if kind == encap.NONE:
                return t._replace(tunnel=tunnel | CARRIER), etype, pos, ip_end, tunnel | CARRIER
            outer.append(t)
            tunnel = TUNNELLED
            etype, pos = _inner_network(data, kind, inner, lim)
            wire_end = udp_end
            continue
        break
    if outer:  # a tunnel's UDP whose inner packet holds no TCP or UDP: the frame's transport is that UDP
        carrier = outer.pop()
        return carrier._replace(tunnel=TUNNELLED | CARRIER, outer=tuple(outer)), last_etype, last_pos, last_end, \
            TUNNELLED | CARRIER
    return None, last_etype, last_pos, last_end, tunnel


def _inner_network(data, kind: int, pos: int, end: int) -> tuple[int, int]:
    """(ethertype, offset) of what a tunnel header leads to (``encap`` kinds), or (0, -1)."""
    if kind == encap.IPV4:
        return ETH_IPV4, pos
    if kind == encap.IPV6:
        return ETH_IPV6, pos
    if kind == encap.ETHERNET:
        return network_offset(data, pos, end, LINKTYPE_ETHERNET)
    return 0, -1


# --- the same reading for many frames at once --------------------------------------------
#
# ``parse_transport_bulk`` answers what ``parse_transport`` answers, for every frame of a
# capture, with NumPy over the memory map: the layouts most frames have (Ethernet with up to two
# VLAN tags, Linux cooked, raw IP; IPv4 with any header length, IPv6 without extension headers;
# TCP, UDP) are read as whole columns, and every other frame is handed to ``parse_transport``
# itself, so the two cannot disagree (tests/unit/dissect/test_fast_bulk.py checks it on every
# test capture and on fuzzed frames).  Offsets are relative to the start of each frame.

class TransportColumns:
    """Transport facts per frame (index = frame number - 1), attribute names as ``Transport``:
    ``proto`` (0 where ``parse_transport`` gives None), ``sport``, ``dport``, ``ttl``,
    ``ip_id`` (-1 for IPv6), ``l4_off``, ``payload_off``, ``payload_len``, ``seq``, ``ack``,
    ``flags``, ``window``, ``tcp_hdr_len``, ``ip_off``, ``ip_version``, ``tunnel``; ``src4``/``dst4``
    (IPv4 addresses as integers) and ``src6``/``dst6`` (16-byte rows, zero for IPv4); ``outer``:
    {row: ``Transport.outer``} for the few frames inside UDP tunnels (offsets from the frame's start)."""

    NAMES = ("proto", "sport", "dport", "ttl", "ip_id", "l4_off", "payload_off", "payload_len", "seq", "ack",
             "flags", "window", "tcp_hdr_len", "ip_off", "ip_version", "src4", "dst4", "tunnel")
    DTYPES = ("u1", "u2", "u2", "u1", "i4", "i4", "i4", "i8", "u4", "u4", "u2", "u2", "u1", "i4", "u1", "u4", "u4",
              "u1")

    def __init__(self, n: int) -> None:
        import numpy as np

        for name, dt in zip(self.NAMES, self.DTYPES):
            setattr(self, name, np.zeros(n, dtype=dt))
        self.src6 = np.zeros((n, 16), dtype="u1")
        self.dst6 = np.zeros((n, 16), dtype="u1")
        self.outer: dict[int, tuple[Transport, ...]] = {}
        self.n = n

    def nbytes(self) -> int:
        return sum(getattr(self, k).nbytes for k in self.NAMES) + self.src6.nbytes + self.dst6.nbytes

    def put(self, i: int, t: Transport, frame_off: int) -> None:
        """Row ``i`` from a scalar ``Transport`` (whose offsets start at ``frame_off``)."""
        self.proto[i], self.sport[i], self.dport[i], self.ttl[i], self.ip_id[i] = t.proto, t.sport, t.dport, t.ttl, t.ip_id
        self.l4_off[i], self.payload_off[i], self.ip_off[i] = t.l4_off - frame_off, t.payload_off - frame_off, t.ip_off - frame_off
        self.payload_len[i], self.seq[i], self.ack[i], self.flags[i] = t.payload_len, t.seq, t.ack, t.flags
        self.window[i], self.tcp_hdr_len[i], self.ip_version[i] = t.window, t.tcp_hdr_len, t.ip_version
        self.tunnel[i] = t.tunnel
        if t.outer:
            self.outer[i] = tuple(u._replace(l4_off=u.l4_off - frame_off, payload_off=u.payload_off - frame_off,
                                             ip_off=u.ip_off - frame_off) for u in t.outer)
        if t.ip_version == 4:
            self.src4[i], self.dst4[i] = int.from_bytes(t.src, "big"), int.from_bytes(t.dst, "big")
        else:
            self.src6[i], self.dst6[i] = list(t.src), list(t.dst)


_BULK_CHUNK = 1 << 18


def parse_transport_bulk(data, offsets, cap_lens, linktypes, orig_lens=None) -> TransportColumns:
    """``parse_transport`` for every frame: ``offsets``/``cap_lens`` per frame, ``linktypes`` per
    frame (NumPy arrays or sequences), ``orig_lens`` (wire lengths) per frame or None as
    ``parse_transport``'s ``orig_len``.  ``data`` is the whole capture (mmap or bytes)."""
    import numpy as np

    offsets = np.asarray(offsets, dtype=np.int64)
    cap_lens = np.asarray(cap_lens, dtype=np.int64)
    linktypes = np.asarray(linktypes, dtype=np.int64)
    origs = None if orig_lens is None else np.asarray(orig_lens, dtype=np.int64)
    n = len(offsets)
    out = TransportColumns(n)
    if n == 0:
        return out
    buf = np.frombuffer(data, dtype=np.uint8)
    for lo in range(0, n, _BULK_CHUNK):
        hi = min(n, lo + _BULK_CHUNK)
        undecided = _bulk_chunk(buf, offsets[lo:hi], cap_lens[lo:hi], linktypes[lo:hi], out, lo,
                                None if origs is None else origs[lo:hi])
        for k in np.nonzero(undecided)[0].tolist():
            i = lo + k
            off = int(offsets[i])
            t = parse_transport(data, off, int(cap_lens[i]), int(linktypes[i]), 0 if origs is None else int(origs[i]))
            if t is not None:
                out.put(i, t, off)
    return out


def _bulk_chunk(buf, off, cap, lt, out: TransportColumns, lo: int, orig=None):  # noqa: ANN001 - NumPy arrays
    """Fill rows lo.. of ``out`` for the frames this reading decides; return the undecided mask."""
    import numpy as np

    n = len(off)
    last = len(buf) - 1
    end = off + cap
    wire_end = None if orig is None else np.where(orig > 0, off + np.maximum(orig, cap), 0)

    def u8(pos):
        return buf[np.minimum(pos, last)].astype(np.int64)

    def u16(pos):
        return u8(pos) << 8 | u8(pos + 1)

    def u32(pos):
        return u16(pos) << 16 | u16(pos + 2)

    undecided = np.zeros(n, dtype=bool)
    pos = np.full(n, -1, dtype=np.int64)  # the network header; -1: not IP (None), unless undecided
    etype = np.zeros(n, dtype=np.int64)
    eth = lt == LINKTYPE_ETHERNET
    ok = eth & (cap >= 14)
    etype[ok] = u16(off[ok] + 12)
    pos[ok] = off[ok] + 14
    for _tag in range(2):
        tagged = ok & np.isin(etype, VLAN_TYPES) & (pos + 4 <= end)
        etype[tagged] = u16(pos[tagged] + 2)
        pos[tagged] += 4
    undecided |= ok & np.isin(etype, VLAN_TYPES) & (pos + 4 <= end)  # a third tag: the scalar loop
    sll = (lt == LINKTYPE_LINUX_SLL) & (cap >= 16)
    etype[sll] = u16(off[sll] + 14)
    pos[sll] = off[sll] + 16
    sll2 = (lt == LINKTYPE_LINUX_SLL2) & (cap >= 20)
    etype[sll2] = u16(off[sll2])
    pos[sll2] = off[sll2] + 20
    raw = np.isin(lt, (LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6) + LINKTYPE_RAW_ALT) & (cap > 0)
    ver = u8(off[raw]) >> 4
    etype[raw] = np.where(ver == 4, ETH_IPV4, np.where(ver == 6, ETH_IPV6, 0))
    pos[raw] = off[raw]
    known_link = np.isin(lt, (LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_RAW,
                              LINKTYPE_IPV4, LINKTYPE_IPV6) + LINKTYPE_RAW_ALT)
    undecided |= ~known_link  # BSD loopback and the rest: the scalar reader
    undecided |= np.isin(etype, encap.MPLS_TYPES) & (pos >= 0)  # MPLS: the scalar walk follows it

    proto = np.zeros(n, dtype=np.int64)
    l4 = np.full(n, -1, dtype=np.int64)
    ip_end = np.zeros(n, dtype=np.int64)
    v4 = ~undecided & (etype == ETH_IPV4) & (pos >= 0) & (pos + 20 <= end)
    vhl = u8(pos[v4])
    ihl = (vhl & 15) * 4
    frag = u16(pos[v4] + 6)
    total = u16(pos[v4] + 2)
    # A total length shorter than the header (not 0, which is TSO): nothing above IP, as parse_transport.
    good4 = (vhl >> 4 == 4) & (ihl >= 20) & ((frag & 0x1FFF) == 0) & ((total == 0) | (total >= ihl))
    idx4 = np.nonzero(v4)[0][good4]
    p4 = pos[idx4]
    ihl4 = ihl[good4]
    total4 = total[good4]
    proto[idx4] = u8(p4 + 9)
    l4[idx4] = p4 + ihl4
    if wire_end is None:
        ip_end[idx4] = np.where(total4 == 0, end[idx4], p4 + total4)
    else:
        w4 = wire_end[idx4]
        claim = np.where(total4 == 0, np.where(w4 > 0, w4, end[idx4]), p4 + total4)
        ip_end[idx4] = np.where(w4 > 0, np.minimum(claim, w4), claim)
    out.ip_id[lo + idx4] = u16(p4 + 4)
    out.ttl[lo + idx4] = u8(p4 + 8)
    out.src4[lo + idx4] = u32(p4 + 12)
    out.dst4[lo + idx4] = u32(p4 + 16)
    out.ip_version[lo + idx4] = 4
    v6 = ~undecided & (etype == ETH_IPV6) & (pos >= 0) & (pos + 40 <= end)
    idx6 = np.nonzero(v6)[0]
    p6 = pos[idx6]
    nxt = u8(p6 + 6)
    plen6 = u16(p6 + 4)
    ext = np.isin(nxt, (0, 43, 60)) & (plen6 > 0)
    undecided[idx6[ext]] = True  # extension headers: the scalar walk
    keep = ~ext & (plen6 > 0)  # a payload length of 0: nothing above IPv6, as parse_transport
    idx6, p6, nxt, plen6 = idx6[keep], p6[keep], nxt[keep], plen6[keep]
    proto[idx6] = nxt
    l4[idx6] = p6 + 40
    ip_end[idx6] = p6 + 40 + plen6
    if wire_end is not None:
        w6 = wire_end[idx6]
        ip_end[idx6] = np.where(w6 > 0, np.minimum(ip_end[idx6], w6), ip_end[idx6])
    out.ip_id[lo + idx6] = -1
    out.ttl[lo + idx6] = u8(p6 + 7)
    out.ip_version[lo + idx6] = 6
    if len(idx6):
        cols = np.arange(16)
        out.src6[lo + idx6] = buf[np.minimum(p6[:, None] + 8 + cols, last)]
        out.dst6[lo + idx6] = buf[np.minimum(p6[:, None] + 24 + cols, last)]
    ip = np.zeros(n, dtype=bool)
    ip[idx4] = True
    ip[idx6] = True
    out.ip_off[lo:lo + n] = np.where(ip, pos - off, 0)
    undecided |= ip & np.isin(proto, encap.IP_TUNNEL_PROTOS)  # IP in IP, GRE: the scalar walk follows them
    ip &= ~undecided

    tcp = ip & (proto == 6) & (l4 + 20 <= end)
    ti = np.nonzero(tcp)[0]
    tl4 = l4[ti]
    doff = u8(tl4 + 12)
    hl = (doff >> 4) * 4
    good = hl >= 20
    ti, tl4, doff, hl = ti[good], tl4[good], doff[good], hl[good]
    r = lo + ti
    out.proto[r] = 6
    out.sport[r] = u16(tl4)
    out.dport[r] = u16(tl4 + 2)
    out.seq[r] = u32(tl4 + 4)
    out.ack[r] = u32(tl4 + 8)
    out.flags[r] = u8(tl4 + 13) | (doff & 0x0F) << 8
    out.window[r] = u16(tl4 + 14)
    out.tcp_hdr_len[r] = hl
    out.l4_off[r] = tl4 - off[ti]
    out.payload_off[r] = tl4 + hl - off[ti]
    out.payload_len[r] = np.maximum(0, ip_end[ti] - tl4 - hl)
    udp = ip & (proto == 17) & (l4 + 8 <= end)
    ui = np.nonzero(udp)[0]
    ul4 = l4[ui]
    r = lo + ui
    out.proto[r] = 17
    out.sport[r] = u16(ul4)
    out.dport[r] = u16(ul4 + 2)
    out.l4_off[r] = ul4 - off[ui]
    out.payload_off[r] = ul4 + 8 - off[ui]
    out.payload_len[r] = np.maximum(0, u16(ul4 + 4) - 8)
    # UDP to a tunnel's port (VXLAN, Geneve, GTP-U, Teredo): the scalar walk follows it.
    undecided[ui[np.isin(out.sport[r], encap.UDP_PORTS) | np.isin(out.dport[r], encap.UDP_PORTS)]] = True
    # A frame that is not TCP or UDP keeps proto 0 and the IP facts read above; clear them so
    # that a row with proto 0 is all zeros, as ``parse_transport``'s None is (and the rows left to
    # the scalar reader, which writes its own answers).
    none = undecided | (out.proto[lo:lo + n] == 0)
    if none.any():
        rows = lo + np.nonzero(none)[0]
        for name in TransportColumns.NAMES:
            getattr(out, name)[rows] = 0
        out.src6[rows] = 0
        out.dst6[rows] = 0
    return undecided
