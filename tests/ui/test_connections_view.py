"""The connections view: rows from the connections core, sort, text filter, Enter filters the frame list."""
from __future__ import annotations

import asyncio

import pytest

from tlstui.ui.app import TlsTuiApp
from tlstui.ui.connections_view import COLUMNS, ConnectionsScreen, ConnectionsTable

from ui_helpers import capture, ready, settle

S05B = capture("s05b_expired_leaf.pcap")  # one connection, ended by the client's certificate_expired alert
S01 = capture("s01_tls12_http_close_notify.pcap")  # one connection, closed with close_notify: ok
S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")  # stream 0 reset by the server, stream 1 ok

COL = {c.key: i for i, c in enumerate(COLUMNS)}


async def open_view(app, pilot) -> ConnectionsScreen:
    await pilot.press("z")
    loop = asyncio.get_running_loop()
    end = loop.time() + 20
    while loop.time() < end:
        screen = app.screen
        if isinstance(screen, ConnectionsScreen) and screen.table is not None:
            await settle(pilot)
            return screen
        await pilot.pause(0.02)
    raise AssertionError("the connections view did not fill")


def cells(screen: ConnectionsScreen) -> list[list[str]]:
    dt = screen.query_one(ConnectionsTable)
    return [[str(c) for c in dt.get_row_at(i)] for i in range(dt.row_count)]


@pytest.mark.parametrize("path,outcome", [(S05B, "alert certificate_expired (client)"), (S01, "ok")])
async def test_rows_show_sni_and_outcome(path, outcome):
    app = TlsTuiApp(path)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        screen = await open_view(app, pilot)
        rows = cells(screen)
        assert len(rows) == 1
        assert rows[0][COL["sni"]] == "server.tlslab.test"
        assert rows[0][COL["outcome"]] == outcome
        assert rows[0][COL["stream"]] == "tcp/0"
        # The outcome's colour: an alert row is coloured whole (error), an ok row only its outcome.
        dt = screen.query_one(ConnectionsTable)
        sni_cell = dt.get_row_at(0)[COL["sni"]]
        assert bool(sni_cell.spans) == outcome.startswith("alert")
        detail = str(screen.query_one("#conn-detail").render())
        assert "tcp.stream eq 0" in detail


async def test_shows_analysing_before_the_analysis_is_done():
    app = TlsTuiApp(S07)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        # The view as it is before the analysis finished (whatever the pass's speed): it waits.
        app.analysis_done.clear()
        screen = ConnectionsScreen("s07")
        app.push_screen(screen)
        await settle(pilot, 12)
        assert "analysing" in str(screen.query_one("#conn-detail").render())
        assert screen.table is None
        app.analysis_done.set()
        for _ in range(200):
            await pilot.pause(0.02)
            if screen.table is not None:
                break
        assert len(screen.table) == 2


async def test_sort_filter_and_enter_filter_the_frame_list():
    app = TlsTuiApp(S07)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        screen = await open_view(app, pilot)
        assert [r[COL["stream"]] for r in cells(screen)] == ["tcp/0", "tcp/1"]
        # Outcome order is worst first: reset before ok; reversed: ok first.
        screen.sort_by("outcome", False)
        await settle(pilot)
        assert [r[COL["outcome"]] for r in cells(screen)] == ["reset (server)", "ok"]
        await pilot.press("O")
        await settle(pilot)
        assert [r[COL["outcome"]] for r in cells(screen)] == ["ok", "reset (server)"]
        # A click on a header sorts by that column (again: the other way round).
        dt = screen.query_one(ConnectionsTable)
        screen.sort_by("stream", False)
        await settle(pilot)
        dt.post_message(ConnectionsTable.HeaderSelected(dt, dt.ordered_columns[COL["stream"]].key, COL["stream"],
                                                        dt.ordered_columns[COL["stream"]].label))
        await settle(pilot)
        assert screen.reverse and [r[COL["stream"]] for r in cells(screen)] == ["tcp/1", "tcp/0"]
        # The filter narrows the rows.
        await pilot.press("slash")
        await pilot.press(*"reset")
        await settle(pilot)
        assert [r[COL["stream"]] for r in cells(screen)] == ["tcp/0"]
        await pilot.press("escape")  # back to the table, the filter kept
        await settle(pilot)
        assert isinstance(app.screen, ConnectionsScreen) and isinstance(app.focused, ConnectionsTable)
        assert len(cells(screen)) == 1
        # Nothing drawn past the 80 columns: the table scrolls sideways, cells are cut with '…'.
        assert screen.query_one(ConnectionsTable).region.right <= 80
        # Enter: back to the frame list, filtered on that stream.
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if app.applied_filter and app._filter_view is not None and not app.filter_state:
                break
        assert not isinstance(app.screen, ConnectionsScreen)
        assert app.applied_filter == "tcp.stream eq 0"
        view = app.frame_list.view
        frames = [view.number_at(i) for i in range(len(view))]
        tcp_stream = app.session.conv.tcp_stream
        assert frames and all(tcp_stream[n - 1] == 0 for n in frames)
        assert len(frames) == sum(1 for x in tcp_stream if x == 0)
        assert isinstance(app.focused, type(app.frame_list))


async def test_thousands_of_connections_hold_the_first_rows_and_filter_over_all():
    import dataclasses

    from tlstui.connections import ConnectionTable, connections
    from tlstui.ui.connections_view import ConnectionsBuilt, row_cells

    app = TlsTuiApp(S07)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        base = list(connections(app.session))
        n = ConnectionsScreen.ROWS_MAX + 500
        many = ConnectionTable.of(dataclasses.replace(base[i % 2], stream=i, first_frame=i + 1) for i in range(n))
        screen = ConnectionsScreen("many")
        screen._building = True  # the rows come from here, not from the capture
        await app.push_screen(screen)
        screen.on_connections_built(ConnectionsBuilt(many, {c.key: row_cells(c) for c in many}))
        await settle(pilot)
        assert len(screen.shown) == ConnectionsScreen.ROWS_MAX
        assert f"the first {ConnectionsScreen.ROWS_MAX} shown" in str(screen.query_one("#conn-title").render())
        # The filter looks at every connection (the last ones are not in the table before), and
        # waits for a pause in the typing on a table this large.
        await pilot.press("slash", *f"tcp.stream eq {n - 1}")
        assert len(screen.shown) == ConnectionsScreen.ROWS_MAX
        for _ in range(100):
            await pilot.pause(0.05)
            if len(screen.shown) == 1:
                break
        assert [c.stream for c in screen.shown] == [n - 1]
        # Reversed by stream, the last connections come first.
        screen.text = ""
        screen.sort_by("stream", True)
        await settle(pilot)
        assert screen.shown[0].stream == n - 1 and len(screen.shown) == ConnectionsScreen.ROWS_MAX


async def test_enter_on_a_dtls_connection_filters_its_udp_stream():
    app = TlsTuiApp(capture("s10a_dtls12_fragmented.pcap"))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = await open_view(app, pilot)
        rows = cells(screen)
        assert [r[COL["stream"]] for r in rows] == ["udp/0"] and rows[0][COL["version"]] == "DTLS 1.2"
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.02)
            if app.applied_filter and app._filter_view is not None and not app.filter_state:
                break
        assert app.applied_filter == "udp.stream eq 0"
        view = app.frame_list.view
        udp = app.session.conv.udp_stream
        assert len(view) == sum(1 for x in udp if x == 0) > 0


def test_help_lists_the_new_keys():
    from tlstui.ui.app import binding_sections

    sections = dict(binding_sections())
    assert any(b.action == "connections" and b.key == "z" for b in sections["Everywhere"])
    assert {"next_group(1)", "next_group(-1)"} <= {b.action for b in sections["Everywhere"]}
    assert {"next_sort", "reverse_sort", "focus_filter"} <= {b.action for b in sections["Connections"]}
    assert {"expand", "collapse"} <= {b.action for b in sections["Findings"]}


async def test_packet_text_is_escaped_in_rows_and_detail():
    import dataclasses

    from tlstui.connections import ConnectionTable, connections
    from tlstui.ui.connections_view import ConnectionsBuilt, row_cells

    app = TlsTuiApp(S01)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        evil = dataclasses.replace(connections(app.session)[0], sni="\x1b]0;owned\x07host\u202e", alpn="h2\x1b[2J")
        table = ConnectionTable.of([evil])
        screen = ConnectionsScreen("evil\x1b[31m")
        screen._building = True
        await app.push_screen(screen)
        screen.on_connections_built(ConnectionsBuilt(table, {c.key: row_cells(c) for c in table}))
        await settle(pilot)
        drawn = "\n".join(["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()])
        assert "\x1b" not in drawn and "\x07" not in drawn and "\u202e" not in drawn
        assert cells(screen)[0][COL["sni"]].startswith("\\x1b]0;owned\\x07h")  # cut to the column at 100
        detail = str(screen.query_one("#conn-detail").render())
        assert "SNI \\x1b]0;owned\\x07host\\u202e" in detail and "ALPN h2\\x1b[2J" in detail
        assert "evil\\x1b[31m" in str(screen.query_one("#conn-title").render())
