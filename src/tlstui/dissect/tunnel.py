"""Tunnel headers as tshark 4.0 shows them: VXLAN, Geneve, GTP-U, Teredo (over UDP), GRE with ERSPAN
types I, II and III and transparent Ethernet bridging, MPLS.  Every field with its byte range.

Each ``dissect_*`` adds its layer and returns a ``Next``: what follows (``encap.ETHERNET``, ``IPV4``,
``IPV6`` or ``NONE``), where, and the Protocol/Info columns the frame shows if nothing inside
overrides them.  Where the inner packet starts is decided by ``encap`` (the same functions the
analysis pass follows), so the tree and the pass cannot disagree.
"""
from __future__ import annotations

import struct
from typing import NamedTuple

from ..field import Field
from ..registry import Base, FieldType as T, register
from . import encap
from .encap import NONE
from .tree import make, text

_ETYPE_NAMES = {0x0800: "IPv4", 0x86DD: "IPv6", 0x6558: "Transparent Ethernet bridging", 0x88BE: "ERSPAN",
                0x22EB: "ERSPAN III", 0x8847: "MPLS label switched packet",
                0x8848: "MPLS multicast label switched packet",
                0x0806: "ARP", 0x880B: "PPP"}
_GRE_NAMES = {**_ETYPE_NAMES, 0x0800: "IP", 0x86DD: "IPv6", 0x8847: "MPLS label switched packet"}

register("vxlan", T.PROTOCOL, "Virtual eXtensible Local Area Network")
register("vxlan.flags", T.UINT, "Flags", Base.HEX, 16)
register("vxlan.flags_reserved", T.UINT, "Reserved(R)", Base.HEX, 16)
register("vxlan.flag_g", T.BOOLEAN, "GBP Extension")
register("vxlan.flag_i", T.BOOLEAN, "VXLAN Network ID (VNI)")
register("vxlan.flag_d", T.BOOLEAN, "Don't Learn")
register("vxlan.flag_a", T.BOOLEAN, "Policy Applied")
register("vxlan.gbp", T.UINT, "Group Policy ID", bits=16)
register("vxlan.vni", T.UINT, "VXLAN Network Identifier (VNI)", bits=24)
register("vxlan.reserved8", T.UINT, "Reserved", bits=8)

register("geneve", T.PROTOCOL, "Generic Network Virtualization Encapsulation")
register("geneve.version", T.UINT, "Version", bits=8)
register("geneve.flags", T.UINT, "Flags", Base.HEX, 8)
register("geneve.flags.oam", T.BOOLEAN, "Operations, Administration and Management Frame")
register("geneve.flags.critical", T.BOOLEAN, "Critical Options Present")
register("geneve.flags.reserved", T.BOOLEAN, "Reserved")
register("geneve.proto_type", T.UINT, "Protocol Type", Base.HEX, 16, _ETYPE_NAMES)
register("geneve.vni", T.UINT, "Virtual Network Identifier (VNI)", Base.HEX, 24)
register("geneve.reserved", T.UINT, "Reserved", Base.HEX, 8)
register("geneve.options", T.BYTES, "Geneve Options")
register("geneve.option", T.BYTES, "Option")
register("geneve.option.class", T.UINT, "Class", Base.HEX, 16)
register("geneve.option.type", T.UINT, "Type", Base.HEX, 8)
register("geneve.option.type.critical", T.BOOLEAN, "Critical Option")
register("geneve.option.flags", T.UINT, "Flags", Base.HEX, 8)
register("geneve.option.flags.reserved", T.BOOLEAN, "Reserved")
register("geneve.option.length", T.UINT, "Length", bits=8)
register("geneve.option.unknown.data", T.BYTES, "Unknown Option Data")

_GTP_MESSAGES = {1: "Echo request", 2: "Echo response", 26: "Error indication", 31: "Supported extension headers "
                 "notification", 254: "End marker", 255: "T-PDU"}
_GTP_EXT = {0: "No more extension headers", 0x01: "MBMS support indication", 0x02: "MS Info Change Reporting "
            "support indication", 0x20: "Service Class Indicator", 0x40: "UDP Port", 0x81: "RAN Container",
            0x82: "Long PDCP PDU Number", 0x83: "Xw RAN Container", 0x84: "NR RAN Container",
            0x85: "PDU Session container", 0xC0: "PDCP PDU Number"}
register("gtp", T.PROTOCOL, "GPRS Tunneling Protocol")
register("gtp.flags", T.UINT, "Flags", Base.HEX, 8)
register("gtp.flags.version", T.UINT, "Version", bits=8, value_names={0: "GTP release 97/98 version",
                                                                      1: "GTP release 99 version"})
register("gtp.flags.payload", T.UINT, "Protocol type", bits=8, value_names={0: "GTP'", 1: "GTP"})
register("gtp.flags.reserved", T.UINT, "Reserved", bits=8)
register("gtp.flags.e", T.BOOLEAN, "Is Next Extension Header present?")
register("gtp.flags.s", T.BOOLEAN, "Is Sequence Number present?")
register("gtp.flags.pn", T.BOOLEAN, "Is N-PDU number present?")
register("gtp.message", T.UINT, "Message Type", Base.HEX, 8, _GTP_MESSAGES)
register("gtp.length", T.UINT, "Length", bits=16)
register("gtp.teid", T.UINT, "TEID", Base.HEX, 32)
register("gtp.seq_number", T.UINT, "Sequence number", Base.HEX, 16)
register("gtp.npdu_number", T.UINT, "N-PDU Number", Base.HEX, 8)
register("gtp.ext_hdr", T.NONE, "Extension header")
register("gtp.ext_hdr.next", T.UINT, "Next extension header type", Base.HEX, 8, _GTP_EXT)
register("gtp.ext_hdr.length", T.UINT, "Extension Header Length", bits=8)
register("gtp.ext_hdr.pdu_ses_con.pdu_type", T.UINT, "PDU Type", bits=8,
         value_names={0: "DL PDU SESSION INFORMATION", 1: "UL PDU SESSION INFORMATION"})
register("gtp.ext_hdr.pdu_ses_cont.ppp", T.BOOLEAN, "Paging Policy Presence (PPP)")
register("gtp.ext_hdr.pdu_ses_cont.rqi", T.BOOLEAN, "Reflective QoS Indicator (RQI)")
register("gtp.ext_hdr.pdu_ses_con.qos_flow_id", T.UINT, "QoS Flow Identifier (QFI)", bits=8)
register("gtp.recovery", T.UINT, "Recovery", bits=8)
register("gtp.spare.h1", T.UINT, "Spare", Base.HEX, 8)
register("gtp.spare.b7b6", T.UINT, "Spare", Base.HEX, 8)

register("teredo", T.PROTOCOL, "Teredo IPv6 over UDP tunneling")
register("teredo.auth", T.NONE, "Teredo Authentication header")
register("teredo.auth.idlen", T.UINT, "Client identifier length", bits=8)
register("teredo.auth.aulen", T.UINT, "Authentication value length", bits=8)
register("teredo.auth.id", T.BYTES, "Client identifier")
register("teredo.auth.value", T.BYTES, "Authentication value")
register("teredo.auth.nonce", T.BYTES, "Nonce value")
register("teredo.auth.conf", T.BYTES, "Confirmation byte")
register("teredo.orig", T.NONE, "Teredo Origin Indication header")
register("teredo.orig.port", T.UINT, "Origin UDP port", bits=16)
register("teredo.orig.addr", T.IPV4, "Origin IPv4 address")

register("gre", T.PROTOCOL, "Generic Routing Encapsulation")
register("gre.flags_and_version", T.UINT, "Flags and Version", Base.HEX, 16)
register("gre.flags.checksum", T.BOOLEAN, "Checksum Bit")
register("gre.flags.routing", T.BOOLEAN, "Routing Bit")
register("gre.flags.key", T.BOOLEAN, "Key Bit")
register("gre.flags.sequence_number", T.BOOLEAN, "Sequence Number Bit")
register("gre.flags.strict_source_route", T.BOOLEAN, "Strict Source Route Bit")
register("gre.flags.recursion_control", T.UINT, "Recursion control", bits=16)
register("gre.flags.ack", T.BOOLEAN, "Acknowledgment")
register("gre.flags.reserved", T.UINT, "Flags (Reserved)", bits=16)
register("gre.flags.version", T.UINT, "Version", bits=16, value_names={0: "GRE", 1: "Enhanced GRE"})
register("gre.proto", T.UINT, "Protocol Type", Base.HEX, 16, _GRE_NAMES)
register("gre.checksum", T.UINT, "Checksum", Base.HEX, 16)
register("gre.checksum.status", T.UINT, "Checksum Status", bits=8, value_names={0: "Bad", 1: "Good", 2: "Unverified"})
register("gre.offset", T.UINT, "Offset", bits=16)
register("gre.key", T.UINT, "Key", Base.HEX, 32)
register("gre.key.payload_length", T.UINT, "Payload Length", bits=16)
register("gre.key.call_id", T.UINT, "Call ID", bits=16)
register("gre.sequence_number", T.UINT, "Sequence Number")
register("gre.ack_number", T.UINT, "Acknowledgment Number")

_ERSPAN_ENCAP = {0: "Originally without VLAN tag", 1: "ISL encapsulated", 2: "802.1Q encapsulated",
                 3: "VLAN tag preserved in frame"}
_ERSPAN_BSO = {0: "Good or unknown integrity", 1: "Short frame", 2: "Oversized frame", 3: "CRC or alignment error"}
_ERSPAN_GRA = {0: "100 microseconds", 1: "100 nanoseconds", 2: "IEEE 1588", 3: "Custom granularity"}
register("erspan", T.PROTOCOL, "Encapsulated Remote Switch Packet ANalysis")
register("erspan.version", T.UINT, "Version", bits=16, value_names={1: "Type II", 2: "Type III"})
register("erspan.vlan", T.UINT, "Vlan", bits=16)
register("erspan.cos", T.UINT, "COS", bits=16)
register("erspan.encap", T.UINT, "Encap", bits=16, value_names=_ERSPAN_ENCAP)
register("erspan.bso", T.UINT, "Bad/Short/Oversized", bits=16, value_names=_ERSPAN_BSO)
register("erspan.truncated", T.UINT, "Truncated", bits=16, value_names={0: "Not truncated", 1: "Truncated"})
register("erspan.spanid", T.UINT, "SpanID", bits=16)
register("erspan.reserved", T.UINT, "Reserved")
register("erspan.index", T.UINT, "Index")
register("erspan.timestamp", T.UINT, "Timestamp")
register("erspan.sgt", T.UINT, "Security Group Tag", bits=16)
register("erspan.p", T.UINT, "Has Ethernet PDU", bits=16)
register("erspan.ft", T.UINT, "Frame Type", bits=16, value_names={0: "Ethernet", 2: "IP"})
register("erspan.hw", T.UINT, "Hardware ID", bits=16)
register("erspan.direction", T.BOOLEAN, "Direction")
register("erspan.gra", T.UINT, "Timestamp granularity", bits=16, value_names=_ERSPAN_GRA)
register("erspan.o", T.UINT, "Optional Sub headers", bits=16)
register("erspan.platid", T.UINT, "Platform ID")
# The platform sub-header's fields: (name, description, mask of the first word or None for the second word)
_PLATFORM_FIELDS = {
    1: (("erspan.pid1.rsvd1", "Reserved", 0x03FFF000), ("erspan.pid1.vsmid", "VSM Domain ID", 0x00000FFF),
        ("erspan.pid1.port_index", "Port ID/Index", None)),
    3: (("erspan.pid3.rsvd1", "Reserved", 0x03FFC000), ("erspan.pid3.port_index", "Port ID/Index", 0x00003FFF),
        ("erspan.pid3.timestamp", "Upper 32-bit Timestamp", None)),
    4: (("erspan.pid4.rsvd1", "Reserved", 0x03FFC000), ("erspan.pid4.rsvd2", "Reserved", 0x00003FFF),
        ("erspan.pid4.rsvd3", "Reserved", None)),
    5: (("erspan.pid5.switchid", "Switch ID", 0x03FF0000), ("erspan.pid5.port_index", "Port ID/Index", 0x0000FFFF),
        ("erspan.pid5.timestamp", "Timestamp (seconds)", None)),
    7: (("erspan.pid7.rsvd1", "Reserved", 0x03F00000), ("erspan.pid7.source_index", "Source Index", 0x000FFFFF),
        ("erspan.pid7.timestamp", "Upper 32-bit Timestamp", None)),
}
_PLATFORM_FIELDS[6] = _PLATFORM_FIELDS[5]
_PLATFORM_FIELDS[0] = _PLATFORM_FIELDS[7]  # some implementations use 0 for 7 (as tshark reads it)
for _fields in _PLATFORM_FIELDS.values():
    for _name, _desc, _mask in _fields:
        register(_name, T.UINT, _desc)
register("erspan.pid.rsvd", T.UINT, "Reserved")

_MPLS_LABELS = {0: "IPv4 Explicit-Null", 1: "Router Alert", 2: "IPv6 Explicit-Null", 3: "Implicit-Null",
                7: "Entropy Label Indicator", 13: "Generic Associated Channel Label (GAL)", 14: "OAM Alert",
                15: "Extension"}
register("mpls", T.PROTOCOL, "MultiProtocol Label Switching Header")
register("mpls.label", T.UINT, "MPLS Label", value_names=_MPLS_LABELS)
register("mpls.exp", T.UINT, "MPLS Experimental Bits")
register("mpls.bottom", T.UINT, "MPLS Bottom Of Label Stack")
register("mpls.ttl", T.UINT, "MPLS TTL")

register("esp", T.PROTOCOL, "Encapsulating Security Payload")
register("esp.spi", T.UINT, "ESP SPI", Base.HEX, 32)
register("esp.sequence", T.UINT, "ESP Sequence")

# Protocols of this module (for the session's lower-layer fields and the column candidates).
PROTOCOLS = frozenset({"vxlan", "geneve", "gtp", "teredo", "gre", "erspan", "mpls", "esp"})


class Next(NamedTuple):
    """What a tunnel layer leads to, and the columns it leaves if nothing inside sets them."""

    kind: int
    pos: int
    protocol: str
    info: str


def _bits(raw: int, width: int, mask: int, shown: str) -> str:
    """tshark's bit-field label: the header word with only ``mask``'s bits written."""
    out = []
    for i in range(width - 1, -1, -1):
        out.append(str(raw >> i & 1) if mask >> i & 1 else ".")
        if i % 4 == 0 and i:
            out.append(" ")
    return f"{''.join(out)} = {shown}"


def _flag(name: str, title: str, raw: int, width: int, mask: int, pos: int, size: int, yes: str = "True",
          no: str = "False", hidden: bool = False) -> Field:
    v = 1 if raw & mask else 0
    return make(name, v, pos, size, _bits(raw, width, mask, f"{title}: {yes if v else no}"), hidden=hidden)


def _uint(name: str, title: str, raw: int, width: int, mask: int, pos: int, size: int, names=None) -> Field:
    shift = (mask & -mask).bit_length() - 1
    v = (raw & mask) >> shift
    shown = f"{names[v]} ({v})" if names and v in names else str(v)
    return make(name, v, pos, size, _bits(raw, width, mask, f"{title}: {shown}"))


def _malformed(layer: Field, pos: int, name: str) -> None:
    """tshark's two items for a header cut short: the expert text, and the hidden protocol item."""
    layer.add(make("_ws.malformed", None, pos, 0, f"[Malformed Packet: {name}]"))
    layer.add(make("_ws.malformed", None, pos, 0, hidden=True))


# --- UDP tunnels -------------------------------------------------------------------------------
def dissect_vxlan(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> Next:
    v = make("vxlan", None, pos, min(8, end - pos), "Virtual eXtensible Local Area Network")
    layers.append(v)
    protos.append("vxlan")
    if pos + 2 > end:
        _malformed(v, pos, "VXLAN")
        return Next(NONE, -1, "VxLAN", "[Malformed Packet]")
    flags = struct.unpack_from(">H", data, pos)[0]
    f = v.add(make("vxlan.flags", flags, pos, 2,
                   f"Flags: 0x{flags:04x}" + (", VXLAN Network ID (VNI)" if flags & 0x0800 else "")))
    f.add(_flag("vxlan.flag_g", "GBP Extension", flags, 16, 0x8000, pos, 2, "Defined", "Not defined"))
    f.add(_flag("vxlan.flag_i", "VXLAN Network ID (VNI)", flags, 16, 0x0800, pos, 2))
    f.add(_flag("vxlan.flag_d", "Don't Learn", flags, 16, 0x0040, pos, 2))
    f.add(_flag("vxlan.flag_a", "Policy Applied", flags, 16, 0x0008, pos, 2))
    f.add(make("vxlan.flags_reserved", flags & 0x77B7, pos, 2,
               _bits(flags, 16, 0x77B7, f"Reserved(R): 0x{flags & 0x77B7:04x}")))
    if pos + 4 > end:
        _malformed(v, pos, "VXLAN")
        return Next(NONE, -1, "VxLAN", "[Malformed Packet]")
    v.add(make("vxlan.gbp", struct.unpack_from(">H", data, pos + 2)[0], pos + 2, 2))
    if pos + 8 > end:
        _malformed(v, pos, "VXLAN")
        return Next(NONE, -1, "VxLAN", "[Malformed Packet]")
    v.add(make("vxlan.vni", int.from_bytes(data[pos + 4:pos + 7], "big"), pos + 4, 3))
    v.add(make("vxlan.reserved8", data[pos + 7], pos + 7, 1))
    kind, inner = encap.vxlan(data, pos, end)
    return Next(kind, inner, "VxLAN", "")


def dissect_geneve(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> Next:
    g = make("geneve", None, pos, min(8, end - pos), "Generic Network Virtualization Encapsulation")
    layers.append(g)
    protos.append("geneve")
    if pos + 8 > end:
        _malformed(g, pos, "Geneve")
        return Next(NONE, -1, "Geneve", "[Malformed Packet]")
    b0, flags, proto = data[pos], data[pos + 1], struct.unpack_from(">H", data, pos + 2)[0]
    vni = int.from_bytes(data[pos + 4:pos + 7], "big")
    optlen = (b0 & 0x3F) * 4
    g.length = min(8 + optlen, end - pos)
    g.label = f"Generic Network Virtualization Encapsulation, VNI: 0x{vni:06x}" + (", OAM" if flags & 0x80 else "")
    g.add(make("geneve.version", b0 >> 6, pos, 1))
    if b0 >> 6 != 0:
        return Next(NONE, -1, "Geneve", "")
    g.add(make("geneve.option.length", optlen, pos, 1, f"Length: {optlen} bytes"))
    names = [n for bit, n in ((0x80, "Operations, Administration and Management Frame"),
                              (0x40, "Critical Options Present")) if flags & bit]
    f = g.add(make("geneve.flags", flags, pos + 1, 1, f"Flags: 0x{flags:02x}" + "".join(", " + n for n in names)))
    f.add(_flag("geneve.flags.oam", "Operations, Administration and Management Frame", flags, 8, 0x80, pos + 1, 1))
    f.add(_flag("geneve.flags.critical", "Critical Options Present", flags, 8, 0x40, pos + 1, 1))
    f.add(_flag("geneve.flags.reserved", "Reserved", flags, 8, 0x3F, pos + 1, 1))
    g.add(make("geneve.proto_type", proto, pos + 2, 2,
               f"Protocol Type: {_ETYPE_NAMES.get(proto, 'Unknown')} (0x{proto:04x})"))
    g.add(make("geneve.vni", vni, pos + 4, 3, f"Virtual Network Identifier (VNI): 0x{vni:06x} ({vni})"))
    g.add(make("geneve.reserved", data[pos + 7], pos + 7, 1, hidden=True))
    if optlen:
        stop = min(pos + 8 + optlen, end)
        opts = g.add(make("geneve.options", bytes(data[pos + 8:stop]), pos + 8, stop - pos - 8,
                          f"Options: ({optlen} bytes)"))
        o = pos + 8
        while o + 4 <= stop:
            cls, typ, fl = struct.unpack_from(">HBB", data, o)
            olen = 4 + (fl & 0x1F) * 4
            size = min(olen, stop - o)
            opt = opts.add(make("geneve.option", bytes(data[o:o + size]), o, size,
                                f"Unknown, Class: 0x{cls:04x} Type: 0x{typ:02x} "
                                f"({'Critical' if typ & 0x80 else 'Non-critical'})"))
            opt.add(make("geneve.option.class", cls, o, 2))
            opt.add(make("geneve.option.type", typ, o + 2, 1,
                         f"Type: 0x{typ:02x} ({'Critical' if typ & 0x80 else 'Non-critical'})"))
            opt.add(_flag("geneve.option.type.critical", "Critical Option", typ, 8, 0x80, o + 2, 1, hidden=True))
            of = opt.add(make("geneve.option.flags", fl & 0xE0, o + 3, 1, hidden=True))
            of.add(_flag("geneve.option.flags.reserved", "Reserved", fl, 8, 0xE0, o + 3, 1))
            opt.add(make("geneve.option.length", olen, o + 3, 1, f"Length: {olen} bytes"))
            if olen > 4 and o + 4 < stop:
                opt.add(make("geneve.option.unknown.data", bytes(data[o + 4:o + size]), o + 4, size - 4))
            if o + olen > stop:  # tshark flags it and still decodes what the header carries
                _malformed(opt, o, "Geneve")
                break
            o += olen
    kind, inner = encap.geneve(data, pos, end)
    info = "" if kind != NONE else f"Encapsulated {_ETYPE_NAMES.get(proto, f'0x{proto:04x} (unknown)')}"
    if kind == NONE and proto not in _ETYPE_NAMES:
        data_layer(data, pos + 8 + optlen, end, layers, protos)
    return Next(kind, inner, "Geneve", info)


def dissect_gtpu(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> Next:
    g = make("gtp", None, pos, min(8, end - pos), "GPRS Tunneling Protocol")
    layers.append(g)
    protos.append("gtp")
    if pos + 8 > end:
        _malformed(g, pos, "GTP")
        return Next(NONE, -1, "GTP", "[Malformed Packet]")
    flags, msg, length, teid = struct.unpack_from(">BBHI", data, pos)
    f = g.add(make("gtp.flags", flags, pos, 1))
    f.add(_uint("gtp.flags.version", "Version", flags, 8, 0xE0, pos, 1,
                {0: "GTP release 97/98 version", 1: "GTP release 99 version"}))
    f.add(_uint("gtp.flags.payload", "Protocol type", flags, 8, 0x10, pos, 1, {0: "GTP'", 1: "GTP"}))
    f.add(_uint("gtp.flags.reserved", "Reserved", flags, 8, 0x08, pos, 1))
    f.add(_flag("gtp.flags.e", "Is Next Extension Header present?", flags, 8, 0x04, pos, 1, "Yes", "No"))
    f.add(_flag("gtp.flags.s", "Is Sequence Number present?", flags, 8, 0x02, pos, 1, "Yes", "No"))
    f.add(_flag("gtp.flags.pn", "Is N-PDU number present?", flags, 8, 0x01, pos, 1, "Yes", "No"))
    name = _GTP_MESSAGES.get(msg, "Unknown")
    g.add(make("gtp.message", msg, pos + 1, 1, f"Message Type: {name} (0x{msg:02x})"))
    g.add(make("gtp.length", length, pos + 2, 2))
    g.add(make("gtp.teid", teid, pos + 4, 4, f"TEID: 0x{teid:08x} ({teid})"))
    hdr = encap.gtpu_length(data, pos, end)
    if flags & 0x07:
        if pos + 12 > end:
            _malformed(g, pos, "GTP")
            return Next(NONE, -1, "GTP", "[Malformed Packet]")
        seq, npdu, nxt = struct.unpack_from(">HBB", data, pos + 8)
        if flags & 0x02:
            g.add(make("gtp.seq_number", seq, pos + 8, 2, f"Sequence number: 0x{seq:04x} ({seq})"))
        if flags & 0x01:
            g.add(make("gtp.npdu_number", npdu, pos + 10, 1))
        o = pos + 12
        if flags & 0x04:
            g.add(make("gtp.ext_hdr.next", nxt, pos + 11, 1,
                       f"Next extension header type: {_GTP_EXT.get(nxt, 'Unknown')} (0x{nxt:02x})"))
            while nxt and o + 1 <= end:
                ext_len = data[o] * 4
                if ext_len == 0 or o + ext_len > end:
                    break
                e = g.add(make("gtp.ext_hdr", None, o, ext_len, f"Extension header ({_GTP_EXT.get(nxt, 'Unknown')})"))
                e.add(make("gtp.ext_hdr.length", data[o], o, 1))
                if nxt == 0x85 and ext_len >= 4:
                    _pdu_session(data, o + 1, e)
                nxt = data[o + ext_len - 1]
                e.add(make("gtp.ext_hdr.next", nxt, o + ext_len - 1, 1,
                           f"Next extension header type: {_GTP_EXT.get(nxt, 'Unknown')} (0x{nxt:02x})"))
                o += ext_len
    g.length = max(8, min(hdr if hdr > 0 else 8, end - pos))
    if msg == 2 and hdr > 0 and pos + hdr + 2 <= end and data[pos + hdr] == 14:  # Echo Response: Recovery
        g.add(make("gtp.recovery", data[pos + hdr + 1], pos + hdr, 2))
        g.length = hdr + 2
    kind, inner = encap.gtpu(data, pos, end)
    if hdr < 0:
        _malformed(g, pos, "GTP")
        return Next(NONE, -1, "GTP", f"{name}[Malformed Packet]")
    return Next(kind, inner, "GTP", name)


def _pdu_session(data: bytes, o: int, e: Field) -> None:
    """A PDU Session container (TS 38.415): its type, then the QFI (UL) or PPP/RQI/QFI (DL)."""
    c = e.add(text("PDU Session Container", o, 3))
    b0, b1 = data[o], data[o + 1]
    c.add(_uint("gtp.ext_hdr.pdu_ses_con.pdu_type", "PDU Type", b0, 8, 0xF0, o, 1,
                {0: "DL PDU SESSION INFORMATION", 1: "UL PDU SESSION INFORMATION"}))
    if b0 >> 4 == 1:
        c.add(make("gtp.spare.h1", b0 & 0x0F, o, 1, _bits(b0, 8, 0x0F, f"Spare: 0x{b0 & 0x0F:x}")))
        c.add(make("gtp.spare.b7b6", b1 >> 6, o + 1, 1, _bits(b1, 8, 0xC0, f"Spare: 0x{b1 >> 6:x}")))
    else:
        c.add(_flag("gtp.ext_hdr.pdu_ses_cont.ppp", "Paging Policy Presence (PPP)", b1, 8, 0x80, o + 1, 1))
        c.add(_flag("gtp.ext_hdr.pdu_ses_cont.rqi", "Reflective QoS Indicator (RQI)", b1, 8, 0x40, o + 1, 1))
    c.add(_uint("gtp.ext_hdr.pdu_ses_con.qos_flow_id", "QoS Flow Identifier (QFI)", b1, 8, 0x3F, o + 1, 1))


def dissect_teredo(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> Next:
    t = make("teredo", None, pos, max(0, end - pos), "Teredo IPv6 over UDP tunneling")
    layers.append(t)
    protos.append("teredo")
    o = pos
    if o + 4 <= end and struct.unpack_from(">H", data, o)[0] == 0x0001:
        idlen, aulen = data[o + 2], data[o + 3]
        size = 13 + idlen + aulen
        a = t.add(make("teredo.auth", None, o, min(size, end - o)))
        a.add(make("teredo.auth.idlen", idlen, o + 2, 1))
        a.add(make("teredo.auth.aulen", aulen, o + 3, 1))
        p = o + 4
        for name, n in (("teredo.auth.id", idlen), ("teredo.auth.value", aulen), ("teredo.auth.nonce", 8),
                        ("teredo.auth.conf", 1)):
            if n and p + n <= end:
                a.add(make(name, bytes(data[p:p + n]), p, n))
            p += n
        o += size
    if o + 8 <= end and struct.unpack_from(">H", data, o)[0] == 0x0000:
        r = t.add(make("teredo.orig", None, o, 8))
        port = struct.unpack_from(">H", data, o + 2)[0] ^ 0xFFFF
        addr = struct.unpack_from(">I", data, o + 4)[0] ^ 0xFFFFFFFF
        r.add(make("teredo.orig.port", port, o + 2, 2))
        r.add(make("teredo.orig.addr", addr, o + 4, 4))
    kind, inner = encap.teredo(data, pos, end)
    return Next(kind, inner, "Teredo", "")


def teredo_test_info(info: str) -> str:
    """The Info of an ICMPv6 Echo Request sent to a Teredo server's port: tshark's "Direct IPv6
    Connectivity Test" (RFC 4380 5.2.9), which it does not pair with a reply."""
    return info.replace("Echo (ping) request", "Direct IPv6 Connectivity Test", 1).split(" (")[0] \
        if info.startswith("Echo (ping) request") else info


def teredo_test(t, message) -> bool:  # noqa: ANN001 - a fast.Transport (or None) and an icmp.IcmpMessage
    """Whether an ICMPv6 message is a Teredo direct connectivity test: an Echo Request inside Teredo
    to UDP port 3544 (tshark does not pair it with its reply)."""
    return (t is not None and t.proto == 17 and t.dport == encap.PORT_TEREDO and bool(t.tunnel & 2)
            and message.version == 6 and message.type == 128)


UDP_DISSECTORS = {encap.PORT_VXLAN: dissect_vxlan, encap.PORT_GENEVE: dissect_geneve,
                  encap.PORT_GTPU: dissect_gtpu, encap.PORT_TEREDO: dissect_teredo}


# --- GRE, ERSPAN ---------------------------------------------------------------------------------
def _inet_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def dissect_gre(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> Next:
    g = make("gre", None, pos, min(4, max(0, end - pos)), "Generic Routing Encapsulation")
    layers.append(g)
    protos.append("gre")
    if pos + 4 > end:
        _malformed(g, pos, "GRE")
        return Next(NONE, -1, "GRE", "[Malformed Packet]")
    flags, proto = struct.unpack_from(">HH", data, pos)
    version = flags & 7
    pname = _GRE_NAMES.get(proto, f"0x{proto:04x} (unknown)")
    g.label = f"Generic Routing Encapsulation ({_GRE_NAMES.get(proto, f'0x{proto:04x} - unknown')})"
    f = g.add(make("gre.flags_and_version", flags, pos, 2))
    f.add(_flag("gre.flags.checksum", "Checksum Bit", flags, 16, 0x8000, pos, 2, "Yes", "No"))
    f.add(_flag("gre.flags.routing", "Routing Bit", flags, 16, 0x4000, pos, 2, "Yes", "No"))
    f.add(_flag("gre.flags.key", "Key Bit", flags, 16, 0x2000, pos, 2, "Yes", "No"))
    f.add(_flag("gre.flags.sequence_number", "Sequence Number Bit", flags, 16, 0x1000, pos, 2, "Yes", "No"))
    f.add(_flag("gre.flags.strict_source_route", "Strict Source Route Bit", flags, 16, 0x0800, pos, 2, "Yes", "No"))
    f.add(_uint("gre.flags.recursion_control", "Recursion control", flags, 16, 0x0700, pos, 2))
    if version == 1:
        f.add(_flag("gre.flags.ack", "Acknowledgment", flags, 16, 0x0080, pos, 2, "Yes", "No"))
        f.add(_uint("gre.flags.reserved", "Flags (Reserved)", flags, 16, 0x0078, pos, 2))
    else:
        f.add(_uint("gre.flags.reserved", "Flags (Reserved)", flags, 16, 0x00F8, pos, 2))
    f.add(_uint("gre.flags.version", "Version", flags, 16, 0x0007, pos, 2, {0: "GRE", 1: "Enhanced GRE"}))
    g.add(make("gre.proto", proto, pos + 2, 2, f"Protocol Type: {_GRE_NAMES.get(proto, 'Unknown')} (0x{proto:04x})"))
    o = pos + 4
    info = f"Encapsulated {pname}"
    if flags & 0xC000:
        if o + 4 > end:
            return _gre_short(g, pos, end, flags, info)
        csum, offset = struct.unpack_from(">HH", data, o)
        if flags & 0x8000:
            good = _inet_checksum(bytes(data[pos:end])) == 0 if end <= len(data) else None
            g.add(make("gre.checksum", csum, o, 2, f"Checksum: 0x{csum:04x} [{'correct' if good else 'incorrect'}]"))
            g.add(make("gre.checksum.status", 1 if good else 0, o, 0))
        g.add(make("gre.offset", offset, o + 2, 2))
        o += 4
    if flags & 0x2000:
        if o + 4 > end:
            return _gre_short(g, pos, end, flags, info)
        if version == 1:
            plen, call = struct.unpack_from(">HH", data, o)
            g.add(make("gre.key.payload_length", plen, o, 2))
            g.add(make("gre.key.call_id", call, o + 2, 2))
        else:
            g.add(make("gre.key", struct.unpack_from(">I", data, o)[0], o, 4))
        o += 4
    if flags & 0x1000:
        if o + 4 > end:
            return _gre_short(g, pos, end, flags, info)
        g.add(make("gre.sequence_number", struct.unpack_from(">I", data, o)[0], o, 4))
        o += 4
    if version == 1 and flags & 0x0080:
        if o + 4 > end:
            return _gre_short(g, pos, end, flags, info)
        g.add(make("gre.ack_number", struct.unpack_from(">I", data, o)[0], o, 4))
        o += 4
    g.length = o - pos
    kind, inner = encap.gre(data, pos, end)
    if proto in (encap.ERSPAN_I_II, encap.ERSPAN_III) and version == 0 and not flags & 0x4000:
        return _erspan(data, o, end, flags, proto, layers, protos, kind, inner)
    if proto in encap.MPLS_TYPES and version == 0 and not flags & 0x4000:
        return dissect_mpls(data, o, end, layers, protos)
    if kind == NONE:
        if version == 0 and not flags & 0x4000 and proto not in _GRE_NAMES:
            data_layer(data, o, end, g.children, protos)  # tshark puts it inside the GRE item
        return Next(NONE, -1, "GRE", info)
    return Next(kind, inner, "GRE", info)


def _gre_short(g: Field, pos: int, end: int, flags: int, info: str) -> Next:
    """A GRE header cut short in its optional fields: the layer covers what is there."""
    claimed = 4 + sum(4 for bit in (0xC000, 0x2000, 0x1000) if flags & bit) \
        + (4 if flags & 0x0080 and flags & 7 == 1 else 0)
    g.length = min(claimed, end - pos)
    _malformed(g, pos, "GRE")
    return Next(NONE, -1, "GRE", info + "[Malformed Packet]")


def _erspan(data: bytes, pos: int, end: int, gre_flags: int, proto: int, layers: list[Field], protos: list[str],
            kind: int, inner: int) -> Next:
    protos.append("erspan")
    title = "Encapsulated Remote Switch Packet ANalysis"
    if proto == encap.ERSPAN_I_II and not gre_flags & 0x1000:
        layers.append(make("erspan", None, pos, 0, f"{title} Type I"))
        return Next(kind, inner, "ERSPAN", "ERSPAN:")
    e = make("erspan", None, pos, max(0, end - pos), title)
    layers.append(e)
    if pos + 2 > end:
        _malformed(e, pos, "ERSPAN")
        return Next(NONE, -1, "ERSPAN", "ERSPAN:[Malformed Packet]")
    w0 = struct.unpack_from(">H", data, pos)[0]
    version = w0 >> 12
    e.label = f"{title} {({1: 'Type II', 2: 'Type III'}).get(version, 'Unknown')}"
    e.add(_uint("erspan.version", "Version", w0, 16, 0xF000, pos, 2, {1: "Type II", 2: "Type III"}))
    if version not in (1, 2):
        e.add(_uint("erspan.version", "Version", w0, 16, 0xF000, pos, 2, {1: "Type II", 2: "Type III"}))
        return Next(NONE, -1, "ERSPAN", "ERSPAN:")
    need = 8 if version == 1 else 12
    if pos + need > end:
        _malformed(e, pos, "ERSPAN")
        return Next(NONE, -1, "ERSPAN", "ERSPAN:[Malformed Packet]")
    w1 = struct.unpack_from(">H", data, pos + 2)[0]
    e.add(_uint("erspan.vlan", "Vlan", w0, 16, 0x0FFF, pos, 2))
    e.add(_uint("erspan.cos", "COS", w1, 16, 0xE000, pos + 2, 2))
    if version == 1:
        e.add(_uint("erspan.encap", "Encap", w1, 16, 0x1800, pos + 2, 2, _ERSPAN_ENCAP))
    else:
        e.add(_uint("erspan.bso", "Bad/Short/Oversized", w1, 16, 0x1800, pos + 2, 2, _ERSPAN_BSO))
    e.add(_uint("erspan.truncated", "Truncated", w1, 16, 0x0400, pos + 2, 2, {0: "Not truncated", 1: "Truncated"}))
    e.add(_uint("erspan.spanid", "SpanID", w1, 16, 0x03FF, pos + 2, 2))
    if version == 1:
        w = struct.unpack_from(">I", data, pos + 4)[0]
        e.add(_uint("erspan.reserved", "Reserved", w, 32, 0xFFF00000, pos + 4, 4))
        e.add(_uint("erspan.index", "Index", w, 32, 0x000FFFFF, pos + 4, 4))
        return Next(kind, inner, "ERSPAN", "ERSPAN:")
    ts, sgt, w3 = struct.unpack_from(">IHH", data, pos + 4)
    e.add(_uint("erspan.timestamp", "Timestamp", ts, 32, 0xFFFFFFFF, pos + 4, 4))
    e.add(_uint("erspan.sgt", "Security Group Tag", sgt, 16, 0xFFFF, pos + 8, 2))
    e.add(_uint("erspan.p", "Has Ethernet PDU", w3, 16, 0x8000, pos + 10, 2))
    e.add(_uint("erspan.ft", "Frame Type", w3, 16, 0x7C00, pos + 10, 2, {0: "Ethernet", 2: "IP"}))
    e.add(_uint("erspan.hw", "Hardware ID", w3, 16, 0x03F0, pos + 10, 2))
    e.add(_flag("erspan.direction", "Direction", w3, 16, 0x0008, pos + 10, 2, "Egress", "Ingress"))
    e.add(_uint("erspan.gra", "Timestamp granularity", w3, 16, 0x0006, pos + 10, 2, _ERSPAN_GRA))
    e.add(_uint("erspan.o", "Optional Sub headers", w3, 16, 0x0001, pos + 10, 2))
    if w3 & 1:
        o = pos + 12
        if o + 8 > end:
            _malformed(e, o, "ERSPAN")
            return Next(NONE, -1, "ERSPAN", "ERSPAN:[Malformed Packet]")
        a, b = struct.unpack_from(">II", data, o)
        e.add(_uint("erspan.platid", "Platform ID", a, 32, 0xFC000000, o, 4))
        fields = _PLATFORM_FIELDS.get(a >> 26)
        if fields is None:
            e.add(make("erspan.pid.rsvd", ((a << 32) | b) & 0x03FFFFFF, o, 8))
        else:
            for name, desc, mask in fields:
                if mask is None:
                    e.add(_uint(name, desc, b, 32, 0xFFFFFFFF, o + 4, 4))
                else:
                    e.add(_uint(name, desc, a, 32, mask, o, 4))
    if kind == NONE:
        return Next(NONE, -1, "ERSPAN", "ERSPAN:")
    return Next(kind, inner, "ERSPAN", "ERSPAN:")


# --- MPLS ----------------------------------------------------------------------------------------
def dissect_mpls(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> Next:
    info = "MPLS Label Switched Packet"
    o = pos
    while True:
        if o + 4 > end:  # a label cut short: tshark adds no item for it, only the damage
            if "mpls" not in protos[-1:]:
                protos.append("mpls")
            m = make("_ws.malformed", None, o, 0, "[Malformed Packet: MPLS]")
            m.add(make("_ws.malformed", None, o, 0, hidden=True))
            layers.append(m)
            return Next(NONE, -1, "MPLS", info + "[Malformed Packet]")
        word = struct.unpack_from(">I", data, o)[0]
        label, exp, bos, ttl = word >> 12, (word >> 9) & 7, (word >> 8) & 1, word & 0xFF
        m = make("mpls", None, o, 4, f"MultiProtocol Label Switching Header, Label: {label}"
                 + (f" ({_MPLS_LABELS[label]})" if label in _MPLS_LABELS else "")
                 + f", Exp: {exp}, S: {bos}, TTL: {ttl}")
        lname = _MPLS_LABELS.get(label)
        m.add(make("mpls.label", label, o, 4, _bits(word, 32, 0xFFFFF000, f"MPLS Label: "
                                                   + (f"{lname} ({label})" if lname else f"{label} (0x{label:05x})"))))
        m.add(_uint("mpls.exp", "MPLS Experimental Bits", word, 32, 0x00000E00, o, 4))
        m.add(_uint("mpls.bottom", "MPLS Bottom Of Label Stack", word, 32, 0x00000100, o, 4))
        m.add(_uint("mpls.ttl", "MPLS TTL", word, 32, 0x000000FF, o, 4))
        layers.append(m)
        if "mpls" not in protos[-1:]:
            protos.append("mpls")
        o += 4
        if bos:
            break
    kind, inner = encap.mpls(data, pos, end)
    if kind == NONE:
        data_layer(data, o, end, layers, protos)
    return Next(kind, inner, "MPLS", info)


def data_layer(data: bytes, start: int, end: int, layers: list[Field], protos: list[str]) -> None:
    """tshark's "data" for bytes a tunnel carries that nothing decodes (none if there are none),
    appended to ``layers`` (the frame's, or a layer's children)."""
    end = min(end, len(data))
    if start >= end:
        return
    d = make("data", None, start, end - start, f"Data ({end - start} bytes)")
    d.add(make("data.data", bytes(data[start:end]), start, end - start))
    d.add(make("data.len", end - start, start, 0, f"[Length: {end - start}]"))
    layers.append(d)
    protos.append("data")


# --- IPsec ESP ----------------------------------------------------------------------------------
def dissect_esp(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> tuple[str, str]:
    """ESP (RFC 4303): the SPI and sequence number; what follows is encrypted.  Returns (Protocol, Info)."""
    e = make("esp", None, pos, max(0, end - pos), "Encapsulating Security Payload")
    layers.append(e)
    protos.append("esp")
    if pos + 8 > end:
        _malformed(e, pos, "ESP")
        return "ESP", "[Malformed Packet]"
    spi, seq = struct.unpack_from(">II", data, pos)
    e.add(make("esp.spi", spi, pos, 4, f"ESP SPI: 0x{spi:08x} ({spi})"))
    e.add(make("esp.sequence", seq, pos + 4, 4))
    return "ESP", f"ESP (SPI=0x{spi:08x})"
