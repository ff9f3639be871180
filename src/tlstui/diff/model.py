"""A diff finding: the findings contract's object, with the evidence frames of both captures.

``to_dict`` gives the six keys of ``tlstui findings --json`` (``frames`` and ``stream`` are capture
A's, so a tool that knows one capture reads A), plus ``frames_b`` and ``stream_b``, capture B's.
``stream`` is a tcp.stream, or a udp.stream for the UDP findings (``transport`` "udp"; their
summaries say "udp.stream"), as in the findings contract.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..findings.model import SEVERITY_RANK


@dataclass(frozen=True)
class DiffFinding:
    kind: str
    severity: str
    summary: str
    explanation: str
    frames: list[int] = field(default_factory=list)  # capture A's evidence
    stream: int | None = None  # A's tcp.stream
    frames_b: list[int] = field(default_factory=list)
    stream_b: int | None = None
    transport: str = field(default="tcp", compare=False)  # "udp": stream and stream_b are udp.stream (not in to_dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"bad severity {self.severity!r}")
        object.__setattr__(self, "frames", sorted({int(f) for f in self.frames if f and f > 0}))
        object.__setattr__(self, "frames_b", sorted({int(f) for f in self.frames_b if f and f > 0}))

    def to_dict(self) -> dict:
        return {"kind": self.kind, "severity": self.severity, "summary": self.summary,
                "explanation": self.explanation, "frames": self.frames, "stream": self.stream,
                "frames_b": self.frames_b, "stream_b": self.stream_b}


def sort_key(f: DiffFinding) -> tuple:
    """Most severe first, then by A's first frame (B's when A has none), then kind."""
    first = f.frames[0] if f.frames else (f.frames_b[0] if f.frames_b else 1 << 62)
    return (SEVERITY_RANK[f.severity], first, f.kind, -1 if f.stream is None else f.stream)
