"""Sorting the frame list by a column, and custom columns ("Apply as Column") kept in the settings.

Expected orders come from tshark's own values (FILE.fields.tsv beside the captures), sorted in
the test: ascending or descending by the first occurrence, ties in capture order, frames without
the field last.  The order is read from the rendered rows, as the user sees it.
"""
from __future__ import annotations

import ipaddress
import socket
import struct
from pathlib import Path

import numpy as np

from tlstui.ui.app import TlsTuiApp
from tlstui.ui.custom_columns import CustomColumn
from tlstui.ui.frame_list import FrameListHeader
from tlstui.ui.list_columns import ChooserScreen
from tlstui.ui.settings import Settings
from tlstui.ui.sorting import dense_ranks, frame_keys, restrict

from ui_helpers import DATA, capture, ready, settle

S04 = capture("s04_mtls12_no_client_cert.pcap")
S08A = capture("s08a_lossy_transfers.pcap")


def truth(path: str) -> list[dict[str, str]]:
    lines = Path(path + ".fields.tsv").read_text().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, line.split("\t"))) for line in lines[1:]]


def expected(rows: list[dict], field: str, key=int, descending: bool = False) -> list[int]:
    """Frame numbers sorted as the list must sort them (stable; frames without the field last)."""
    have = [r for r in rows if r[field] != ""]
    missing = [int(r["frame.number"]) for r in rows if r[field] == ""]
    first = {int(r["frame.number"]): key(r[field].split(",")[0]) for r in have}
    order = sorted(first, key=lambda f: first[f])  # stable: capture order among equals
    if descending:
        # descending by value, ties still in capture order
        groups: dict = {}
        for f in order:
            groups.setdefault(first[f], []).append(f)
        order = [f for v in sorted(groups, reverse=True) for f in groups[v]]
    return order + missing


def row_texts(app) -> list[str]:
    fl = app.frame_list
    height = fl.scrollable_content_region.height
    top = round(fl.scroll_y)
    return ["".join(seg.text for seg in fl.render_line(y)) for y in range(min(height, len(fl.view) - top))]


def shown_numbers(app) -> list[int]:
    """The frame numbers of the rows on screen, top to bottom, read from the drawn text."""
    return [int(t[2:].split()[0]) for t in row_texts(app)]


def cell(app, text: str, key: str) -> str:
    """One column's text in a drawn row (by the header's layout)."""
    layout = app.query_one(FrameListHeader).layout()
    x = layout.flag
    for c in layout.cells:
        if c.key == key:
            return text[x:x + c.width].strip()
        x += c.width + 1 if c.width > 0 else 0
    raise KeyError(key)


def width_of(app, key: str) -> int:
    return next(c.width for c in app.query_one(FrameListHeader).layout().cells if c.key == key)


def header_text(app) -> str:
    h = app.query_one(FrameListHeader)
    return "".join(seg.text for seg in h.render_line(0))


async def wait_for(pilot, cond, timeout: float = 20.0) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if cond():
            await pilot.pause(0.05)
            return
        await pilot.pause(0.02)
    raise AssertionError("timed out")


async def click_header(app, pilot, key: str) -> None:
    h = app.query_one(FrameListHeader)
    layout = h.layout()
    x = layout.flag
    for c in layout.cells:
        if c.key == key:
            break
        x += c.width + 1
    token = app._sort_token
    await pilot.click(FrameListHeader, offset=(x + 1, 0))
    await wait_for(pilot, lambda: app._sort_token != token and (app.sort_spec is None or not app.sort_state))


async def test_click_on_length_sorts_up_then_down_then_back_to_capture_order(fake_findings):
    rows = truth(S04)
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        assert shown_numbers(app) == list(range(1, 13))
        await click_header(app, pilot, "length")
        want = expected(rows, "frame.len")
        assert want != list(range(1, 13))
        assert shown_numbers(app) == want
        assert [int(cell(app, t, "length")) for t in row_texts(app)] == sorted(int(r["frame.len"]) for r in rows)
        assert "Length▲" in header_text(app)
        assert "sorted by Length ▲" in str(app.query_one("#status").render())
        await click_header(app, pilot, "length")
        assert shown_numbers(app) == expected(rows, "frame.len", descending=True)
        assert "Length▼" in header_text(app)
        await click_header(app, pilot, "length")
        assert app.sort_spec is None
        assert shown_numbers(app) == list(range(1, 13))
        assert "▲" not in header_text(app) and "▼" not in header_text(app)


async def test_sort_keys_choose_a_column_reverse_and_return_to_capture_order(fake_findings):
    rows = truth(S04)
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.focus()
        app.frame_list.select_frame(6)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ChooserScreen)
        keys = [k for k, _ in app.screen.options]
        await pilot.press(*["down"] * keys.index("protocol"), "enter")  # the list starts on "Capture order"
        await wait_for(pilot, lambda: app.sort_spec == ("protocol", False) and not app.sort_state)
        assert shown_numbers(app) == expected(rows, "_ws.col.Protocol", key=str)
        assert app.frame_list.selected == 6  # the cursor stays on its frame
        await pilot.press("O")
        await wait_for(pilot, lambda: app.sort_spec == ("protocol", True) and not app.sort_state)
        assert shown_numbers(app) == expected(rows, "_ws.col.Protocol", key=str, descending=True)
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("home", "enter")  # "Capture order"
        await wait_for(pilot, lambda: app.sort_spec is None)
        assert shown_numbers(app) == list(range(1, 13))
        assert app.frame_list.selected == 6


async def test_sort_applies_to_the_filtered_frames_and_follows_a_new_filter(fake_findings):
    rows = truth(S08A)
    app = TlsTuiApp(S08A)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await click_header(app, pilot, "length")
        await click_header(app, pilot, "length")  # descending
        all_desc = expected(rows, "frame.len", descending=True)
        assert app.frame_list.view.order.tolist() == all_desc
        app.apply_filter_text("tcp.len > 1000")
        await wait_for(pilot, lambda: not app.filter_state and not app.sort_state
                       and len(app.frame_list.view) < len(rows) and hasattr(app.frame_list.view, "order"))
        kept = [r for r in rows if r["tcp.len"] and int(r["tcp.len"]) > 1000]
        want = expected(kept, "frame.len", descending=True)
        assert want != sorted(want)
        assert app.frame_list.view.order.tolist() == want
        await pilot.press("g")
        await settle(pilot)
        assert shown_numbers(app) == want[:len(shown_numbers(app))]
        await pilot.press("G")
        await settle(pilot)
        tail = shown_numbers(app)
        assert tail == want[-len(tail):]
        # Clearing the filter keeps the sort over every frame again.
        app.apply_filter_text("")
        await wait_for(pilot, lambda: not app.sort_state and len(app.frame_list.view) == len(rows))
        assert app.frame_list.view.order.tolist() == all_desc


async def test_apply_as_column_shows_tshark_values_persists_and_can_be_removed(fake_findings, isolated_home):
    rows = {int(r["frame.number"]): r for r in truth(S04)}
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(4)
        await settle(pilot)
        f = app.current_tree.fields("tcp.flags")[0]
        assert app.tree_pane.select_field(f)
        app.tree_pane.focus()
        await pilot.press("A")
        await wait_for(pilot, lambda: app.frame_list.custom and app.frame_list.custom[0].ready)
        assert "Flags" in header_text(app)
        texts = row_texts(app)
        assert len(texts) == 12
        for t in texts:
            n = int(t[2:].split()[0])
            assert cell(app, t, "custom:tcp.flags") == rows[n]["tcp.flags"], n  # "0x0018", as tshark
        assert Settings.load().custom_columns == ["tcp.flags"]
        # A second field: the record content types (several per frame, joined with ',').
        app.add_custom_column("tls.record.content_type")
        await wait_for(pilot, lambda: all(c.ready for c in app.frame_list.custom))
        for t in row_texts(app):
            n = int(t[2:].split()[0])
            want = rows[n]["tls.record.content_type"]
            width = width_of(app, "custom:tls.record.content_type")
            assert cell(app, t, "custom:tls.record.content_type") == (
                want if len(want) <= width else want[:width - 1] + "…"), n  # a long cell ends in "…"
            assert app.frame_list.custom[1].cell(app.session, n) == want
        # Sorting by a custom column: frames without the field last.
        await click_header(app, pilot, "custom:tls.record.content_type")
        assert shown_numbers(app) == expected(list(rows.values()), "tls.record.content_type")
    assert Settings.load().custom_columns == ["tcp.flags", "tls.record.content_type"]

    # The next launch shows the same columns, built again.
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await wait_for(pilot, lambda: len(app.frame_list.custom) == 2 and all(c.ready for c in app.frame_list.custom))
        for t in row_texts(app):
            n = int(t[2:].split()[0])
            assert cell(app, t, "custom:tcp.flags") == rows[n]["tcp.flags"]
        await pilot.press("D")
        await settle(pilot)
        assert isinstance(app.screen, ChooserScreen)
        await pilot.press("enter")  # the first one: tcp.flags
        await settle(pilot)
        assert [c.field for c in app.frame_list.custom] == ["tls.record.content_type"]
        assert "Flags" not in header_text(app)
    assert Settings.load().custom_columns == ["tls.record.content_type"]


async def test_a_column_still_building_shows_its_progress_and_the_ui_answers(fake_findings, monkeypatch):
    """While a column is built, the header shows it and the cursor still moves."""
    import threading

    from tlstui.columns import ColumnStore

    release = threading.Event()
    real_get = ColumnStore.get

    def slow_get(self, name, progress=None, cancel=None):
        if name == "tcp.window_size":
            if progress is not None:
                progress(1, 4)
            while not release.wait(0.02):
                if cancel is not None and cancel.is_set():
                    raise InterruptedError
        return real_get(self, name, progress, cancel)

    monkeypatch.setattr(ColumnStore, "get", slow_get)
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.add_custom_column("tcp.window_size")
        await wait_for(pilot, lambda: "25%" in header_text(app))
        assert all(cell(app, t, "custom:tcp.window_size") == "…" for t in row_texts(app))
        app.frame_list.focus()
        await pilot.press("j", "j")
        await settle(pilot)
        assert app.frame_list.selected == 3
        release.set()
        await wait_for(pilot, lambda: app.frame_list.custom[0].ready)
        assert "%" not in header_text(app)
        assert cell(app, row_texts(app)[0], "custom:tcp.window_size") == "65495"


# --- the sort itself, without a screen ---------------------------------------------------------------
def test_dense_ranks_order_numbers_bytes_strings_and_mixed_values():
    r, k = dense_ranks(np.array([5, 3, 5, 1]))
    assert r.tolist() == [2, 1, 2, 0] and k == 3
    vals = np.empty(4, dtype=object)
    vals[:] = ["b", "a", "b", "C"]
    assert dense_ranks(vals)[0].tolist() == [2, 1, 2, 0]  # code point order: "C" < "a"
    vals[:] = [None, "x", 3, b"\x01"]  # no common order: grouped by kind
    r, k = dense_ranks(vals)
    assert k == 4 and r.tolist() == [0, 3, 1, 2]


def _addr_capture(tmp_path) -> Path:
    """IPv4 sources .10, .2 and .9 (numeric order is not text order), an IPv6 one, an ARP frame."""
    from craft import tcp6_frame, write
    from tcpfactory import ACK, SYN, Conn

    conns = []
    t0 = 1_700_000_000 * 10**9
    for i, last in enumerate((10, 2, 9)):
        c = Conn(client=bytes([10, 0, 0, last]), server=bytes([10, 0, 1, 1]), sport=40000 + i, t0_ns=t0 + i * 10**6)
        c.send(True, 0, 0, SYN)
        conns.append(c)
    v6 = tcp6_frame(socket.inet_pton(socket.AF_INET6, "2001:db8::5"), socket.inet_pton(socket.AF_INET6, "2001:db8::1"),
                    40100, 443, 1, 0, SYN)
    arp = (b"\xff" * 6 + b"\x02\0\0\0\0\x07" + b"\x08\x06"
           + struct.pack(">HHBBH", 1, 0x0800, 6, 4, 1) + b"\x02\0\0\0\0\x07" + bytes([10, 0, 0, 7])
           + b"\0" * 6 + bytes([10, 0, 0, 1]))
    extra = [(t0 + 5 * 10**6, arp, len(arp)), (t0 + 4 * 10**6, v6, len(v6))]
    conns[0].send(False, 0, 1, SYN | ACK)  # 10.0.1.1 answers the first client
    return write(tmp_path / "addrs.pcap", *conns, extra=extra)


def test_source_sorts_ipv4_by_number_then_ipv6_then_ethernet(tmp_path):
    from craft import open_session

    s = open_session(_addr_capture(tmp_path))
    src = {n: s.tree(n).source_addr for n in range(1, len(s) + 1)}
    order = frame_keys(s, "source").order().tolist()
    shown = [src[n] for n in order]
    v4 = [a for a in shown if "." in a and ":" not in a]
    assert v4 == sorted(v4, key=ipaddress.ip_address) and v4[:2] == ["10.0.0.2", "10.0.0.9"]
    assert shown[len(v4)] == "2001:db8::5"
    assert shown[-1] == "02:00:00:00:00:07"  # the ARP frame: its Ethernet source, last
    desc = [src[n] for n in frame_keys(s, "source").order(descending=True).tolist()]
    assert desc[0] == "02:00:00:00:00:07" and desc[-1] == "10.0.0.2"
    # restrict() keeps the sorted order for a subset.
    assert restrict(np.asarray(order), np.array([1, 3], dtype=np.int64), len(s)).tolist() == \
        [n for n in order if n in (1, 3)]


def test_custom_column_cells_format_as_tlstui_fields(capsys):
    """A custom column's cell is exactly the `tlstui fields -e FIELD` cell, for several field types."""
    from craft import open_session
    from tlstui.cli import main

    path = capture("s07_close_notify_keepalive_reuse_rst.pcap")
    s = open_session(Path(path))
    names = ["ip.id", "ip.src", "tcp.flags.reset", "tcp.analysis.acks_frame", "tls.record.version", "tcp",
             "frame.time_delta"]
    assert main(["fields", "-r", path, *sum((["-e", n] for n in names), [])]) == 0
    lines = capsys.readouterr().out.splitlines()
    for i, name in enumerate(names):
        cc = CustomColumn(name)
        cc.column = s.columns.get(name)
        got = [cc.cell(s, n) for n in range(1, len(s) + 1)]
        assert got == [line.split("\t")[i] for line in lines], name
    assert DATA.is_dir()


async def test_sorting_by_info_warns_that_it_reads_every_frame_and_sorts_by_the_text(fake_findings, monkeypatch):
    app = TlsTuiApp(S04)
    monkeypatch.setattr(type(app), "SLOW_SORT_FRAMES", 1)
    said: list[str] = []
    real_notify = app.notify
    monkeypatch.setattr(app, "notify", lambda message, *a, **kw: (said.append(str(message)), real_notify(message, *a, **kw)))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await click_header(app, pilot, "info")
        assert any("reads every frame once" in m and "Info" in m for m in said)
        infos = {n: app.frame_list.row(n).info for n in range(1, 13)}
        assert shown_numbers(app) == sorted(infos, key=lambda n: infos[n])
        said.clear()
        await click_header(app, pilot, "info")  # descending: the ranks are kept, no second warning
        assert not any("reads every frame once" in m for m in said)
