"""capture.snaplen_truncated: frames cut short by the snapshot length (cap_len < orig_len)."""
from __future__ import annotations

from collections import Counter

from ..context import Context, plural
from ..model import Finding

KINDS = ("capture.snaplen_truncated",)


def check(ctx: Context) -> list[Finding]:
    idx = ctx.session.capture.index
    caps, origs = idx.cap_len, idx.orig_len
    cut = [i + 1 for i, (c, o) in enumerate(zip(caps, origs)) if c < o]
    if not cut:
        return []
    snaplens = sorted({ctx.session.capture.interfaces[idx.interface[f - 1]].snaplen for f in cut} - {0})
    lost = sum(origs[f - 1] - caps[f - 1] for f in cut)
    # Which conversations lose payload: their reassembly (TLS records) cannot complete.
    streams: Counter = Counter()
    conv = ctx.conv
    for f in cut:
        i = f - 1
        if i < len(conv.tcp_stream) and conv.tcp_stream[i] >= 0:
            streams[("tcp", conv.tcp_stream[i])] += 1
        elif i < len(conv.udp_stream) and conv.udp_stream[i] >= 0:
            streams[("udp", conv.udp_stream[i])] += 1
    tls_hit = []
    for key, st in ctx.tls_streams.items():
        if st.incomplete_frames and key in streams:
            tls_hit.append(f"{key[0].upper()} stream {key[1]} ({plural(len(set(st.incomplete_frames)), 'TLS record')} "
                           f"incomplete, first in frame {min(st.incomplete_frames)})")
    where = ", ".join(f"{k.upper()} stream {s}" for k, s in sorted(streams)[:8])
    if len(streams) > 8:
        where += f" and {len(streams) - 8} more"
    snap = (f"snapshot length {', '.join(str(s) for s in snaplens)} bytes" if snaplens
            else "the capture's snapshot length")
    only = next(iter(streams))[1] if len(streams) == 1 else None
    expl = (f"{plural(len(cut), 'frame')} were saved shorter than they were on the wire "
            f"({lost} bytes missing in all; frame.cap_len < frame.len), cut by the {snap}. "
            f"Affected: {where or 'frames without TCP/UDP'}. "
            "Headers are still readable, but payload past the cut is gone: TLS records spanning these "
            "frames cannot be reassembled, so certificates, handshake messages and alerts inside them "
            "cannot be decoded. ")
    if tls_hit:
        expl += "TLS streams hit: " + "; ".join(tls_hit) + ". "
    expl += ("Re-capture with a full snapshot length (tcpdump -s 0, the default in current versions; "
             "dumpcap/tshark without -s).")
    return [Finding(
        kind="capture.snaplen_truncated", severity="warning",
        summary=f"{plural(len(cut), 'frame')} cut short by the {snap}"
                + (f" in {where}" if streams and len(streams) <= 3 else ""),
        explanation=expl, frames=cut, stream=only)]
