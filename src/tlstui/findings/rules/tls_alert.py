"""tls.alert: a plaintext TLS/DTLS alert, its level and description, and what it usually means."""
from __future__ import annotations

from ..alerts import alert_label, alert_meaning, alert_name
from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir, handshake_done, last_message_before

KINDS = ("tls.alert",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        cdir = client_dir(st)
        for a in st.alerts:
            if a.encrypted or a.level is None or a.description is None:
                continue  # encrypted alerts: tls.encrypted_alert
            if a.description == 0 and a.level == 1:
                continue  # an orderly close is not a diagnosis
            fatal = a.level == 2
            severity = "error" if fatal else ("note" if a.description in (90, 100) else "warning")
            who = ctx.side(kind, stream, a.direction, cdir)
            role = "client" if a.direction == cdir else "server"
            before = last_message_before(ctx, key, a.frame, 1 - a.direction)
            ctx_text = (f" It answers the {'server' if role == 'client' else 'client'}'s {before[1]} "
                        f"(frame {before[0]}).") if before else ""
            stage = "during the handshake" if not handshake_done(st) else "after the handshake"
            proto = "DTLS" if st.dtls else "TLS"
            out.append(Finding(
                kind="tls.alert", severity=severity,
                summary=(f"{proto} alert {alert_label(a.level, a.description)} from the {role} in "
                         f"{ctx.where(kind, stream, cdir)}"),
                explanation=(f"Frame {a.frame}: {who} sent a {alert_label(a.level, a.description)} alert "
                             f"{stage}.{ctx_text} {alert_name(a.description)}: {alert_meaning(a.description)}"
                             + (" A fatal alert ends the connection; the sender's logs usually say more."
                                if fatal else "")),
                frames=[a.frame], stream=stream))
    return out
