"""capture.file_damaged: records or blocks in the middle of the file that could not be read."""
from __future__ import annotations

from ..context import Context
from ..model import Finding

KINDS = ("capture.file_damaged",)


def check(ctx: Context) -> list[Finding]:
    damage = getattr(ctx.session.capture, "damage", [])
    if not damage:
        return []
    total = ctx.total
    places = []
    frames = []
    for d in damage:
        if d.skipped >= 0:
            places.append(f"offset {d.offset}: {d.reason}; {d.skipped} bytes skipped, reading resumed after them")
        else:
            places.append(f"offset {d.offset}: {d.reason}; nothing after it could be read")
        # Evidence: the frames on either side of the damage (the first one is where the jump lands).
        for f in (d.frames_before, d.frames_before + 1):
            if 1 <= f <= total and f not in frames:
                frames.append(f)
    skipped = sum(d.skipped for d in damage if d.skipped > 0)
    n = len(damage)
    return [Finding(
        kind="capture.file_damaged", severity="warning",
        summary=f"the capture file is damaged in {n} place{'s' if n != 1 else ''}"
                + (f" ({skipped} bytes skipped)" if skipped else "") + f"; {total} frames read around the damage",
        explanation=("The reader found records it could not trust and stepped over them: "
                     + "; ".join(places) + ". Every frame before and after the damage is shown, but packets "
                     "inside the skipped bytes are lost, so TCP streams crossing the damage show gaps and "
                     "retransmission or loss reports near it may be artefacts of the file, not of the network. "
                     "The usual causes are a capture copied while being written, a disk or transfer error, or "
                     "a tool that concatenated files badly; copy or capture the file again if that part matters."),
        frames=sorted(frames), stream=None)]
