"""Output of `tlstui diff`: the report a person reads, the JSON array, the exit code (as `findings`)."""
from __future__ import annotations

import json
import textwrap

from ..findings.render import MARK as _MARK
from ..findings.render import count_line, frames_text
from ..findings.render import exit_code  # noqa: F401  (0 none/notes, 1 warnings, 3 errors)
from ..safe_text import escape_text
from . import DiffResult



def _ms(ns: int) -> str:
    return f"{ns / 1e6:.3f} ms"


def clock_line(r: DiffResult) -> str:
    off = r.clock_offset_ns / 1e9
    how = ("assuming the minimum one-way delay is the same both ways" if r.separable else
           "traffic paired in one direction only: offset and delay cannot be told apart, the offset includes "
           "the smallest delay")
    if not r.pairs:
        return "clock offset: unknown (no segment or datagram captured at both points)"
    line = f"clock offset: B = A {'+' if off >= 0 else '-'} {abs(off):.6f} s"
    if r.skew:
        import datetime

        at = datetime.datetime.fromtimestamp(r.skew_ref_ns / 1e9, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        line += (f" at {at} by A's clock, B's clock drifting {r.skew * 1e6:+.1f} ppm "
                 f"({r.skew * 3.6e3:+.3f} s per hour; taken out of the delays)")
    what = (r.udp or {}).get("clock_from", "segments")
    return f"{line} (from {r.pairs} {what} seen at both points; {how})"


def header_lines(r: DiffResult) -> list[str]:
    methods = ", ".join(f"{n} by {m}" for m, n in r.matched.items()) or "none"
    conns = lambda n: f"{n} TCP connection{'s' if n != 1 else ''}"  # noqa: E731
    out = [f"A: {escape_text(r.path_a)} ({r.frames[0]} frames, {conns(r.connections[0])})",
           f"B: {escape_text(r.path_b)} ({r.frames[1]} frames, {conns(r.connections[1])})",
           f"matched connections: {sum(r.matched.values())} ({methods}); only in A: {r.only[0]}, only in B: {r.only[1]}",
           clock_line(r)]
    u = r.udp or {}
    if any(u.get("flows", (0, 0))):
        how = ", ".join(f"{n} by {m}" for m, n in u["matched"].items()) or "none"
        out.insert(3, f"UDP flows: A {u['flows'][0]}, B {u['flows'][1]}; matched {sum(u['matched'].values())} ({how}); "
                      f"only in A: {u['only'][0]}, only in B: {u['only'][1]}; {u['datagrams_paired']} datagrams seen "
                      f"at both points")
    for name, st in r.delay.items():
        out.append(f"one-way delay {name}: median {_ms(st['median'])}, p5-p95 {_ms(st['p5'])}-{_ms(st['p95'])}, "
                   f"max {_ms(st['max'])} ({st['count']} {st.get('what', 'segments')})")
    return out


def _frames(frames: list[int]) -> str:
    return frames_text(frames, 12)


def render_text(r: DiffResult, width: int = 100) -> str:
    out = header_lines(r) + [""]
    fs = r.findings
    if not fs and not r.pairs:
        out.append("Nothing to compare: no TCP segment or UDP datagram was captured at both points (are these captures of the "
                   "same traffic, taken at the same time?).")
        return "\n".join(out)
    if not fs:
        out.append("No differences: every segment and datagram seen at both points arrived as it was sent.")
        return "\n".join(out)
    out += [count_line(fs), ""]
    for i, f in enumerate(fs, 1):
        sa = "-" if f.stream is None else str(f.stream)
        sb = "-" if f.stream_b is None else str(f.stream_b)
        st = "udp.stream" if f.transport == "udp" else "stream"
        out.append(f"[{i}] {_MARK[f.severity]} {f.kind}  (A {st} {sa}, B {st} {sb})")
        out.append(f"    {escape_text(f.summary)}")
        out.append(f"    frames: A {_frames(f.frames)} | B {_frames(f.frames_b)}")
        out.extend(textwrap.wrap(escape_text(f.explanation), width=width, initial_indent="    ",
                                 subsequent_indent="    "))
        out.append("")
    return "\n".join(out).rstrip()


def render_json(r: DiffResult) -> str:
    """One JSON array of the findings contract's objects (plus frames_b, stream_b)."""
    return json.dumps([f.to_dict() for f in r.findings], indent=2, ensure_ascii=False)
