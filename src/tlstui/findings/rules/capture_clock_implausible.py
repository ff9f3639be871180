"""capture.clock_implausible (note): the capture's clock cannot be right -- frames dated before
2000, frames dated in the future, or certificates of several issuers that the capture's clock
says were not issued yet (see ``findings/clock.py``)."""
from __future__ import annotations

from ..clock import DAY, clock_view
from ..context import Context, fmt_time, frame_list, plural
from ..model import Finding

KINDS = ("capture.clock_implausible",)

SHOWN = 4


def _span(ctx: Context, frames: list[int]) -> str:
    ts = [ctx.time(f) for f in frames]
    a, b = fmt_time(min(ts)), fmt_time(max(ts))
    return a if a == b else f"{a} to {b}"


def check(ctx: Context) -> list[Finding]:
    if not ctx.total:
        return []
    v = clock_view(ctx)
    if not v.implausible:
        return []
    seen, inferred, frames, summary = [], [], [], []
    others = ""
    if v.plausible is not None and (v.early or v.late):
        a, b = v.plausible
        n_other = ctx.total - len(v.early) - len(v.late)
        others = (f" The other {plural(n_other, 'frame')} {'is' if n_other == 1 else 'are'} dated "
                  + (fmt_time(a) if b - a < 1 else f"{fmt_time(a)} to {fmt_time(b)}") + ".")
    epoch = [f for f in v.early if f not in v.anachronisms]
    if epoch:
        n = len(epoch)
        summary.append(f"{plural(n, 'frame is', 'frames are')} dated before 1990 ({fmt_time(ctx.time(epoch[0]))})")
        seen.append(f"{plural(n, 'frame')} of {ctx.total} (frames {frame_list(epoch)}) carr{'ies' if n == 1 else 'y'} "
                    f"timestamps of {_span(ctx, epoch)}, before any capture of this kind could be made.{others}")
        inferred.append("the capturing host's clock was not set (it counts from the epoch), or a tool zeroed or "
                        "rewrote the timestamps; the times between frames may still be right, the dates are not.")
        frames.append(epoch[0])
    if v.anachronisms:
        items = sorted(v.anachronisms.items())
        shown = "; ".join(f"frame {f} ({fmt_time(ctx.time(f))}) carries {why}" for f, why in items[:SHOWN])
        more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
        summary.append(f"{plural(len(items), 'frame')} dated in the 1990s carr{'ies' if len(items) == 1 else 'y'} "
                       "TLS or certificates from later years")
        seen.append(f"{shown}{more}.{'' if epoch else others}")
        inferred.append("those dates are earlier than what the frames carry: the clock was behind or the "
                        "timestamps were rewritten.")
        frames.append(items[0][0])
    if v.early and v.early_not_before:
        inferred.append(f"The certificates sent in those frames were issued up to {fmt_time(v.early_not_before)}, "
                        "so the real time of those frames is after that.")
    if v.late:
        n = len(v.late)
        summary.append(f"{plural(n, 'frame is', 'frames are')} dated in the future ({fmt_time(ctx.time(v.late[0]))})")
        seen.append(f"{plural(n, 'frame')} (frames {frame_list(v.late)}) carr{'ies' if n == 1 else 'y'} timestamps "
                    f"of {_span(ctx, v.late)}, more than a day after now ({fmt_time(v.now)} on this machine)."
                    + ("" if v.early else others))
        inferred.append("the capturing host's clock was ahead, or the timestamps were rewritten.")
        frames.append(v.late[0])
    if v.behind:
        certs = v.future_certs
        issuers = sorted({c.issuer for _f, c in certs})
        shown = "; ".join(f"{ctx.esc(c.subject) or '?'} (issued by {ctx.esc(c.issuer) or '?'}, valid from "
                          f"{fmt_time(c.not_before)}, frame {f})" for f, c in certs[:SHOWN])
        more = f" and {len(certs) - SHOWN} more" if len(certs) > SHOWN else ""
        lag = max(c.not_before - ctx.time(f) for f, c in certs) / DAY
        summary.append(f"{plural(len(certs), 'certificate')} from {len(issuers)} issuers are not yet valid by its "
                       "date")
        seen.append(f"{plural(len(certs), 'certificate')} from {len(issuers)} different issuers are not valid yet at "
                    f"the time of the frames that carry them, by up to {lag:.0f} days: {shown}{more}. Their "
                    "signatures verify and none of them is expired." + (others if not v.early and not v.late else ""))
        inferred.append("several CAs do not all issue certificates from the future: the capture's clock is behind (a "
                        "device that starts at a fixed date, often 2000-01-01, after a reset and had no NTP). The real "
                        f"capture time is after {fmt_time(v.latest_not_before)}, the latest of their notBefore dates.")
        frames.extend(f for f, _c in certs)
        frames.append(1)
    return [Finding(
        kind="capture.clock_implausible", severity="note",
        summary="the capture's clock cannot be right: " + "; ".join(summary),
        explanation=("Seen: " + " ".join(seen) + " Inferred: " + " ".join(inferred)
                     + " Certificate dates compared with this clock are doubtful: 'not yet valid' against a clock "
                       "that is behind (or 'expired' against one that is ahead) is reported as a note. Check: the clock and NTP of the host that took the capture, and any tool "
                       "that rewrote the file (editcap -t, anonymisers)."),
        frames=frames, stream=None)]
