"""capture.file_truncated: the capture file ends in the middle of a record."""
from __future__ import annotations

from ..context import Context
from ..model import Finding

KINDS = ("capture.file_truncated",)


def check(ctx: Context) -> list[Finding]:
    cap = ctx.session.capture
    at = getattr(cap, "truncated_at", None)
    if at is None:
        return []
    last = ctx.total
    warn = "; ".join(ctx.esc(w) for w in getattr(ctx.session, "warnings", []) or [])
    return [Finding(
        kind="capture.file_truncated", severity="warning",
        summary=f"the capture file ends in the middle of a record at byte offset {at}; "
                f"{last} complete frame{'s' if last != 1 else ''} read",
        explanation=(f"The reader stopped at offset {at}: {warn or 'the last record is incomplete'}. "
                     "Every complete frame before that point is shown. This usually means the file was "
                     "copied while the capture was still running, the capture process was killed, or the "
                     "disk filled up. Connections still open at the end look unfinished for that reason "
                     "alone, not because of the network; re-capture or copy the file again if the end "
                     "matters."),
        frames=[last] if last else [], stream=None)]
