"""Jump-to-anomaly keys and the findings pane."""
from __future__ import annotations

import pytest

from tlstui.ui.app import TlsTuiApp, demo_paths

from ui_helpers import FakeFinding, capture, ready, settle

S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")


def fakes() -> list[FakeFinding]:
    return [
        FakeFinding("tls.reuse_after_close_notify", "error", "request after close_notify answered by RST",
                    "The server closed; the client reused the connection.", [13, 15, 17, 18], 0),
        FakeFinding("tcp.reset", "note", "1 reset in stream 0", "", [18], 0),
        FakeFinding("tls.encrypted_alert", "note", "encrypted alert", "", [30], 1),
        FakeFinding("tls.encrypted_alert", "note", "encrypted alert", "", [32], 1),
        FakeFinding("tls.truncated_close", "warning", "no close_notify", "", [4], 0),
    ]


async def test_next_and_previous_finding_in_frame_order(fake_findings):
    fake_findings["findings"] = fakes()
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.focus()
        seen = []
        for _ in range(6):
            await pilot.press("n")
            await settle(pilot)
            seen.append(app.frame_list.selected)
        assert seen == [4, 13, 18, 30, 32, 4]  # wraps around at the end
        assert app.current_tree.number == 4
        back = []
        for _ in range(3):
            await pilot.press("N")
            await settle(pilot)
            back.append(app.frame_list.selected)
        assert back == [32, 30, 18]
        # The pane follows the jumps.
        pane = app.findings_pane
        # (grouped pane: a row is a kind, a group or a finding; the jump opened the finding's group)
        assert pane.entry_at(pane.table.cursor_row).finding is app.current_finding
        # Same kind: ] and [ stay within tcp.reset / tls.encrypted_alert.
        app.frame_list.select_frame(30)
        app.current_finding = None
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.frame_list.selected == 32
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.frame_list.selected == 30
        # Findings mark their frames in the list and appear on top of the tree.
        assert app.frame_list.flags[13] == "error" and app.frame_list.flags[30] == "note"
        assert str(app.tree_pane.root.children[0].label).startswith("Findings for this frame")


async def test_findings_pane_selects_first_frame_and_explains(fake_findings):
    fake_findings["findings"] = fakes()
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        pane = app.findings_pane
        assert [f.severity for f in pane.findings][:2] == ["error", "warning"]  # most severe first
        pane.table.focus()
        await pilot.press("down")
        await settle(pilot)
        assert app.frame_list.selected == 4  # the warning's first frame
        await pilot.press("up")
        await settle(pilot)
        assert app.frame_list.selected == 13
        text = str(pane.query_one("#finding-explanation").render())
        assert "The server closed; the client reused the connection." in text
        # f hides and shows the pane (and remembers it).
        app.frame_list.focus()
        await pilot.press("f")
        await settle(pilot)
        assert pane.has_class("-hidden") and app.settings.show_findings is False


async def test_findings_skip_frames_hidden_by_the_filter(fake_findings):
    fake_findings["findings"] = fakes()
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.apply_filter_text("tcp.stream eq 1")
        for _ in range(100):
            await pilot.pause(0.02)
            if app._filter_view is not None and not app.filter_state:
                break
        app.frame_list.focus()
        await pilot.press("n")
        await settle(pilot)
        assert app.frame_list.selected == 30


async def test_real_findings_on_the_demo_reach_the_reset():
    pytest.importorskip("tlstui.findings")
    path, keys = demo_paths()
    app = TlsTuiApp(path, keys)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot, timeout=60)
        kinds = {f.kind for f in app.findings}
        assert "tls.reuse_after_close_notify" in kinds
        app.frame_list.focus()
        for _ in range(len(app.findings) + 1):
            await pilot.press("n")
            await settle(pilot, 1)
            if app.current_finding.kind == "tls.reuse_after_close_notify":
                break
        f = app.current_finding
        assert f.kind == "tls.reuse_after_close_notify"
        assert app.frame_list.selected == f.frames[0]
