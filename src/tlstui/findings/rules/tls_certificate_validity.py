"""tls.certificate_expired / tls.certificate_not_yet_valid: a certificate's validity period
compared with the capture's own time (the time of the frame that carried it).

One finding per certificate name (subject, issuer) and kind: the same expired certificate served on many connections
is one diagnosis, with every Certificate frame as evidence.

The capture's clock is consulted first (``findings/clock.py``): against a clock that is behind
(frames dated before 2000, or certificates of several issuers all "from the future"), "not yet
valid" is an artefact of the clock and becomes a note saying so; against a clock that is ahead,
"expired" does."""
from __future__ import annotations

from ..alerts import alert_label
from ..clock import Y2000, clock_view
from ..context import Context, fmt_time, frame_list, plural
from ..model import Finding
from ..tlsinfo import client_dir, rejecting_alert

KINDS = ("tls.certificate_expired", "tls.certificate_not_yet_valid")

CERT_ALERTS = (42, 45, 46)


def _role(i: int, n: int) -> str:
    return "leaf" if i == 0 else ("last" if i == n - 1 else f"intermediate #{i}")


def check(ctx: Context) -> list[Finding]:
    groups: dict[tuple, dict] = {}
    clock = None
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
                if clock is None:
                    clock = clock_view(ctx)
                doubt = (clock.frame_behind(ctx, chain.frame) if kind_ == "tls.certificate_not_yet_valid"
                         else clock.frame_ahead(ctx, chain.frame))
                # In doubt, one note for all the certificates the clock puts out of their validity.
                gkey = (kind_, "", "", owner, "", True) if doubt else (
                    kind_, c.subject, c.issuer, owner, _role(i, len(chain.certs)), False)
                g = groups.setdefault(gkey, {"cert": c, "certs": {}, "seen": [], "alerts": [], "streams": [],
                                             "first": (kind, stream, cdir, now, chain.frame)})
                g["certs"].setdefault((c.subject, c.issuer, c.serial), (c, _role(i, len(chain.certs)), chain.frame))
                g["seen"].append(chain.frame)
                g["streams"].append((kind, stream))
                alert = rejecting_alert(st, chain.direction, CERT_ALERTS)
                if alert is not None:
                    g["alerts"].append(alert)
    out = []
    for (kind_, _s, _i, owner, role, doubt), g in groups.items():
        out.append(_make(ctx, clock, kind_, owner, role, doubt, g))
    return out


def _real_time(clock, c) -> str:
    """What the frames with a plausible date say about the certificate (clock in doubt)."""
    if clock.plausible is None or not (clock.early or clock.late):
        return ""
    a, b = clock.plausible
    when = fmt_time(a) if b - a < 1 else f"{fmt_time(a)} to {fmt_time(b)}"
    nb, na = c.not_before, c.not_after
    if na is not None and a > na:
        state = "it had expired by then"
    elif nb is not None and b < nb:
        state = "it was not valid yet then either"
    elif (nb is None or a >= nb) and (na is None or b <= na):
        state = "it was valid then"
    else:
        state = "its validity overlaps that period"
    return (f" The frames of this capture with a plausible date are dated {when}; if these frames were taken at "
            f"the same time, {state} -- but nothing in the capture ties them together.")


def _make(ctx: Context, clock, kind_: str, owner: str, role: str, doubt: bool, g: dict) -> Finding:
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
        rejected = " No alert followed."
    where = ctx.where(kind, stream, cdir) if len(streams) == 1 else plural(len(streams), "stream")
    seen = sorted(set(g["seen"]))
    msg = (f"the Certificate message in frame {frame}" if len(seen) == 1 else
           f"the Certificate messages in frames {frame_list(seen)}")
    facts = (f"Seen: {msg} (first sent at {fmt_time(now)}, by the capture's clock) "
             f"carr{'y' if len(seen) > 1 else 'ies'} {subj}, issued by {ctx.esc(c.issuer) or '?'}, valid "
             f"{fmt_time(nb)} to {fmt_time(na)}: that period {'ended' if kind_ == 'tls.certificate_expired' else 'starts'} "
             f"{ago}.{rejected}")
    if doubt:
        return _doubtful(ctx, clock, kind_, owner, g, where, streams, seen, alerts, rejected)
    behind = ""
    if kind_ == "tls.certificate_expired" and clock is not None and clock.frame_behind(ctx, frame):
        behind = (" The capture's clock is behind (capture.clock_implausible), so at the real time of the traffic "
                  "it was expired all the more.")
    return Finding(
        kind=kind_, severity="error",
        summary=f"the {owner}'s {role} certificate {subj} {state} in {where}",
        explanation=(f"{facts}{behind} Inferred: the {owner} serves a certificate outside its validity period"
                     + ("; this receiver does not check the dates, or accepted it anyway" if not alerts else "")
                     + ". Check: renew or replace the certificate and reload the service; if the dates look "
                       "right, check the clock of the host that took the capture and of the receiver."),
        frames=seen + [a.frame for a in alerts], stream=stream if len(streams) == 1 else None)


def _doubtful(ctx: Context, clock, kind_: str, owner: str, g: dict, where: str, streams, seen, alerts,
              rejected: str) -> Finding:
    kind, stream, cdir, now, frame = g["first"]
    certs = list(g["certs"].values())
    yet = kind_ == "tls.certificate_not_yet_valid"
    if yet:
        why = ("the capture's clock is behind (capture.clock_implausible: "
               + ("frames dated before 2000" if ctx.time(frame) < Y2000 else
                  "certificates of several issuers are all 'from the future' by it") + ")")
    else:
        why = "the capture's clock is ahead (capture.clock_implausible: frames dated in the future)"
    shown = "; ".join(
        f"{ctx.esc(c.subject) or '(no subject)'} ({role}, issued by {ctx.esc(c.issuer) or '?'}, valid "
        f"{fmt_time(c.not_before)} to {fmt_time(c.not_after)}, frame {f})" for c, role, f in certs[:6])
    more = f" and {len(certs) - 6} more" if len(certs) > 6 else ""
    if len(certs) == 1:
        c, role, _f = certs[0]
        what = f"the {owner}'s {role} certificate {ctx.esc(c.subject) or '(no subject)'}"
        state = (f"is not valid before {fmt_time(c.not_before)}" if yet else f"expired on {fmt_time(c.not_after)}")
    else:
        what = f"{len(certs)} {owner} certificates"
        state = "are not valid yet" if yet else "have expired"
    real = _real_time(clock, certs[0][0]) if len(certs) == 1 else ""
    if len(certs) > 1 and clock.plausible is not None and (clock.early or clock.late):
        a, b = clock.plausible
        real = (f" The frames of this capture with a plausible date are dated "
                f"{fmt_time(a) if b - a < 1 else f'{fmt_time(a)} to {fmt_time(b)}'}, but nothing in the capture "
                "ties them to these.")
    bound = ""
    if yet:
        nbs = [c.not_before for c, _r, _f in certs if c.not_before is not None]
        if nbs:
            bound = f" The real time of the traffic is most likely after {fmt_time(max(nbs))} (the latest notBefore)."
    return Finding(
        kind=kind_, severity="note",
        summary=f"by the capture's clock, which is suspect, {what} {state} in {where}",
        explanation=(f"Seen: {'the Certificate message in frame ' + str(seen[0]) if len(seen) == 1 else 'the Certificate messages in frames ' + frame_list(seen)}"
                     f" (first at {fmt_time(now)} by the capture's clock) carr{'ies' if len(seen) == 1 else 'y'} "
                     f"{shown}{more}: by that clock {'their' if len(certs) > 1 else 'its'} validity "
                     f"{'starts later' if yet else 'ended earlier'}.{rejected} But {why}.{real}{bound} Inferred: the "
                     "date comparison says more about the clock than about the certificates; whether they were valid "
                     "when the traffic really happened cannot be told from this capture"
                     + (", and the receiver did not object." if not alerts else ".")
                     + " Check: the clock (NTP) of the host that took the capture; compare the validity periods with "
                       "the real time of the traffic."),
        frames=seen + [a.frame for a in alerts], stream=stream if len(streams) == 1 else None)
