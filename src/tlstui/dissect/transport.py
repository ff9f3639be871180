"""TCP and UDP headers: every field, each flag, the options; stream and relative numbers.

Values that need the whole capture (stream index, relative sequence numbers, window scale)
come from the conversation pass through ``StreamContext``.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from ..field import Field
from ..registry import Base, FieldType as T, register
from .tree import make, text

register("tcp", T.PROTOCOL, "Transmission Control Protocol")
register("tcp.srcport", T.UINT, "Source Port", bits=16)
register("tcp.dstport", T.UINT, "Destination Port", bits=16)
register("tcp.port", T.UINT, "Source or Destination Port", bits=16)
register("tcp.stream", T.UINT, "Stream index")
register("tcp.completeness", T.UINT, "Conversation completeness")
register("tcp.len", T.UINT, "TCP Segment Len")
register("tcp.seq", T.UINT, "Sequence Number")
register("tcp.seq_raw", T.UINT, "Sequence Number (raw)")
register("tcp.nxtseq", T.UINT, "Next Sequence Number")
register("tcp.ack", T.UINT, "Acknowledgment Number")
register("tcp.ack_raw", T.UINT, "Acknowledgment number (raw)")
register("tcp.hdr_len", T.UINT, "Header Length", bits=8)
register("tcp.flags", T.UINT, "Flags", Base.HEX, 16)
register("tcp.flags.res", T.BOOLEAN, "Reserved")
register("tcp.flags.ae", T.BOOLEAN, "Accurate ECN")
register("tcp.flags.cwr", T.BOOLEAN, "Congestion Window Reduced")
register("tcp.flags.ece", T.BOOLEAN, "ECN-Echo")
register("tcp.flags.urg", T.BOOLEAN, "Urgent")
register("tcp.flags.ack", T.BOOLEAN, "Acknowledgment")
register("tcp.flags.push", T.BOOLEAN, "Push")
register("tcp.flags.reset", T.BOOLEAN, "Reset")
register("tcp.flags.syn", T.BOOLEAN, "Syn")
register("tcp.flags.fin", T.BOOLEAN, "Fin")
register("tcp.flags.str", T.STRING, "TCP Flags")
register("tcp.window_size_value", T.UINT, "Window", bits=16)
register("tcp.window_size", T.UINT, "Calculated window size")
register("tcp.window_size_scalefactor", T.INT, "Window size scaling factor")
register("tcp.checksum", T.UINT, "Checksum", Base.HEX, 16)
register("tcp.checksum.status", T.UINT, "Checksum Status", bits=8)
register("tcp.urgent_pointer", T.UINT, "Urgent Pointer", bits=16)
register("tcp.options", T.BYTES, "Options")
register("tcp.option_kind", T.UINT, "Kind", bits=8)
register("tcp.option_len", T.UINT, "Length", bits=8)
register("tcp.options.nop", T.BYTES, "TCP Option - No-Operation (NOP)")
register("tcp.options.eol", T.BYTES, "TCP Option - End of Option List (EOL)")
register("tcp.options.mss", T.BYTES, "TCP Option - Maximum segment size")
register("tcp.options.mss_val", T.UINT, "MSS Value", bits=16)
register("tcp.options.wscale", T.BYTES, "TCP Option - Window scale")
register("tcp.options.wscale.shift", T.UINT, "Shift count", bits=8)
register("tcp.options.wscale.multiplier", T.UINT, "Multiplier", bits=16)
register("tcp.options.sack_perm", T.BYTES, "TCP Option - SACK permitted")
register("tcp.options.sack", T.BYTES, "TCP Option - SACK")
register("tcp.options.sack_le", T.UINT, "left edge")
register("tcp.options.sack_re", T.UINT, "right edge")
register("tcp.options.sack.count", T.UINT, "Number of SACK blocks", bits=8)
register("tcp.options.timestamp", T.BYTES, "TCP Option - Timestamps")
register("tcp.options.timestamp.tsval", T.UINT, "Timestamp value")
register("tcp.options.timestamp.tsecr", T.UINT, "Timestamp echo reply")
register("tcp.options.unknown", T.BYTES, "TCP Option - Unknown")
register("tcp.payload", T.BYTES, "TCP payload")
register("tcp.time_relative", T.RELATIVE_TIME, "Time since first frame in this TCP stream")
register("tcp.time_delta", T.RELATIVE_TIME, "Time since previous frame in this TCP stream")

register("udp", T.PROTOCOL, "User Datagram Protocol")
register("udp.srcport", T.UINT, "Source Port", bits=16)
register("udp.dstport", T.UINT, "Destination Port", bits=16)
register("udp.port", T.UINT, "Source or Destination Port", bits=16)
register("udp.length", T.UINT, "Length", bits=16)
register("udp.checksum", T.UINT, "Checksum", Base.HEX, 16)
register("udp.checksum.status", T.UINT, "Checksum Status", bits=8)
register("udp.stream", T.UINT, "Stream index")
register("udp.payload", T.BYTES, "UDP payload")
register("data", T.PROTOCOL, "Data")
register("data.data", T.BYTES, "Data")
register("data.len", T.UINT, "Length")

FLAG_BITS = [(0x800, "tcp.flags.res", "Reserved", "000. .... ...."),  # shown as 3 bits
             (0x100, "tcp.flags.ae", "Accurate ECN", "...0 .... ...."),
             (0x080, "tcp.flags.cwr", "Congestion Window Reduced", ".... 0... ...."),
             (0x040, "tcp.flags.ece", "ECN-Echo", ".... .0.. ...."),
             (0x020, "tcp.flags.urg", "Urgent", ".... ..0. ...."),
             (0x010, "tcp.flags.ack", "Acknowledgment", ".... ...0 ...."),
             (0x008, "tcp.flags.push", "Push", ".... .... 0..."),
             (0x004, "tcp.flags.reset", "Reset", ".... .... .0.."),
             (0x002, "tcp.flags.syn", "Syn", ".... .... ..0."),
             (0x001, "tcp.flags.fin", "Fin", ".... .... ...0")]
FLAG_NAMES = [(0x001, "FIN"), (0x002, "SYN"), (0x004, "RST"), (0x008, "PSH"), (0x010, "ACK"),
              (0x020, "URG"), (0x040, "ECE"), (0x080, "CWR"), (0x100, "AE")]
INFO_FLAG_ORDER = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "AE"]
_FLAG_STR = "RRRACEUAPRSF"  # tcp.flags.str positions, high bit first


def flag_names(flags: int) -> list[str]:
    return [n for bit, n in FLAG_NAMES if flags & bit]


def flags_str(flags: int) -> str:
    out = []
    for i, ch in enumerate(_FLAG_STR):
        bit = 1 << (11 - i)
        out.append(ch if flags & bit else "\u00b7")
    return "".join(out)


@dataclass(slots=True)
class StreamContext:
    """What the conversation pass knows about one TCP/UDP frame."""

    stream: int = -1
    rel_seq: int = 0
    rel_ack: int = 0
    win_shift: int = -1  # -1: unknown (no SYN seen), -2: scaling not used
    time_relative: float = 0.0
    time_delta: float = 0.0
    ack_base: int = 0  # the reverse direction's base sequence number, for SACK edges
    completeness: int = -1  # tcp.completeness (-1: not a TCP stream's frame)


def completeness_field(value: int, pos: int) -> Field:
    from ..tcp.conversations import completeness_text

    return make("tcp.completeness", value, pos, 0, f"[Conversation completeness: {completeness_text(value)}]")


def parse_options(data: bytes, start: int, end: int) -> list[tuple[int, int, int]]:
    """[(kind, offset, length)] for the TCP options in data[start:end]; stops at damage."""
    out = []
    pos = start
    while pos < end:
        kind = data[pos]
        if kind in (0, 1):
            out.append((kind, pos, 1))
            pos += 1
            if kind == 0:
                break
            continue
        if pos + 1 >= end or data[pos + 1] < 2 or pos + data[pos + 1] > end:
            out.append((-1, pos, end - pos))
            break
        out.append((kind, pos, data[pos + 1]))
        pos += data[pos + 1]
    return out


def dissect_tcp(data: bytes, pos: int, end: int, ctx: StreamContext, layers: list[Field],
                protos: list[str]) -> tuple[str, int, int]:
    """Add the TCP layer.  Returns (Info text, payload offset, payload length on the wire)."""
    n = len(data)
    if pos + 20 > n:
        layers.append(make("tcp", None, pos, n - pos, "Transmission Control Protocol [cut short]"))
        protos.append("tcp")
        return "[Malformed TCP header]", -1, 0
    sport, dport, seq, ack, doff, fl, win, csum, urg = struct.unpack_from(">HHIIBBHHH", data, pos)
    hl = (doff >> 4) * 4
    flags = fl | (doff & 0x0F) << 8
    seg_len = max(0, end - pos - hl)
    rel_seq, rel_ack = ctx.rel_seq, ctx.rel_ack
    nxt = rel_seq + seg_len + (1 if flags & 0x02 else 0) + (1 if flags & 0x01 else 0)
    tcp = make("tcp", None, pos, max(20, min(hl, n - pos)),
               f"Transmission Control Protocol, Src Port: {sport}, Dst Port: {dport}, Seq: {rel_seq}"
               + (f", Ack: {rel_ack}" if flags & 0x10 else "") + f", Len: {seg_len}")
    tcp.add(make("tcp.srcport", sport, pos, 2))
    tcp.add(make("tcp.dstport", dport, pos + 2, 2))
    tcp.add(make("tcp.port", sport, pos, 2, hidden=True))
    tcp.add(make("tcp.port", dport, pos + 2, 2, hidden=True))
    if ctx.stream >= 0:
        tcp.add(make("tcp.stream", ctx.stream, pos, 0))
    if ctx.completeness >= 0:
        tcp.add(completeness_field(ctx.completeness, pos))
    tcp.add(make("tcp.len", seg_len, pos, 0))
    tcp.add(make("tcp.seq", rel_seq, pos + 4, 4, f"Sequence Number: {rel_seq}    (relative sequence number)"))
    tcp.add(make("tcp.seq_raw", seq, pos + 4, 4))
    tcp.add(make("tcp.nxtseq", nxt, pos, 0, f"[Next Sequence Number: {nxt}    (relative sequence number)]"))
    tcp.add(make("tcp.ack", rel_ack, pos + 8, 4,
                 f"Acknowledgment Number: {rel_ack}" + ("    (relative ack number)" if flags & 0x10 else "")))
    tcp.add(make("tcp.ack_raw", ack, pos + 8, 4))
    tcp.add(make("tcp.hdr_len", hl, pos + 12, 1, f"{doff >> 4:04b} .... = Header Length: {hl} bytes ({doff >> 4})"))
    names = flag_names(flags)
    fl_field = tcp.add(make("tcp.flags", flags, pos + 12, 2,
                            f"Flags: 0x{flags:03x} ({', '.join(names) if names else '<None>'})"))
    for bit, name, title, pattern in FLAG_BITS:
        v = 1 if flags & bit else 0
        if bit == 0x800:
            v = 1 if flags & 0xE00 else 0
        shown = pattern.replace("0", "1") if v and bit != 0x800 else pattern
        fl_field.add(make(name, v, pos + 12, 2 if bit >= 0x100 else 1,
                          f"{shown} = {title}: {'Set' if v else 'Not set'}"))
    fl_field.add(make("tcp.flags.str", flags_str(flags), pos + 12, 2))
    tcp.add(make("tcp.window_size_value", win, pos + 14, 2))
    if ctx.win_shift >= 0 and not flags & 0x02:
        calc = win << ctx.win_shift
        tcp.add(make("tcp.window_size", calc, pos + 14, 2))
        tcp.add(make("tcp.window_size_scalefactor", 1 << ctx.win_shift, pos + 14, 2))
    else:
        calc = win
        tcp.add(make("tcp.window_size", win, pos + 14, 2))
        if not flags & 0x02:
            tcp.add(make("tcp.window_size_scalefactor", ctx.win_shift, pos + 14, 2,
                         f"Window size scaling factor: {ctx.win_shift} "
                         f"({'unknown' if ctx.win_shift == -1 else 'no window scaling used'})"))
    tcp.add(make("tcp.checksum", csum, pos + 16, 2, f"Checksum: 0x{csum:04x} [unverified]"))
    tcp.add(make("tcp.checksum.status", 2, pos + 16, 0, "[Checksum Status: Unverified]"))
    tcp.add(make("tcp.urgent_pointer", urg, pos + 18, 2))
    info_opts: list[str] = []
    if hl > 20:
        if pos + hl > n:
            tcp.add(make("_ws.malformed", None, pos + 20, n - pos - 20, "[Options cut short by the snapshot length]"))
        else:
            _options(data, pos + 20, pos + hl, tcp, info_opts, ctx)
    if hl < 20:
        tcp.add(make("_ws.malformed", None, pos + 12, 1, f"[Bogus TCP header length ({hl}, must be at least 20)]"))
    if ctx.stream >= 0:
        ts = tcp.add(text("[Timestamps]", pos, 0))
        ts.add(make("tcp.time_relative", ctx.time_relative, pos, 0,
                    f"[Time since first frame in this TCP stream: {ctx.time_relative:.9f} seconds]"))
        ts.add(make("tcp.time_delta", ctx.time_delta, pos, 0,
                    f"[Time since previous frame in this TCP stream: {ctx.time_delta:.9f} seconds]"))
    payload_off = pos + hl
    if seg_len and payload_off < n:
        tcp.add(make("tcp.payload", bytes(data[payload_off:min(payload_off + seg_len, n)]), payload_off,
                     min(seg_len, n - payload_off), f"TCP payload ({seg_len} bytes)"))
    layers.append(tcp)
    protos.append("tcp")
    return _info_text(sport, dport, names, flags, rel_seq, rel_ack, calc, urg, seg_len, info_opts), payload_off, seg_len


def _info_text(sport: int, dport: int, names: list[str], flags: int, rel_seq: int, rel_ack: int, window: int,
               urg: int, seg_len: int, options: list[str]) -> str:
    info = [f"{sport} \u2192 {dport} [{', '.join(n_ for n_ in INFO_FLAG_ORDER if n_ in names) or '<None>'}]",
            f"Seq={rel_seq}"]
    if flags & 0x10:
        info.append(f"Ack={rel_ack}")
    info.append(f"Win={window}")
    if flags & 0x20:
        info.append(f"Urg={urg}")
    info.append(f"Len={seg_len}")
    return " ".join(info + options)


def tcp_info(data: bytes, pos: int, end: int, ctx: StreamContext) -> str:
    """TCP's Info text, as ``dissect_tcp`` returns it, without building the layer's Fields (for an
    Info column over many frames)."""
    n = len(data)
    if pos + 20 > n:
        return "[Malformed TCP header]"
    sport, dport, _seq, _ack, doff, fl, win, _csum, urg = struct.unpack_from(">HHIIBBHHH", data, pos)
    hl = (doff >> 4) * 4
    flags = fl | (doff & 0x0F) << 8
    calc = win << ctx.win_shift if ctx.win_shift >= 0 and not flags & 0x02 else win
    opts: list[str] = []
    if 20 < hl and pos + hl <= n:
        for kind, off, ln in parse_options(data, pos + 20, pos + hl):
            if kind == -1:
                break
            opts.extend(_option_info(data, kind, off, ln, ctx))
    return _info_text(sport, dport, flag_names(flags), flags, ctx.rel_seq, ctx.rel_ack, calc, urg,
                      max(0, end - pos - hl), opts)


def _option_info(data: bytes, kind: int, off: int, ln: int, ctx: StreamContext) -> list[str]:
    """An option's words in the Info column (none for most)."""
    if kind == 2 and ln == 4:
        return [f"MSS={struct.unpack_from('>H', data, off + 2)[0]}"]
    if kind == 3 and ln == 3:
        return [f"WS={1 << min(data[off + 2], 14)}"]
    if kind == 4 and ln == 2:
        return ["SACK_PERM"]
    if kind == 5 and ln >= 2:
        out = []
        for i in range((ln - 2) // 8):
            le, re_ = struct.unpack_from(">II", data, off + 2 + 8 * i)
            out.append(f"SLE={(le - ctx.ack_base) % (1 << 32)} SRE={(re_ - ctx.ack_base) % (1 << 32)}")
        return out
    if kind == 8 and ln == 10:
        tsval, tsecr = struct.unpack_from(">II", data, off + 2)
        return [f"TSval={tsval} TSecr={tsecr}"]
    return []


_OPT_NAMES = {0: "End of Option List (EOL)", 1: "No-Operation (NOP)", 2: "Maximum Segment Size",
              3: "Window Scale", 4: "SACK Permitted", 5: "SACK", 8: "Time Stamp Option"}


def _options(data: bytes, start: int, end: int, tcp: Field, info: list[str], ctx: StreamContext) -> None:
    opts = tcp.add(make("tcp.options", bytes(data[start:end]), start, end - start, f"Options: ({end - start} bytes)"))
    for kind, off, ln in parse_options(data, start, end):
        raw = bytes(data[off:off + ln])
        if kind == -1:
            opts.add(make("_ws.malformed", None, off, ln, "[Malformed TCP option]"))
            break
        if kind == 1:
            o = opts.add(make("tcp.options.nop", raw, off, 1, "TCP Option - No-Operation (NOP)"))
        elif kind == 0:
            o = opts.add(make("tcp.options.eol", raw, off, 1, "TCP Option - End of Option List (EOL)"))
        elif kind == 2 and ln == 4:
            mss = struct.unpack_from(">H", data, off + 2)[0]
            o = opts.add(make("tcp.options.mss", raw, off, 4, f"TCP Option - Maximum segment size: {mss} bytes"))
            o.add(make("tcp.options.mss_val", mss, off + 2, 2))
        elif kind == 3 and ln == 3:
            shift = data[off + 2]
            o = opts.add(make("tcp.options.wscale", raw, off, 3,
                              f"TCP Option - Window scale: {shift} (multiply by {1 << min(shift, 14)})"))
            o.add(make("tcp.options.wscale.shift", shift, off + 2, 1))
            o.add(make("tcp.options.wscale.multiplier", 1 << min(shift, 14), off + 2, 1))
        elif kind == 4 and ln == 2:
            o = opts.add(make("tcp.options.sack_perm", raw, off, 2, "TCP Option - SACK permitted"))
        elif kind == 5 and ln >= 2:
            o = opts.add(make("tcp.options.sack", raw, off, ln, "TCP Option - SACK"))
            count = (ln - 2) // 8
            for i in range(count):
                le, re_ = struct.unpack_from(">II", data, off + 2 + 8 * i)
                le_r, re_r = (le - ctx.ack_base) % (1 << 32), (re_ - ctx.ack_base) % (1 << 32)
                o.add(make("tcp.options.sack_le", le_r, off + 2 + 8 * i, 4,
                           f"left edge = {le_r} (relative)"))
                o.add(make("tcp.options.sack_re", re_r, off + 6 + 8 * i, 4,
                           f"right edge = {re_r} (relative)"))
            o.add(make("tcp.options.sack.count", count, off, ln, f"[TCP SACK Count: {count}]"))
        elif kind == 8 and ln == 10:
            tsval, tsecr = struct.unpack_from(">II", data, off + 2)
            o = opts.add(make("tcp.options.timestamp", raw, off, 10,
                              f"TCP Option - Timestamps: TSval {tsval}, TSecr {tsecr}"))
            o.add(make("tcp.options.timestamp.tsval", tsval, off + 2, 4))
            o.add(make("tcp.options.timestamp.tsecr", tsecr, off + 6, 4))
        else:
            o = opts.add(make("tcp.options.unknown", raw, off, ln,
                              f"TCP Option - {_OPT_NAMES.get(kind, 'Unknown')} ({kind}), {ln} bytes"))
        info.extend(_option_info(data, kind, off, ln, ctx))
        o.children.insert(0, make("tcp.option_kind", kind, off, 1,
                                  f"Kind: {_OPT_NAMES.get(kind, 'Unknown')} ({kind})"))
        if kind > 1:
            o.children.insert(1, make("tcp.option_len", ln, off + 1, 1))


def dissect_udp(data: bytes, pos: int, end: int, stream: int, layers: list[Field],
                protos: list[str]) -> tuple[str, int, int]:
    """Add the UDP layer.  Returns (Info text, payload offset, payload length)."""
    n = len(data)
    if pos + 8 > n:
        layers.append(make("udp", None, pos, n - pos, "User Datagram Protocol [cut short]"))
        protos.append("udp")
        return "[Malformed UDP header]", -1, 0
    sport, dport, ulen, csum = struct.unpack_from(">HHHH", data, pos)
    u = make("udp", None, pos, 8, f"User Datagram Protocol, Src Port: {sport}, Dst Port: {dport}")
    u.add(make("udp.srcport", sport, pos, 2))
    u.add(make("udp.dstport", dport, pos + 2, 2))
    u.add(make("udp.port", sport, pos, 2, hidden=True))
    u.add(make("udp.port", dport, pos + 2, 2, hidden=True))
    u.add(make("udp.length", ulen, pos + 4, 2))
    u.add(make("udp.checksum", csum, pos + 6, 2, f"Checksum: 0x{csum:04x} [unverified]"))
    u.add(make("udp.checksum.status", 2, pos + 6, 0, "[Checksum Status: Unverified]"))
    if stream >= 0:
        u.add(make("udp.stream", stream, pos, 0))
    plen = max(0, min(ulen, end - pos) - 8) if ulen >= 8 else max(0, end - pos - 8)
    if plen and pos + 8 < n:
        u.add(make("udp.payload", bytes(data[pos + 8:min(pos + 8 + plen, n)]), pos + 8, min(plen, n - pos - 8),
                   f"UDP payload ({plen} bytes)"))
    layers.append(u)
    protos.append("udp")
    return f"{sport} \u2192 {dport} Len={plen}", pos + 8, plen
