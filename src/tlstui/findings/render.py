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
        out.extend(wrap(escape_text(f.explanation), width, "    "))
        out.append("")
    return "\n".join(out).rstrip()


_OTHER_SPACE = frozenset("\t\n\r\x0b\x0c")
_split_word = textwrap.TextWrapper().wordsep_re.split


def wrap(text: str, width: int, indent: str) -> list[str]:
    """``textwrap.wrap(text, width, initial_indent=indent, subsequent_indent=indent)``, faster:
    the report of a large capture has thousands of long explanations, and textwrap's chunking
    and line filling took most of its time.  Text between single spaces is filled here, with
    textwrap's own chunks of a hyphenated word (its separators look no further than the word);
    anything else (other white space, a chunk longer than a line) is left to textwrap."""
    room = width - len(indent)
    words = text.split(" ")
    if room <= 0 or _OTHER_SPACE.intersection(text):
        return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent)
    lines: list[str] = []
    line: list[str] = []
    used = 0
    for k, word in enumerate(words):
        if not word:  # two spaces in a row, or one at an end
            return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent)
        if k:  # the space before the word: kept only inside a line
            if used + 1 > room:
                lines.append(indent + "".join(line))
                line, used = [], 0
            else:
                line.append(" ")
                used += 1
        for chunk in ([c for c in _split_word(word) if c] if "-" in word else (word,)):
            n = len(chunk)
            if n > room:
                return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=indent)
            if used + n > room:
                if line and line[-1] == " ":
                    line.pop()
                lines.append(indent + "".join(line))
                line, used = [], 0
            line.append(chunk)
            used += n
    if line:
        lines.append(indent + "".join(line))
    return lines
