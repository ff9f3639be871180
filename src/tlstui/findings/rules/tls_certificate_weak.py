"""tls.certificate_weak: a certificate with an RSA (or DSA) key under 2048 bits, a signature made
with SHA-1 or MD5 (not on a self-signed certificate: its own signature proves nothing either
way), or, for a server leaf issued from 2020-09-01 under a CA of the trust store, a validity
period longer than 398 days (the CA/Browser Forum and browser limit).

One finding per certificate (subject, issuer, serial) and role, with every connection that sent it.
"""
from __future__ import annotations

import datetime as _dt

from ..certs import judged_chains, Groups, evidence_frames, messages, reaction, receiver, where
from ..context import Context, fmt_time
from ..model import Finding
from ..trust import ca_file_of, chain_verdict, store_description

KINDS = ("tls.certificate_weak",)

MIN_RSA_BITS = 2048
MAX_VALIDITY_DAYS = 398
VALIDITY_RULE_FROM = _dt.datetime(2020, 9, 1, tzinfo=_dt.timezone.utc).timestamp()
WEAK_HASHES = {"sha1": "SHA-1", "md5": "MD5", "md2": "MD2", "md4": "MD4"}
WEAK_ALERTS = (42, 43, 46, 71)


def _utc(y: int, m: int, d: int) -> float:
    return _dt.datetime(y, m, d, tzinfo=_dt.timezone.utc).timestamp()


# From when clients refused it: before that, the same certificate was ordinary (a note).
REFUSED_SINCE = {"key": (_utc(2014, 1, 1), "2014 (RSA under 2048 bits dropped by the CA/Browser Forum and browsers)"),
                 "MD5": (_utc(2009, 1, 1), "2009 (after the rogue CA certificate of December 2008)"),
                 "MD2": (_utc(2009, 1, 1), "2009"), "MD4": (_utc(2009, 1, 1), "2009"),
                 "SHA-1": (_utc(2017, 1, 1), "2017 (Chrome 56, Firefox 51, Safari)"),
                 "validity": (VALIDITY_RULE_FROM, "2020-09-01")}


def _role(i: int, n: int) -> str:
    return "leaf" if i == 0 else ("last" if i == n - 1 else f"intermediate #{i}")


def _weak_hash(c) -> str:
    if c.sig_hash:
        return WEAK_HASHES.get(c.sig_hash.lower(), "")
    alg = (c.sig_alg or "").lower()
    for k, v in WEAK_HASHES.items():
        if alg.startswith(k) or f"with-{k}" in alg or f"with{k}" in alg:
            return v
    return ""


def problems(c, i: int, who: str, trusted, check_signature: bool = True) -> list[tuple[str, str, str]]:
    """[(tag, short, long)] of what is weak about certificate ``c`` at position ``i`` of a chain;
    ``trusted()`` says whether the chain is under a CA of the trust store (asked only when needed);
    ``check_signature`` False for the trust anchor (its own signature is not what makes it trusted)."""
    out = []
    if c.key_type in ("RSA", "DSA") and 0 < c.key_bits < MIN_RSA_BITS:
        out.append(("key", f"{c.key_type} {c.key_bits}-bit key",
                    f"its {c.key_type} key has {c.key_bits} bits (under {MIN_RSA_BITS}: refused by OpenSSL's "
                    "default security level 2 and by browsers since 2014)"))
    h = _weak_hash(c)
    if h and check_signature and not c.self_signed:
        out.append((h, f"{h} signature", f"it is signed with {h} ({c.sig_alg or '?'}): collisions make such signatures "
                                       "forgeable; browsers and OpenSSL 3 (security level 1 and up) refuse them"))
    if i == 0 and who == "server" and c.not_before is not None and c.not_after is not None:
        days = (c.not_after - c.not_before) / 86400
        if c.not_before >= VALIDITY_RULE_FROM and days > MAX_VALIDITY_DAYS and trusted():
            out.append(("validity", f"valid {days:.0f} days",
                        f"it is valid for {days:.0f} days ({fmt_time(c.not_before)} to {fmt_time(c.not_after)}), "
                        f"more than the {MAX_VALIDITY_DAYS} days allowed for a server certificate issued on or "
                        "after 2020-09-01 under a public CA (Safari, Chrome and Firefox refuse it)"))
    return out


def check(ctx: Context) -> list[Finding]:
    groups = Groups()
    explicit = ca_file_of(ctx.session) is not None
    for key, st, cdir, chain, certs, who in judged_chains(ctx):
        found = []

        def trusted(chain=chain) -> bool:
            v = chain_verdict(ctx, chain)
            return v is not None and v.status == "trusted"

        def on_path(i: int, chain=chain) -> bool:
            """Whether the signature of certificate ``i`` matters: it is on the verified path and
            is not its anchor (a root sent along, or one the store holds)."""
            if i == 0:
                return True
            v = chain_verdict(ctx, chain)
            if v is None or not v.path:
                return True
            return i in v.path and i != v.anchor_index

        for i, c in enumerate(certs):
            if c.error:
                continue
            p = problems(c, i, who, trusted, check_signature=not _weak_hash(c) or on_path(i))
            if p:
                found.append((i, c, p))
        try:
            when = ctx.time(chain.frame)
        except Exception:
            when = None
        for i, c, p in found:
            said, alert, _ = reaction(st, chain, WEAK_ALERTS)
            # Refused by clients at the capture's time: a warning; weak only by later standards: a note.
            current = when is None or any(when >= REFUSED_SINCE[t][0] for t, _s, _l in p)
            if alert is not None:
                sev = "error"
            elif not current:
                sev = "note"
            elif all(t == "validity" for t, _s, _l in p) and explicit:
                sev = "note"
            else:
                sev = "warning"
            groups.add((who, _role(i, len(certs)), c.subject, c.issuer, c.serial, sev), key, chain, alert,
                       who=who, cdir=cdir, cert=c, role=_role(i, len(certs)), problems=p, said=said, sev=sev,
                       when=when, validity=any(t == "validity" for t, _s, _l in p))
    return groups.findings(lambda g: _make(ctx, g))


def _make(ctx: Context, g: dict) -> Finding:
    c, who, role = g["cert"], g["who"], g["role"]
    place, stream = where(ctx, g, g["cdir"])
    name = ctx.esc(c.subject) or "(no subject)"
    short = ", ".join(s for _t, s, _l in g["problems"])
    longs = "; ".join(lo for _t, _s, lo in g["problems"])
    when = g.get("when")
    dated = ""
    if when is not None:
        old = [(t, REFUSED_SINCE[t][1]) for t, _s, _l in g["problems"] if when < REFUSED_SINCE[t][0]]
        if old:
            what = {"key": "such keys", "validity": "such validity periods"}
            parts = [f"{what.get(t, f'{t} signatures')} since {since}" for t, since in old]
            dated = (f" The capture is dated {fmt_time(when)}; clients refuse " + ", ".join(parts)
                     + (": at that time this was still accepted." if g["sev"] == "note" else "."))
    role_text = "last certificate" if role == "last" else f"{role} certificate"
    said = g["said"] if len(g["streams"]) == 1 else f"On the first connection: {g['said'][0].lower()}{g['said'][1:]}"
    trust = (f" The chain is under a CA of {store_description(ctx)}, where the validity limit applies."
             if g["validity"] else "")
    return Finding(
        kind="tls.certificate_weak", severity=g["sev"],
        summary=f"the {who}'s {role_text} {name} is weak ({short}) in {place}",
        explanation=(f"Seen: {messages(g)} carr{'ies' if len(set(g['frames'])) == 1 else 'y'} {name}, issued by "
                     f"{ctx.esc(c.issuer) or '?'}: {longs}.{trust}{dated} {said} Inferred: "
                     f"{receiver(who)}s with current defaults fail the handshake with this certificate; ones that "
                     f"accept it are old or configured down (SECLEVEL=0, legacy options). Check: reissue the "
                     f"certificate (RSA 2048+ or ECDSA P-256, SHA-256, at most {MAX_VALIDITY_DAYS} days for a "
                     f"public server certificate) and replace it wherever it is deployed."),
        frames=evidence_frames(g), stream=stream)
