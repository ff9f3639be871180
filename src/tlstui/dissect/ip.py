"""IPv4 and IPv6 headers, every field with its byte range."""
from __future__ import annotations

import socket
import struct

from ..field import Field
from ..registry import Base, FieldType as T, register
from .tree import make

IP_PROTOS = {1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 41: "IPv6", 47: "GRE", 50: "ESP", 51: "AH",
             58: "ICMPv6", 132: "SCTP", 0: "IPv6 Hop-by-Hop Option", 43: "Routing Header for IPv6",
             44: "Fragment Header for IPv6", 60: "Destination Options for IPv6", 59: "No Next Header"}

register("ip", T.PROTOCOL, "Internet Protocol Version 4")
register("ip.version", T.UINT, "Version", bits=8)
register("ip.hdr_len", T.UINT, "Header Length", bits=8)
register("ip.dsfield", T.UINT, "Differentiated Services Field", Base.HEX, 8)
register("ip.dsfield.dscp", T.UINT, "Differentiated Services Codepoint", bits=8)
register("ip.dsfield.ecn", T.UINT, "Explicit Congestion Notification", bits=8)
register("ip.len", T.UINT, "Total Length", bits=16)
register("ip.id", T.UINT, "Identification", Base.HEX, 16)
register("ip.flags", T.UINT, "Flags", Base.HEX, 8)
register("ip.flags.rb", T.BOOLEAN, "Reserved bit")
register("ip.flags.df", T.BOOLEAN, "Don't fragment")
register("ip.flags.mf", T.BOOLEAN, "More fragments")
register("ip.frag_offset", T.UINT, "Fragment Offset", bits=16)
register("ip.ttl", T.UINT, "Time to Live", bits=8)
register("ip.proto", T.UINT, "Protocol", bits=8, value_names=IP_PROTOS)
register("ip.checksum", T.UINT, "Header Checksum", Base.HEX, 16)
register("ip.checksum.status", T.UINT, "Header checksum status", bits=8,
         value_names={0: "Bad", 1: "Good", 2: "Unverified"})
register("ip.src", T.IPV4, "Source Address")
register("ip.dst", T.IPV4, "Destination Address")
register("ip.addr", T.IPV4, "Source or Destination Address")
register("ip.src_host", T.STRING, "Source Host")
register("ip.dst_host", T.STRING, "Destination Host")
register("ip.host", T.STRING, "Source or Destination Host")
register("ip.options", T.BYTES, "Options")
register("ip.opt.type", T.UINT, "Type", bits=8)
register("ip.opt.len", T.UINT, "Length", bits=8)
register("ip.opt.padding", T.BYTES, "Padding")

register("ipv6", T.PROTOCOL, "Internet Protocol Version 6")
register("ipv6.version", T.UINT, "Version", bits=8)
register("ipv6.tclass", T.UINT, "Traffic Class", Base.HEX, 8)
register("ipv6.tclass.dscp", T.UINT, "Differentiated Services Codepoint", bits=8)
register("ipv6.tclass.ecn", T.UINT, "Explicit Congestion Notification", bits=8)
register("ipv6.flow", T.UINT, "Flow Label", Base.HEX, 20)
register("ipv6.plen", T.UINT, "Payload Length", bits=16)
register("ipv6.nxt", T.UINT, "Next Header", bits=8, value_names=IP_PROTOS)
register("ipv6.hlim", T.UINT, "Hop Limit", bits=8)
register("ipv6.src", T.IPV6, "Source Address")
register("ipv6.dst", T.IPV6, "Destination Address")
register("ipv6.addr", T.IPV6, "Source or Destination Address")
register("ipv6.src_host", T.STRING, "Source Host")
register("ipv6.dst_host", T.STRING, "Destination Host")
register("ipv6.host", T.STRING, "Source or Destination Host")

_IPOPT_NAMES = {0: "End of Options List (EOL)", 1: "No-Operation (NOP)", 7: "Record Route", 68: "Time Stamp",
                130: "Security", 131: "Loose Source Route", 137: "Strict Source Route", 148: "Router Alert"}


def ipv4_text(b: bytes) -> str:
    return socket.inet_ntoa(b)


def payload_end(data: bytes, pos: int, version: int, wire_len: int) -> int:
    """Where the IP datagram at ``pos`` ends on the wire, as tshark bounds it: its length field,
    cut to the frame's wire length ``wire_len`` (a longer claim ends with the frame), and an IPv4
    total length of 0 (TSO/GSO: the stack handed the NIC one large segment) the frame's end.
    The same rule as ``fast.parse_transport``'s; may lie past the captured bytes."""
    if version == 4:
        total = struct.unpack_from(">H", data, pos + 2)[0]
        return wire_len if total == 0 else min(pos + total, wire_len)
    return min(pos + 40 + struct.unpack_from(">H", data, pos + 4)[0], wire_len)


def bogus_length_info(data: bytes, pos: int) -> str:
    """tshark's Info for an IPv4 header it gives up on: a version other than 4, a header length
    under 20, a total length shorter than the header ('' for a sound header)."""
    if pos + 20 > len(data):
        return ""
    ver, ihl, total = data[pos] >> 4, (data[pos] & 15) * 4, struct.unpack_from(">H", data, pos + 2)[0]
    if ver != 4:
        return f"Bogus IPv4 version ({ver}, must be 4)"
    if ihl < 20:
        return f"Bogus IP header length ({ihl}, must be at least 20)"
    return f"Bogus IP length ({total}, less than header length {ihl})" if 0 < total < ihl else ""


def _bogus(ip: Field, pos: int, what: str, layers: list[Field], protos: list[str]) -> tuple[int, int, int, int]:
    """End the IPv4 layer where tshark stops (no addresses, nothing above IP)."""
    e = ip.add(make("_ws.expert", None, pos, 1, f"[Expert Info (Error/Protocol): {what}]"))
    e.add(make("_ws.expert.message", what, pos, 1, hidden=True))
    ip.label = "Internet Protocol Version 4"
    layers.append(ip)
    protos.append("ip")
    return -1, -1, -1, 0


def dissect_ipv4(data: bytes, pos: int, layers: list[Field], protos: list[str],
                 wire_len: int = 0) -> tuple[int, int, int, int]:
    """Add the IPv4 layer.  Returns (protocol, transport offset, transport end, fragment offset*8|mf).
    ``wire_len``: the frame's length on the wire (0: its captured length), for a TSO length of 0."""
    n = len(data)
    if pos + 20 > n:
        layers.append(make("ip", None, pos, n - pos, "Internet Protocol Version 4 [cut short]"))
        protos.append("ip")
        return -1, -1, -1, 0
    vhl, tos, total, ip_id, frag, ttl, proto, csum = struct.unpack_from(">BBHHHBBH", data, pos)
    src, dst = data[pos + 12:pos + 16], data[pos + 16:pos + 20]
    ihl = (vhl & 15) * 4
    s, d = ipv4_text(src), ipv4_text(dst)
    ip = make("ip", None, pos, max(20, min(ihl, n - pos)), f"Internet Protocol Version 4, Src: {s}, Dst: {d}")
    ip.add(make("ip.version", vhl >> 4, pos, 1, f"{vhl >> 4:04b} .... = Version: {vhl >> 4}"))
    if vhl >> 4 != 4:
        return _bogus(ip, pos, "Bogus IP version", layers, protos)
    ip.add(make("ip.hdr_len", ihl, pos, 1, f".... {vhl & 15:04b} = Header Length: {ihl} bytes ({vhl & 15})"))
    if ihl < 20:
        return _bogus(ip, pos, "Bogus IP header length", layers, protos)
    ds = ip.add(make("ip.dsfield", tos, pos + 1, 1,
                     f"Differentiated Services Field: 0x{tos:02x} (DSCP: {tos >> 2}, ECN: {tos & 3})"))
    ds.add(make("ip.dsfield.dscp", tos >> 2, pos + 1, 1))
    ds.add(make("ip.dsfield.ecn", tos & 3, pos + 1, 1))
    if total == 0:
        total = max(wire_len, n) - pos  # tshark's ip.tso_support: the length the frame gives
        ip.add(make("ip.len", total, pos + 2, 2, f"Total Length: {total} bytes (reported as 0, presumed to be "
                                                 "because of \"TCP segmentation offload\" (TSO))"))
    elif total < ihl:
        ip.add(make("ip.len", total, pos + 2, 2,
                    f"Total Length: {total} bytes (bogus, less than header length {ihl})"))
        return _bogus(ip, pos + 2, "Bogus IP length", layers, protos)
    else:
        ip.add(make("ip.len", total, pos + 2, 2))
    ip.add(make("ip.id", ip_id, pos + 4, 2, f"Identification: 0x{ip_id:04x} ({ip_id})"))
    fl = frag >> 13
    names = [nm for bit, nm in ((2, "Reserved"), (1, "Don't fragment"), (0, "More fragments")) if fl >> bit & 1]
    f = ip.add(make("ip.flags", fl, pos + 6, 1, f"Flags: 0x{fl:x}{', ' + ', '.join(names) if names else ''}"))
    for bit, nm, title in ((2, "ip.flags.rb", "Reserved bit"), (1, "ip.flags.df", "Don't fragment"),
                           (0, "ip.flags.mf", "More fragments")):
        v = fl >> bit & 1
        f.add(make(nm, v, pos + 6, 1, f"{title}: {'Set' if v else 'Not set'}"))
    # tshark 4.0 gives the field in its own 8-byte units (the Info column's "off=" is in bytes).
    b = f"{frag & 0x1FFF:013b}"
    ip.add(make("ip.frag_offset", frag & 0x1FFF, pos + 6, 2,
                f"...{b[0]} {b[1:5]} {b[5:9]} {b[9:]} = Fragment Offset: {frag & 0x1FFF}"))
    ip.add(make("ip.ttl", ttl, pos + 8, 1))
    ip.add(make("ip.proto", proto, pos + 9, 1, f"Protocol: {IP_PROTOS.get(proto, 'Unknown')} ({proto})"))
    ip.add(make("ip.checksum", csum, pos + 10, 2, f"Header Checksum: 0x{csum:04x} [validation disabled]"))
    ip.add(make("ip.checksum.status", 2, pos + 10, 0, "Header checksum status: Unverified"))
    src_i, dst_i = int.from_bytes(src, "big"), int.from_bytes(dst, "big")
    ip.add(make("ip.src", src_i, pos + 12, 4))
    ip.add(make("ip.addr", src_i, pos + 12, 4, hidden=True))
    ip.add(make("ip.src_host", s, pos + 12, 4, hidden=True))
    ip.add(make("ip.host", s, pos + 12, 4, hidden=True))
    ip.add(make("ip.dst", dst_i, pos + 16, 4))
    ip.add(make("ip.addr", dst_i, pos + 16, 4, hidden=True))
    ip.add(make("ip.dst_host", d, pos + 16, 4, hidden=True))
    ip.add(make("ip.host", d, pos + 16, 4, hidden=True))
    if ihl > 20 and pos + ihl <= n:
        _ipv4_options(data, pos + 20, pos + ihl, ip)
    layers.append(ip)
    protos.append("ip")
    if ihl < 20 or pos + ihl > n:
        return -1, -1, -1, 0
    end = pos + total if total >= ihl else n
    return proto, pos + ihl, min(end, n), (frag & 0x1FFF) * 8 | (fl & 1) << 31


def _ipv4_options(data: bytes, start: int, end: int, ip: Field) -> None:
    opts = ip.add(make("ip.options", bytes(data[start:end]), start, end - start,
                       f"Options: ({end - start} bytes)"))
    pos = start
    while pos < end:
        kind = data[pos]
        if kind in (0, 1):
            o = opts.add(make("", None, pos, 1, f"IP Option - {_IPOPT_NAMES[kind]}"))
            o.add(make("ip.opt.type", kind, pos, 1))
            pos += 1
            if kind == 0:
                if pos < end:
                    opts.add(make("ip.opt.padding", bytes(data[pos:end]), pos, end - pos))
                break
            continue
        if pos + 2 > end or data[pos + 1] < 2 or pos + data[pos + 1] > end:
            opts.add(make("_ws.malformed", None, pos, end - pos, "[Malformed IP option]"))
            break
        olen = data[pos + 1]
        o = opts.add(make("", None, pos, olen, f"IP Option - {_IPOPT_NAMES.get(kind, f'Unknown ({kind})')}"))
        o.add(make("ip.opt.type", kind, pos, 1))
        o.add(make("ip.opt.len", olen, pos + 1, 1))
        pos += olen


def dissect_ipv6(data: bytes, pos: int, layers: list[Field], protos: list[str]) -> tuple[int, int, int]:
    """Add the IPv6 layer.  Returns (next protocol, transport offset, transport end)."""
    n = len(data)
    if pos + 40 > n:
        layers.append(make("ipv6", None, pos, n - pos, "Internet Protocol Version 6 [cut short]"))
        protos.append("ipv6")
        return -1, -1, -1
    word, plen, nxt, hlim = struct.unpack_from(">IHBB", data, pos)
    src, dst = bytes(data[pos + 8:pos + 24]), bytes(data[pos + 24:pos + 40])
    s, d = socket.inet_ntop(socket.AF_INET6, src), socket.inet_ntop(socket.AF_INET6, dst)
    ip = make("ipv6", None, pos, 40, f"Internet Protocol Version 6, Src: {s}, Dst: {d}")
    tclass = (word >> 20) & 0xFF
    ip.add(make("ipv6.version", word >> 28, pos, 1))
    ip.add(make("ip.version", word >> 28, pos, 1, hidden=True))  # tshark's IPv6 adds it too (filters on ip.version)
    tc = ip.add(make("ipv6.tclass", tclass, pos, 4))
    tc.add(make("ipv6.tclass.dscp", tclass >> 2, pos, 4))
    tc.add(make("ipv6.tclass.ecn", tclass & 3, pos, 4))
    ip.add(make("ipv6.flow", word & 0xFFFFF, pos + 1, 3, f"Flow Label: 0x{word & 0xFFFFF:05x}"))
    ip.add(make("ipv6.plen", plen, pos + 4, 2))
    ip.add(make("ipv6.nxt", nxt, pos + 6, 1, f"Next Header: {IP_PROTOS.get(nxt, 'Unknown')} ({nxt})"))
    ip.add(make("ipv6.hlim", hlim, pos + 7, 1))
    ip.add(make("ipv6.src", src, pos + 8, 16))
    ip.add(make("ipv6.addr", src, pos + 8, 16, hidden=True))
    ip.add(make("ipv6.src_host", s, pos + 8, 16, hidden=True))
    ip.add(make("ipv6.host", s, pos + 8, 16, hidden=True))
    ip.add(make("ipv6.dst", dst, pos + 24, 16))
    ip.add(make("ipv6.addr", dst, pos + 24, 16, hidden=True))
    ip.add(make("ipv6.dst_host", d, pos + 24, 16, hidden=True))
    ip.add(make("ipv6.host", d, pos + 24, 16, hidden=True))
    layers.append(ip)
    protos.append("ipv6")
    l4 = pos + 40
    if plen == 0 and nxt != 0:
        # tshark 4.0 ("IPv6 payload length equals 0 (maybe because of TSO)") hands the next layer no
        # bytes at all: its dissector fails on its first field.
        e = ip.add(make("_ws.expert", None, pos + 4, 2, "[Expert Info (Chat/Protocol): IPv6 payload length "
                                                       "equals 0 (maybe because of \"TCP segmentation offload\" (TSO))]"))
        e.add(make("_ws.expert.message", "IPv6 payload length equals 0 (maybe because of \"TCP segmentation "
                                         "offload\" (TSO))", pos + 4, 2, hidden=True))
        name = {6: "tcp", 17: "udp", 58: "icmpv6"}.get(nxt)
        if name:
            protos.append(name)
            layers.append(make("_ws.malformed", None, l4, 0, f"[Malformed Packet: {name.upper()}]"))
        return -1, -1, -1
    while nxt in (0, 43, 60) and l4 + 2 <= n:
        hlen = (data[l4 + 1] + 1) * 8
        ip.add(make("", None, l4, min(hlen, n - l4), IP_PROTOS[nxt]))
        nxt, l4 = data[l4], l4 + hlen
    return nxt, l4, min(pos + 40 + plen, n)
