"""tls.certificate_chain_incomplete: the last certificate sent is not self-signed and its issuer
is not in the chain (an intermediate is missing)."""
from __future__ import annotations

from ..alerts import alert_label
from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir, rejecting_alert

KINDS = ("tls.certificate_chain_incomplete",)

CHAIN_ALERTS = (42, 46, 48)


def _norm(dn: str) -> str:
    return ",".join(p.strip().lower() for p in dn.split(","))


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        cdir = client_dir(st)
        for chain in st.certificates:
            certs = chain.certs
            if not certs or any(c.error for c in certs[-1:]):
                continue
            last = certs[-1]
            if last.self_signed or not last.issuer:
                continue
            if last.is_ca and len(certs) > 1:
                # A chain that ends at an intermediate CA is the normal shape: the root it names is
                # left out on purpose (receivers have it).  Only a chain that ends at the leaf, or at
                # a certificate that is not a CA, certainly lacks its issuer.
                continue
            subjects = {_norm(c.subject) for c in certs}
            if _norm(last.issuer) in subjects:
                continue
            owner = "client" if chain.direction == cdir and st.client_direction is not None else "server"
            if owner == "client" and st.cert_request is not None and _norm(last.issuer) in {
                    _norm(n) for n in st.cert_request.ca_names}:
                continue  # the server named this issuer in its CertificateRequest: it has it
            alert = rejecting_alert(st, chain.direction, CHAIN_ALERTS)
            issuer = ctx.esc(last.issuer)
            sent = "; ".join(f"{ctx.esc(c.subject) or '?'} (issued by {ctx.esc(c.issuer) or '?'})" for c in certs)
            rejected = (f" The receiver rejected it with {alert_label(alert.level, alert.description)} in frame "
                        f"{alert.frame}, which is what a missing intermediate causes." if alert else
                        " No alert followed here: this receiver had the intermediate cached or fetched it (AIA), "
                        "but others (curl, Java, mobile apps, most non-browser clients) will fail.")
            out.append(Finding(
                kind="tls.certificate_chain_incomplete", severity="error" if alert else "warning",
                summary=(f"the {owner}'s certificate chain stops at {ctx.esc(last.subject) or '?'}, its issuer "
                         f"{issuer} is not sent, in {ctx.where(kind, stream, cdir)}"),
                explanation=(f"The Certificate message in frame {chain.frame} holds {len(certs)} certificate"
                             f"{'s' if len(certs) != 1 else ''}: {sent}. The last one is not self-signed and its "
                             f"issuer {issuer} is not in the chain, so a receiver that only trusts the root "
                             f"cannot build a path.{rejected} Configure the {owner} to send the full chain "
                             "(leaf first, then each intermediate: the 'fullchain' file, "
                             "SSLCertificateChainFile, -cert_chain)."),
                frames=[chain.frame] + ([alert.frame] if alert else []), stream=stream))
    return out
