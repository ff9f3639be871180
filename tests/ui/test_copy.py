"""Copy: field value, field as filter, frame bytes as hex, finding summary - clipboard and OSC 52."""
from __future__ import annotations

import pytest

from tlstui.ui.app import TlsTuiApp

from ui_helpers import FakeFinding, capture, ready, settle

S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")


@pytest.fixture
def clip(monkeypatch):
    got = {"system": [], "osc52": []}

    def fake_system(text):
        got["system"].append(text)
        return True

    monkeypatch.setattr("tlstui.ui.clipboard.pyperclip_copy", fake_system)
    real = TlsTuiApp.copy_to_clipboard

    def osc52(self, text):
        got["osc52"].append(text)
        real(self, text)

    monkeypatch.setattr(TlsTuiApp, "copy_to_clipboard", osc52)
    return got


async def test_copy_value_filter_hex_and_summary(fake_findings, clip):
    fake_findings["findings"] = [FakeFinding("tcp.reset", "note", "1 reset in TCP stream 0", "", [18], 0)]
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(18)
        await settle(pilot)
        seq = app.current_tree.fields("tcp.seq")[0]
        app.tree_pane.select_field(seq)
        app.tree_pane.focus()
        await settle(pilot)
        await pilot.press("c")
        await pilot.press("C")
        await pilot.press("x")
        await pilot.press("S")
        await settle(pilot)
        want = [str(seq.value), f"tcp.seq == {seq.value}", app.session.frame_bytes(18).hex(),
                "1 reset in TCP stream 0"]
        assert clip["system"] == want
        assert clip["osc52"] == want  # both channels, always
        assert app.clipboard == want[-1]
        notes = [n.message for n in app._notifications]
        assert any(f"tcp.seq == {seq.value}" in m for m in notes)


async def test_without_a_system_clipboard_osc52_still_works(fake_findings, monkeypatch):
    monkeypatch.setenv("DISPLAY", "")
    sent = []
    monkeypatch.setattr(TlsTuiApp, "copy_to_clipboard", lambda self, text: sent.append(text))
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(22)
        await settle(pilot)
        app.tree_pane.select_field(app.current_tree.fields("tls.handshake.extensions_server_name")[0])
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert sent == ["server.tlslab.test"]
        assert any("OSC 52" in n.message for n in app._notifications)
