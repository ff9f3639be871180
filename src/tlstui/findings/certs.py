"""What the certificate rules share: whose chain it is, how the receiver reacted, how findings
about the same certificates on many connections become one."""
from __future__ import annotations

import re

from .alerts import alert_label
from .context import Context, frame_list, plural
from .model import Finding
from .tlsinfo import client_dir, handshake_done, rejecting_alert


_TOR_NAME = re.compile(r"CN=www\.[a-z2-7]{8,32}\.(?:net|com)")


def tor_link_chain(chain) -> bool:
    """A Tor relay's TLS link certificate: one certificate whose subject and issuer are both a lone
    random 'www.<base32>.net|com' CN (Tor's crypto_random_hostname); its issuer is the relay's
    identity key, which Tor proves in its own protocol (CERTS cells), never in TLS."""
    if len(chain.certs) != 1:
        return False
    c = chain.certs[0]
    return bool(_TOR_NAME.fullmatch(c.subject) and _TOR_NAME.fullmatch(c.issuer) and c.subject != c.issuer)


def dtls_srtp_peers(st) -> bool:
    """DTLS where both peers sent one self-signed certificate: WebRTC / DTLS-SRTP (RFC 5763), where
    each side checks the other's certificate against the fingerprint exchanged in signalling."""
    if not st.dtls:
        return False
    dirs = {ch.direction for ch in st.certificates if len(ch.certs) == 1 and ch.certs[0].self_signed}
    return dirs == {0, 1}


def owner(st, chain) -> str:
    """'client' or 'server': who sent this Certificate message."""
    return "client" if st.client_direction is not None and chain.direction == client_dir(st) else "server"


def receiver(who: str) -> str:
    return "server" if who == "client" else "client"


def chain_text(ctx: Context, certs, idxs=None) -> str:
    """'CN=a (issued by CN=b); CN=b (issued by CN=c)' for the given indexes (all by default)."""
    idxs = range(len(certs)) if idxs is None else idxs
    return "; ".join(f"{ctx.esc(certs[i].subject) or '?'} (issued by {ctx.esc(certs[i].issuer) or '?'})"
                     for i in idxs)


def went_on(st, chain) -> int | None:
    """The first frame after ``chain`` where its receiver went on with the handshake (its
    ChangeCipherSpec, Finished or first application data), None if it did not."""
    rdir = 1 - chain.direction
    got = [f for f in list(st.ccs_frames[rdir]) + list(st.finished_frames[rdir]) if f > chain.frame]
    first = st.first_app_data[rdir] if st.first_app_data else None
    if first and first > chain.frame:
        got.append(first)
    return min(got) if got else None


def reaction(st, chain, descs: tuple[int, ...]) -> tuple[str, object, bool]:
    """(sentence on how the receiver reacted, the rejecting alert or None, accepted?).

    accepted: no rejecting alert, and the receiver went on with the handshake after the chain --
    evidence that it trusts the chain (or does not check it)."""
    who = receiver(owner(st, chain))
    alert = rejecting_alert(st, chain.direction, descs)
    if alert is not None:
        return (f"The {who} rejected it with {alert_label(alert.level, alert.description)} in frame "
                f"{alert.frame}.", alert, False)
    on = went_on(st, chain)
    if on is not None:
        done = " and the handshake completed" if handshake_done(st) else ""
        return (f"The {who} went on with the handshake (frame {on}){done}, without an alert.", None, True)
    return (f"The {who} did not go on with the handshake after it, and no readable alert says why.", None, False)


class Groups:
    """Findings about the same certificates seen on many connections, merged into one.

    ``add(key, ctx, key_, chain, alert, **facts)`` records one sighting; ``findings(make)`` calls
    ``make(g)`` per group, where ``g`` has 'first' (ctx-free facts of the first sighting),
    'frames', 'streams', 'alerts' and whatever facts the first sighting gave."""

    def __init__(self) -> None:
        self.groups: dict[tuple, dict] = {}

    def add(self, key: tuple, stream_key: tuple, chain, alert=None, **facts) -> dict:
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = dict(facts, frames=[], streams=[], alerts=[], chains=[], stream_keys=[])
        g["frames"].append(chain.frame)
        g["chains"].append(chain)
        g["stream_keys"].append(stream_key)
        if stream_key not in g["streams"]:
            g["streams"].append(stream_key)
        if alert is not None:
            g["alerts"].append(alert)
        return g

    def findings(self, make) -> list[Finding]:
        return [f for g in self.groups.values() for f in [make(g)] if f is not None]


def where(ctx: Context, g: dict, cdir: int) -> tuple[str, int | None]:
    """('TCP stream 3 (a → b)' or '12 streams', the stream or None)."""
    streams = g["streams"]
    if len(streams) == 1:
        kind, stream = streams[0]
        return ctx.where(kind, stream, cdir), stream
    return plural(len(streams), "stream"), None


def messages(g: dict) -> str:
    """'The Certificate message in frame 6' / 'The Certificate messages in frames 6, 22, ...'."""
    seen = sorted(set(g["frames"]))
    if len(seen) == 1:
        return f"the Certificate message in frame {seen[0]}"
    return f"the Certificate messages in frames {frame_list(seen)}"


def evidence_frames(g: dict) -> list[int]:
    return list(g["frames"]) + [a.frame for a in g["alerts"]]


def judged_chains(ctx: Context):
    """(stream key, StreamTls, client direction, chain, its certificates, 'server'/'client') for every
    Certificate message whose leaf parsed: what the certificate rules look at."""
    for key, st in ctx.tls_streams.items():
        cdir = client_dir(st)
        for chain in st.certificates:
            certs = chain.certs
            if certs and not certs[0].error:
                yield key, st, cdir, chain, certs, owner(st, chain)
