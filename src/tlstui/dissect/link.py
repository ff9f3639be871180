"""Link layers: Ethernet (802.1Q/QinQ), Linux cooked SLL and SLL2, Cisco HDLC, BSD null/loopback, raw IP."""
from __future__ import annotations

import struct

from ..field import Field
from ..registry import Base, FieldType as T, register
from . import fast
from .tree import make

ETHERTYPES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x0806: "ARP", 0x8100: "802.1Q Virtual LAN",
              0x88A8: "802.1ad Provider Bridge (Q-in-Q)", 0x9100: "QinQ (old)", 0x8847: "MPLS label switched packet",
              0x8848: "MPLS multicast label switched packet", 0x6558: "Transparent Ethernet bridging"}

register("eth", T.PROTOCOL, "Ethernet")
register("eth.dst", T.ETHER, "Destination")
register("eth.src", T.ETHER, "Source")
register("eth.addr", T.ETHER, "Address")
register("eth.type", T.UINT, "Type", Base.HEX, 16, ETHERTYPES)
register("eth.padding", T.BYTES, "Padding")
register("eth.trailer", T.BYTES, "Trailer")
register("eth.ig", T.BOOLEAN, "IG bit")
register("eth.lg", T.BOOLEAN, "LG bit")
register("vlan", T.PROTOCOL, "802.1Q Virtual LAN")
register("vlan.priority", T.UINT, "Priority", bits=16)
register("vlan.dei", T.UINT, "DEI", bits=16)
register("vlan.id", T.UINT, "ID", bits=16)
register("vlan.etype", T.UINT, "Type", Base.HEX, 16, ETHERTYPES)
register("sll", T.PROTOCOL, "Linux cooked capture")
register("sll.pkttype", T.UINT, "Packet type", bits=16,
         value_names={0: "Unicast to us", 1: "Broadcast", 2: "Multicast", 3: "Unicast to another host",
                      4: "Sent by us"})
register("sll.hatype", T.UINT, "Link-layer address type", bits=16)
register("sll.halen", T.UINT, "Link-layer address length", bits=16)
register("sll.src.eth", T.ETHER, "Source")
register("sll.src.unknown", T.BYTES, "Source")
register("sll.etype", T.UINT, "Protocol", Base.HEX, 16, ETHERTYPES)
register("sll.ifindex", T.UINT, "Interface index")
register("sll.unused", T.BYTES, "Unused")
register("chdlc", T.PROTOCOL, "Cisco HDLC")
register("chdlc.address", T.UINT, "Address", Base.HEX, 8, {0x0F: "Unicast", 0x8F: "Multicast"})
register("chdlc.control", T.UINT, "Control", Base.HEX, 8)
register("chdlc.protocol", T.UINT, "Protocol", Base.HEX, 16,
         {0x0800: "IP", 0x86DD: "IPv6", 0x8847: "MPLS unicast", 0x8848: "MPLS multicast", 0x8035: "SLARP"})
register("null", T.PROTOCOL, "Null/Loopback")
register("null.family", T.UINT, "Family", value_names={2: "IP", 24: "IPv6", 28: "IPv6", 30: "IPv6"})

_SLL_PKTTYPE = {0: "Unicast to us", 1: "Broadcast", 2: "Multicast", 3: "Unicast to another host",
                4: "Sent by us"}


def mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def _addresses(eth: Field, dst: bytes, src: bytes, off: int) -> Field:
    """The destination and source of an Ethernet II or 802.3 header, each also as the hidden eth.addr."""
    eth.add(make("eth.dst", dst, off, 6))
    eth.add(make("eth.addr", dst, off, 6, hidden=True))
    eth.add(make("eth.src", src, off + 6, 6))
    eth.add(make("eth.addr", src, off + 6, 6, hidden=True))
    return eth


def dissect_ethernet(data: bytes, off: int, layers: list[Field], protos: list[str],
                     end: int | None = None) -> tuple[int, int]:
    """An Ethernet II header (and its 802.1Q/QinQ tags) at ``off``: the frame's own, or one a
    tunnel carries (VXLAN, GRE bridging, ERSPAN), which ends at ``end`` (default: the frame's
    end).  Returns (ethertype, offset of what follows)."""
    n = len(data) if end is None else min(end, len(data))
    if off + 14 > n:
        layers.append(make("eth", None, off, n - off, "Ethernet II [cut short]"))
        return 0, -1
    dst, src = data[off:off + 6], data[off + 6:off + 12]
    etype = struct.unpack_from(">H", data, off + 12)[0]
    if 0 < etype <= IEEE_802_3_MAX_LENGTH:  # type 0 stays Ethernet II (packet-eth.c's ETHERTYPE_UNK)
        return _ieee_802_3(data, off, n, etype, dst, src, layers, protos)
    eth = _addresses(make("eth", None, off, 14, f"Ethernet II, Src: {mac(src)}, Dst: {mac(dst)}"), dst, src, off)
    eth.add(make("eth.type", etype, off + 12, 2, f"Type: {ETHERTYPES.get(etype, 'Unknown')} (0x{etype:04x})"))
    layers.append(eth)
    protos += ["eth", "ethertype"]
    pos = off + 14
    while etype in fast.VLAN_TYPES:
        if pos + 4 > n:
            layers.append(make("vlan", None, pos, n - pos, "802.1Q Virtual LAN [cut short]"))
            return 0, -1
        tci, inner = struct.unpack_from(">HH", data, pos)
        v = make("vlan", None, pos, 4, f"802.1Q Virtual LAN, PRI: {tci >> 13}, DEI: {(tci >> 12) & 1}, "
                                     f"ID: {tci & 0xFFF}")
        v.add(make("vlan.priority", tci >> 13, pos, 2))
        v.add(make("vlan.dei", (tci >> 12) & 1, pos, 2))
        v.add(make("vlan.id", tci & 0xFFF, pos, 2))
        v.add(make("vlan.etype", inner, pos + 2, 2,
                   f"Type: {ETHERTYPES.get(inner, 'Unknown')} (0x{inner:04x})"))
        layers.append(v)
        protos += ["vlan", "ethertype"]
        etype, pos = inner, pos + 4
    return etype, pos


IEEE_802_3_MAX_LENGTH = 1500
IEEE_802_3 = -1  # dissect_ethernet's "ethertype" of an IEEE 802.3 frame: Logical-Link Control follows (dissect/llc.py)


def _ieee_802_3(data: bytes, off: int, n: int, length: int, dst: bytes, src: bytes, layers: list[Field],
                protos: list[str]) -> tuple[int, int]:
    """An IEEE 802.3 header: a length where Ethernet II has its type; what is past the length is padding."""
    eth = _addresses(make("eth", None, off, 14, "IEEE 802.3 Ethernet "), dst, src, off)
    eth.add(make("eth.len", length, off + 12, 2))
    pad = off + 14 + length
    if pad < n:
        eth.add(make("eth.padding", bytes(data[pad:n]), pad, n - pad))
    layers.append(eth)
    protos.append("eth")
    return IEEE_802_3, off + 14


def dissect_link(data: bytes, linktype: int, layers: list[Field], protos: list[str]) -> tuple[int, int]:
    """Add the link-layer Fields; returns (ethertype, offset of the network layer) or (0, -1)."""
    n = len(data)
    if linktype == fast.LINKTYPE_ETHERNET:
        return dissect_ethernet(data, 0, layers, protos)
    if linktype == fast.LINKTYPE_LINUX_SLL:
        if n < 16:
            layers.append(make("sll", None, 0, n, "Linux cooked capture v1 [cut short]"))
            return 0, -1
        pkttype, hatype, halen = struct.unpack_from(">HHH", data, 0)
        addr = data[6:6 + min(halen, 8)]
        etype = struct.unpack_from(">H", data, 14)[0]
        s = make("sll", None, 0, 16, "Linux cooked capture v1")
        s.add(make("sll.pkttype", pkttype, 0, 2,
                   f"Packet type: {_SLL_PKTTYPE.get(pkttype, 'Unknown')} ({pkttype})"))
        s.add(make("sll.hatype", hatype, 2, 2))
        s.add(make("sll.halen", halen, 4, 2))
        if halen == 6:
            s.add(make("sll.src.eth", bytes(addr), 6, 6))
        else:
            s.add(make("sll.src.unknown", bytes(addr), 6, 8))
        s.add(make("sll.etype", etype, 14, 2, f"Protocol: {ETHERTYPES.get(etype, 'Unknown')} (0x{etype:04x})"))
        layers.append(s)
        protos += ["sll", "ethertype"]
        return etype, 16
    if linktype == fast.LINKTYPE_LINUX_SLL2:
        if n < 20:
            layers.append(make("sll", None, 0, n, "Linux cooked capture v2 [cut short]"))
            return 0, -1
        etype, _res, ifindex, hatype, pkttype, halen = struct.unpack_from(">HHIHBB", data, 0)
        addr = data[12:12 + min(halen, 8)]
        s = make("sll", None, 0, 20, "Linux cooked capture v2")
        s.add(make("sll.etype", etype, 0, 2, f"Protocol: {ETHERTYPES.get(etype, 'Unknown')} (0x{etype:04x})"))
        s.add(make("sll.ifindex", ifindex, 4, 4))
        s.add(make("sll.hatype", hatype, 8, 2))
        s.add(make("sll.pkttype", pkttype, 10, 1,
                   f"Packet type: {_SLL_PKTTYPE.get(pkttype, 'Unknown')} ({pkttype})"))
        s.add(make("sll.halen", halen, 11, 1))
        if halen == 6:
            s.add(make("sll.src.eth", bytes(addr), 12, 6))
        else:
            s.add(make("sll.src.unknown", bytes(addr), 12, 8))
        layers.append(s)
        protos += ["sll", "ethertype"]
        return etype, 20
    if linktype == fast.LINKTYPE_CHDLC:
        if n < 4:
            layers.append(make("chdlc", None, 0, n, "Cisco HDLC [cut short]"))
            return 0, -1
        addr, control, etype = struct.unpack_from(">BBH", data, 0)
        c = make("chdlc", None, 0, 4, "Cisco HDLC")
        c.add(make("chdlc.address", addr, 0, 1))
        c.add(make("chdlc.control", control, 1, 1))
        c.add(make("chdlc.protocol", etype, 2, 2))
        layers.append(c)
        protos.append("chdlc")
        return etype, 4
    if linktype in (fast.LINKTYPE_NULL, fast.LINKTYPE_LOOP):
        etype, pos = fast.network_offset(data, 0, n, linktype)
        if n >= 4:
            raw = data[:4]
            fam = int.from_bytes(raw, "big") if linktype == fast.LINKTYPE_LOOP or raw[2:] != b"\0\0" \
                else int.from_bytes(raw, "little")
            nl = make("null", None, 0, 4, "Null/Loopback")
            nl.add(make("null.family", fam, 0, 4,
                        f"Family: {'IP' if fam == 2 else 'IPv6' if fam in fast.BSD_AF_INET6 else 'Unknown'} ({fam})"))
            layers.append(nl)
            protos.append("null")
        return etype, pos
    etype, pos = fast.network_offset(data, 0, n, linktype)
    if pos >= 0:
        protos.append("raw")
    return etype, pos
