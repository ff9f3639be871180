"""tcp.retransmission_mismatch: a retransmitted segment whose bytes differ from what was first sent
at the same sequence numbers: something in the path rewrites data.

Only differing overlapping bytes count (``TcpAnalyzer.mismatches`` keeps no other): a resend that
is shorter, longer or cut at other boundaries with equal bytes is the sender re-segmenting (after
an ICMP fragmentation needed, or when it coalesces segments), which TCP allows."""
from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace

from ..context import Context, path_device_sentence, plural
from ..model import Finding

KINDS = ("tcp.retransmission_mismatch",)


def _describe(ctx: Context, m, irtt: float | None, dupacks: list[int]) -> str:
    new_len = m.length or ctx.tcp_payload_len(m.frame)
    old_len = m.original_length or ctx.tcp_payload_len(m.original_frame)
    ndiff = getattr(m, "differing", 0)
    parts = [f"frame {m.frame} resends seq {m.rel_seq} first sent in frame {m.original_frame}"]
    if ndiff:
        parts.append(f"{ndiff} of the overlapping bytes differ, the first at payload offset {m.first_diff}")
    else:
        parts.append(f"bytes differ from payload offset {m.first_diff}")
    if new_len and old_len and new_len != old_len:
        parts.append(f"and it is {new_len} bytes long instead of {old_len}")
    try:
        dt = ctx.time(m.frame) - ctx.time(m.original_frame)
        timing = f"{dt * 1000:.1f} ms after the original"
        if irtt:
            timing += (", faster than the initial round trip " if dt < irtt else ", the initial round trip being ")
            timing += f"{irtt * 1000:.1f} ms" if irtt >= 0.001 else f"{irtt * 1e6:.0f} µs"
        before = [f for f in dupacks if m.original_frame < f < m.frame]
        timing += f", {plural(len(before), 'duplicate ACK')} before it" if before else ", with no duplicate ACK before it"
        parts.append(timing)
    except Exception:
        pass
    return parts[0] + (": " + ", ".join(parts[1:]) if len(parts) > 1 else "")


def check(ctx: Context) -> list[Finding]:
    tcp = ctx.tcp
    mismatches = list(getattr(tcp, "mismatches", []) or []) if tcp is not None else []
    if not mismatches and tcp is None:
        # Without the TCP analysis layer, the reassembler's conflicts whose bytes differ.
        reasm = getattr(ctx.session, "reassembler", None)
        for c in getattr(reasm, "conflicts", []) or []:
            if not getattr(c, "bytes_differ", True):
                continue
            mismatches.append(SimpleNamespace(
                frame=c.frame, original_frame=c.original_frame, stream=ctx.conv.tcp_stream[c.frame - 1],
                rel_seq=c.rel_seq, first_diff=c.first_diff, length_differs=c.length_differs,
                length=0, original_length=0))
    by_stream: dict[int, list] = defaultdict(list)
    for m in mismatches:
        by_stream[m.stream].append(m)
    out = []
    tls = {key[1]: st for key, st in ctx.tls_streams.items() if key[0] == "tcp"}
    try:
        dup = defaultdict(list)
        for f, s in ctx.tcp_events("duplicate_ack"):
            dup[s].append(f)
    except Exception:
        dup = defaultdict(list)
    for stream, ms in sorted(by_stream.items()):
        ms.sort(key=lambda m: m.frame)
        st = tls.get(stream)
        cdir = st.client_direction if st is not None and st.client_direction in (0, 1) else 0
        irtt = tcp.initial_rtt(stream) if tcp is not None and hasattr(tcp, "initial_rtt") else None
        details = "; ".join(_describe(ctx, m, irtt, dup.get(stream, [])) for m in ms[:6])
        if len(ms) > 6:
            details += f"; and {len(ms) - 6} more"
        senders = sorted({ctx.direction(m.frame) for m in ms})
        who = ", ".join(ctx.side("tcp", stream, d, cdir) for d in senders if d in (0, 1))
        tls_note = (" The TLS receiver gets bytes that fail its integrity check (bad_record_mac) or, "
                    "when it keeps the first copy, a different stream than the sender meant; watch for an "
                    "alert or close right after." if st is not None else "")
        out.append(Finding(
            kind="tcp.retransmission_mismatch", severity="error",
            summary=f"{plural(len(ms), 'retransmission')} with different bytes than the original in "
                    f"TCP stream {stream} ({ctx.peers('tcp', stream, cdir)})",
            explanation=(f"Sent by {who}: {details}. A real TCP stack resends the bytes it sent before "
                         "(it may cut them at other boundaries, but never changes them); a retransmission whose "
                         "overlapping bytes differ means something between the endpoints rewrote or regenerated "
                         "the data (a proxy or middlebox with its own TCP "
                         "stack, a broken NIC offload, a NAT rewriting payload)." + tls_note
                         + path_device_sentence(ctx, "mismatch")
                         + " Filter: tcp.seq == <seq> and tcp.len > 0 to see both copies."),
            frames=[m.frame for m in ms], stream=stream))
    return out
