"""The Finding: one diagnosis, with the frames that are its evidence."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

SEVERITIES = ("error", "warning", "note")
SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
RULE_ERROR = "tlstui.rule_error"  # the note a failing rule leaves instead of its findings


@dataclass(frozen=True)
class Finding:
    """One diagnosis.

    ``kind`` is one of the stable names of DESIGN.md ("tls.alert", "tcp.retransmission", ...);
    ``summary`` is one line naming the stream and its peers; ``explanation`` says what the
    evidence is, what usually causes it and what to check next.  ``frames`` are the evidence in
    capture order: the first one is where jump-to-anomaly lands.  ``stream`` is the tcp.stream or
    udp.stream index, None for findings about the whole capture.  Text that came from packets is
    already escaped (``tlstui.safe_text.escape_text``).
    """

    kind: str
    severity: str
    summary: str
    explanation: str
    frames: list[int] = field(default_factory=list)
    stream: int | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"bad severity {self.severity!r}")
        # Capture order, no duplicates: the UI walks them and the first is the landing frame.
        object.__setattr__(self, "frames", sorted({int(f) for f in self.frames if f and f > 0}))

    def __hash__(self) -> int:
        return hash((self.kind, self.severity, self.summary, tuple(self.frames), self.stream))

    @property
    def first_frame(self) -> int | None:
        return self.frames[0] if self.frames else None

    def to_dict(self) -> dict:
        """The JSON object of the ``tlstui findings --json`` contract (exactly these keys)."""
        return asdict(self)


def sort_key(f: Finding) -> tuple:
    """Most severe first, then by first evidence frame (findings without frames last)."""
    return (SEVERITY_RANK[f.severity], f.frames[0] if f.frames else 1 << 62, f.kind,
            -1 if f.stream is None else f.stream)
