"""Issue 17, small terminals: nothing cut off or scrolled sideways at 80, 100 and 160 columns.

Pushed screens' footers hold their own most important keys and end cleanly (FittedFooter); the
connections view sizes its columns from the width and wraps its detail lines; the findings table
never scrolls sideways; the status line keeps 'frame N' in sight; the analysis time can be pinned.
"""
from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from tlstui.ui.app import TlsTuiApp
from tlstui.ui.connections_view import ConnectionsScreen, ConnectionsTable, fit_columns
from tlstui.ui.footer import PALETTE_COST, key_cost
from tlstui.ui.iograph import IoGraphScreen
from tlstui.ui.screens import CompareScreen, FollowScreen, LadderScreen, TlsStreamScreen

from test_connections_view import open_view
from test_screens import wait_screen
from ui_helpers import capture, ready, settle

S05B = capture("s05b_expired_leaf.pcap")
S12A = capture("s12a_tampered_retransmission.pcap")  # frame 35 resends frame 11's bytes, 16 changed
WIDTHS = [80, 100, 160]


def footer_keys(screen) -> list[FooterKey]:
    return [k for k in screen.query(FooterKey) if "-command-palette" not in k.classes]


def assert_footer_fits(app, screen, width: int, must: tuple[str, ...]) -> None:
    keys = footer_keys(screen)
    descriptions = [k.description for k in keys]
    for d in must:
        assert d in descriptions, (d, descriptions)
    # None of the main screen's keys (they mean nothing over this screen), nothing cut: every key
    # ends inside the width, left of the palette key.
    assert not {"Findings", "Connections", "Ladder", "Quit"} & set(descriptions)
    assert sum(len(app.get_key_display(app_binding(k))) + len(k.description) + 3 for k in keys) \
        <= width - PALETTE_COST
    for k in keys:
        assert k.region.right <= width - PALETTE_COST + 1, (k.description, k.region, width)
        assert k.region.width >= len(k.description) + 2


def app_binding(key: FooterKey):
    from textual.binding import Binding

    return Binding(key.key, key.action, key.description)


@pytest.mark.parametrize("width", WIDTHS)
async def test_pushed_screens_footers_fit_and_keep_their_first_keys(width):
    app = TlsTuiApp(S05B)
    async with app.run_test(size=(width, 24)) as pilot:
        await ready(app, pilot)
        for key, cls, must in (("t", FollowScreen, ("Back", "ASCII / hex")),
                               ("T", TlsStreamScreen, ("Back", "Search")),
                               ("L", LadderScreen, ("Back", "Select this frame")),
                               ("i", IoGraphScreen, ("Back", "Go to frame"))):
            app.frame_list.select_frame(6)
            app.frame_list.focus()
            await settle(pilot)
            await pilot.press(key)
            screen = await wait_screen(app, pilot, cls)
            await settle(pilot, 5)
            assert_footer_fits(app, screen, width, must)
            await pilot.press("escape")
            await settle(pilot)
        screen = await open_view(app, pilot)
        await settle(pilot, 5)
        assert_footer_fits(app, screen, width, ("Back", "Filter rows"))


@pytest.mark.parametrize("width", [80, 100])
async def test_compare_footer_keeps_back_and_both_frames(width):
    app = TlsTuiApp(S12A)
    async with app.run_test(size=(width, 24)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(35)
        app.frame_list.focus()
        await settle(pilot, 5)
        await pilot.press("v")
        screen = await wait_screen(app, pilot, CompareScreen)
        await settle(pilot, 5)
        assert_footer_fits(app, screen, width, ("Back", "Go to the original", "Go to the resend"))


def test_footer_drops_the_least_important_keys_first():
    """The fitting itself: the order of FOOTER_ORDER, cut at the first key that does not fit."""
    from tlstui.ui.footer import fitted

    class FakeApp:
        def get_key_display(self, b):
            return b.key

    from textual.binding import Binding

    app = FakeApp()
    bs = [Binding("escape", "back", "Back", id="s.back"), Binding("x", "hex", "ASCII / hex", id="s.hex"),
          Binding("slash", "search", "Search", id="s.search")]

    class FakeScreen:
        FOOTER_ORDER = ("s.back", "s.search", "s.hex")
        active_bindings = {b.key: (object(), b, True, "") for b in bs}

    full = [b.description for b, _, _ in fitted(FakeScreen, app, 200)]
    assert full == ["Back", "Search", "ASCII / hex"]
    width = PALETTE_COST + key_cost(app, bs[0]) + key_cost(app, bs[2])
    assert [b.description for b, _, _ in fitted(FakeScreen, app, width)] == ["Back", "Search"]
    assert [b.description for b, _, _ in fitted(FakeScreen, app, width - 1)] == ["Back"]


@pytest.mark.parametrize("width", WIDTHS)
async def test_connections_fit_the_width_and_the_detail_wraps(width):
    app = TlsTuiApp(S05B)
    async with app.run_test(size=(width, 24)) as pilot:
        await ready(app, pilot)
        screen = await open_view(app, pilot)
        await settle(pilot, 5)
        dt = screen.query_one(ConnectionsTable)
        assert dt.max_scroll_x == 0  # no column behind a horizontal scroll
        row = [str(c) for c in dt.get_row_at(0)]
        assert "alert certificate_expired (client)" in row  # the outcome in full at every width
        assert any(c.startswith("server.tlslab") for c in row)  # the SNI (maybe cut with '…')
        # The detail lines: wrapped, every value whole (the cipher, the certificate subject).
        detail = screen.query_one("#conn-detail")
        text = "".join(str(s.text) for y in range(detail.size.height) for s in detail.render_line(y))
        compact = text.replace(" ", "")
        assert "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" in compact
        assert "CN=server.tlslab.test" in compact
        assert "…" not in text
        assert detail.size.height >= 4


def test_fit_columns_keeps_the_important_ones_whole():
    cells = [("tcp/12", "alert certificate_expired (client)", "[2001:db8::1]:443", "very.long.server.name.example",
              "[2001:db8::2]:50000", "TLS 1.3", "TLS_AES_256_GCM_SHA384", "h2", "very.long.server.name.example",
              "2030-01-01", "12.5")]
    for width in (80, 100, 160, 200, 300):
        w = fit_columns(cells, width, "stream")
        assert sum(v + 2 for v in w.values()) <= width
        assert w["stream"] >= len("Stream ▲") and w["outcome"] == len(cells[0][1])
        assert "server" in w and "sni" in w
    assert len(fit_columns(cells, 300, "stream")) == 11  # everything, in full, when it fits
    assert len(fit_columns(cells, 80, "stream")) < len(fit_columns(cells, 160, "stream"))


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
async def test_findings_table_never_scrolls_sideways(size):
    app = TlsTuiApp(S05B)
    async with app.run_test(size=size) as pilot:
        await ready(app, pilot)
        await pilot.press("n")
        await settle(pilot, 5)
        table = app.findings_pane.table
        assert table.max_scroll_x == 0, (table.virtual_size, table.size)
        labels = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert any("tls.certificate_expired" in l for l in labels)


async def test_status_keeps_the_frame_number_in_sight_at_80_columns():
    app = TlsTuiApp(S05B)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        app.apply_filter_text("tls")
        await settle(pilot, 10)
        app.frame_list.select_frame(6)
        await settle(pilot, 5)
        app.message = None
        app._update_status()
        status = str(app.query_one("#status").render()).rstrip()
        assert status.endswith("frame 6"), status


async def test_analysis_time_can_be_pinned(monkeypatch):
    monkeypatch.setenv("TLSTUI_FIXED_ANALYSIS_SECONDS", "1.5")
    app = TlsTuiApp(S05B)
    async with app.run_test(size=(160, 24)) as pilot:
        await ready(app, pilot)
        app.message = None
        app._update_status()
        assert app.shown_analysis_seconds() == 1.5
        assert "analysed in 1.5s" in str(app.query_one("#status").render())
    monkeypatch.delenv("TLSTUI_FIXED_ANALYSIS_SECONDS")
    assert app.shown_analysis_seconds() == app.analysis_seconds
