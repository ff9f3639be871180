"""dtls.handshake_retransmission: DTLS handshake flights sent again (the peer's answer, or the
flight itself, was lost)."""
from __future__ import annotations

from ..context import Context, frame_list, plural
from ..model import Finding
from ..tlsinfo import client_dir, handshake_done, handshake_name

KINDS = ("dtls.handshake_retransmission",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if not st.dtls or not st.dtls_retransmissions:
            continue
        frames = sorted(set(st.dtls_retransmissions))
        cdir = client_dir(st)
        by_dir = {0: [], 1: []}
        for f in frames:
            d = ctx.direction(f)
            if d in by_dir:
                by_dir[d].append(f)
        parts = []
        for d in (cdir, 1 - cdir):
            fs = by_dir[d]
            if not fs:
                continue
            what = []
            for f in fs:
                for r in ctx.records(f):
                    if r.direction == d and r.handshake_types:
                        what.extend(handshake_name(t) for t in r.handshake_types)
            what = list(dict.fromkeys(what))
            parts.append(f"the {ctx.side(kind, stream, d, cdir)} resent "
                         f"{', '.join(what[:6]) or 'handshake records'} in frames {frame_list(fs)}")
        # Timing of the first retransmission against the original flight tells timer from loss.
        timing = ""
        try:
            first = frames[0]
            d = ctx.direction(first)
            orig = max((fl[0] for fl in st.dtls_flights if fl[1] == d and fl[0] < first), default=None)
            if orig:
                timing = (f" The first resend came {ctx.time(first) - ctx.time(orig):.2f} s after the flight "
                          f"of frame {orig} (DTLS timers start at 1 s and double).")
        except Exception:
            pass
        overlaps = [f for f in frames if any(r.reassembly_error for r in ctx.records(f))]
        if overlaps:
            timing += (f" The resent flight was fragmented differently from the first one, so fragments "
                       f"overlap data already received (frames {frame_list(overlaps)}; Wireshark marks these "
                       "malformed). That is allowed and harmless.")
        outcome = ("The handshake then completed: the loss cost time, not the connection."
                   if handshake_done(st) else
                   "The handshake did not complete in this capture.")
        out.append(Finding(
            kind="dtls.handshake_retransmission", severity="warning",
            summary=(f"{plural(len(frames), 'DTLS handshake retransmission')} in "
                     f"{ctx.where(kind, stream, cdir)}"),
            explanation=(("; ".join(parts) or "handshake records were resent")[:1].upper()
                         + ("; ".join(parts) or "handshake records were resent")[1:] + "." + timing + " A DTLS flight is resent when its "
                         "timer expires without the peer's next flight: a datagram was lost on the way "
                         "(often a large, fragmented Certificate flight dropped by a path with a small MTU "
                         "or IP fragment filtering), or the peer is slow. " + outcome),
            frames=frames, stream=stream))
    return out
