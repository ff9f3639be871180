"""analysis.limit_reached: the pass hit one of its resource bounds (limits.py) and went on with less."""
from __future__ import annotations

from ...limits import HITS_KEPT
from ..context import Context
from ..model import Finding

KINDS = ("analysis.limit_reached",)

_WHAT = {
    "reassembly": "TCP reassembly gave up waiting for a hole to fill",
    "dtls_message": "a DTLS fragment claimed a handshake message too large to reassemble",
    "dtls_in_progress": "too many fragmented DTLS handshake messages were waiting at once",
}


def check(ctx: Context) -> list[Finding]:
    limits = getattr(ctx.session, "limits", None)
    if limits is None or not limits.hits:
        return []
    out = []
    for what, count in limits.counts.items():
        hits = [h for h in limits.hits if h.what == what]
        streams = sorted({h.stream for h in hits})
        shown = "; ".join(f"{h.kind} stream {h.stream}, frame {h.frame}: {ctx.esc(h.detail)}" for h in hits[:5])
        more = f" (and {count - 5} more" + (f"; only the first {HITS_KEPT} are kept" if count > HITS_KEPT else "") \
            + ")" if count > 5 else ""
        out.append(Finding(
            kind="analysis.limit_reached", severity="note",
            summary=f"{_WHAT.get(what, what)}: {count} time{'s' if count != 1 else ''} "
                    f"in {len(streams)} stream{'s' if len(streams) != 1 else ''}",
            explanation=("tlstui bounds the memory that claims in packets can make it use (see 'Resource bounds' "
                         "in the README). This bound was reached and the analysis went on without that part: "
                         + shown + more + ". The frames themselves are all shown; records or messages in the "
                         "affected bytes may be missing or reported as incomplete. A real connection rarely gets "
                         "here: a capture that lost a large part of a stream, or crafted input, usually does."),
            frames=sorted({h.frame for h in hits}), stream=streams[0] if len(streams) == 1 else None))
    return out
