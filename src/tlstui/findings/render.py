"""Output of ``tlstui findings``: a readable report, the JSON array, the exit code."""
from __future__ import annotations

import json
import textwrap

from ..safe_text import escape_text
from .model import Finding

EXIT_NONE, EXIT_WARNINGS, EXIT_ERRORS = 0, 1, 3
MARK = {"error": "ERROR", "warning": "WARNING", "note": "note"}  # a severity as the text reports write it
_MARK = MARK


def exit_code(findings: list[Finding]) -> int:
    """0 when there is no warning or error, 1 when the worst is a warning, 3 with any error."""
    sev = {f.severity for f in findings}
    if "error" in sev:
        return EXIT_ERRORS
    if "warning" in sev:
        return EXIT_WARNINGS
    return EXIT_NONE


def render_json(findings: list[Finding]) -> str:
    """One JSON array; each object has exactly kind, severity, summary, explanation, frames, stream."""
    return json.dumps([f.to_dict() for f in findings], indent=2, ensure_ascii=False)


def count_line(findings: list[Finding]) -> str:
    """'6 findings: 2 errors, 4 warnings'."""
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "note")}
    head = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)
    return f"{len(findings)} finding{'s' if len(findings) != 1 else ''}: {head}"


def frames_text(frames: list[int], limit: int = 20) -> str:
    """Evidence frames as the reports list them (the first ``limit``, then how many)."""
    return _frames(frames, limit)


def _frames(frames: list[int], limit: int = 20) -> str:
    if not frames:
        return "-"
    shown = ", ".join(str(n) for n in frames[:limit])
    return shown + (f", ... ({len(frames)} frames)" if len(frames) > limit else "")


def render_text(findings: list[Finding], width: int = 100) -> str:
    """The report a person reads: a count line, then one block per finding."""
    if not findings:
        return "No findings: nothing wrong was seen in this capture."
    out = [count_line(findings), ""]
    for i, f in enumerate(findings, 1):
        stream = "-" if f.stream is None else str(f.stream)
        # Summaries and explanations are escaped when made; escaping again is a no-op guard.
        out.append(f"[{i}] {_MARK[f.severity]} {f.kind}  (stream {stream})")
        out.append(f"    {escape_text(f.summary)}")
        out.append(f"    frames: {_frames(f.frames)}")
        out.extend(textwrap.wrap(escape_text(f.explanation), width=width, initial_indent="    ",
                                 subsequent_indent="    "))
        out.append("")
    return "\n".join(out).rstrip()
