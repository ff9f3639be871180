"""Findings tests run on the real captures in tests/data (copies of the shared corpus)."""
from __future__ import annotations

import functools
import warnings
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"


def capture_path(prefix: str) -> Path:
    got = sorted(p for p in DATA.iterdir() if p.suffix in (".pcap", ".pcapng")
                 and (p.name.startswith(prefix + "_") or p.name == prefix))  # s01_... or a whole name (h2c.pcap)
    assert got, f"no capture {prefix}_* or {prefix} in {DATA}"
    return got[0]


@functools.lru_cache(maxsize=None)
def session_for(prefix: str):
    from tlstui.session import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(capture_path(prefix)))
        s.analyze()
    return s


@functools.lru_cache(maxsize=None)
def findings_for(prefix: str) -> tuple:
    from tlstui.findings import find_all

    return tuple(find_all(session_for(prefix)))


def of_kind(prefix: str, kind: str) -> list:
    return [f for f in findings_for(prefix) if f.kind == kind]


def one(prefix: str, kind: str):
    got = of_kind(prefix, kind)
    assert len(got) == 1, f"{prefix}: expected one {kind}, got {[(f.kind, f.frames) for f in got]}"
    return got[0]


def rule_output(prefix: str, rule) -> list:
    """One rule run alone on a capture (what its own module reports)."""
    from tlstui.findings.context import Context

    return list(rule.check(Context(session_for(prefix))))


@pytest.fixture
def fresh_session():
    """A new analysed session per test, for tests that alter the analysis results."""
    def make(prefix: str):
        from tlstui.session import Session

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = Session.open(str(capture_path(prefix)))
            s.analyze()
        return s
    return make
