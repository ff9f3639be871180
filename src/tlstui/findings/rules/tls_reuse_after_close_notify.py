"""tls.reuse_after_close_notify: a request sent on a connection after the peer's close_notify or
FIN, answered by RST (the keep-alive race of case 004)."""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir, close_signals

KINDS = ("tls.reuse_after_close_notify",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if kind != "tcp":
            continue
        conv_st = ctx.tcp_stream(stream)
        if conv_st is None or not conv_st.rst:
            continue
        cdir = client_dir(st)
        rsts = ctx.rst_frames(stream)
        for closer in (1 - cdir, cdir):
            user = 1 - closer
            closes = close_signals(ctx, st, closer)
            fin = conv_st.fin[closer]
            marks = [f for f in ([closes[0]] if closes else []) + ([fin] if fin else []) if f]
            if not marks:
                continue
            start = min(marks)
            # The other side sends data after it was told the connection is closing ...
            reuse = None
            for f in ctx.tcp_frames(stream):
                if f <= start:
                    continue
                if ctx.direction(f) == user and ctx.tcp_payload_len(f) > 0:
                    recs = ctx.records(f)
                    if recs and all(r.content_type == 21 for r in recs if r.direction == user):
                        continue  # its own close_notify: a normal close
                    reuse = f
                    break
            if reuse is None:
                continue
            # ... and the closer, whose socket is gone, answers with RST.
            rst = next((r for r in rsts if r > reuse and ctx.direction(r) == closer), None)
            if rst is None:
                continue
            cn = closes[0] if closes else None
            closer_role = "server" if closer != cdir else "client"
            user_role = "client" if closer_role == "server" else "server"
            try:
                lead = f"{(ctx.time(reuse) - ctx.time(start)) * 1000:.0f} ms later the {user_role}"
            except Exception:
                lead = f"The {user_role} then"
            told = " and ".join(x for x in ((f"close_notify (frame {cn})" if cn else ""),
                                            (f"FIN (frame {fin})" if fin else "")) if x)
            what = "a request" if user_role == "client" else "data"
            out.append(Finding(
                kind="tls.reuse_after_close_notify", severity="error",
                summary=(f"the {user_role} sent {what} after the {closer_role}'s "
                         f"{'close_notify' if cn else 'FIN'} and got RST in {ctx.where(kind, stream, cdir)}"),
                explanation=(f"The {ctx.side(kind, stream, closer, cdir)} closed the connection "
                             f"with {told}. {lead} sent {what} on the same connection anyway (frame {reuse}), and the "
                             f"{closer_role}, whose socket was already closed, answered with RST (frame {rst}). "
                             "This is the keep-alive race: the server closes an idle persistent connection "
                             "while the client picks it from its pool for the next request; the client sees "
                             "'connection reset' / 'page cannot be displayed'. Fix by making the client's idle "
                             "timeout shorter than the server's keep-alive timeout, by honouring "
                             "'Connection: close'/close_notify before reuse, or by retrying idempotent requests "
                             "on a new connection."),
                frames=[f for f in (cn, fin, reuse, rst) if f], stream=stream))
            break
    return out
