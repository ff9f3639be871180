"""tls.truncated_close: a TLS connection ended (FIN or RST) by a side that never sent close_notify."""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir, close_evidence, close_signals, fatal_alerts, handshake_done, tls13_rejection

KINDS = ("tls.truncated_close",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if kind != "tcp" or st.dtls or not handshake_done(st):
            continue
        if not (st.app_data_frames[0] or st.app_data_frames[1]):
            continue
        if fatal_alerts(st) or tls13_rejection(ctx, key, st) is not None:
            continue  # ended by an alert: reported as such
        conv_st = ctx.tcp_stream(stream)
        if conv_st is None:
            continue
        cdir = client_dir(st)
        rsts = ctx.rst_frames(stream)
        for d in (cdir, 1 - cdir):
            ends = [f for f in (conv_st.fin[d],) if f] + [r for r in rsts if ctx.direction(r) == d][:1]
            if not ends:
                continue
            end = min(ends)
            # Any close_notify from this side counts, even one captured after its FIN: a segment
            # lost before the capture point and resent arrives late but is still before FIN in
            # sequence space (nothing can follow a FIN).
            if close_signals(ctx, st, d):
                continue
            last = st.last_record_frame[d]
            if last is not None and any(f >= (last or 0) for f in st.incomplete_frames):
                continue  # the last record was cut or lost: cannot tell
            # A peer that already closed: this side's RST is how sockets with unread data end.
            peer_signs = close_evidence(ctx, st, 1 - d)
            role = "client" if d == cdir else "server"
            how = "FIN" if end == conv_st.fin[d] else "RST"
            # Closing without close_notify is common (HTTP/1.1 servers with Content-Length, database
            # clients quitting, browsers dropping spare connections): a note.  A server aborting with
            # RST while the client has not closed may have cut a response short: a warning.
            sev = "warning" if role == "server" and how == "RST" else "note"
            note = ""
            peer_fin = conv_st.fin[1 - d]
            peer_first = min([f for f in [c.frame for c in peer_signs[:1]] + [peer_fin] if f] or [0])
            if peer_first and peer_first < end:
                first_sign = peer_signs[0] if peer_signs and peer_signs[0].frame == peer_first else None
                what = first_sign.seen if first_sign else f"FIN (frame {peer_first})"
                note = (f" Seen: the peer had already closed, with {what}. Inferred: the exchange itself was "
                        "most likely complete, and this side simply did not answer the peer's close with its "
                        "own close_notify, which many stacks do.")
                sev = "note"
            out.append(Finding(
                kind="tls.truncated_close", severity=sev,
                summary=f"the {role} closed with {how} without close_notify in {ctx.where(kind, stream, cdir)}",
                explanation=(f"The {ctx.side(kind, stream, d, cdir)} ended the connection with {how} in "
                             f"frame {end}" + (f" after its last TLS record in frame {last}" if last else "")
                             + ", and sent no close_notify alert before. Without close_notify the receiver "
                               "cannot tell a complete response from one cut short (a truncation attack, or "
                               "a crashed process, an idle timeout or a proxy dropping the connection); many "
                               "stacks close this way when the application protocol already marks the end "
                               "(Content-Length, a QUIT command). If responses are short or clients report "
                               "incomplete downloads, check the sender's logs and any device in between." + note),
                frames=[f for f in (last, end) if f], stream=stream))
    return out
