"""`tlstui A B`: the side-by-side diff view on the real network-namespace pairs of tests/data/diff.

The impair pair (README there): MSS clamped in A#1/B#1, SACK-permitted stripped and TTL rewritten on
the server's packets, the server's segment B#12 dropped on the way and its retransmission rewritten
(A#22 <-> B#23).  The NAT pair: a RST forged in the client's name, seen at the server only (B#17).
"""
from __future__ import annotations

import asyncio
import shutil
import threading

import pytest
from textual.widgets import DataTable, Static

from tlstui.ui.diff_view import DiffApp, _frames_text
from ui_helpers import DATA, settle

PAIRS = DATA / "diff"


def pair(name: str) -> tuple[str, str]:
    return str(PAIRS / f"netns_{name}_a.pcap"), str(PAIRS / f"netns_{name}_b.pcap")


async def diffed(app: DiffApp, pilot, timeout: float = 60.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while app.result is None and app.error is None:
        if loop.time() > end:
            raise AssertionError("the diff did not finish")
        await pilot.pause(0.05)
    await settle(pilot)


def status(app: DiffApp, side: str) -> str:
    return str(app.query_one(f"#status-{side}", Static).render())


def table_rows(app: DiffApp) -> list[list[str]]:
    t = app.query_one("#diff-findings", DataTable)
    return [[str(c) for c in t.get_row_at(i)] for i in range(t.row_count)]


def selected(app: DiffApp) -> tuple[int, int]:
    return app.frame_list(0).selected, app.frame_list(1).selected


async def test_impair_findings_listed_and_enter_selects_both_sides():
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        kinds = [f.kind for f in app.findings]
        assert {"diff.rewritten", "diff.dropped", "diff.header_rewritten"} <= set(kinds)
        rows = table_rows(app)
        assert len(rows) == len(app.findings)
        assert [r[1] for r in rows] == kinds
        assert any("MSS" in r[3] and r[4] == "1" and r[5] == "1" for r in rows)
        assert "clock B = A + 0.000765 s" in str(app.query_one("#diff-header", Static).render())
        assert "6 findings" in str(app.query_one("#diff-header", Static).render())
        # Enter on the rewritten retransmission: A#22 and B#23.
        await pilot.press("f")
        table = app.query_one("#diff-findings", DataTable)
        table.move_cursor(row=kinds.index("diff.rewritten"))
        await pilot.press("enter")
        await settle(pilot)
        assert selected(app) == (22, 23)
        assert status(app, "a").startswith("frame 22 ↔ B frame 23 (payload rewritten")
        assert status(app, "b").startswith("frame 23 ↔ A frame 22")
        # The TLS view's finding names A#22 and B#12 (the record as each side has it): both selected as named.
        table.move_cursor(row=kinds.index("diff.tls_records"))
        await pilot.press("enter")
        await settle(pilot)
        assert selected(app) == (22, 12)
        # Enter again on the TTL rewrite (eleven segments): its next frames on both sides, said in the title.
        ttl = next(i for i, f in enumerate(app.findings) if "TTL" in f.summary)
        table.move_cursor(row=ttl)
        got = []
        for _ in range(3):
            await pilot.press("enter")
            await settle(pilot)
            got.append(selected(app))
        assert got == [(2, 2), (5, 5), (6, 6)]
        assert str(table.border_title) == f"finding {ttl + 1} of 6 · frames 3 of 11 (Enter: next)"
        # The dropped segment: B#12 only; A goes where it stood then (A#11 is B#11, the pair before).
        table.move_cursor(row=kinds.index("diff.dropped"))
        await pilot.press("enter")
        await settle(pilot)
        assert selected(app) == (11, 12)
        assert status(app, "b") == "frame 12: no counterpart in A: dropped before A"


async def test_n_and_N_walk_the_findings_from_the_lists():
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        assert app.frame_list(0).has_focus
        seen = []
        for _ in app.findings:
            await pilot.press("n")
            await settle(pilot)
            f = app.findings[app.finding_index]
            seen.append(app.finding_index)
            if f.frames:
                assert app.frame_list(0).selected == f.frames[0]
            if f.frames_b:
                assert app.frame_list(1).selected == f.frames_b[0]
            assert app.query_one("#diff-findings", DataTable).cursor_row == app.finding_index
        assert seen == list(range(len(app.findings)))
        await pilot.press("n")  # wraps
        assert app.finding_index == 0
        await pilot.press("N")  # and back
        assert app.finding_index == len(app.findings) - 1


async def test_cursor_on_one_side_moves_the_other_to_its_counterpart():
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        links = app.result.links
        a = app.frame_list(0)
        a.focus()
        await pilot.press("g")
        await settle(pilot)
        assert selected(app) == (1, 1)
        for n in range(2, 26):
            await pilot.press("down")
            await settle(pilot, 2)
            assert selected(app) == (n, links.counterpart(0, n)), n
        # Known pairs of this capture: after B's drop of B#12 the numbering differs.
        assert links.counterpart(0, 12) == 13 and links.counterpart(0, 20) == 21 and links.counterpart(0, 22) == 23
        # Keys pressed fast on A: B ends on the counterpart of where A ends (no ping-pong).
        await pilot.press("g", "down", "down", "down", "down", "down")
        await settle(pilot, 6)
        assert selected(app) == (6, links.counterpart(0, 6))
        # From B: B#17 is A#13.
        b = app.frame_list(1)
        b.focus()
        b.select_frame(17)
        await settle(pilot)
        assert selected(app) == (13, 17)
        assert status(app, "b") == "frame 17 ↔ A frame 13"


async def test_a_frame_with_no_counterpart_says_so_and_leaves_the_other_side():
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        b = app.frame_list(1)
        b.focus()
        b.select_frame(11)
        await settle(pilot)
        assert selected(app) == (11, 11)
        await pilot.press("down")  # B#12: dropped between B and A
        await settle(pilot)
        assert selected(app) == (11, 12)
        assert status(app, "b") == "frame 12: no counterpart in A: dropped before A"
        assert status(app, "a").startswith("frame 11 ↔ B frame 11")


async def test_nat_pair_the_forged_rst_is_only_in_b():
    app = DiffApp(*pair("nat"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        assert [f.kind for f in app.findings][0] == "diff.injected"
        await pilot.press("n")
        await settle(pilot)
        assert app.frame_list(1).selected == 17
        assert status(app, "b") == "frame 17: only in B: injected?"
        links = app.result.links
        assert links.counterpart(1, 16) is not None
        assert app.frame_list(0).selected == links.counterpart(1, 16) == links.nearest(1, 17)
        # The Streams column carries 'A tcp.stream 0 / B tcp.stream 0': the summaries do not repeat it.
        rows = table_rows(app)
        assert all(r[2] == "0/0" and not r[3].startswith("A tcp.stream") for r in rows)
        assert rows[1][3].startswith("addresses translated (NAT)")


async def test_clean_pair_shows_no_findings():
    app = DiffApp(*pair("clean"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        assert app.findings == []
        rows = table_rows(app)
        assert len(rows) == 1 and rows[0][1] == "no differences"
        assert "no findings" in str(app.query_one("#diff-header", Static).render())
        links = app.result.links
        assert len(links.alone_a) == 0 and len(links.alone_b) == 0
        assert len(links.a_frames) == 23
        await pilot.press("n")  # nothing to walk: no crash, nothing moves
        assert app.finding_index == -1


async def test_keys_answer_while_diffing(monkeypatch):
    release = threading.Event()
    import tlstui.diff as diff_mod

    real = diff_mod.diff_sessions

    def slow(a, b, **kw):
        release.wait(30)
        return real(a, b, **kw)

    monkeypatch.setattr(diff_mod, "diff_sessions", slow)
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        loop = asyncio.get_running_loop()
        end = loop.time() + 30
        while app.frame_list(0).session is None or app.frame_list(1).session is None:
            assert loop.time() < end
            await pilot.pause(0.05)
        await settle(pilot)
        assert str(app.query_one("#diff-header", Static).render()) == "diffing…"
        await pilot.press("down", "down")
        await settle(pilot)
        assert app.frame_list(0).selected == 3
        assert status(app, "a") == "frame 3 · diffing…"
        release.set()
        await diffed(app, pilot)
        assert "clock B = A" in str(app.query_one("#diff-header", Static).render())
        assert status(app, "a").startswith("frame 3 ↔ B frame 3")


def _regions(app: DiffApp) -> dict:
    names = ["#diff-header", "#title-a", "#header-a", "#frames-a", "#status-a", "#title-b", "#header-b",
             "#frames-b", "#status-b", "#diff-findings", "Footer"]
    return {n: app.query_one(n).region for n in names}


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_nothing_overlaps(size):
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=size) as pilot:
        await diffed(app, pilot)
        await settle(pilot)
        regs = _regions(app)
        w, h = size
        for name, r in regs.items():
            assert r.width > 0 and r.height > 0, name
            assert r.x >= 0 and r.y >= 0 and r.right <= w and r.bottom <= h, (name, r)
        items = list(regs.items())
        for i, (n1, r1) in enumerate(items):
            for n2, r2 in items[i + 1:]:
                assert not r1.overlaps(r2), (n1, r1, n2, r2)
        fa, fb = regs["#frames-a"], regs["#frames-b"]
        assert fa.height >= 3 and fb.height >= 3
        if w < 120:
            assert fb.y > fa.bottom  # stacked
        else:
            assert fb.x >= fa.right and fa.y == fb.y  # side by side
        # The findings table fits the width: no column is cut off at the right.
        t = app.query_one("#diff-findings", DataTable)
        assert t.virtual_size.width <= t.scrollable_content_region.width + 1
        assert t.row_count >= 3 or h >= 48


async def test_file_names_with_control_characters_are_escaped(tmp_path):
    a, b = pair("clean")
    evil = tmp_path / "a\x1b[2Jevil.pcap"
    shutil.copy(a, evil)
    app = DiffApp(str(evil), b)
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        title = str(app.query_one("#title-a", Static).render())
        assert "\x1b" not in title and "\\x1b[2Jevil.pcap" in title


async def test_an_unreadable_capture_exits_with_2(tmp_path):
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    app = DiffApp(str(bad), pair("clean")[1])
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.05)
            if app.return_code is not None:
                break
    assert app.return_code == 2


def test_frames_text():
    assert _frames_text([]) == "-"
    assert _frames_text([22]) == "22"
    assert _frames_text([2, 5, 6, 9, 11, 12, 14, 16, 18, 20, 22], 10) == "2,5,…(+9)"
    assert len(_frames_text(list(range(100, 200)), 16)) <= 16


def test_cli_two_files_open_the_diff_view(monkeypatch):
    import tlstui.ui.diff_view as dv
    from tlstui import cli

    got = {}

    def fake(a, b, keylog=None, theme=None):
        got.update(a=a, b=b, keylog=keylog, theme=theme)
        return 0

    monkeypatch.setattr(dv, "run_diff", fake)
    a, b = pair("clean")
    assert cli.main([a, b, "--theme", "tlstui-light"]) == 0
    assert got == {"a": a, "b": b, "keylog": None, "theme": "tlstui-light"}
    assert cli.main([a, b, "--follow"]) == 2


async def test_a_failed_diff_says_so_and_the_lists_stay(monkeypatch):
    import tlstui.diff as diff_mod

    def boom(a, b, **kw):
        raise ValueError("boom \x1b[2J")

    monkeypatch.setattr(diff_mod, "diff_sessions", boom)
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        header = str(app.query_one("#diff-header", Static).render())
        assert header.startswith("diff failed: ValueError: boom") and "\x1b" not in header
        app.frame_list(0).focus()
        await pilot.press("down")
        await settle(pilot)
        assert app.frame_list(0).selected == 2
        assert status(app, "a") == "frame 2 · diff failed"


def test_cli_two_files_one_missing_exits_2(capsys):
    from tlstui import cli

    assert cli.main([pair("clean")[0], "/nonexistent/b.pcap"]) == 2
    assert "no such file" in capsys.readouterr().err


async def test_each_capture_is_opened_once(monkeypatch):
    """The diff works on the view's own sessions: one Session per capture, no second read."""
    import tlstui.capture.reader as reader
    import tlstui.session as session_mod

    opened = []
    real_open, real_read = session_mod.open_capture, reader.read_input

    def counting_open(path, *a, **kw):
        opened.append(("open_capture", path))
        return real_open(path, *a, **kw)

    def counting_read(path, *a, **kw):
        opened.append(("read_input", path))
        return real_read(path, *a, **kw)

    monkeypatch.setattr(session_mod, "open_capture", counting_open)
    monkeypatch.setattr(reader, "read_input", counting_read)
    a, b = pair("impair")
    app = DiffApp(a, b)
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        assert {"diff.rewritten", "diff.dropped"} <= {f.kind for f in app.findings}
        loop = asyncio.get_running_loop()
        end = loop.time() + 30
        while not all(s.finished for s in app.sessions):
            assert loop.time() < end
            await pilot.pause(0.05)
    # (open_capture reads the file through read_input: once per capture; the diff alone used to add
    # a session of its own per capture and read each file once more for the payload bytes)
    assert opened == [("open_capture", a), ("read_input", a), ("open_capture", b), ("read_input", b)]


async def test_quitting_while_diffing_stops_the_diff(monkeypatch):
    import time

    import tlstui.diff.align as align_mod
    import tlstui.diff.detect as detect_mod

    entered = threading.Event()
    later = []
    real_align, real_rewritten = align_mod.align, detect_mod.rewritten

    def slow_align(*a, **kw):
        entered.set()
        app.cancel.wait(10)  # a long stage: quitting arrives in the middle of it
        time.sleep(0.1)
        return real_align(*a, **kw)

    def rewritten(*a, **kw):
        later.append("rewritten")
        return real_rewritten(*a, **kw)

    monkeypatch.setattr(align_mod, "align", slow_align)
    monkeypatch.setattr(detect_mod, "rewritten", rewritten)
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        loop = asyncio.get_running_loop()
        end = loop.time() + 30
        while not entered.is_set():
            assert loop.time() < end
            await pilot.pause(0.02)
        await settle(pilot)
        assert str(app.query_one("#diff-header", Static).render()) == "diffing… aligning segments"
        t0 = time.monotonic()
        await pilot.press("q")
    assert app.worker_done.wait(5)
    took = time.monotonic() - t0
    assert took < 2.0, took
    assert later == [] and app.result is None  # stopped after the stage it was in, before the detectors
    assert not any(s is not None and s.finished for s in app.sessions)  # nor did the analysis pass start


async def test_udp_datagrams_linked_and_their_findings_listed(tmp_path):
    """A UDP flow (udpgen.py): datagram 6 dropped on the way to the server, 11 rewritten on the way back."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "diff"))
    from udpgen import write_pair

    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    fa, fb = write_pair(a, b, drop=(6,), rewrite={11: 30})
    app = DiffApp(a, b)
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        rows = table_rows(app)
        assert sorted(r[1] for r in rows) == ["diff.dropped", "diff.rewritten"]
        assert all(r[2] == "u0/u0" for r in rows)
        assert "18 datagrams" in str(app.query_one("#diff-header", Static).render())
        app.frame_list(0).focus()
        app.frame_list(0).select_frame(fa[11])
        await settle(pilot)
        assert selected(app) == (fa[11], fb[11])
        assert status(app, "a") == f"frame {fa[11]} ↔ B frame {fb[11]} (payload rewritten)"
        app.frame_list(0).select_frame(fa[6])
        await settle(pilot)
        assert status(app, "a") == f"frame {fa[6]}: no counterpart in B: dropped before B"
        app.frame_list(0).select_frame(fa[8])
        await settle(pilot)
        assert selected(app) == (fa[8], fb[8])


async def test_tree_and_hex_of_the_focused_side():
    """t: the bottom pane shows the selected frame's tree and bytes, for A or B as focused."""
    from tlstui.ui.hex_view import HexPane
    from tlstui.ui.tree_pane import ProtoTree

    app = DiffApp(*pair("impair"))
    async with app.run_test(size=(160, 48)) as pilot:
        await diffed(app, pilot)
        loop = asyncio.get_running_loop()

        async def shown(side, number):
            end = loop.time() + 20
            while app.details_frame is None or app.details_frame[:2] != (side, number):
                assert loop.time() < end, (app.details_frame, side, number)
                await pilot.pause(0.05)
            await settle(pilot)

        table, details = app.query_one("#diff-findings"), app.query_one("#diff-details")
        assert table.display and not details.display
        app.frame_list(0).focus()
        app.frame_list(0).select_frame(22)  # the rewritten retransmission: B#23
        await settle(pilot)
        await pilot.press("t")
        await shown(0, 22)
        assert details.display and not table.display
        tree = app.query_one("#diff-tree", ProtoTree)
        assert tree.frame_number == 22
        labels = [str(n.label) for n in tree.root.children]
        assert labels[0].startswith("Findings for this frame") and any(lb.startswith("Transmission Control") for lb in labels)
        assert "diff.rewritten" in " ".join(str(n.label) for n in tree.root.children[0].children)
        hexpane = app.query_one("#diff-hex", HexPane)
        assert hexpane.sources["frame"] == app.sessions[0].frame_bytes(22)
        assert "A frame 22" in str(details.border_title)
        # A field chosen in the tree marks its bytes.
        tcp = next(n for n in tree.root.children if str(n.label).startswith("Transmission Control"))
        tree.select_node(tcp)
        tree.move_cursor(tcp)
        await settle(pilot)
        f = tcp.data
        assert hexpane.hex.highlight == (f.offset, f.length) and f.length == 32
        # B focused: B's frame, its own bytes.
        await pilot.press("b")
        await shown(1, 23)
        assert tree.frame_number == 23 and hexpane.sources["frame"] == app.sessions[1].frame_bytes(23)
        assert "B frame 23" in str(details.border_title)
        await pilot.press("down")
        await shown(1, 24)
        await pilot.press("t")
        await settle(pilot)
        assert table.display and not details.display


@pytest.mark.parametrize("size", [(80, 24), (160, 48)])
async def test_tree_and_hex_pane_fits(size):
    app = DiffApp(*pair("impair"))
    async with app.run_test(size=size) as pilot:
        await diffed(app, pilot)
        await pilot.press("t")
        await settle(pilot)
        names = ["#diff-header", "#frames-a", "#status-a", "#frames-b", "#status-b", "#diff-details", "#diff-tree",
                 "#diff-hex", "Footer"]
        regs = {n: app.query_one(n).region for n in names}
        w, h = size
        for name, r in regs.items():
            assert r.width > 0 and r.height > 0, name
            assert r.right <= w and r.bottom <= h, (name, r)
        tops = ["#diff-header", "#frames-a", "#status-a", "#frames-b", "#status-b", "#diff-details", "Footer"]
        for i, n1 in enumerate(tops):
            for n2 in tops[i + 1:]:
                assert not regs[n1].overlaps(regs[n2]), (n1, regs[n1], n2, regs[n2])
        assert regs["#diff-tree"].height >= 4 and regs["#frames-a"].height >= 2 and regs["#frames-b"].height >= 2
        assert app.query_one("#diff-findings").region.height == 0
