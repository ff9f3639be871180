"""docs/findings.md is the registry of finding kinds: every kind a rule can report is described
there, and it names no kind that no rule reports."""
from __future__ import annotations

import re
from pathlib import Path

from tlstui.findings.kinds import KNOWN_KINDS

DOC = Path(__file__).resolve().parents[3] / "docs" / "findings.md"


def test_every_kind_is_documented_and_nothing_else():
    table = [line for line in DOC.read_text().splitlines() if line.startswith("| `")]
    documented = {k for line in table for k in re.findall(r"`([a-z0-9_.]+)`", line.split("|")[1])}
    assert documented == set(KNOWN_KINDS)
