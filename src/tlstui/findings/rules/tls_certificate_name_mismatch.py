"""tls.certificate_name_mismatch: the SNI the client asked for is not covered by the server
leaf certificate's names (subjectAltName DNS names, or the CN when there is no SAN)."""
from __future__ import annotations

import ipaddress

from ..alerts import alert_label
from ..context import Context
from ..certs import tor_link_chain
from ..model import Finding
from ..tlsinfo import chains, client_dir, rejecting_alert

KINDS = ("tls.certificate_name_mismatch",)


def _cn(subject: str) -> str | None:
    for part in subject.split(","):
        k, _, v = part.partition("=")
        if k.strip().upper() == "CN":
            return v.strip()
    return None


def matches(name: str, pattern: str) -> bool:
    """RFC 6125 matching: case-insensitive, a wildcard only as the whole left-most label."""
    name, pattern = name.lower().rstrip("."), pattern.lower().rstrip(".")
    if not pattern:
        return False
    if pattern.startswith("*."):
        rest = pattern[2:]
        head, dot, tail = name.partition(".")
        return bool(dot) and bool(head) and tail == rest and rest.count(".") >= 1
    return name == pattern


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if not st.sni:
            continue
        try:
            ipaddress.ip_address(st.sni)
            continue  # an IP address in SNI is not allowed; nothing to compare
        except ValueError:
            pass
        server = chains(st, "server")
        if not server:
            continue
        chain = server[0]
        leaf = chain.certs[0]
        if leaf.error:
            continue
        names = list(leaf.san_dns) or ([_cn(leaf.subject)] if _cn(leaf.subject) else [])
        if not names or any(matches(st.sni, n) for n in names):
            continue
        cdir = client_dir(st)
        alert = rejecting_alert(st, chain.direction, (42, 46, 112))
        shown = ", ".join(ctx.esc(n) for n in names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        sni = ctx.esc(st.sni)
        ch = st.client_hellos[0].frame if st.client_hellos else None
        if tor_link_chain(chain) and alert is None:
            out.append(Finding(
                kind="tls.certificate_name_mismatch", severity="note",
                summary=(f"SNI {sni} differs from the certificate's name, as Tor's link handshakes do, in "
                         f"{ctx.where(kind, stream, cdir)}"),
                explanation=(f"Seen: the client asked for {sni}" + (f" (frame {ch})" if ch else "") + f" and got a "
                             f"lone certificate for {shown} (frame {chain.frame}), both random "
                             "'www.<random>.net|com' names, and the handshake went on. Inferred: a Tor relay's link "
                             "handshake, where both names are made up on purpose and the relay's identity is "
                             "proved inside Tor's own protocol, not by TLS. Expected for Tor; a policy question "
                             "if Tor is not allowed on this network."),
                frames=[f for f in (ch, chain.frame) if f], stream=stream))
            continue
        out.append(Finding(
            kind="tls.certificate_name_mismatch", severity="error" if alert else "warning",
            summary=f"SNI {sni} is not covered by the server certificate's names in {ctx.where(kind, stream, cdir)}",
            explanation=(f"The client asked for {sni}" + (f" (ClientHello, frame {ch})" if ch else "")
                         + f"; the leaf certificate in frame {chain.frame} ({ctx.esc(leaf.subject)}) is for "
                         f"{shown}" + ("" if leaf.san_dns else " (CN only, no subjectAltName)") + ". "
                         + (f"The client rejected it with {alert_label(alert.level, alert.description)} in frame "
                            f"{alert.frame}. " if alert else "")
                         + "The server picked the wrong certificate for this name (a missing virtual host or "
                           "SNI mapping, a default certificate), or the client used an address or alias the "
                           "certificate does not list. Add the name to the certificate or fix the server's SNI "
                           "configuration."),
            frames=[f for f in (chain.frame, alert.frame if alert else None) if f], stream=stream))
    return out
