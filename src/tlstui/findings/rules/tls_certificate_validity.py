"""tls.certificate_expired / tls.certificate_not_yet_valid: a certificate's validity period
compared with the capture's own time (the time of the frame that carried it)."""
from __future__ import annotations

from ..alerts import alert_label
from ..context import Context, fmt_time
from ..model import Finding
from ..tlsinfo import client_dir, rejecting_alert

KINDS = ("tls.certificate_expired", "tls.certificate_not_yet_valid")

CERT_ALERTS = (42, 45, 46)
_POS = {0: "leaf"}


def _role(i: int, n: int) -> str:
    return "leaf" if i == 0 else ("last (root or top) certificate" if i == n - 1 else f"intermediate #{i}")


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        cdir = client_dir(st)
        for chain in st.certificates:
            if not chain.certs:
                continue
            try:
                now = ctx.time(chain.frame)
            except Exception:
                continue
            owner = "client" if chain.direction == cdir and st.client_direction is not None else "server"
            for i, c in enumerate(chain.certs):
                nb, na = c.not_before, c.not_after
                if na is not None and now > na:
                    kind_, state = "tls.certificate_expired", f"expired on {fmt_time(na)}"
                    days = (now - na) / 86400
                    ago = f"{days:.0f} days before the capture" if days >= 1 else "hours before the capture"
                elif nb is not None and now < nb:
                    kind_, state = "tls.certificate_not_yet_valid", f"is not valid before {fmt_time(nb)}"
                    days = (nb - now) / 86400
                    ago = f"{days:.0f} days after the capture" if days >= 1 else "hours after the capture"
                else:
                    continue
                alert = rejecting_alert(st, chain.direction, CERT_ALERTS)
                subj = ctx.esc(c.subject) or "(no subject)"
                frames = [chain.frame] + ([alert.frame] if alert else [])
                rejected = (f" The receiver rejected it with {alert_label(alert.level, alert.description)} in "
                            f"frame {alert.frame}." if alert else
                            " No alert followed: the receiver did not check, or accepted it anyway.")
                out.append(Finding(
                    kind=kind_, severity="error",
                    summary=(f"the {owner}'s {_role(i, len(chain.certs))} certificate {subj} {state} "
                             f"in {ctx.where(kind, stream, cdir)}"),
                    explanation=(f"The Certificate message in frame {chain.frame} (sent at {fmt_time(now)}) "
                                 f"carries {subj}, issued by {ctx.esc(c.issuer) or '?'}, valid "
                                 f"{fmt_time(nb)} to {fmt_time(na)}: that period ended or starts {ago}.{rejected} "
                                 "Renew or replace the certificate and reload the service; if the dates look right, "
                                 "check the clock of the host that took the capture and of the receiver."),
                    frames=frames, stream=stream))
    return out
