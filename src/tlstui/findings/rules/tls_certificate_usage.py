"""tls.certificate_usage: the leaf certificate's keyUsage or extendedKeyUsage does not allow the
role it is used in: serverAuth for a server, clientAuth for a client (no extendedKeyUsage
extension allows every purpose; anyExtendedKeyUsage too); keyUsage must allow what the
negotiated key exchange does with the key (digitalSignature to sign (EC)DHE parameters, TLS 1.3
handshakes and client CertificateVerify; keyEncipherment for RSA key transport; keyAgreement for
static (EC)DH)."""
from __future__ import annotations

from ..certs import Groups, evidence_frames, messages, owner, reaction, receiver, where
from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir, is_tls13

KINDS = ("tls.certificate_usage",)

SERVER_AUTH, CLIENT_AUTH, ANY_EKU = "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "2.5.29.37.0"
EKU_NAMES = {SERVER_AUTH: "serverAuth", CLIENT_AUTH: "clientAuth", "1.3.6.1.5.5.7.3.3": "codeSigning",
             "1.3.6.1.5.5.7.3.4": "emailProtection", "1.3.6.1.5.5.7.3.8": "timeStamping",
             "1.3.6.1.5.5.7.3.9": "OCSPSigning", ANY_EKU: "anyExtendedKeyUsage",
             "1.3.6.1.4.1.311.10.3.3": "msSGC", "2.16.840.1.113730.4.1": "nsSGC"}
KU_NAMES = {"digital_signature": "digitalSignature", "content_commitment": "nonRepudiation",
            "key_encipherment": "keyEncipherment", "data_encipherment": "dataEncipherment",
            "key_agreement": "keyAgreement", "key_cert_sign": "keyCertSign", "crl_sign": "cRLSign"}
USAGE_ALERTS = (42, 43, 46)


def _suite(st) -> str:
    if st.cipher is None:
        return ""
    try:
        from ...tls.names import CIPHER_SUITES

        return CIPHER_SUITES.get(st.cipher, "")
    except Exception:
        return ""


def needed_key_usage(st, who: str) -> tuple[tuple[str, ...], str]:
    """(keyUsage bits of which one must be set, why) for the leaf of ``who`` on this connection."""
    if who == "client":
        return ("digital_signature", "key_agreement"), "a client signs its CertificateVerify with the key"
    suite = _suite(st)
    if is_tls13(st):
        return ("digital_signature",), "TLS 1.3 servers sign the handshake (CertificateVerify)"
    if suite.startswith(("TLS_RSA_", "SSL_RSA_", "TLS_RSA_PSK_")):
        return ("key_encipherment",), f"{suite} sends the premaster secret encrypted to the key"
    if suite.startswith(("TLS_ECDH_", "TLS_DH_")):
        return ("key_agreement",), f"{suite} agrees a key with the certificate's static key"
    if suite.startswith(("TLS_ECDHE_", "TLS_DHE_")) and "_PSK_" not in suite:
        return ("digital_signature",), f"{suite} signs the ServerKeyExchange with the key"
    return ("digital_signature", "key_encipherment", "key_agreement"), "the key exchange is not known"


def problems(st, c, who: str) -> list[str]:
    out = []
    want = SERVER_AUTH if who == "server" else CLIENT_AUTH
    if c.ext_key_usage is not None and want not in c.ext_key_usage and ANY_EKU not in c.ext_key_usage:
        have = ", ".join(EKU_NAMES.get(o, o) for o in c.ext_key_usage) or "nothing"
        out.append(f"its extendedKeyUsage allows {have}, not {EKU_NAMES[want]}")
    if c.key_usage is not None:
        need, why = needed_key_usage(st, who)
        if not any(b in c.key_usage for b in need):
            have = ", ".join(KU_NAMES.get(b, b) for b in c.key_usage) or "nothing"
            out.append(f"its keyUsage allows {have}, not {' or '.join(KU_NAMES[b] for b in need)} ({why})")
    return out


def check(ctx: Context) -> list[Finding]:
    groups = Groups()
    for key, st in ctx.tls_streams.items():
        cdir = client_dir(st)
        for chain in st.certificates:
            if not chain.certs or chain.certs[0].error:
                continue
            c = chain.certs[0]
            who = owner(st, chain)
            p = problems(st, c, who)
            if not p:
                continue
            said, alert, _ = reaction(st, chain, USAGE_ALERTS)
            sev = "error" if alert is not None else "warning"
            groups.add((who, c.subject, c.issuer, c.serial, tuple(p), sev), key, chain, alert, who=who, cdir=cdir,
                       cert=c, problems=p, said=said, sev=sev)
    return groups.findings(lambda g: _make(ctx, g))


def _make(ctx: Context, g: dict) -> Finding:
    c, who = g["cert"], g["who"]
    place, stream = where(ctx, g, g["cdir"])
    name = ctx.esc(c.subject) or "(no subject)"
    role = "server authentication" if who == "server" else "client authentication"
    said = g["said"] if len(g["streams"]) == 1 else f"On the first connection: {g['said'][0].lower()}{g['said'][1:]}"
    return Finding(
        kind="tls.certificate_usage", severity=g["sev"],
        summary=f"the {who}'s certificate {name} is not allowed for {role} in {place}",
        explanation=(f"Seen: {messages(g)} carr{'ies' if len(set(g['frames'])) == 1 else 'y'} the {who} leaf {name}, "
                     f"issued by {ctx.esc(c.issuer) or '?'}: {'; '.join(g['problems'])}. {said} Inferred: the "
                     f"certificate was issued for another purpose (a client certificate installed on a server, a "
                     f"code-signing or e-mail certificate, a CA profile with the wrong template); {receiver(who)}s "
                     f"that check usage (browsers, OpenSSL, Java, Go) refuse it, usually with bad_certificate or "
                     f"unsupported_certificate. Check: reissue it with "
                     f"{'serverAuth' if who == 'server' else 'clientAuth'} in extendedKeyUsage and the keyUsage bits "
                     f"the key exchange needs, or select the right certificate on the {who}."),
        frames=evidence_frames(g), stream=stream)
