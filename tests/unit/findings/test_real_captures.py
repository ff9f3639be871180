"""The findings on the third-party captures of ../shared/captures/real/ are what
tests/real_expectations.py decided they must be: every warning and error there and no other, with
its first evidence frame, and the key notes.  The captures are not in the repository (their
licences), so this runs where ../shared is present; tests/unit/findings/test_real_traffic_*.py
prove each rule on captures made at test time."""
from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from real_expectations import EXPECTED

REAL = Path(__file__).resolve().parents[4] / "shared" / "captures" / "real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason=f"{REAL} is not on this machine (third-party captures)")


def _findings(name: str) -> list:
    """Against the system trust store (Debian's ca-certificates here, as on CI): where ../shared
    is present the machine is one of ours."""
    from tlstui.findings import find_all
    from tlstui.session import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(REAL / name))
        s.analyze()
        return find_all(s)


def test_every_real_capture_has_an_expectation():
    on_disk = {p.name for p in REAL.iterdir() if p.suffix in (".pcap", ".pcapng")}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_capture_findings(name):
    exp = EXPECTED[name]
    found = _findings(name)
    assert [f for f in found if f.kind == "tlstui.rule_error"] == []
    got: dict[str, list[int]] = {}
    for f in found:
        if f.severity != "note":
            got.setdefault(f"{f.kind}:{f.severity}", []).append(f.frames[0] if f.frames else 0)
    got = {k: sorted(v) for k, v in got.items()}
    assert got == exp["findings"], exp["why"]
    notes = {f.kind for f in found if f.severity == "note"}
    assert exp["notes"] <= notes, exp["why"]
