"""The IO graph screen: its counts are `tlstui stats io`'s (and tshark's), marks count
retransmissions and resets, the interval changes, the display filter is respected."""
from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

from tlstui.cli import main
from tlstui.ui.app import TlsTuiApp
from tlstui.ui.iograph import RESET_MARK, RETRANS_MARK, IoGraphScreen, IoGraphView, bar_cells, interval_ladder

from ui_helpers import capture, ready, settle

S08A = capture("s08a_lossy_transfers.pcap")
S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")
_IO_ROW = re.compile(r"^\|\s*([\d.]+) <> ([\d.]+|Dur)\s*\|\s*(\d+) \|\s*(\d+) \|")


def stats_io(capsys, path: str, interval: str, filt: str | None = None) -> list[tuple[float, float, int, int]]:
    argv = ["stats", "io", path, "-i", interval, "--json"] + (["-Y", filt] if filt else [])
    capsys.readouterr()
    assert main(argv) == 0
    got = json.loads(capsys.readouterr().out)
    return [(r["start"], r["end"], r["frames"], r["bytes"]) for r in got["intervals"]]


def tshark_io(path: str, what: str) -> list[tuple[int, int]]:
    text = Path(f"{path}.{what}.txt").read_text()
    return [(int(m.group(3)), int(m.group(4))) for m in map(_IO_ROW.match, text.splitlines()) if m]


def graph_rows(data) -> list[tuple[float, float, int, int]]:
    return [(s / 1e6, e / 1e6, f, b) for s, e, f, b in data.rows]


async def wait_marks(app, pilot, interval: str | None = None, timeout: float = 20.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        screen = app.screen
        if isinstance(screen, IoGraphScreen) and screen.data is not None and screen.data.marks \
                and (interval is None or screen.data.interval == interval):
            await pilot.pause(0.05)
            return screen.data
        await pilot.pause(0.02)
    raise AssertionError("the IO graph did not finish")


async def wait_for(pilot, cond, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("timed out")
        await pilot.pause(0.02)
    await pilot.pause(0.05)


def drawn(app) -> list[str]:
    g = app.screen.query_one(IoGraphView)
    return ["".join(seg.text for seg in g.render_line(y)) for y in range(g.size.height)]


async def set_interval(app, pilot, text: str):
    await pilot.press("e")
    await settle(pilot)
    await pilot.press(*text, "enter")
    return await wait_marks(app, pilot, text)


async def test_io_graph_counts_are_stats_io_and_marks_count_retransmissions(fake_findings, capsys):
    # `tlstui stats io` first: inside run_test, Textual takes what is printed.
    want = {iv: stats_io(capsys, S08A, iv) for iv in ("0.01", "0.25", "0.2", "0.5", "0.005", "0.002", "0.001")}
    retr = stats_io(capsys, S08A, "0.01", "tcp.analysis.retransmission")
    app = TlsTuiApp(S08A)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(app, pilot)
        await pilot.press("i")
        data = await wait_marks(app, pilot)
        assert data.interval in want and graph_rows(data) == want[data.interval]
        assert len(data.rows) <= app.screen.query_one(IoGraphView).visible_bars()  # the default fits the screen
        data = await set_interval(app, pilot, "0.01")
        assert graph_rows(data) == want["0.01"]
        assert [(f, b) for *_, f, b in data.rows] == tshark_io(S08A, "io_0.01")
        assert list(data.retransmissions) == [f for *_, f, _ in retr] and sum(data.retransmissions) == 34
        assert sum(data.resets) == 0
        # The marks row under the frames chart has a ▲ for each interval with a retransmission.
        g = app.screen.query_one(IoGraphView)
        row = next(line for line in drawn(app) if line.lstrip().startswith("retr"))
        marks = row.split("│", 1)[1][:min(g.visible_bars(), len(data.rows) - g.first_bar)]
        shown = data.retransmissions[g.first_bar:g.first_bar + len(marks)]
        assert [ch == RETRANS_MARK for ch in marks] == [bool(n) for n in shown]
        # 0.25 s: the retransmissions per interval are tshark's -z io,stat,0.25,tcp.analysis.retransmission.
        data = await set_interval(app, pilot, "0.25")
        assert graph_rows(data) == want["0.25"]
        assert list(data.retransmissions) == [f for f, _ in tshark_io(S08A, "io_0.25.filtered")] == [26, 0, 2, 6]
        # +/- step through the ladder.
        await pilot.press("minus")
        data = await wait_marks(app, pilot, "0.2")
        assert graph_rows(data) == want["0.2"]
        await pilot.press("plus")
        data = await wait_marks(app, pilot, "0.5")
        assert graph_rows(data) == want["0.5"]
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, IoGraphScreen)


async def test_io_graph_respects_the_display_filter_and_marks_resets(fake_findings, capsys):
    filtered = stats_io(capsys, S07, "1", "tcp.stream == 0")
    rst = stats_io(capsys, S07, "1", "tcp.stream == 0 and tcp.flags.reset == 1")
    every = stats_io(capsys, S07, "1")
    app = TlsTuiApp(S07)
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "IO graph" in titles and "Sort" in titles and "Apply as column" in titles  # the palette
        app.apply_filter_text("tcp.stream == 0")
        await wait_for(pilot, lambda: app.applied_filter and not app.filter_state)
        await pilot.press("i")
        await wait_marks(app, pilot)
        data = await set_interval(app, pilot, "1")
        assert data.filter == "tcp.stream == 0"
        assert graph_rows(data) == filtered and filtered != every
        assert list(data.resets) == [f for *_, f, _ in rst] and sum(data.resets) == 1
        row = next(line for line in drawn(app) if line.lstrip().startswith("rst"))
        assert RESET_MARK in row
        # f: every frame again.
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.data.filter is None and app.screen.data.marks)
        data = app.screen.data
        assert graph_rows(data) == every
        # Enter goes to the first frame of the interval under the cursor.
        i = next(k for k, r in enumerate(data.rows) if r[2])
        app.screen.query_one(IoGraphView)._move_to(i)
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, IoGraphScreen)


def test_bars_and_ladder():
    assert bar_cells(0, 10, 2) == [" ", " "]
    assert bar_cells(10, 10, 2) == ["█", "█"]
    assert bar_cells(5, 10, 2) == ["█", " "]
    assert bar_cells(1, 1000, 3)[0] == "▁"  # a non-zero value always shows
    ladder = interval_ladder()
    assert ladder[:4] == ["0.000001", "0.000002", "0.000005", "0.00001"] and ladder[-1] == "3600"
    assert "0.25" not in ladder and "1" in ladder and "0.01" in ladder
