"""Follow stream, TLS stream, ladder, help, go to frame, marks, themes."""
from __future__ import annotations

import json

from textual.binding import Binding
from textual.widgets import DataTable

from tlstui.ui.app import TlsTuiApp, binding_sections
from tlstui.ui.screens import FollowScreen, GotoScreen, HelpScreen, LadderScreen, LinesView, TlsStreamScreen
from tlstui.ui.settings import Settings

from ui_helpers import capture, ready, settle

S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")
S04 = capture("s04_mtls12_no_client_cert.pcap")


def lines_text(app) -> list[str]:
    return [line.plain for line in app.screen.query_one(LinesView).lines]


async def wait_screen(app, pilot, kind):
    for _ in range(200):
        await pilot.pause(0.02)
        if isinstance(app.screen, kind):
            await settle(pilot)
            return app.screen
    raise AssertionError(f"{kind.__name__} did not open")


async def test_follow_tcp_stream_shows_both_directions(fake_findings):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(6)
        app.frame_list.focus()
        await pilot.press("t")
        screen = await wait_screen(app, pilot, FollowScreen)
        # Client and server bytes: payloads of frames 4 (client) and 6 (server) come in order.
        dirs = [c.direction for c in screen.chunks if c.data]
        assert dirs[:2] == [0, 1]
        sent = sum(len(c.data) for c in screen.chunks)
        assert sent == sum(len(app.session.tree(n).fields("tcp.payload")[0].value)
                           for n in range(1, 13) if app.session.tree(n).fields("tcp.payload")) or sent > 2000
        assert lines_text(app)
        await pilot.press("x")
        await settle(pilot)
        assert lines_text(app)[0].startswith("00000000  16 03 01")  # the ClientHello record header
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, FollowScreen)
        # f in the follow screen filters on the stream.
        await pilot.press("t")
        await wait_screen(app, pilot, FollowScreen)
        await pilot.press("f")
        for _ in range(100):
            await pilot.pause(0.02)
            if app._filter_view is not None and not app.filter_state:
                break
        assert app.applied_filter == "tcp.stream eq 0" and len(app.frame_list.view) == 12


async def test_ladder_and_tls_stream_of_the_reused_connection(fake_findings):
    truth = json.loads(open(S07 + ".filters.json").read())
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(18)
        app.frame_list.focus()
        await pilot.press("L")
        screen = await wait_screen(app, pilot, LadderScreen)
        steps = screen.steps
        assert steps[0].messages == ("SYN",) and steps[0].direction == 0
        assert steps[1].messages == ("SYN, ACK",) and steps[1].direction == 1
        assert any("Client Hello" in m for s in steps for m in s.messages)
        last = steps[-1]
        assert last.frame == truth["tcp.flags.reset==1"][0] and last.bad and "RST" in last.messages[-1]
        text = lines_text(app)
        assert "client 127.0.0.1:" in text[0] and "server 127.0.0.1:443" in text[0]
        assert any(line.rstrip().endswith("▶") for line in text[2:])
        assert any("◀" in line for line in text[2:])
        await pilot.press("escape")
        await pilot.press("T")
        screen = await wait_screen(app, pilot, TlsStreamScreen)
        frames = sorted({r[0] for r in screen.records})
        assert frames == [n for n in truth["tls"] if n in truth["tcp.stream eq 0"]]
        assert any("Alert" in r[2] for r in screen.records)


async def test_help_lists_every_binding_with_an_id(fake_findings):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        screen = await wait_screen(app, pilot, HelpScreen)
        table = screen.query_one(DataTable)
        all_bindings = [b for _, bs in binding_sections() for b in bs]
        assert table.row_count == len(all_bindings)
        assert all(isinstance(b, Binding) and b.id for b in all_bindings)
        ids = [b.id for b in all_bindings]
        assert len(ids) == len(set(ids))
        for b in TlsTuiApp.BINDINGS:
            assert b.id in ids
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


async def test_goto_and_marks(fake_findings):
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.focus()
        await pilot.press("ctrl+g")
        await wait_screen(app, pilot, GotoScreen)
        await pilot.press("1", "7", "enter")
        await settle(pilot)
        assert app.frame_list.selected == 17 and app.current_tree.number == 17
        await pilot.press("m")
        await pilot.press("colon", "3", "enter")
        await settle(pilot)
        assert app.frame_list.selected == 3
        await pilot.press("m", "M")
        await settle(pilot)
        assert app.frame_list.marked == {3, 17} and app.frame_list.selected == 17
        await pilot.press("colon", "9", "9", "9", "enter")
        await settle(pilot)
        assert app.frame_list.selected == 17
        assert any("no frame 999" in n.message for n in app._notifications)


async def test_theme_switch_is_remembered(fake_findings):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        assert app.theme == "tlstui-dark"
        dark_bg = app.frame_list.get_component_rich_style("frame-list--tls").bgcolor
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert app.theme == "tlstui-light"
        light_bg = app.frame_list.get_component_rich_style("frame-list--tls").bgcolor
        assert light_bg != dark_bg
        assert app.current_theme.dark is False
    assert Settings.load().theme == "tlstui-light"
    app2 = TlsTuiApp(S04)
    async with app2.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert app2.theme == "tlstui-light"
    # Textual's own themes work too (tlstui's variables have defaults).
    app3 = TlsTuiApp(S04, theme_name="nord")
    async with app3.run_test(size=(160, 48)) as pilot:
        await ready(app3, pilot)
        assert app3.theme == "nord"
