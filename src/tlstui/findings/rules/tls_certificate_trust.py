"""tls.certificate_self_signed / tls.certificate_untrusted: the chain, signatures verified, does
not reach a CA of the trust store (the system store, or --ca-file).

self_signed: the path ends at a self-signed certificate the store does not hold (a self-signed
leaf, or a private root sent with the chain).  untrusted: the path ends at a certificate whose
issuer was not sent and is not in the store; or a signature does not verify with the key of the
certificate named as its issuer; or (client chains) the issuer is not among the CAs the server's
CertificateRequest names.  Chains that tls.certificate_chain_incomplete reports (a missing
intermediate) are left to it.  Nothing is reported when the path reaches the store.

Severity follows the receiver: an alert rejecting the chain makes an error; a handshake that
completed without one is evidence the receiver trusts that CA (a private PKI it was given), a
note -- except a self-signed server leaf and a bad signature, which stay warnings.
"""
from __future__ import annotations

from ..certs import (judged_chains, Groups, chain_text, dtls_srtp_peers, evidence_frames, messages, reaction, receiver,
                     tor_link_chain, where)
from ..context import Context
from ..model import Finding
from ..trust import ca_file_of, canon, chain_verdict, store_description
from . import tls_certificate_chain_incomplete as incomplete

KINDS = ("tls.certificate_self_signed", "tls.certificate_untrusted")

TRUST_ALERTS = (42, 46, 48, 49)
SIGNATURE_ALERTS = (42, 46, 48, 51)


def _severity(alert, accepted: bool, strict: bool, explicit: bool) -> str | None:
    """error: rejected by an alert; warning: not accepted, or ``strict``; accepted: a note when
    the user named the store (--ca-file), else nothing (the receiver's own trust, evidenced by it
    going on, outranks the opinion of this machine's system store)."""
    if alert is not None:
        return "error"
    if accepted and not strict:
        return "note" if explicit else None
    return "warning"


def _client_ca_check(st, chain, verdict) -> str | None:
    """For a client chain and a CertificateRequest naming CAs: None when a certificate on the path
    is one of them or is issued by one (the server has that CA); else the issuer it lacks."""
    names = {canon(n) for n in st.cert_request.ca_names}
    certs = chain.certs
    idxs = verdict.path if verdict is not None and verdict.path else range(len(certs))
    for i in idxs:
        if canon(certs[i].subject) in names or canon(certs[i].issuer) in names:
            return None
    return certs[idxs[-1]].issuer


def check(ctx: Context) -> list[Finding]:
    groups = Groups()
    explicit = ca_file_of(ctx.session) is not None
    for key, st, cdir, chain, certs, who in judged_chains(ctx):
        if who == "client" and st.cert_request is not None and st.cert_request.ca_names:
            verdict = chain_verdict(ctx, chain)
            missing = _client_ca_check(st, chain, verdict)
            if missing is None:
                continue  # the server named a CA of this chain: it has it
            said, alert, accepted = reaction(st, chain, TRUST_ALERTS)
            sev = _severity(alert, accepted, strict=False, explicit=False)
            if sev is None:
                continue
            groups.add(("tls.certificate_untrusted", "ca_list", who, canon(missing), sev), key, chain, alert,
                       status="ca_list", who=who, cdir=cdir, said=said, sev=sev, missing=missing,
                       verdict=verdict, certs=certs, cr=st.cert_request)
            continue
        if tor_link_chain(chain):
            said, alert, accepted = reaction(st, chain, TRUST_ALERTS)
            groups.add(("tls.certificate_untrusted", "tor", who, "error" if alert else "note"), key, chain, alert,
                       status="tor", who=who, cdir=cdir, said=said, sev="error" if alert else "note",
                       certs=certs)
            continue
        if incomplete.covers(ctx, st, chain):
            continue  # a missing intermediate: that rule says so
        verdict = chain_verdict(ctx, chain)
        if verdict is None or verdict.status in ("trusted", "unparsable"):
            continue
        if verdict.status == "self_signed" and verdict.anchor_index == 0 and dtls_srtp_peers(st):
            if who == "client":
                continue  # one note per connection, on the server's certificate
            said, alert, accepted = reaction(st, chain, TRUST_ALERTS)
            sev = "error" if alert else "note"
            groups.add(("tls.certificate_self_signed", "dtls_srtp", sev), key, chain, alert, status="dtls_srtp",
                       who=who, cdir=cdir, said=said, sev=sev, certs=certs, verdict=verdict, st=st)
            continue
        if verdict.status == "self_signed":
            leaf = verdict.anchor_index == 0
            said, alert, accepted = reaction(st, chain, TRUST_ALERTS)
            sev = _severity(alert, accepted, strict=leaf and who == "server", explicit=explicit)
            kind_ = "tls.certificate_self_signed"
        elif verdict.status == "bad_signature":
            said, alert, accepted = reaction(st, chain, SIGNATURE_ALERTS)
            sev = _severity(alert, accepted, strict=True, explicit=explicit)
            kind_ = "tls.certificate_untrusted"
        else:
            said, alert, accepted = reaction(st, chain, TRUST_ALERTS)
            sev = _severity(alert, accepted, strict=False, explicit=explicit)
            kind_ = "tls.certificate_untrusted"
        if sev is None:
            continue
        path_names = tuple(canon(certs[i].subject) for i in verdict.path)
        groups.add((kind_, verdict.status, who, path_names, verdict.bad, sev), key, chain, alert,
                   status=verdict.status, who=who, cdir=cdir, said=said, sev=sev, verdict=verdict, certs=certs)
    return groups.findings(lambda g: _make(ctx, g))


def _reaction_text(g: dict) -> str:
    said = g["said"]
    n = len(g["streams"])
    if n > 1:
        return f"On the first of the {n} connections: {said[0].lower()}{said[1:]}"
    return said


def _make(ctx: Context, g: dict) -> Finding:
    status, who, certs, sev = g["status"], g["who"], g["certs"], g["sev"]
    place, stream = where(ctx, g, g["cdir"])
    msg = messages(g)
    store = store_description(ctx)
    reacted = _reaction_text(g)
    peer = receiver(who)
    if status == "ca_list":
        cr = g["cr"]
        missing = ctx.esc(g["missing"])
        accepted = "; ".join(ctx.esc(n) for n in cr.ca_names[:12]) + (
            f" and {len(cr.ca_names) - 12} more" if len(cr.ca_names) > 12 else "")
        leaf = ctx.esc(certs[0].subject) or "?"
        sent = any(canon(c.subject) == canon(g["missing"]) for c in certs)
        return Finding(
            kind="tls.certificate_untrusted", severity=sev,
            summary=(f"the client's certificate {leaf} is issued by {missing}, which is not among the CAs the server "
                     f"accepts, in {place}"),
            explanation=(f"Seen: the server's CertificateRequest (frame {cr.frame}) names the CAs it accepts: {accepted}; "
                         f"{msg} from the client hold{'s' if len(set(g['frames'])) == 1 else ''} "
                         f"{len(certs)} certificate{'s' if len(certs) != 1 else ''}: {chain_text(ctx, certs)}; "
                         f"its issuer {missing} is not one of them{'' if sent else ' and was not sent'}. {reacted} "
                         f"Inferred: the client picked a certificate from a CA this server does not trust (a wrong "
                         f"certificate or keystore entry, or a certificate meant for another service); less often "
                         f"{missing} is an intermediate under one of the accepted CAs that the client left out. "
                         f"Check: which CA issued the client's certificate against the server's client-CA list "
                         f"(ssl_client_certificate, SSLCACertificateFile, the truststore); if {missing} is an "
                         f"intermediate of one of them, send it with the client certificate."),
            frames=evidence_frames(g) + [cr.frame], stream=stream)
    if status == "tor":
        leaves = {}
        for ch in g["chains"]:
            leaves.setdefault(ch.certs[0].subject, ch.certs[0])
        shown = "; ".join(f"{ctx.esc(c.subject)} (issued by {ctx.esc(c.issuer)})" for c in list(leaves.values())[:6])
        more = f" and {len(leaves) - 6} more" if len(leaves) > 6 else ""
        what = (f"the {who}'s certificate {ctx.esc(next(iter(leaves)))} is a Tor relay link certificate"
                if len(leaves) == 1 else f"{len(leaves)} {who} certificates are Tor relay link certificates")
        return Finding(
            kind="tls.certificate_untrusted", severity=sev,
            summary=f"{what} (random names, no CA) in {place}",
            explanation=(f"Seen: {msg} each hold one certificate: {shown}{more}. Subject and issuer are random "
                         f"'www.<base32>.net/.com' host names; the issuer is never sent and is in no trust store. "
                         f"{reacted} Inferred: these are Tor relays' TLS link certificates; the issuer stands for the "
                         f"relay's identity key, which Tor proves inside its own protocol after the handshake, so the "
                         f"missing issuer is by design, not a missing intermediate. Check: whether Tor traffic is "
                         f"expected from this host."),
            frames=evidence_frames(g), stream=stream)
    if status == "dtls_srtp":
        c = certs[0]
        st = g["st"]
        client = next((ch.certs[0] for ch in st.certificates if ch.direction != g["chains"][0].direction
                       and ch.certs), None)
        return Finding(
            kind="tls.certificate_self_signed", severity=sev,
            summary=(f"DTLS-SRTP peers authenticate with self-signed certificates ({ctx.esc(c.subject)}"
                     + (f", {ctx.esc(client.subject)}" if client is not None else "") + f") in {place}"),
            explanation=(f"Seen: in this DTLS handshake both peers sent one self-signed certificate: the server "
                         f"{ctx.esc(c.subject)} ({msg})"
                         + (f" and the client {ctx.esc(client.subject)}" if client is not None else "")
                         + f"; neither is in {store_description(ctx)}. {reacted} Inferred: this is WebRTC or "
                         "another DTLS-SRTP media session (RFC 5763): the peers check each other's certificate "
                         "against the fingerprint exchanged in signalling (SDP a=fingerprint), not against a CA, so "
                         "self-signed certificates are by design. Check: only if the media fails, compare the "
                         "fingerprints in the signalling with these certificates."),
            frames=evidence_frames(g), stream=stream)
    v = g["verdict"]
    path = list(v.path)
    chain_part = chain_text(ctx, certs, path)
    extra = [i for i in range(len(certs)) if i not in path]
    extra_text = (f" ({len(extra)} more certificate{'s' if len(extra) != 1 else ''} sent but not on the path: "
                  f"{chain_text(ctx, certs, extra)})" if extra else "")
    unchecked = (f" {len(v.unchecked)} signature{'s' if len(v.unchecked) != 1 else ''} could not be checked "
                 f"(algorithm not supported here); names were matched instead." if v.unchecked else "")
    verb = f"hold{'s' if len(set(g['frames'])) == 1 else ''}"
    holds = (f"{msg} {verb} one certificate, {chain_part}." if len(certs) == 1 else
             f"{msg} {verb} {len(certs)} certificates; the path from the leaf: {chain_part}{extra_text}.")
    if status == "self_signed":
        top = certs[v.anchor_index]
        name = ctx.esc(top.subject) or "?"
        if v.anchor_index == 0:
            return Finding(
                kind="tls.certificate_self_signed", severity=sev,
                summary=f"the {who}'s certificate {name} is self-signed and not in the trust store, in {place}",
                explanation=(f"Seen: {holds} It is issued by itself and its signature verifies with its own key. "
                             f"{store[0].upper() + store[1:]} does not hold it.{unchecked} {reacted} "
                             f"Inferred: no CA vouches for this certificate: a {peer} accepts it only if it was "
                             f"pinned or added to its trust store by hand (a default or test certificate, an "
                             f"appliance's factory certificate, a TLS-inspecting proxy's own, or a peer-to-peer "
                             f"or malware service). Check: give the {who} a certificate from a CA its {peer}s "
                             f"trust; if this self-signed one is intended, install it on the {peer}s (and give it "
                             f"to tlstui with --ca-file FILE)."),
                frames=evidence_frames(g), stream=stream)
        return Finding(
            kind="tls.certificate_self_signed", severity=sev,
            summary=f"the {who}'s chain ends at the self-signed {name}, which is not in the trust store, in {place}",
            explanation=(f"Seen: {holds} Each signature verifies with the next certificate's key, up to {name}, "
                         f"which signs itself. {store[0].upper() + store[1:]} does not hold it.{unchecked} "
                         f"{reacted} Inferred: a private CA (or a TLS-inspecting proxy's CA) issued this chain; "
                         f"only {peer}s given that root accept it"
                         + (", and this one evidently has it." if sev == "note" else ".")
                         + f" Check: that the {peer}s have {name} in their trust store; to check the chain "
                         f"against it here, pass it with --ca-file FILE."),
            frames=evidence_frames(g), stream=stream)
    if status == "bad_signature":
        child_i, issuer_i = v.bad
        child = ctx.esc(certs[child_i].subject) or "?"
        issuer = ctx.esc(certs[child_i].issuer) or "?"
        by = "its own key" if issuer_i == child_i else f"the key of {ctx.esc(certs[issuer_i].subject) or '?'} (certificate #{issuer_i + 1} sent)"
        return Finding(
            kind="tls.certificate_untrusted", severity=sev,
            summary=(f"the signature of the {who}'s certificate {child} does not verify with its issuer {issuer}'s "
                     f"key, in {place}"),
            explanation=(f"Seen: {holds} {child} names {issuer} as its issuer, but its signature does not verify "
                         f"with {by}.{unchecked} {reacted} "
                         + ("" if sev == "error" else f"A {peer} that checks signatures cannot accept this chain. ")
                         + "Inferred: the chain mixes certificates of two CAs with the same name (an old and a "
                         "renewed intermediate), the server was given the wrong intermediate file, or something in "
                         "the path re-signed or changed the certificate. Check: the chain file: the intermediate "
                         "must be the one that issued this certificate (the child's Authority Key Identifier equals "
                         "the issuer's Subject Key Identifier); compare with the certificate the CA delivered."),
            frames=evidence_frames(g), stream=stream)
    top = certs[v.top]
    name = ctx.esc(top.subject) or "?"
    missing = ctx.esc(v.missing_issuer) or "?"
    same_name = (f" It has a certificate named {missing}, but its key does not verify {name}'s signature "
                 f"(another CA of the same name)." if v.store_names_key else "")
    return Finding(
        kind="tls.certificate_untrusted", severity=sev,
        summary=f"the {who}'s chain ends at {name}, whose issuer {missing} is not in the trust store, in {place}",
        explanation=(f"Seen: {holds} The signatures verify up to {name}; its issuer {missing} was not sent "
                     f"(normal for a root) and {store} has no certificate of that name that verifies it."
                     f"{same_name}{unchecked} {reacted} Inferred: {missing} is a private or retired CA, or the "
                     f"{peer}s use another trust store than the one checked here"
                     + (" (this one evidently trusts it)." if sev == "note" else ".")
                     + f" Check: whether the {peer}s trust {missing}; to check the chain against it here, pass "
                     f"that CA with --ca-file FILE."),
        frames=evidence_frames(g), stream=stream)

