"""Streams of which only one direction was captured (asymmetric routing, a capture filter, a
one-way mirror port), for ``capture.one_direction`` and for the rules whose findings mean
something else on such a stream.

    one_direction_streams(ctx) -> set[tuple[str, int]]        # {("tcp"|"udp", stream)}
    one_direction_info(ctx) -> dict[tuple[str, int], OneWay]  # the same keys, with the evidence
    is_one_direction(ctx, kind, stream) -> bool

Computed once per Context (cached in ``ctx.__dict__``); cost: one pass over the per-frame
stream and direction columns, then the frames of the one-way streams alone.

A stream counts only when the captured side shows the other side existed: for TCP it sends
payload, a SYN-ACK, or ACK numbers that advance (a lone SYN, or SYNs retried, is an attempt
nobody answered, not a one-way capture; lone RSTs/ACKs say too little).  For UDP only streams
carrying TLS/DTLS are considered, and a client that sent nothing but ClientHellos is not
counted (the server may simply not have answered): the seen side must be the server, or the
client must have got further than its hello.
"""
from __future__ import annotations

import numpy as np

from dataclasses import dataclass

from ..dissect import fast
from .context import Context

TH_SYN, TH_ACK = 0x02, 0x10
_KEY = "_tlstui_oneway"
_EVIDENCE_FRAMES = 200  # frames of a one-way TCP stream looked at for the evidence


@dataclass(frozen=True, slots=True)
class OneWay:
    kind: str  # "tcp" or "udp"
    stream: int
    direction: int  # the direction that was captured (0: the stream's first-seen sender)
    role: str | None  # "client" / "server" for the captured side, None when unknown
    frames: int  # frames of the stream (all in ``direction``)
    first_frame: int
    payload: int  # payload bytes seen (TCP: in the frames looked at)
    evidence: str  # why the other side must have existed (what was seen)


def _tcp_evidence(ctx: Context, stream: int) -> tuple[str, str | None, int]:
    """(evidence, role of the captured side, payload bytes) for a TCP stream seen one way."""
    cap = ctx.session.capture
    data, idx = cap.data, cap.index
    linktypes = [i.linktype for i in cap.interfaces]
    syn = synack = False
    payload = data_frames = 0
    acks: set[int] = set()
    rel_ack = ctx.conv.rel_ack
    for f in ctx.tcp_frames(stream)[:_EVIDENCE_FRAMES]:
        i = f - 1
        t = fast.parse_transport(data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]])
        if t is None or t.proto != 6:
            continue
        if t.flags & TH_SYN:
            if t.flags & TH_ACK:
                synack = True
            else:
                syn = True
        if t.payload_len:
            payload += t.payload_len
            data_frames += 1
        if t.flags & TH_ACK:
            acks.add(rel_ack[i])
    role = "server" if synack else "client" if syn else None
    ev = []
    if synack:
        ev.append("it answers with a SYN-ACK a SYN that is not in the capture")
    if data_frames:
        ev.append(f"it sends {payload} bytes of payload in {data_frames} segment{'s' if data_frames != 1 else ''}, "
                  "which a TCP stack does only on an established connection")
    if len(acks) > 1 and max(acks) > 1:
        ev.append(f"its ACK numbers advance to {max(acks)}: the peer sent data")
    return "; ".join(ev), role, payload


def _tls_role(ctx: Context, kind: str, stream: int, direction: int) -> str | None:
    st = ctx.tls_streams.get((kind, stream))
    if st is None or st.client_direction not in (0, 1):
        if st is not None and st.server_hellos:
            return "server"
        return None
    return "client" if st.client_direction == direction else "server"


def _port_role(ctx: Context, kind: str, stream: int, direction: int) -> str | None:
    eps = ctx.endpoints(kind, stream)
    if eps is None:
        return None
    mine, peer = eps[direction][1], eps[1 - direction][1]
    if mine < 1024 <= peer:
        return "server"
    if peer < 1024 <= mine:
        return "client"
    return None


def one_direction_info(ctx: Context) -> dict[tuple[str, int], OneWay]:
    got = ctx.__dict__.get(_KEY)
    if got is not None:
        return got
    conv = ctx.conv
    out: dict[tuple[str, int], OneWay] = {}
    n_tcp = len(conv.tcp_streams)
    udp_tls = {s for (k, s) in ctx.tls_streams if k == "udp"}
    # Frames per stream and direction, over whole columns.
    n = min(len(conv.tcp_stream), len(conv.udp_stream), len(conv.direction))
    ts = np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
    us = np.frombuffer(conv.udp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
    ds = np.frombuffer(conv.direction, dtype=np.int8)[:n].astype(np.int64) if n else np.zeros(0, np.int64)
    on_tcp = ts >= 0
    tcp_n = np.bincount(ts[on_tcp].astype(np.int64) * 2 + ds[on_tcp], minlength=2 * n_tcp).tolist()
    udp_n: dict[int, list[int]] = {s: [0, 0] for s in udp_tls}
    if udp_n:
        on_udp = ~on_tcp & (us >= 0)
        keys, counts = np.unique(us[on_udp].astype(np.int64) * 2 + ds[on_udp], return_counts=True)
        for k, c in zip(keys.tolist(), counts.tolist()):
            if k // 2 in udp_n:
                udp_n[k // 2][k % 2] += c
    for s in range(n_tcp):
        a, b = tcp_n[2 * s], tcp_n[2 * s + 1]
        if a and b or not (a or b):
            continue
        d = 0 if a else 1
        evidence, role, payload = _tcp_evidence(ctx, s)
        if not evidence:
            continue  # SYNs nobody answered, or a lone ACK/RST: not evidence of a missing half
        role = _tls_role(ctx, "tcp", s, d) or role or _port_role(ctx, "tcp", s, d)
        st = conv.tcp_streams[s]
        out[("tcp", s)] = OneWay("tcp", s, d, role, a + b, st.first_frame, payload, evidence)
    for u, (a, b) in sorted(udp_n.items()):
        if a and b or not (a or b):
            continue
        d = 0 if a else 1
        st = ctx.tls_streams.get(("udp", u))
        role = _tls_role(ctx, "udp", u, d) or _port_role(ctx, "udp", u, d)
        proto = "DTLS" if st is not None and st.dtls else "TLS"
        if role == "server":
            evidence = f"it sends {proto} server messages answering a client that is not in the capture"
        elif st is not None and (st.app_data_frames[d] or st.finished_frames[d] or st.ccs_frames[d]):
            evidence = f"it gets past its {proto} ClientHello (ChangeCipherSpec, Finished or application data)"
        else:
            continue  # ClientHellos alone: maybe nobody answered
        out[("udp", u)] = OneWay("udp", u, d, role, a + b, conv.udp_streams[u].first_frame, 0, evidence)
    ctx.__dict__[_KEY] = out
    return out


def one_direction_streams(ctx: Context) -> set[tuple[str, int]]:
    """{("tcp"|"udp", stream)} of the streams of which only one direction was captured."""
    return set(one_direction_info(ctx))


def is_one_direction(ctx: Context, kind: str, stream: int) -> bool:
    return (kind, stream) in one_direction_info(ctx)
