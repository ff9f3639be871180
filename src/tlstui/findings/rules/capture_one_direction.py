"""capture.one_direction: streams of which only one direction was captured (note).

Per stream when there are few (three or fewer), else one finding for the capture listing them.
The streams come from ``findings.oneway`` (which the other rules consult too)."""
from __future__ import annotations

from collections import Counter

from ..context import Context, fmt_endpoint, plural
from ..model import Finding
from ..oneway import one_direction_info

KINDS = ("capture.one_direction",)
PER_STREAM_MAX = 3
LISTED = 12

_MEANS = ("What this means for the other findings on these streams: a TLS handshake seen from one side "
          "cannot be judged incomplete (the other side's messages may all have been sent); retransmissions, "
          "'previous segment not captured' and 'ACKed unseen segment' are expected, since the ACKs and data of "
          "the missing direction exist but are not in the file, and say nothing about loss.")
_CHECK = ("Check: asymmetric routing (the return traffic takes another path or interface: capture where both "
          "directions pass, or on both paths), a capture filter naming one direction (src host ..., "
          "inbound/outbound), a mirror (SPAN) port copying only rx or only tx, or a TAP with one of its two "
          "outputs unconnected.")


def _who(ctx: Context, w) -> str:
    eps = ctx.endpoints(w.kind, w.stream)
    if eps is None:
        return f"direction {w.direction}"
    src, dst = eps[w.direction], eps[1 - w.direction]
    role = f"the {w.role}'s side, " if w.role else ""
    return f"{role}{fmt_endpoint(src)} → {fmt_endpoint(dst)}"


def _line(ctx: Context, w, evidence: bool = True) -> str:
    size = f", {w.payload} bytes of payload" if w.payload else ""
    line = (f"{w.kind.upper()} stream {w.stream}: only {_who(ctx, w)} ({plural(w.frames, 'frame')}{size}, "
            f"first frame {w.first_frame})")
    return line + (f"; {w.evidence}" if evidence else "")


def check(ctx: Context) -> list[Finding]:
    info = one_direction_info(ctx)
    if not info:
        return []
    ways = sorted(info.values(), key=lambda w: w.first_frame)
    if len(ways) <= PER_STREAM_MAX:
        out = []
        for w in ways:
            out.append(Finding(
                kind="capture.one_direction", severity="note",
                summary=f"only one direction captured in {w.kind.upper()} stream {w.stream} ({_who(ctx, w)})",
                explanation=(f"Seen: {_line(ctx, w)}; not one frame from the other side. "
                             "Inferred: the other direction existed but was not captured. " + _MEANS + " " + _CHECK),
                frames=[w.first_frame], stream=w.stream))
        return out
    roles = Counter(w.role for w in ways)
    kinds = Counter(w.kind for w in ways)
    what = " and ".join(plural(n, f"{k.upper()} stream") for k, n in sorted(kinds.items()))
    side = ""
    if len(roles) == 1 and None not in roles:
        side = f", all from the {next(iter(roles))}'s side"
    listed = "; ".join(_line(ctx, w, evidence=False) for w in ways[:LISTED])
    if len(ways) > LISTED:
        listed += f"; and {len(ways) - LISTED} more"
    total_tcp = len(ctx.conv.tcp_streams)
    share = (f" ({len([w for w in ways if w.kind == 'tcp'])} of the capture's {total_tcp} TCP streams)"
             if kinds.get("tcp") else "")
    return [Finding(
        kind="capture.one_direction", severity="note",
        summary=f"only one direction captured in {what}{side}",
        explanation=(f"Seen{share}: {listed}. None of these streams has a frame from the other side, though each shows that side existed "
                     "(the captured side sends payload, which a TCP stack does only on an established connection, "
                     "answers with a SYN-ACK, ACKs data it received, or sends server messages). "
                     "Inferred: their other direction existed but was not captured"
                     + (" (one side only, across streams: the capture point or a filter rather than chance)"
                        if side else "") + ". " + _MEANS + " " + _CHECK),
        frames=[w.first_frame for w in ways], stream=None)]
