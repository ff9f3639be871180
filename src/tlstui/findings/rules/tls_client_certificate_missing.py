"""tls.client_certificate_missing: the server sent a CertificateRequest and the client answered
with an empty Certificate message, or with none."""
from __future__ import annotations

from ..alerts import alert_label
from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir

KINDS = ("tls.client_certificate_missing",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        cr = st.cert_request
        if cr is None:
            continue
        cdir = client_dir(st)
        sdir = 1 - cdir
        client_chains = [c for c in st.certificates if c.direction == cdir and c.frame >= cr.frame]
        if client_chains and client_chains[0].certs:
            continue  # a certificate was sent (whether accepted is tls.alert's business)
        if client_chains:
            answer = client_chains[0].frame
            how = f"an empty Certificate message (no certificates) in frame {answer}"
        else:
            # No Certificate message at all: the client's next flight is the evidence.
            nxt = sorted(f for f in st.ccs_frames[cdir] + st.finished_frames[cdir] if f > cr.frame)
            if not nxt:
                continue  # the client never answered: not this diagnosis
            answer = nxt[0]
            how = f"no Certificate message at all (its next flight, frame {answer}, goes straight on)"
        alert = next((a for a in st.alerts if a.direction == sdir and a.frame > answer and a.level is not None
                      and a.description not in (0, None)), None)
        encrypted_alert = next((a for a in st.alerts if a.direction == sdir and a.frame > answer
                                and a.level is None), None)
        cas = [ctx.esc(n) for n in cr.ca_names]
        ca_text = ("; ".join(cas[:6]) + (f" and {len(cas) - 6} more" if len(cas) > 6 else "")) if cas else \
            "none (any CA the server trusts)"
        if alert is not None:
            outcome = (f" The server then refused the handshake with {alert_label(alert.level, alert.description)} "
                       f"in frame {alert.frame}: it requires a client certificate.")
            sev = "error"
        elif encrypted_alert is not None:
            outcome = (f" The server then sent an encrypted alert (frame {encrypted_alert.frame}), most likely "
                       "certificate_required or handshake_failure.")
            sev = "error"
        elif _server_carried_on(st, sdir, answer):
            outcome = (" The server carried on without it (its ChangeCipherSpec/Finished or application data "
                       "followed and no alert came), so client authentication is optional there and the "
                       "application sees an anonymous client. That is a problem only if this client was "
                       "meant to authenticate with a certificate.")
            sev = "note"
        else:
            outcome = (" Nothing from the server follows in the capture, so whether it accepts a client "
                       "without a certificate cannot be told.")
            sev = "warning"
        ev = [cr.frame, answer] + ([alert.frame] if alert else []) + ([encrypted_alert.frame] if encrypted_alert and not alert else [])
        out.append(Finding(
            kind="tls.client_certificate_missing", severity=sev,
            summary=(f"server asked for a client certificate (CAs: {ca_text}) and the client sent none in "
                     f"{ctx.where(kind, stream, cdir)}"),
            explanation=(f"The server's CertificateRequest in frame {cr.frame} accepts certificates issued by: "
                         f"{ca_text}. The client answered with {how}.{outcome} Usually the client has no "
                         "certificate configured, or has none issued by one of those CAs, so its TLS library "
                         "silently sends none (check the client's certificate and key paths, its keystore, and "
                         "that the issuing CA is in the list above); or the certificate's key usage / "
                         "extended key usage does not allow client authentication."),
            frames=ev, stream=stream))
    return out


def _server_carried_on(st, sdir: int, answer: int) -> bool:
    """The server finished the handshake or sent data after the client's answer (no alert)."""
    after = [f for f in st.ccs_frames[sdir] + st.finished_frames[sdir] if f > answer]
    first = st.first_app_data[sdir]
    return bool(after) or (first is not None and first > answer) or (
        st.app_data_frames[sdir] > 0 and st.finished_frames[sdir] != [])
