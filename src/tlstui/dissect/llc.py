"""IEEE 802.3 frames (a length where Ethernet II has its type): Logical-Link Control, and the
Spanning Tree Protocol's BPDUs on it, as tshark 4.0 names and shows them.

Switches send BPDUs every two seconds on every port, so a capture from a host on a switched LAN
often holds them; tshark lists them as STP with the root bridge in the Info column.
"""
from __future__ import annotations

import struct

from ..field import Field
from ..registry import Base, FieldType as T, register
from .link import mac
from .tree import make

SAP_STP = 0x42
SAP_NAMES = {0x42: "Spanning Tree BPDU", 0xAA: "SNAP", 0xE0: "NetWare", 0xF0: "NetBIOS", 0xFE: "ISO Network Layer"}

register("eth.len", T.UINT, "Length", bits=16)
register("llc", T.PROTOCOL, "Logical-Link Control")
register("llc.dsap", T.UINT, "DSAP", Base.HEX, 8, SAP_NAMES)
register("llc.ssap", T.UINT, "SSAP", Base.HEX, 8, SAP_NAMES)
register("llc.control", T.UINT, "Control field", Base.HEX, 16)
register("llc.control.ftype", T.UINT, "Frame type", Base.HEX, 16)
register("stp", T.PROTOCOL, "Spanning Tree Protocol")
register("stp.protocol", T.UINT, "Protocol Identifier", Base.HEX, 16, {0: "Spanning Tree Protocol"})
register("stp.version", T.UINT, "Protocol Version Identifier", bits=8,
         value_names={0: "Spanning Tree", 2: "Rapid Spanning Tree", 3: "Multiple Spanning Tree"})
register("stp.type", T.UINT, "BPDU Type", Base.HEX, 8,
         {0x00: "Configuration", 0x80: "Topology Change Notification", 0x02: "Rapid/Multiple Spanning Tree"})
register("stp.flags", T.UINT, "BPDU flags", Base.HEX, 8)
register("stp.flags.tcack", T.BOOLEAN, "Topology Change Acknowledgment")
register("stp.flags.tc", T.BOOLEAN, "Topology Change")
register("stp.root.prio", T.UINT, "Root Bridge Priority", bits=16)
register("stp.root.ext", T.UINT, "Root Bridge System ID Extension", bits=16)
register("stp.root.hw", T.ETHER, "Root Bridge System ID")
register("stp.root.cost", T.UINT, "Root Path Cost")
register("stp.bridge.prio", T.UINT, "Bridge Priority", bits=16)
register("stp.bridge.ext", T.UINT, "Bridge System ID Extension", bits=16)
register("stp.bridge.hw", T.ETHER, "Bridge System ID")
register("stp.port", T.UINT, "Port identifier", Base.HEX, 16)
register("stp.msg_age", T.DOUBLE, "Message Age")
register("stp.max_age", T.DOUBLE, "Max Age")
register("stp.hello", T.DOUBLE, "Hello Time")
register("stp.forward", T.DOUBLE, "Forward Delay")

_U_FUNCS = {0x03: "UI", 0xAF: "XID", 0xE3: "TEST", 0x63: "UA", 0x2F: "SABME", 0x43: "DISC", 0x0F: "DM", 0x87: "FRMR"}
_BPDU_TYPES = {0x00: "Conf.", 0x02: "RST.", 0x80: "Topology Change Notification"}


def dissect_llc(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> tuple[str, str]:
    """The LLC header at ``pos`` (the 802.3 payload ends at ``end``) and STP above it; returns
    the Protocol and Info columns."""
    end = min(end, len(data))
    if pos + 3 > end:
        layers.append(make("llc", None, pos, max(0, end - pos), "Logical-Link Control [cut short]"))
        protos.append("llc")
        return "LLC", "[Malformed Packet]"
    dsap, ssap, ctl = data[pos], data[pos + 1], data[pos + 2]
    u_frame = ctl & 3 == 3
    clen = 1 if u_frame else 2
    if not u_frame and pos + 4 <= end:
        ctl = struct.unpack_from("<H", data, pos + 2)[0]
    llc = make("llc", None, pos, min(2 + clen, end - pos), "Logical-Link Control")
    llc.add(make("llc.dsap", dsap, pos, 1, f"DSAP: {SAP_NAMES.get(dsap & 0xFE, 'Unknown')} (0x{dsap:02x})"))
    llc.add(make("llc.ssap", ssap, pos + 1, 1, f"SSAP: {SAP_NAMES.get(ssap & 0xFE, 'Unknown')} (0x{ssap:02x})"))
    if u_frame:
        func = _U_FUNCS.get(ctl & 0xEF, f"0x{ctl & 0xEF:02x}")
        ctl_text = f"U, func={func}"
    elif ctl & 1 == 0:
        ctl_text = f"I, N(R)={ctl >> 9}, N(S)={(ctl >> 1) & 0x7F}"
    else:
        ctl_text = f"S, func={('RR', 'RNR', 'REJ', '?')[(ctl >> 2) & 3]}, N(R)={ctl >> 9}"
    llc.add(make("llc.control", ctl, pos + 2, clen, f"Control field: {ctl_text} (0x{ctl:0{2 * clen}X})"))
    llc.add(make("llc.control.ftype", 3 if u_frame else ctl & 1, pos + 2, 1))
    layers.append(llc)
    protos.append("llc")
    body = pos + 2 + clen
    if dsap == SAP_STP and ssap == SAP_STP and u_frame:
        return dissect_stp(data, body, end, layers, protos)
    return "LLC", ctl_text + f"; DSAP 0x{dsap:02x} {'Group' if dsap & 1 else 'Individual'}, " \
                             f"SSAP 0x{ssap:02x} {'Response' if ssap & 1 else 'Command'}"


def _bridge(data: bytes, pos: int, node: Field, prefix: str, what: str) -> tuple[int, int, str]:
    prio_ext = struct.unpack_from(">H", data, pos)[0]
    prio, ext, hw = prio_ext & 0xF000, prio_ext & 0x0FFF, data[pos + 2:pos + 8]
    title = "Root Identifier" if prefix == "root" else "Bridge Identifier"
    sub = node.add(make("", None, pos, 8, f"{title}: {prio} / {ext} / {mac(hw)}"))
    sub.add(make(f"stp.{prefix}.prio", prio, pos, 2, f"{what} Priority: {prio}"))
    sub.add(make(f"stp.{prefix}.ext", ext, pos, 2, f"{what} System ID Extension: {ext}"))
    sub.add(make(f"stp.{prefix}.hw", hw, pos + 2, 6, f"{what} System ID: {mac(hw)}"))
    return prio, ext, mac(hw)


def dissect_stp(data: bytes, pos: int, end: int, layers: list[Field], protos: list[str]) -> tuple[str, str]:
    """A BPDU: Configuration, Rapid (RST) or Topology Change Notification."""
    protos.append("stp")
    if pos + 4 > end:
        layers.append(make("stp", None, pos, max(0, end - pos), "Spanning Tree Protocol [cut short]"))
        return "STP", "[Malformed Packet]"
    proto_id, version, bpdu_type = struct.unpack_from(">HBB", data, pos)
    stp = make("stp", None, pos, end - pos, "Spanning Tree Protocol")
    layers.append(stp)
    stp.add(make("stp.protocol", proto_id, pos, 2))
    stp.add(make("stp.version", version, pos + 2, 1))
    stp.add(make("stp.type", bpdu_type, pos + 3, 1))
    if bpdu_type == 0x80:
        return "STP", "Topology Change Notification"
    if pos + 35 > end:
        stp.add(make("_ws.malformed", None, pos + 4, 0, "[Malformed Packet: STP]"))
        return "STP", "[Malformed Packet]"
    flags = data[pos + 4]
    fl = stp.add(make("stp.flags", flags, pos + 4, 1, f"BPDU flags: 0x{flags:02x}"))
    fl.add(make("stp.flags.tcack", flags >> 7, pos + 4, 1))
    fl.add(make("stp.flags.tc", flags & 1, pos + 4, 1))
    prio, ext, hw = _bridge(data, pos + 5, stp, "root", "Root Bridge")
    cost = struct.unpack_from(">I", data, pos + 13)[0]
    stp.add(make("stp.root.cost", cost, pos + 13, 4))
    _bridge(data, pos + 17, stp, "bridge", "Bridge")
    port = struct.unpack_from(">H", data, pos + 25)[0]
    stp.add(make("stp.port", port, pos + 25, 2, f"Port identifier: 0x{port:04x}"))
    for k, (name, label) in enumerate((("stp.msg_age", "Message Age"), ("stp.max_age", "Max Age"),
                                       ("stp.hello", "Hello Time"), ("stp.forward", "Forward Delay"))):
        v = struct.unpack_from(">H", data, pos + 27 + 2 * k)[0] / 256
        stp.add(make(name, v, pos + 27 + 2 * k, 2, f"{label}: {v:g}"))
    kind = "MST." if bpdu_type == 0x02 and version == 3 else _BPDU_TYPES.get(bpdu_type, f"Unknown BPDU type (0x{bpdu_type:02x})")
    tc = "TC + " if flags & 1 else ""
    return "STP", f"{kind} {tc}Root = {prio}/{ext}/{hw}  Cost = {cost}  Port = 0x{port:04x}"
