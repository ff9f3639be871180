"""The three linked panes: frame list -> tree -> bytes, and bytes -> tree."""
from __future__ import annotations

from tlstui.field import FRAME
from tlstui.ui.app import TlsTuiApp
from tlstui.ui.frame_list import FrameList
from tlstui.ui.hex_view import HexView

from ui_helpers import capture, ready, settle

S04 = capture("s04_mtls12_no_client_cert.pcap")
S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")


def layer_labels(app) -> list[str]:
    return [str(n.label) for n in app.tree_pane.root.children]


def find_node(app, name):
    """The tree node of the first field called ``name`` (creating collapsed nodes on the way)."""
    tree = app.current_tree
    f = tree.fields(name)[0]
    node = app.tree_pane._node_for(f)
    assert node is not None, name
    return f, node


async def test_rows_then_select_frame_fills_tree_and_hex(fake_findings):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        fl = app.query_one(FrameList)
        assert len(fl.view) == 12
        assert fl.row(4).protocol.startswith("TLS") and "Client Hello" in fl.row(4).info
        assert fl.row(9).category == "alert"
        fl.focus()
        for _ in range(8):
            await pilot.press("j")
        await settle(pilot)
        assert fl.selected == 9
        assert app.current_tree.number == 9
        labels = layer_labels(app)
        assert labels[0].startswith("Frame 9:")
        assert any(l.startswith("Transport Layer Security") for l in labels)
        hexv = app.query_one(HexView)
        assert hexv.data == app.session.frame_bytes(9)
        await pilot.press("G")
        await settle(pilot)
        assert fl.selected == 12 and app.current_tree.number == 12
        await pilot.press("g")
        await settle(pilot)
        assert fl.selected == 1


async def test_selecting_a_field_highlights_exactly_its_bytes(fake_findings):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(4)
        await settle(pilot)
        hexv = app.query_one(HexView)
        for name in ("ip.ttl", "tcp.srcport", "tls.handshake.extensions_server_name"):
            f, node = find_node(app, name)
            app.tree_pane.select_field(f)
            await settle(pilot)
            assert hexv.source == f.source == FRAME
            assert hexv.highlight == (f.offset, f.length), name
            # The drawn row carries the highlight style on exactly those bytes.
            field_style = hexv.get_component_rich_style("hex-view--field")
            bpr = hexv.bytes_per_row
            highlighted = []
            for row in range(f.offset // bpr, (f.offset + f.length - 1) // bpr + 1):
                strip = hexv.render_line(row - round(hexv.scroll_y))
                cells = [(ch, seg.style) for seg in strip for ch in seg.text]
                for i in range(bpr):
                    x = 6 + i * 3 + i // 8  # where byte i's two hex digits start
                    if x < len(cells) and cells[x][1] and cells[x][1].bgcolor == field_style.bgcolor:
                        highlighted.append(row * bpr + i)
            assert highlighted == list(range(f.offset, f.offset + f.length)), name


async def test_moving_the_hex_cursor_selects_the_covering_field(fake_findings):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(4)
        await settle(pilot)
        ttl = app.current_tree.fields("ip.ttl")[0]
        hexv = app.query_one(HexView)
        hexv.focus()
        await pilot.press("g")
        for _ in range(ttl.offset):
            await pilot.press("l")
        await settle(pilot)
        assert hexv.cursor == ttl.offset
        assert app.tree_pane.selected_field is ttl
        # The cursor stays where the user put it (not snapped to the field's start).
        await pilot.press("l")  # ip.proto follows the TTL
        await settle(pilot)
        assert app.tree_pane.selected_field.name == "ip.proto"
        assert hexv.cursor == ttl.offset + 1


async def test_a_reassembled_source_gets_its_own_tab(fake_findings):
    app = TlsTuiApp(capture("s13h_record_split_many_segments.pcap"))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        s = app.session
        multi = next((n for n in range(1, len(s) + 1) if len(s.tree(n).sources) > 1), None)
        assert multi is not None, "the TLS decoder gives no reassembled source"
        app.frame_list.select_frame(multi)
        await settle(pilot, 5)
        pane = app.hex_pane
        assert len(pane._names) == len(s.tree(multi).sources) >= 2
        other = next(n for n in pane._names if n != FRAME)
        f = next(f for layer in app.current_tree.layers for f in layer.walk() if f.source == other and f.length)
        app.tree_pane.select_field(f)
        await settle(pilot)
        assert pane.hex.source == other
        assert pane.hex.data == app.current_tree.sources[other]
        assert pane.hex.highlight == (f.offset, f.length)


async def test_rows_are_usable_before_the_analysis_finishes(monkeypatch, fake_findings):
    import threading

    from tlstui.session import Session

    gate = threading.Event()
    real = Session.analyze

    def slow(self, progress=None, cancel=None, batch=50_000):
        gate.wait(10)
        return real(self, progress=progress, cancel=cancel)

    monkeypatch.setattr(Session, "analyze", slow)
    app = TlsTuiApp(S07)
    async with app.run_test(size=(160, 48)) as pilot:
        while app.session is None:
            await pilot.pause(0.02)
        await settle(pilot)
        assert not app.analysis_done.is_set()
        assert len(app.frame_list.view) == 35
        app.frame_list.focus()
        await pilot.press("j", "j", "j")
        await settle(pilot)
        assert app.frame_list.selected == 4 and app.current_tree.number == 4
        assert "analysing" in str(app.query_one("#status").render())
        gate.set()
        await ready(app, pilot)
        assert "analysed" in str(app.query_one("#status").render())
        # Trees are rebuilt once the pass has run (relative sequence numbers, TLS).
        assert app.current_tree.number == 4 and app.current_tree.fields("tls.handshake.type")


async def test_only_visible_rows_are_dissected(monkeypatch, fake_findings):
    import tlstui.ui.frame_list as fl_mod

    calls = []
    real = fl_mod.make_row

    def counting(session, number):
        calls.append(number)
        return real(session, number)

    monkeypatch.setattr(fl_mod, "make_row", counting)
    app = TlsTuiApp(capture("s08a_lossy_transfers.pcap"))
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        total = len(app.session)
        assert total > 1000
        height = app.frame_list.scrollable_content_region.height
        calls.clear()
        app.frame_list.invalidate()
        await settle(pilot)
        assert 0 < len(set(calls)) <= height
        app.frame_list.focus()
        await pilot.press("G")
        await settle(pilot)
        assert app.frame_list.selected == total
        assert len(set(calls)) <= 2 * height
