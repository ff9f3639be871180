"""Filters on the real captures in tests/data, against tshark's frame sets (FILE.filters.json).

A filter naming a field no dissector registers yet is skipped, not failed: the filter language is
what is under test here, and the truth files cover fields other areas are still building.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from truth import captures, filters_truth
from tlstui.filter import FilterError, compile_filter

session_mod = pytest.importorskip("tlstui.session")

CAPTURES = [p for p in captures() if Path(str(p) + ".filters.json").exists()]
_SESSIONS: dict[tuple[str, bool], list] = {}


def _views(capture: Path, decrypted: bool) -> list:
    key = (str(capture), decrypted)
    if key not in _SESSIONS:
        keys = capture.with_name(capture.name.rsplit(".", 1)[0] + ".keys")
        s = session_mod.Session.open(str(capture), str(keys) if decrypted else None)
        s.analyze()
        _SESSIONS.clear()  # one capture's trees at a time
        _SESSIONS[key] = [s.view(n) for n in range(1, len(s) + 1)]
    return _SESSIONS[key]


def _check(capture: Path, decrypted: bool) -> None:
    truth = filters_truth(capture, decrypted)
    views = _views(capture, decrypted)
    wrong, skipped = [], []
    for text, expected in truth.items():
        try:
            df = compile_filter(text)
        except FilterError as e:
            if "neither a field nor a protocol" in e.message:
                skipped.append(text)
                continue
            raise
        got = [v.number for v in views if df.matches(v)]
        if got != expected:
            missing = sorted(set(expected) - set(got))[:8]
            extra = sorted(set(got) - set(expected))[:8]
            wrong.append(f"{text!r}: missing {missing} extra {extra}")
    assert not wrong, f"{capture.name}: " + "; ".join(wrong)
    assert len(skipped) < len(truth), "every filter was skipped"


@pytest.mark.parametrize("capture", CAPTURES, ids=[p.name for p in CAPTURES])
def test_filters_match_tshark(capture: Path) -> None:
    _check(capture, decrypted=False)


DECRYPTED = [p for p in CAPTURES if Path(str(p) + ".decrypted.filters.json").exists()
             and p.with_name(p.name.rsplit(".", 1)[0] + ".keys").exists()]


@pytest.mark.parametrize("capture", DECRYPTED, ids=[p.name for p in DECRYPTED])
def test_decrypted_filters_match_tshark(capture: Path) -> None:
    _check(capture, decrypted=True)
