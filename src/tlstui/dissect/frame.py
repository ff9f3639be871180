"""One frame -> its full protocol tree (frame, link, network, transport, TLS/DTLS layers)."""
from __future__ import annotations

import socket
import struct
import time
from typing import Protocol

from ..field import FRAME, PROTOCOL_AGAIN, Field
from ..registry import FieldType as T, register
from . import fast
from .ip import bogus_length_info, dissect_ipv4, dissect_ipv6, ipv4_text, payload_end
from .link import IEEE_802_3, dissect_link, mac
from .llc import dissect_llc
from .transport import StreamContext, dissect_tcp, dissect_udp
from .tree import FrameTree, make
from . import arp as arp_layer, clear, icmp as icmp_layer, tunnel
from . import encap as enc
from .link import dissect_ethernet

register("frame", T.PROTOCOL, "Frame")
register("frame.number", T.FRAMENUM, "Frame Number")
register("frame.len", T.UINT, "Frame Length")
register("frame.cap_len", T.UINT, "Capture Length")
register("frame.time", T.ABSOLUTE_TIME, "Arrival Time")
register("frame.time_epoch", T.ABSOLUTE_TIME, "Epoch Time")
register("frame.time_relative", T.RELATIVE_TIME, "Time since reference or first frame")
register("frame.time_delta", T.RELATIVE_TIME, "Time delta from previous captured frame")
register("frame.time_delta_displayed", T.RELATIVE_TIME, "Time delta from previous displayed frame")
register("frame.interface_id", T.UINT, "Interface id")
register("frame.interface_name", T.STRING, "Interface name")
register("frame.encap_type", T.INT, "Encapsulation type")
register("frame.protocols", T.STRING, "Protocols in frame")
register("frame.marked", T.BOOLEAN, "Frame is marked")
register("frame.ignored", T.BOOLEAN, "Frame is ignored")
register("_ws.malformed", T.PROTOCOL, "Malformed Packet")
register("_ws.expert", T.PROTOCOL, "Expert Info")
register("_ws.expert.message", T.STRING, "Message")
register("_ws.expert.severity", T.UINT, "Severity level")
register("_ws.expert.group", T.UINT, "Group")
register("_ws.col.Protocol", T.STRING, "Protocol column")
register("_ws.col.Info", T.STRING, "Info column")
register("_ws.short", T.PROTOCOL, "Packet size limited during capture")

# Wireshark's encapsulation numbers (wtap.h) for the link types we read.
WTAP_ENCAP = {1: 1, 113: 25, 276: 210, 101: 7, 12: 7, 14: 7, 228: 129, 229: 130, 0: 15, 108: 15, 104: 28}
ENCAP_NAMES = {1: "Ethernet", 25: "Linux cooked-mode capture v1", 210: "Linux cooked-mode capture v2",
               7: "Raw IP", 129: "Raw IPv4", 130: "Raw IPv6", 15: "NULL/Loopback", 28: "Cisco HDLC"}


class FrameSource(Protocol):
    """What dissection needs from an opened capture (implemented by Session)."""

    def frame_bytes(self, number: int) -> bytes: ...
    def frame_meta(self, number: int) -> tuple[int, int, int, int, int]: ...  # cap, orig, time_ns, iface, linktype
    def first_time_ns(self) -> int: ...
    def interface_name(self, iface: int) -> str: ...
    def stream_context(self, number: int) -> StreamContext: ...
    def upper_layers(self, number: int, data: bytes) -> tuple[list[Field], dict[str, bytes]]: ...
    def tcp_analysis(self, number: int) -> tuple[list[Field], str]: ...  # fields under tcp, Info prefix
    def upper_column(self, number: int) -> tuple[str, str] | None: ...
    def info_suffix(self, number: int) -> str: ...


def _no_outer(number: int) -> tuple[int, ...]:
    return ()


_LOCAL_ETHERTYPES = {0x88B5: "Local Experimental Ethertype 1", 0x88B6: "Local Experimental Ethertype 2"}
_FOLLOWED_ETHERTYPES = (fast.ETH_IPV4, fast.ETH_IPV6, 0x0806) + enc.MPLS_TYPES


def _inner(data: bytes, nx: "tunnel.Next", end: int, layers: list[Field], protos: list[str]):
    """(ethertype, offset, columns or None) of what a tunnel header leads to; an inner Ethernet
    header is dissected here and gives the Source/Destination (and, if nothing it carries is
    known, Protocol/Info) columns."""
    if nx.kind == enc.IPV4:
        return fast.ETH_IPV4, nx.pos, None
    if nx.kind == enc.IPV6:
        return fast.ETH_IPV6, nx.pos, None
    if nx.kind != enc.ETHERNET:
        return 0, -1, None
    etype, pos = dissect_ethernet(data, nx.pos, layers, protos, end)
    if pos < 0:
        return 0, -1, None
    cols = (mac(data[nx.pos + 6:nx.pos + 12]), mac(data[nx.pos:nx.pos + 6]), f"0x{etype:04x}",
            _LOCAL_ETHERTYPES.get(etype, "Ethernet II"))
    return etype, pos, cols


def format_abs_time(time_ns: int) -> str:
    secs, ns = divmod(time_ns, 1_000_000_000)
    return time.strftime("%b %d, %Y %H:%M:%S", time.gmtime(secs)) + f".{ns:09d} UTC"


def _has_interfaces(src: FrameSource) -> bool:
    """Whether the file records interfaces (pcapng), as tshark's frame title tells."""
    capture = getattr(src, "capture", None)
    return getattr(capture, "format", "") == "pcapng"


def dissect_frame(src: FrameSource, number: int, upper: bool = True, columns_only: bool = False) -> FrameTree:
    """The frame's tree.  ``upper=False``: link, network and transport headers only (no TCP
    analysis, no TLS/DTLS/HTTP layers, no Protocol/Info of theirs), for the fields of those
    layers alone; frame.protocols then lists only those layers.  ``columns_only``: the tree's
    Protocol and Info columns exactly, without the TLS/DTLS/HTTP layers' Fields (their rebuild
    from the reassembled records is most of a tree's cost; the columns come from the pass's
    record summaries), for a Protocol or Info column over many frames."""
    data = src.frame_bytes(number)
    cap_len, orig_len, time_ns, iface, linktype = src.frame_meta(number)
    prev_ns = src.frame_meta(number - 1)[2] if number > 1 else time_ns
    rel = (time_ns - src.first_time_ns()) / 1e9
    layers: list[Field] = []
    udp_data: tuple[int, int] | None = None
    protos: list[str] = []
    name = src.interface_name(iface)
    title = (f"Frame {number}: {orig_len} bytes on wire ({orig_len * 8} bits), "
             f"{cap_len} bytes captured ({cap_len * 8} bits)")
    if _has_interfaces(src):  # pcapng names its interfaces; tshark's title says which one
        title += f" on interface {name or 'unknown'}, id {iface}"
    frame = make("frame", None, 0, cap_len, title)
    layers.append(frame)
    encap = WTAP_ENCAP.get(linktype, -1)
    frame.add(make("frame.interface_id", iface, 0, 0))
    if name:
        frame.add(make("frame.interface_name", name, 0, 0))
    frame.add(make("frame.encap_type", encap, 0, 0,
                   f"Encapsulation type: {ENCAP_NAMES.get(encap, f'link type {linktype}')} ({encap})"))
    frame.add(make("frame.time", time_ns / 1e9, 0, 0, f"Arrival Time: {format_abs_time(time_ns)}"))
    frame.add(make("frame.time_epoch", time_ns / 1e9, 0, 0,
                   f"Epoch Time: {time_ns // 1_000_000_000}.{time_ns % 1_000_000_000:09d} seconds"))
    frame.add(make("frame.time_delta", (time_ns - prev_ns) / 1e9, 0, 0))
    frame.add(make("frame.time_relative", rel, 0, 0))
    frame.add(make("frame.number", number, 0, 0))
    frame.add(make("frame.len", orig_len, 0, 0, f"Frame Length: {orig_len} bytes ({orig_len * 8} bits)"))
    frame.add(make("frame.cap_len", cap_len, 0, 0, f"Capture Length: {cap_len} bytes ({cap_len * 8} bits)"))
    frame.add(make("frame.marked", 0, 0, 0, "Frame is marked: False"))
    frame.add(make("frame.ignored", 0, 0, 0, "Frame is ignored: False"))

    protocol, info = "", ""
    etype, pos = dissect_link(data, linktype, layers, protos)
    src_text = dst_text = ""
    if linktype == fast.LINKTYPE_ETHERNET and len(data) >= 12:
        src_text, dst_text = mac(data[6:12]), mac(data[0:6])
        protocol, info = "Ethernet", f"Ethertype 0x{etype:04x}"
        if etype == IEEE_802_3:  # Logical-Link Control (and STP) within the 802.3 length
            protocol, info = dissect_llc(data, pos, pos + int.from_bytes(data[12:14], "big"), layers, protos)
            pos = -1
    l4proto, l4, l4end, frag, wire_end = -1, -1, -1, 0, -1
    # The network layer, and the tunnels it leads to (dissect/tunnel.py; where each inner packet starts
    # is dissect/encap.py's, as for the analysis pass): the loop ends at the innermost network header.
    wire_len = max(orig_len, cap_len)  # where the current datagram may end on the wire
    outer_udp = list(getattr(src, "outer_udp_streams", _no_outer)(number))
    gtp = teredo_to_server = False
    for depth in range(enc.MAX_DEPTH + 1):
        if pos < 0:
            break
        if etype in enc.MPLS_TYPES:
            nx = tunnel.dissect_mpls(data, pos, len(data), layers, protos)
            protocol, info = nx.protocol, nx.info
            etype, pos, more = _inner(data, nx, len(data), layers, protos)
            if more:
                src_text, dst_text, protocol, info = more
            continue
        if etype == fast.ETH_IPV4:
            l4proto, l4, l4end, frag = dissect_ipv4(data, pos, layers, protos, wire_len)
            protocol, info = "IPv4", bogus_length_info(data, pos)
            if l4 >= 0:
                src_text, dst_text = ipv4_text(data[pos + 12:pos + 16]), ipv4_text(data[pos + 16:pos + 20])
                if frag & 0x7FFFFFFF or frag >> 31:
                    info = f"Fragmented IP protocol (proto={l4proto}, off={frag & 0x7FFFFFFF})"
                    if frag & 0x7FFFFFFF:
                        l4proto = -1
        elif etype == fast.ETH_IPV6:
            l4proto, l4, l4end = dissect_ipv6(data, pos, layers, protos)
            no_next = l4proto == 59 or (len(data) >= pos + 40 and data[pos + 6] == 59)
            protocol, info, frag = "IPv6", "IPv6 no next header" if no_next else "", 0
            if len(data) >= pos + 40:
                src_text = socket.inet_ntop(socket.AF_INET6, bytes(data[pos + 8:pos + 24]))
                dst_text = socket.inet_ntop(socket.AF_INET6, bytes(data[pos + 24:pos + 40]))
        else:
            break
        # The IP lengths give the true end of the transport segment (within the frame's wire length,
        # as tshark); a short capture ends earlier.
        wire_end = payload_end(data, pos, 4 if etype == fast.ETH_IPV4 else 6, wire_len) if l4 >= 0 else l4end
        if l4 < 0 or depth == enc.MAX_DEPTH or frag:
            break
        if l4proto in (4, 41):  # IPv4 / IPv6 in IP
            etype, pos, wire_len, l4, l4proto = fast.ETH_IPV4 if l4proto == 4 else fast.ETH_IPV6, l4, wire_end, -1, -1
            continue
        if l4proto == 47:
            lim = min(len(data), wire_end)
            nx = tunnel.dissect_gre(data, l4, lim, layers, protos)
        elif l4proto == 17 and l4 + 8 <= len(data) and enc.udp_tunnel_port(*struct.unpack_from(">HH", data, l4)):
            sport, dport, ulen = struct.unpack_from(">HHH", data, l4)
            stream = outer_udp.pop(0) if outer_udp else src.stream_context(number).stream
            dissect_udp(data, l4, wire_end, stream, layers, protos)
            wire_end = min(wire_end, l4 + ulen) if ulen >= 8 else wire_end
            lim = min(len(data), wire_end)
            port = enc.udp_tunnel_port(sport, dport)
            nx = tunnel.UDP_DISSECTORS[port](data, l4 + 8, lim, layers, protos)
            gtp = port == enc.PORT_GTPU and nx.kind != enc.NONE
            teredo_to_server = port == enc.PORT_TEREDO and dport == enc.PORT_TEREDO
        else:
            break
        protocol, info = nx.protocol, nx.info
        etype, pos, more = _inner(data, nx, lim, layers, protos)
        if more:
            src_text, dst_text, protocol, info = more
            if etype not in _FOLLOWED_ETHERTYPES:  # an inner Ethernet frame nothing here decodes
                tunnel.data_layer(data, pos, lim, layers, protos)
        wire_len, l4, l4proto = wire_end, -1, -1
    if l4 >= 0 and l4proto == 6:
        ctx = src.stream_context(number)
        info, payload_off, payload_len = dissect_tcp(data, l4, wire_end, ctx, layers, protos)
        protocol = "TCP"
        if upper:
            analysis, prefix = src.tcp_analysis(number)
            if analysis:
                layers[-1].children.extend(analysis)
            info = prefix + info + src.info_suffix(number)
    elif l4 >= 0 and l4proto == 17:
        ctx = src.stream_context(number)
        info, payload_off, payload_len = dissect_udp(data, l4, wire_end, ctx.stream, layers, protos)
        protocol = "UDP"
        app = clear.udp_layers(data, payload_off, payload_off + payload_len, *struct.unpack_from(">HH", data, l4),
                               protos, facts=getattr(src, "clear_facts", None), number=number) \
            if upper and payload_len and payload_off >= 0 and not (etype == fast.ETH_IPV4 and frag >> 31) else None
        if app:  # DNS, mDNS, LLMNR, STUN (dissect/clear.py)
            layers.extend(app[0])
            protocol, info = app[1], app[2]
        elif upper and payload_len and payload_off >= 0 and not (etype == fast.ETH_IPV4 and frag >> 31):
            udp_data = (payload_off, payload_off + payload_len)  # tshark's "data", unless DTLS/QUIC take it
    elif l4 >= 0 and l4proto in (1, 58):  # ICMP, ICMPv6 (dissect/icmp.py)
        facts = getattr(src, "clear_facts", None) if upper else None
        v4 = l4proto == 1
        a, b = (pos + 12, pos + 16) if v4 else (pos + 8, pos + 24)
        protocol = "ICMP" if v4 else "ICMPv6"
        info = icmp_layer.dissect_icmp(data, l4, l4end, 4 if v4 else 6, number, bytes(data[a:a + (b - a)]),
                                       bytes(data[b:b + (b - a)]), data[pos + 8] if v4 else data[pos + 7], layers,
                                       protos, facts or icmp_layer.NO_HELPER)
        if teredo_to_server and not v4 and l4 < len(data) and data[l4] == 128:
            protocol, info = "Teredo", tunnel.teredo_test_info(info)  # RFC 4380 5.2.9, as tshark names it
            if layers[-1].name == "data" and protos[-1:] == ["data"]:  # tshark leaves the test's payload undissected
                layers.pop()
                protos.pop()
    elif l4 >= 0 and l4proto == 50:  # IPsec ESP (dissect/tunnel.py)
        protocol, info = tunnel.dissect_esp(data, l4, min(len(data), l4end), layers, protos)
    elif pos >= 0 and etype == 0x0806:  # ARP (dissect/arp.py)
        facts = getattr(src, "clear_facts", None) if upper else None
        protocol, info = arp_layer.dissect_arp(data, pos, layers, protos,
                                               facts.arp_duplicate(number) if facts else None)
    elif pos >= 0 and etype not in _FOLLOWED_ETHERTYPES and layers[-1].name == "eth" and \
            linktype == fast.LINKTYPE_ETHERNET:  # an Ethernet type nothing here knows: tshark's data
        tunnel.data_layer(data, pos, len(data), layers, protos)
        protocol, info = f"0x{etype:04x}", _LOCAL_ETHERTYPES.get(etype, "Ethernet II")
    sources = {FRAME: data}
    above, extra = src.upper_layers(number, data) if upper and not columns_only else ([], {})
    if udp_data is not None and not above and not columns_only:
        tunnel.data_layer(data, udp_data[0], udp_data[1], layers, protos)  # a datagram nothing decodes
    if above:
        layers.extend(above)
        sources.update(extra)
        for f in above:
            if f.hidden and not f.name and f.label is PROTOCOL_AGAIN:  # a protocol named again (field.py)
                protos.append(f.value)
            elif f.name and f.name not in protos and "." not in f.name:
                protos.append(f.name)
    col = src.upper_column(number) if upper else None
    if col:
        protocol, info = col
    if gtp:
        protocol = f"GTP <{protocol}>"  # tshark's GTP names what its T-PDU carried
    if cap_len < orig_len:
        layers.append(make("_ws.short", None, cap_len, 0, "[Packet size limited during capture]"))
    frame.add(make("frame.protocols", ":".join(protos), 0, 0))
    return FrameTree(number, layers, sources, protocol, info, src_text, dst_text)
