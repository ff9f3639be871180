"""tls.certificate_chain_incomplete: the last certificate sent is not self-signed and its issuer
is not in the chain (an intermediate is missing).

A client chain whose issuer the server's CertificateRequest does not name is left to
tls.certificate_untrusted (the evidence says "not a CA the server accepts", not "missing
intermediate"); a leaf issued straight by a CA of the trust store is complete."""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..certs import chain_text, owner, reaction, tor_link_chain
from ..tlsinfo import client_dir
from ..trust import chain_verdict, store_description

KINDS = ("tls.certificate_chain_incomplete",)

CHAIN_ALERTS = (42, 46, 48)


def _norm(dn: str) -> str:
    return ",".join(p.strip().lower() for p in dn.split(","))


def _names(st) -> set[str]:
    return {_norm(n) for n in st.cert_request.ca_names} if st.cert_request is not None else set()


def covers(ctx: Context, st, chain) -> bool:
    """Whether this rule reports ``chain``: the last certificate sent is not self-signed, not an
    intermediate CA that leaves the root out on purpose, and its issuer is in neither the chain
    nor (for a client chain) the CAs the server said it accepts; nor in the trust store.

    A client chain whose issuer is not among the CAs of the server's CertificateRequest is not a
    missing intermediate on the evidence: tls.certificate_untrusted reports it (with the CAs)."""
    certs = chain.certs
    if not certs or any(c.error for c in certs[-1:]):
        return False
    last = certs[-1]
    if last.self_signed or not last.issuer:
        return False
    if last.is_ca and len(certs) > 1:
        # A chain that ends at an intermediate CA is the normal shape: the root it names is
        # left out on purpose (receivers have it).  Only a chain that ends at the leaf, or at
        # a certificate that is not a CA, certainly lacks its issuer.
        return False
    if _norm(last.issuer) in {_norm(c.subject) for c in certs}:
        return False
    if tor_link_chain(chain):
        return False  # a Tor link certificate: its issuer is never sent in TLS (tls.certificate_untrusted says so)
    if owner(st, chain) == "client" and _names(st):
        return False  # named by the server (it has it), or not named (untrusted issuer): not this rule
    verdict = chain_verdict(ctx, chain)
    if verdict is not None and verdict.status == "trusted":
        return False  # issued straight by a CA of the trust store: nothing is missing
    if _names_a_root(last.issuer) and reaction(st, chain, CHAIN_ALERTS)[2]:
        # Issued straight by a (private) root, which is never sent, and the receiver went on: it has
        # that root.  Nothing is missing; whether the root is trusted is tls.certificate_untrusted's question.
        return False
    return True


def _names_a_root(dn: str) -> bool:
    for part in dn.split(","):
        k, _, v = part.partition("=")
        if k.strip().upper() == "CN":
            return "root" in v.lower().split() or v.lower().rstrip().endswith("root ca")
    return False


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        cdir = client_dir(st)
        for chain in st.certificates:
            if not covers(ctx, st, chain):
                continue
            certs = chain.certs
            last = certs[-1]
            who = owner(st, chain)
            said, alert, accepted = reaction(st, chain, CHAIN_ALERTS)
            issuer = ctx.esc(last.issuer)
            if alert is not None:
                meaning = " That is what the alert says: the receiver could not build a path to a root it trusts."
            elif accepted:
                meaning = (" This receiver had the intermediate cached or fetched it (AIA), but others (curl, "
                           "Java, mobile apps, most non-browser clients) will fail.")
            else:
                meaning = ""
            out.append(Finding(
                kind="tls.certificate_chain_incomplete", severity="error" if alert else "warning",
                summary=(f"the {who}'s certificate chain stops at {ctx.esc(last.subject) or '?'}, its issuer "
                         f"{issuer} is not sent, in {ctx.where(kind, stream, cdir)}"),
                explanation=(f"Seen: the Certificate message in frame {chain.frame} holds {len(certs)} certificate"
                             f"{'s' if len(certs) != 1 else ''}: {chain_text(ctx, certs)}. The last one is not "
                             f"self-signed, not a CA certificate at the end of a longer chain, and its issuer "
                             f"{issuer} is neither in the chain nor in {store_description(ctx)}. {said} "
                             f"Inferred: an intermediate CA certificate is missing, so a receiver that only trusts "
                             f"the root cannot build a path.{meaning} Check: configure the {who} to send the full "
                             "chain (leaf first, then each intermediate: the 'fullchain' file, "
                             "SSLCertificateChainFile, -cert_chain)."),
                frames=[chain.frame] + ([alert.frame] if alert else []), stream=stream))
    return out
