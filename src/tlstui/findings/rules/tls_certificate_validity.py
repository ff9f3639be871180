"""tls.certificate_expired / tls.certificate_not_yet_valid: a certificate's validity period
compared with the capture's own time (the time of the frame that carried it).

One finding per certificate name (subject, issuer) and kind: the same expired certificate served on many connections
is one diagnosis, with every Certificate frame as evidence."""
from __future__ import annotations

from ..alerts import alert_label
from ..context import Context, fmt_time, frame_list, plural
from ..model import Finding
from ..tlsinfo import client_dir, rejecting_alert

KINDS = ("tls.certificate_expired", "tls.certificate_not_yet_valid")

CERT_ALERTS = (42, 45, 46)


def _role(i: int, n: int) -> str:
    return "leaf" if i == 0 else ("last (root or top) certificate" if i == n - 1 else f"intermediate #{i}")


def check(ctx: Context) -> list[Finding]:
    groups: dict[tuple, dict] = {}
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
                    kind_ = "tls.certificate_expired"
                elif nb is not None and now < nb:
                    kind_ = "tls.certificate_not_yet_valid"
                else:
                    continue
                g = groups.setdefault((kind_, c.subject, c.issuer, owner, _role(i, len(chain.certs))), {
                    "cert": c, "seen": [], "alerts": [], "streams": [], "first": (kind, stream, cdir, now, chain.frame)})
                g["seen"].append(chain.frame)
                g["streams"].append((kind, stream))
                alert = rejecting_alert(st, chain.direction, CERT_ALERTS)
                if alert is not None:
                    g["alerts"].append(alert)
    out = []
    for (kind_, _s, _i, owner, role), g in groups.items():
        c = g["cert"]
        kind, stream, cdir, now, frame = g["first"]
        nb, na = c.not_before, c.not_after
        if kind_ == "tls.certificate_expired":
            state = f"expired on {fmt_time(na)}"
            days = (now - na) / 86400
            ago = f"{days:.0f} days before the capture" if days >= 1 else "hours before the capture"
        else:
            state = f"is not valid before {fmt_time(nb)}"
            days = (nb - now) / 86400
            ago = f"{days:.0f} days after the capture" if days >= 1 else "hours after the capture"
        subj = ctx.esc(c.subject) or "(no subject)"
        streams = sorted(set(g["streams"]))
        alerts = g["alerts"]
        if alerts:
            a = alerts[0]
            rejected = (f" The receiver rejected it with {alert_label(a.level, a.description)} in frame {a.frame}"
                        + (f" (and {plural(len(alerts) - 1, 'more alert')})" if len(alerts) > 1 else "") + ".")
        else:
            rejected = " No alert followed: the receiver did not check, or accepted it anyway."
        where = ctx.where(kind, stream, cdir) if len(streams) == 1 else plural(len(streams), "stream")
        seen = sorted(set(g["seen"]))
        msg = (f"The Certificate message in frame {frame}" if len(seen) == 1 else
               f"The Certificate messages in frames {frame_list(seen)}")
        out.append(Finding(
            kind=kind_, severity="error",
            summary=f"the {owner}'s {role} certificate {subj} {state} in {where}",
            explanation=(f"{msg} (first sent at {fmt_time(now)}) carr{'y' if len(seen) > 1 else 'ies'} {subj}, "
                         f"issued by {ctx.esc(c.issuer) or '?'}, valid {fmt_time(nb)} to {fmt_time(na)}: that "
                         f"period ended or starts {ago}.{rejected} Renew or replace the certificate and reload "
                         "the service; if the dates look right, check the clock of the host that took the "
                         "capture and of the receiver."),
            frames=seen + [a.frame for a in alerts], stream=stream if len(streams) == 1 else None))
    return out
