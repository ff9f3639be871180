"""Helpers for the Pilot tests (imported by name: tests/ui is on sys.path under pytest)."""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass
class FakeFinding:
    """The shape of tlstui.findings.Finding (kind, severity, summary, explanation, frames, stream)."""

    kind: str
    severity: str
    summary: str
    explanation: str = ""
    frames: list[int] = field(default_factory=list)
    stream: int | None = None

    @property
    def first_frame(self) -> int | None:
        return self.frames[0] if self.frames else None


def capture(name: str) -> str:
    return str(DATA / name)


async def ready(app, pilot, timeout: float = 30.0) -> None:
    """Wait until the analysis and the findings are in (and the screen has caught up)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if app.analysis_done.is_set() and app.analysis_seconds is not None and app._findings_in:
            break
        await pilot.pause(0.02)
    else:
        raise AssertionError("analysis did not finish")
    await pilot.pause(0.05)


async def settle(pilot, n: int = 3) -> None:
    for _ in range(n):
        await pilot.pause(0.02)
