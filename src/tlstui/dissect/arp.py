"""ARP, RARP and Inverse ARP (RFC 826, 903, 2390) as tshark 4.0 shows them.

    dissect_arp(data, pos, layers, protos, duplicate=None) -> (Protocol column, Info)
    parse(data, pos) -> ArpPacket | None          (for the capture-wide duplicate-address pass)
    duplicates(packets) -> {frame: duplicated IPv4 text}

Pure and total: a packet cut short keeps the fields that were read and is marked malformed.
"""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from ..field import Field
from ..registry import Base, FieldType as T, register

OPCODES = {1: "request", 2: "reply", 3: "reverse request", 4: "reverse reply", 5: "DRARP-Request",
           6: "DRARP-Reply", 7: "DRARP-Error", 8: "inverse request", 9: "inverse reply", 10: "ARP-NAK"}
HW_TYPES = {1: "Ethernet", 6: "IEEE 802", 7: "ARCNET", 15: "Frame Relay", 16: "ATM", 18: "Fibre Channel",
            20: "Serial Line", 24: "IEEE 1394.1995", 32: "InfiniBand"}
_PROTO_NAMES = {0x0800: "IPv4", 0x86DD: "IPv6"}

register("arp", T.PROTOCOL, "Address Resolution Protocol")
register("arp.hw.type", T.UINT, "Hardware type", bits=16, value_names=HW_TYPES)
register("arp.proto.type", T.UINT, "Protocol type", Base.HEX, 16, value_names=_PROTO_NAMES)
register("arp.hw.size", T.UINT, "Hardware size", bits=8)
register("arp.proto.size", T.UINT, "Protocol size", bits=8)
register("arp.opcode", T.UINT, "Opcode", bits=16, value_names=OPCODES)
register("arp.isgratuitous", T.BOOLEAN, "Is gratuitous")
register("arp.isprobe", T.BOOLEAN, "Is probe")
register("arp.isannouncement", T.BOOLEAN, "Is announcement")
register("arp.src.hw_mac", T.ETHER, "Sender MAC address")
register("arp.src.hw", T.BYTES, "Sender hardware address")
register("arp.src.proto_ipv4", T.IPV4, "Sender IP address")
register("arp.src.proto", T.BYTES, "Sender protocol address")
register("arp.dst.hw_mac", T.ETHER, "Target MAC address")
register("arp.dst.hw", T.BYTES, "Target hardware address")
register("arp.dst.proto_ipv4", T.IPV4, "Target IP address")
register("arp.dst.proto", T.BYTES, "Target protocol address")
register("arp.duplicate-address-detected", T.NONE, "Duplicate IP address detected")
register("arp.duplicate-address-frame", T.FRAMENUM, "Frame showing earlier use of IP address")

_ZERO_MAC, _BCAST_MAC = b"\0" * 6, b"\xff" * 6


@dataclass(frozen=True, slots=True)
class ArpPacket:
    op: int
    sha: bytes
    spa: bytes
    tha: bytes
    tpa: bytes


def parse(data: bytes, pos: int) -> ArpPacket | None:
    """The addresses of an Ethernet/IPv4 ARP packet (the only kind tshark checks for duplicates)."""
    if pos + 28 > len(data):
        return None
    hrd, pro, hln, pln, op = struct.unpack_from(">HHBBH", data, pos)
    if hln != 6 or pln != 4 or pro != 0x0800 or hrd not in (1, 6):
        return None
    p = pos + 8
    return ArpPacket(op, bytes(data[p:p + 6]), bytes(data[p + 6:p + 10]), bytes(data[p + 10:p + 16]),
                     bytes(data[p + 16:p + 20]))


def _usable(mac: bytes, ip: bytes) -> bool:
    return ip != b"\0\0\0\0" and mac != _ZERO_MAC and not mac[0] & 1


def duplicates(packets) -> dict[int, tuple[str, int]]:  # noqa: ANN001 - iterable of (frame, ArpPacket)
    """Frames where an IPv4 address is claimed by another MAC than the first one seen with it, as
    tshark's ARP duplicate-address check finds them: {frame: (address, frame of the earlier use)}."""
    # As tshark's first pass fills its table: the first MAC seen with an address stays; a later
    # frame giving the address another MAC is a duplicate.  For a reply the target's check comes
    # last and its answer is the one shown (a clean target hides a duplicate sender).
    seen: dict[bytes, bytes] = {}
    out: dict[int, tuple[str, int]] = {}
    first: dict[bytes, int] = {}
    for frame, p in packets:
        if p.op not in (1, 2):
            continue
        pairs = [(p.sha, p.spa)] + ([(p.tha, p.tpa)] if p.op != 1 else [])
        result = None
        for mac, ip in pairs:
            if not _usable(mac, ip):
                continue
            old = seen.get(ip)
            if old is None:
                seen[ip], first[ip] = mac, frame
                result = None
            elif old != mac:
                result = (socket.inet_ntoa(ip), first[ip])
            else:
                result = None
        if result is not None:
            out[frame] = result
    return out


def _mac(b: bytes) -> str:
    return ":".join(f"{x:02x}" for x in b)


def dissect_arp(data: bytes, pos: int, layers: list[Field], protos: list[str],
                duplicate: tuple[str, int] | None = None) -> tuple[str, str]:
    """Add the ARP layer at ``data[pos:]``; returns (Protocol, Info)."""
    n = len(data)
    top = Field("arp", "Address Resolution Protocol", None, pos, max(0, min(n - pos, 28)))
    layers.append(top)
    protos.append("arp")
    if pos + 8 > n:
        top.add(Field("_ws.malformed", "[Malformed Packet: ARP]", None, pos, max(0, n - pos)))
        return "ARP", "[Malformed Packet]"
    hrd, pro, hln, pln, op = struct.unpack_from(">HHBBH", data, pos)
    proto_col = "RARP" if op in (3, 4) else "Inverse ARP" if op in (8, 9) else "ARP"
    kind = {1: "request", 2: "reply", 3: "reverse request", 4: "reverse reply", 8: "inverse request",
            9: "inverse reply"}.get(op, "")
    top.add(Field("arp.hw.type", f"Hardware type: {HW_TYPES.get(hrd, 'Unknown')} ({hrd})", hrd, pos, 2))
    top.add(Field("arp.proto.type", f"Protocol type: {_PROTO_NAMES.get(pro, 'Unknown')} (0x{pro:04x})", pro,
                  pos + 2, 2))
    top.add(Field("arp.hw.size", None, hln, pos + 4, 1))
    top.add(Field("arp.proto.size", None, pln, pos + 5, 1))
    top.add(Field("arp.opcode", f"Opcode: {OPCODES.get(op, 'Unknown')} ({op})", op, pos + 6, 2))
    p = pos + 8
    end = p + 2 * (hln + pln)
    top.length = end - pos
    if end > n:
        top.length = n - pos
        top.add(Field("_ws.malformed", "[Malformed Packet: ARP]", None, p, n - p))
        return proto_col, "[Malformed Packet]"
    sha, spa = bytes(data[p:p + hln]), bytes(data[p + hln:p + hln + pln])
    tha = bytes(data[p + hln + pln:p + 2 * hln + pln])
    tpa = bytes(data[p + 2 * hln + pln:end])
    ether, ipv4 = hln == 6 and hrd in (1, 6), pln == 4 and pro == 0x0800
    gratuitous = ipv4 and spa == tpa and op in (1, 2)
    probe = ipv4 and op == 1 and spa == b"\0\0\0\0" and tha == _ZERO_MAC
    announce = ipv4 and op == 1 and gratuitous and tha == _ZERO_MAC
    top.label = f"Address Resolution Protocol ({kind or f'opcode 0x{op:04x}'})"
    if announce:
        top.label = "Address Resolution Protocol (ARP Announcement)"
    elif probe:
        top.label = "Address Resolution Protocol (ARP Probe)"
    elif gratuitous:
        top.label = f"Address Resolution Protocol ({kind}/gratuitous ARP)"
    if gratuitous:
        top.add(Field("arp.isgratuitous", "[Is gratuitous: True]", 1, pos, 0))
    if probe:
        top.add(Field("arp.isprobe", "[Is probe: True]", 1, pos, 0))
    if announce:
        top.add(Field("arp.isannouncement", "[Is announcement: True]", 1, pos, 0))

    def hw(name: str, raw: bytes, off: int, title: str) -> str:
        if ether:
            top.add(Field(f"{name}.hw_mac", f"{title} MAC address: {_mac(raw)}", raw, off, hln))
            return _mac(raw)
        top.add(Field(f"{name}.hw", f"{title} hardware address: {raw.hex()}", raw, off, hln))
        return raw.hex()

    def pa(name: str, raw: bytes, off: int, title: str) -> str:
        if ipv4:
            txt = socket.inet_ntoa(raw)
            top.add(Field(f"{name}.proto_ipv4", f"{title} IP address: {txt}", int.from_bytes(raw, "big"), off, 4))
            return txt
        top.add(Field(f"{name}.proto", f"{title} protocol address: {raw.hex()}", raw, off, pln))
        return raw.hex()

    s_hw = hw("arp.src", sha, p, "Sender")
    s_pa = pa("arp.src", spa, p + hln, "Sender")
    t_hw = hw("arp.dst", tha, p + hln + pln, "Target")
    t_pa = pa("arp.dst", tpa, p + 2 * hln + pln, "Target")
    if op == 1:
        if announce:
            info = f"ARP Announcement for {s_pa}"
        elif probe:
            info = f"Who has {t_pa}? (ARP Probe)"
        elif gratuitous:
            info = f"Gratuitous ARP for {s_pa} (Request)"
        else:
            info = f"Who has {t_pa}? Tell {s_pa}"
    elif op == 2:
        info = f"Gratuitous ARP for {s_pa} (Reply)" if gratuitous else f"{s_pa} is at {s_hw}"
    elif op in (3, 8):
        info = f"Who is {t_hw}? Tell {s_hw}"
    elif op in (4, 9):
        info = f"{t_hw if op == 4 else s_hw} is at {t_pa if op == 4 else s_pa}"
    else:
        info = f"Unknown ARP opcode 0x{op:04x}"
    if duplicate is not None:
        top.add(Field("arp.duplicate-address-detected", f"[Duplicate IP address detected for {duplicate[0]}]",
                      None, pos, 0))
        top.add(Field("arp.duplicate-address-frame", None, duplicate[1], pos, 0))
        info += f" (duplicate use of {duplicate[0]} detected!)"
    return proto_col, info
