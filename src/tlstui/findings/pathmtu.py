"""Path-MTU evidence shared by ``ip.fragmentation_needed`` and ``tcp.pmtu_blackhole``.

    icmp_errors(ctx) -> list[TooBig]         # every ICMP/ICMPv6 error, matched to the stream it quotes
    too_big_messages(ctx) -> list[TooBig]    # those that are frag-needed / ICMPv6 Packet Too Big
    segments(ctx, stream) -> list[Segment]   # one TCP stream's frames with lengths (for the blackhole rule)

Both cached on the Context (``ctx.__dict__``).  ICMP frames are the frames the analysis pass
placed in no TCP/UDP stream; each is located with ``dissect.icmp.locate`` (every link type the
pass reads, and IPv6 in IPv4).
"""
from __future__ import annotations

import numpy as np

from dataclasses import dataclass

from ..dissect import fast
from ..dissect.icmp import IcmpFrame, locate
from .context import Context

_ICMP_KEY = "_tlstui_icmp_too_big"
_SEG_KEY = "_tlstui_tcp_segments"
M32 = 0xFFFFFFFF
QUOTE_LOOKBACK = 20000  # frames searched back for the quoted UDP datagram


@dataclass(frozen=True, slots=True)
class TooBig:
    frame: int
    icmp: IcmpFrame
    kind: str | None = None  # "tcp" / "udp" when the quoted packet belongs to a stream of the capture
    stream: int | None = None
    direction: int | None = None  # the stream direction of the quoted (too big) packet
    quoted_frame: int | None = None  # the captured frame it quotes (same TCP seq / ip.id), if found
    matched_by: str = ""  # "addresses and ports" / "ports and remote address (NAT)"

    @property
    def mtu(self) -> int:
        return self.icmp.message.mtu or 0


@dataclass(frozen=True, slots=True)
class Segment:
    frame: int
    direction: int
    seq: int  # relative
    ack: int  # relative
    flags: int
    length: int  # TCP payload length on the wire
    ip_len: int  # IP packet length (header + payload) on the wire


def _match(ctx: Context, q, frame: int) -> tuple[str | None, int | None, int | None, str]:
    if q is None or q.sport is None or q.proto not in (6, 17):
        return None, None, None, ""
    kind = "tcp" if q.proto == 6 else "udp"
    streams = ctx.conv.tcp_streams if kind == "tcp" else ctx.conv.udp_streams
    a, b = (q.src, q.sport), (q.dst, q.dport)
    best = None
    how = ""
    for st in streams:  # few ICMP frames per capture; streams scanned once each
        if st.first_frame > frame:
            break
        ends = {st.addr, st.peer}
        if ends == {a, b}:
            best, how = st, "addresses and ports"
        elif not how.startswith("addresses") and {st.addr[1], st.peer[1]} == {q.sport, q.dport} and b in ends:
            best, how = st, "ports and remote address (the local address differs: NAT)"
    if best is None:
        return None, None, None, ""
    if how.startswith("addresses"):
        d = 0 if best.addr == a else 1
    else:
        d = 1 if best.addr == b else 0
    return kind, best.number, d, how


def _quoted_frame(ctx: Context, kind: str, stream: int, direction: int, q, frame: int) -> int | None:
    cap = ctx.session.capture
    data, idx = cap.data, cap.index
    linktypes = [i.linktype for i in cap.interfaces]
    conv = ctx.conv

    def transport(f):
        i = f - 1
        return fast.parse_transport(data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]])

    if kind == "tcp":
        cands = [f for f in ctx.tcp_frames(stream) if f < frame and conv.direction[f - 1] == direction]
    else:
        cands = []
        lo = max(0, frame - 1 - QUOTE_LOOKBACK)
        for i in range(frame - 2, lo - 1, -1):
            if conv.udp_stream[i] == stream and conv.direction[i] == direction:
                cands.append(i + 1)
        cands.reverse()
    fallback = None
    for f in reversed(cands):
        t = transport(f)
        if t is None:
            continue
        if kind == "tcp" and q.seq is not None and t.seq != q.seq:
            continue
        if q.ip_id >= 0 and t.ip_id >= 0 and t.ip_id != q.ip_id:
            if fallback is None and kind == "tcp":
                fallback = f  # same sequence number, other ip.id: a copy the router did not see
            continue
        return f
    return fallback


def too_big_messages(ctx: Context) -> list[TooBig]:
    """The path-MTU messages among ``icmp_errors``."""
    return [m for m in icmp_errors(ctx) if m.icmp.message.too_big]


def icmp_errors(ctx: Context) -> list[TooBig]:
    """Every ICMP/ICMPv6 error in the capture (unreachable, too big, time exceeded...), each matched
    to the stream of the packet it quotes where the capture has it."""
    got = ctx.__dict__.get(_ICMP_KEY)
    if got is not None:
        return got
    cap = ctx.session.capture
    data, idx = cap.data, cap.index
    linktypes = [i.linktype for i in cap.interfaces]
    conv = ctx.conv
    out: list[TooBig] = []
    n = min(len(idx), len(conv.tcp_stream))
    # Only frames in no TCP or UDP stream can be ICMP: picked with whole columns.
    outside = (np.nonzero((np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] < 0)
                          & (np.frombuffer(conv.udp_stream, dtype=np.int32)[:n] < 0))[0].tolist() if n else [])
    for i in outside:
        fr = locate(data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]])
        if fr is None or not fr.message.is_error:
            continue
        q = fr.message.quoted
        kind, stream, d, how = _match(ctx, q, i + 1)
        qf = _quoted_frame(ctx, kind, stream, d, q, i + 1) if kind is not None else None
        out.append(TooBig(i + 1, fr, kind, stream, d, qf, how))
    ctx.__dict__[_ICMP_KEY] = out
    return out


def segments(ctx: Context, stream: int) -> list[Segment]:
    cache = ctx.__dict__.setdefault(_SEG_KEY, {})
    got = cache.get(stream)
    if got is not None:
        return got
    cap = ctx.session.capture
    data, idx = cap.data, cap.index
    linktypes = [i.linktype for i in cap.interfaces]
    conv = ctx.conv
    out = []
    for f in ctx.tcp_frames(stream):
        i = f - 1
        t = fast.parse_transport(data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]])
        if t is None or t.proto != 6:
            continue
        out.append(Segment(f, conv.direction[i], conv.rel_seq[i], conv.rel_ack[i], t.flags, t.payload_len,
                           t.payload_off - t.ip_off + t.payload_len))
    cache[stream] = out
    return out
