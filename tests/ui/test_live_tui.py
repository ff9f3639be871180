"""`tlstui -i` in the TUI, with the stand-in capture program of the live tests (dumpcap's arguments,
a known pcap written slowly): the status line shows the capture's counters, the list follows the
end (F stops and restarts it), Ctrl-C quits, and a ring that rotates is followed to its newest file."""
from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from tlstui.capture.live import LiveCapture, Ring
from tlstui.capture.reader import open_capture
from tlstui.ui.app import TlsTuiApp

from ui_helpers import DATA, settle

STANDIN = Path(__file__).resolve().parents[1] / "unit" / "live" / "standin_capture.py"
SOURCE = DATA / "s01_tls12_http_close_notify.pcap"
TOTAL = len(open_capture(str(SOURCE)))


@pytest.fixture
def standin(monkeypatch, tmp_path):
    monkeypatch.setenv("TLSTUI_CAPTURE_PROGRAM", f"dumpcap:{sys.executable} {STANDIN}")
    monkeypatch.setenv("STANDIN_SOURCE", str(SOURCE))
    monkeypatch.setenv("STANDIN_DELAY", "0.4")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("STANDIN_FAIL", raising=False)
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    monkeypatch.setattr(TlsTuiApp, "FOLLOW_POLL", 0.1)
    monkeypatch.setattr(TlsTuiApp, "LIVE_POLL", 0.2)
    return tmp_path


def status(app) -> str:
    return str(app.query_one("#status").render())


async def wait_for(pilot, cond, what: str, timeout: float = 40.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError(what)


async def test_live_status_follow_the_end_toggle_and_ctrl_c(standin, fake_findings):
    live = LiveCapture("lo", directory=standin / "ring")
    first = live.start()
    try:
        app = TlsTuiApp(first, follow=True, live=live)
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_for(pilot, lambda: "dumpcap on lo: " in status(app), "no capture status")
            line = status(app)
            assert " packets, " in line and "/s" in line and "following the end" in line
            assert "dropped ?" in line  # the capture programs report drops when they stop
            # The list follows the end while the capture grows.
            await wait_for(pilot, lambda: app.session is not None and len(app.session) >= 4
                           and app.frame_list.selected == len(app.session), "the list did not follow the end")
            assert len(app.session) < TOTAL  # seen while it was still growing
            # F: stop following; the cursor stays where it is put while frames arrive.
            await pilot.press("F")
            await settle(pilot)
            assert app.follow_end is False and "Not following the end: F follows it again" in status(app)
            app._message_expired()  # the message goes: the status line says it too
            assert "not following the end (F)" in status(app)
            app.frame_list.select_frame(2)
            was = len(app.session)
            await wait_for(pilot, lambda: len(app.session) >= was + 2, "no growth")
            await settle(pilot)
            assert app.frame_list.selected == 2
            # F again: back to the end at once, and on it as frames arrive.
            await pilot.press("F")
            await settle(pilot)
            assert app.follow_end is True and app.frame_list.selected == len(app.session)
            await wait_for(pilot, lambda: len(app.session) == TOTAL and app.frame_list.selected == TOTAL,
                           "the whole capture did not arrive")
            await wait_for(pilot, lambda: f"{TOTAL} packets" in status(app), "the counters did not follow")
            # 80 columns: the short form, the frame number still in sight.
            await pilot.resize_terminal(80, 24)
            await wait_for(pilot, lambda: f"{TOTAL} pkts" in status(app), "no short live status")
            assert status(app).rstrip().endswith(f"frame {TOTAL}") and "⇣end" in status(app)
            await pilot.resize_terminal(200, 40)
            live.stop()  # the program's last words: the drops
            await wait_for(pilot, lambda: "dropped 0 (stopped)" in status(app), "no drops after the stop")
            # Ctrl-C quits (Textual would only say 'press ctrl+q'); the CLI then stops and offers to save.
            await pilot.press("ctrl+c")
            await wait_for(pilot, lambda: not app.is_running, "ctrl+c did not quit", timeout=5)
    finally:
        live.stop()


async def test_ring_rotation_moves_the_view_to_the_newest_file(standin, fake_findings, monkeypatch):
    monkeypatch.setenv("STANDIN_DELAY", "0.03")
    live = LiveCapture("lo", ring=Ring(files=3, filesize_kb=8), directory=standin / "ring")
    first = live.start()
    try:
        app = TlsTuiApp(first, follow=True, live=live)
        async with app.run_test(size=(200, 40)) as pilot:
            await wait_for(pilot, lambda: live.packets == TOTAL, "the capture did not end")
            files = live.files()
            newest = files[-1]
            assert len(files) >= 2 and newest != first  # the ring rotated (files:3, 8 KiB each)
            want = len(open_capture(newest))
            await wait_for(pilot, lambda: app.path == newest and app._session_path == newest
                           and len(app.session) == want, "the view did not move to the newest file")
            assert app.live_file >= 2 and app._session_path == newest
            await wait_for(pilot, lambda: "ring file" in status(app), "no ring file in the status")
            line = status(app)
            assert f"ring file {app.live_file}, earlier ones in {os.path.dirname(newest)}"[:60] in line
            assert app.frame_list.selected == want  # still on the end
            rows = [app.session.capture.frame_bytes(n) for n in range(1, want + 1)]
            back = open_capture(newest)
            assert rows == [back.frame_bytes(n) for n in range(1, want + 1)]
    finally:
        live.stop()


async def test_without_live_ctrl_c_does_not_quit(fake_findings):
    app = TlsTuiApp(str(SOURCE))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.is_running
        assert app.message is not None and "quit" in app.message[0].lower()
