"""Pilot fixtures: settings and history in a temporary home; findings replaceable by a fake."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("DISPLAY", "")
    monkeypatch.setenv("WAYLAND_DISPLAY", "")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return tmp_path


@pytest.fixture
def fake_findings(monkeypatch):
    """Replace find_all with a fixed list (the findings rules are tested on their own)."""
    holder: dict[str, list] = {"findings": []}

    def load(session, between=None):
        return list(holder["findings"])

    monkeypatch.setattr("tlstui.ui.app.load_findings", load)
    return holder
