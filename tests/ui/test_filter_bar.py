"""The filter bar: validity as you type, the error's column, completion, history, apply, clear."""
from __future__ import annotations

import json

from tlstui.ui.app import TlsTuiApp
from tlstui.ui.settings import FilterHistory

from ui_helpers import capture, ready, settle

S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")
TRUTH = json.loads(open(S07 + ".filters.json").read())


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch if ch != " " else "space")


def shown(app) -> list[int]:
    v = app.frame_list.view
    return [v.number_at(i) for i in range(len(v))]


async def wait_filter(app, pilot) -> None:
    for _ in range(500):
        await pilot.pause(0.02)
        if app._filter_view is not None and not app.filter_state.startswith(("filtering", "filter waits")):
            await settle(pilot)
            return
    raise AssertionError("filter did not finish")


async def test_valid_filter_applies_and_rows_match_tshark(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        assert app.focused is app.filter_bar.input
        await type_text(pilot, "tls.record.content_type == 23")
        await settle(pilot)
        assert app.filter_bar.error is None
        assert app.filter_bar.input.has_class("-valid")
        await pilot.press("enter")
        await wait_filter(app, pilot)
        assert shown(app) == TRUTH["tls.record.content_type == 23"]
        assert app.frame_list.selected in TRUTH["tls.record.content_type == 23"]
        assert app.focused is app.frame_list
        # Another filter replaces it; Escape in the bar keeps it (issue 17), Ctrl+L clears it.
        app.apply_filter_text("tcp.flags.reset==1")
        await wait_filter(app, pilot)
        assert shown(app) == TRUTH["tcp.flags.reset==1"] == [18]
        assert app.current_tree.number == 18
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert shown(app) == [18] and app.applied_filter == "tcp.flags.reset==1"
        assert app.focused is app.frame_list
        await pilot.press("slash", "ctrl+l")
        await settle(pilot)
        assert len(app.frame_list.view) == len(app.session)
        assert app.frame_list.selected == 18  # the selection survives clearing the filter
        assert app.filter_bar.input.value == ""


async def test_invalid_filter_shows_where_and_is_not_applied(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        text = "tcp.port == 443 and ip.src == 10.1"
        await type_text(pilot, text)
        await settle(pilot)
        err = app.filter_bar.error
        assert err is not None and err.column == text.index("10.1")
        assert app.filter_bar.input.has_class("-invalid")
        status = str(app.filter_bar.status.render())
        assert f"column {err.column + 1}" in status
        # The caret sits under the bad literal: prompt width + column.
        assert status.index("^") == len("Filter ") + err.column
        await pilot.press("enter")
        await settle(pilot)
        assert app.applied_filter == "" and len(app.frame_list.view) == len(app.session)
        # An unknown field is reported too.
        app.filter_bar.set_text("tls.no_such_field")
        await settle(pilot)
        assert app.filter_bar.error is not None and app.filter_bar.error.column == 0


async def test_tab_completes_field_names(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "tcp.stre")
        await pilot.press("tab")
        await settle(pilot)
        assert app.filter_bar.input.value == "tcp.stream"
        assert app.focused is app.filter_bar.input  # Tab completed instead of moving focus
        await type_text(pilot, " eq 1 and tls.handshake.extensions_ser")
        await pilot.press("tab")
        await settle(pilot)
        assert app.filter_bar.input.value == "tcp.stream eq 1 and tls.handshake.extensions_server_name"
        # Several candidates: the status line lists them.
        app.filter_bar.set_text("tls.alert_m")
        await settle(pilot)
        assert "tls.alert_message" in str(app.filter_bar.status.render())


async def test_history_survives_restart_and_up_recalls(fake_findings, isolated_home):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "tcp.stream eq 1")
        await pilot.press("enter")
        await wait_filter(app, pilot)
        assert shown(app) == TRUTH["tcp.stream eq 1"]
    assert FilterHistory().items[-1] == "tcp.stream eq 1"
    assert (isolated_home / "data" / "tlstui" / "filter_history").is_file()
    app2 = TlsTuiApp(S07)
    async with app2.run_test(size=(160, 48)) as pilot:
        await ready(app2, pilot)
        await pilot.press("slash", "up")
        await settle(pilot)
        assert app2.filter_bar.input.value == "tcp.stream eq 1"
        await pilot.press("down")
        await settle(pilot)
        assert app2.filter_bar.input.value == ""


async def test_apply_and_prepare_selected_field_as_filter(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(22)
        await settle(pilot)
        f = app.current_tree.fields("tcp.stream")[0]
        app.tree_pane.select_field(f)
        app.tree_pane.focus()
        await settle(pilot)
        await pilot.press("a")
        await wait_filter(app, pilot)
        assert app.applied_filter == "tcp.stream == 1"
        assert shown(app) == TRUTH["tcp.stream eq 1"]
        app.tree_pane.focus()
        sni = app.current_tree.fields("tcp.srcport")[0]
        app.tree_pane.select_field(sni)
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert app.focused is app.filter_bar.input
        assert app.filter_bar.input.value == f"tcp.srcport == {sni.value}"
        assert app.applied_filter == "tcp.stream == 1"  # prepared, not applied
