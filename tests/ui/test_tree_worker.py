"""The selected frame's tree is built off the UI thread (details.py): a key moves the list and the
status line at once, the tree and bytes follow when the tree is ready, and a tree the user has
already moved past never replaces the newer selection's (issue 17, key latency).

Session.tree is replaced by a slow one (it sleeps, as a big frame's dissection takes its time), so
that "before the tree is built" is a window of a few hundred milliseconds a test can look into."""
from __future__ import annotations

import asyncio
import threading
import time

import pytest

from tlstui.session import Session
from tlstui.ui.app import TlsTuiApp

from ui_helpers import capture, ready, settle

S04 = capture("s04_mtls12_no_client_cert.pcap")  # 12 frames, one TLS 1.2 connection


@pytest.fixture
def slow_trees(monkeypatch):
    """Session.tree, once ``on`` is set: waits until ``gates[n]`` is set if frame n has a gate,
    else sleeps ``delay`` seconds; every call recorded as (frame, whether on the main thread), and
    ``done[n]`` set when frame n's tree is returned."""
    state = {"on": False, "delay": 0.3, "gates": {}, "done": {}, "calls": []}
    orig = Session.tree

    def tree(self, number):
        if state["on"]:
            state["calls"].append((number, threading.current_thread() is threading.main_thread()))
            gate = state["gates"].get(number)
            if gate is not None:
                assert gate.wait(10), f"frame {number}'s gate never opened"
            else:
                time.sleep(state["delay"])
        t = orig(self, number)
        if state["on"]:
            state["done"].setdefault(number, threading.Event()).set()
        return t

    monkeypatch.setattr(Session, "tree", tree)
    return state


def status(app) -> str:
    return str(app.query_one("#status").render())


def first_label(app) -> str:
    kids = app.tree_pane.root.children
    return str(kids[0].label) if kids else ""


def record_shown(app) -> list[int]:
    """The frames whose tree reaches the panes, in order (_show_frame is where they are filled)."""
    shown: list[int] = []
    orig = app._show_frame

    async def show(number):
        await orig(number)
        if number:
            shown.append(number)

    app._show_frame = show
    return shown


async def wait_until(pilot, pred, timeout: float = 5.0) -> float:
    """Seconds until ``pred()`` held (polling every 10 ms); fails after ``timeout``."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    while loop.time() - t0 < timeout:
        if pred():
            return loop.time() - t0
        await pilot.pause(0.01)
    raise AssertionError("condition never held")


async def start(app, pilot, slow_trees) -> None:
    await ready(app, pilot)
    app.frame_list.focus()
    app.frame_list.select_frame(1)
    await settle(pilot)
    await wait_until(pilot, lambda: app.current_tree is not None and app.current_tree.number == 1)
    slow_trees["on"] = True


async def test_key_moves_list_and_status_before_the_slow_tree_is_built(fake_findings, slow_trees):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(app, pilot, slow_trees)
        slow_trees["delay"] = 1.0
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await pilot.press("j")
        await wait_until(pilot, lambda: app.frame_list.selected == 2 and "frame 2" in status(app), 1.0)
        moved = loop.time() - t0  # the press itself included
        # The tree takes 1 s: the list and the status did not wait for it (built on the UI
        # thread, the press would only have returned after it).
        assert 2 not in slow_trees["done"], "the key waited for the tree"
        assert moved < 0.5, f"the list moved {moved * 1000:.0f} ms after the key"
        assert app.current_tree.number == 1 and first_label(app).startswith("Frame 1:")
        # ... and the tree and bytes of frame 2 come when it is built, off the UI thread.
        await wait_until(pilot, lambda: app.current_tree is not None and app.current_tree.number == 2, 5.0)
        await settle(pilot)
        assert loop.time() - t0 >= 1.0
        assert first_label(app).startswith("Frame 2:")
        assert app.hex_pane.hex.data == app.session.frame_bytes(2)
        assert slow_trees["calls"] == [(2, False)]
        # The linked panes work on the tree that came late: a field selects exactly its bytes.
        f = app.current_tree.fields("ip.ttl")[0]
        assert app.tree_pane.select_field(f)
        await settle(pilot)
        assert app.hex_pane.hex.highlight == (f.offset, f.length)


async def test_stale_tree_never_overwrites_the_newer_selection(fake_findings, slow_trees):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(app, pilot, slow_trees)
        shown = record_shown(app)
        gate = slow_trees["gates"][2] = threading.Event()  # frame 2's tree is slow: done when let go
        slow_trees["delay"] = 0.05
        for _ in range(4):  # 2, 3, 4, 5: the first key starts frame 2's build, the rest wait
            await pilot.press("j")
        assert app.frame_list.selected == 5 and "frame 5" in status(app)
        await wait_until(pilot, lambda: slow_trees["calls"], 2.0)
        await settle(pilot)
        assert app.current_tree.number == 1  # nothing built yet: frame 2's build holds
        gate.set()  # frame 2's tree is done now, after the user moved on to 5
        await wait_until(pilot, lambda: app.current_tree is not None and app.current_tree.number == 5, 5.0)
        await wait_until(pilot, lambda: 5 in slow_trees["done"], 2.0)
        await settle(pilot, 10)
        # Frame 2's tree, finished after the user had moved to 5, was dropped; 3 and 4 were passed
        # over (never built); the newest selection was built once and stays.
        assert [n for n, _ in slow_trees["calls"]] == [2, 5]
        assert not any(main for _, main in slow_trees["calls"])
        assert shown == [5]
        assert app.current_tree.number == 5 and first_label(app).startswith("Frame 5:")
        assert app.hex_pane.hex.data == app.session.frame_bytes(5)


async def test_moving_back_to_the_shown_frame_drops_the_build_in_flight(fake_findings, slow_trees):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(app, pilot, slow_trees)
        shown = record_shown(app)
        gate = slow_trees["gates"][2] = threading.Event()
        await pilot.press("j")
        await wait_until(pilot, lambda: slow_trees["calls"], 2.0)  # frame 2's build runs
        await pilot.press("k")
        assert app.frame_list.selected == 1
        gate.set()
        await wait_until(pilot, lambda: 2 in slow_trees["done"], 2.0)
        await settle(pilot, 10)
        assert [n for n, _ in slow_trees["calls"]] == [2]
        assert shown == [] and app.current_tree.number == 1 and first_label(app).startswith("Frame 1:")


async def test_forced_rebuild_drops_the_tree_built_before_it(fake_findings, slow_trees):
    """The analysis ending (or the findings arriving) asks again for the frame being built: the
    tree that was under way reads the older state, so the fresh one is built and only it shown."""
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(app, pilot, slow_trees)
        shown = record_shown(app)
        gate = slow_trees["gates"][2] = threading.Event()
        await pilot.press("j")
        await wait_until(pilot, lambda: slow_trees["calls"], 2.0)
        app._request_details(2, force=True)
        await settle(pilot)
        del slow_trees["gates"][2]  # the second build of frame 2 is quick
        gate.set()
        await wait_until(pilot, lambda: len(slow_trees["calls"]) == 2, 3.0)
        await wait_until(pilot, lambda: app.current_tree is not None and app.current_tree.number == 2, 3.0)
        await settle(pilot, 10)
        assert [n for n, _ in slow_trees["calls"]] == [2, 2]
        assert shown == [2]


async def test_a_dissection_error_is_shown_and_the_next_frame_still_comes(fake_findings, slow_trees):
    app = TlsTuiApp(S04)
    async with app.run_test(size=(160, 48)) as pilot:
        await start(app, pilot, slow_trees)
        orig = Session.tree

        def broken(self, number):
            if number == 2:
                raise ValueError("boom")
            return orig(self, number)

        slow_trees["delay"] = 0.0
        Session.tree = broken  # undone by the fixture's monkeypatch (it restores the original)
        seen: list[str] = []
        orig_notify = app.notify
        app.notify = lambda msg, *a, **kw: (seen.append(str(msg)), orig_notify(msg, *a, **kw))
        await pilot.press("j")
        await wait_until(pilot, lambda: any("dissection failed" in m for m in seen), 3.0)
        assert any("frame 2" in m and "boom" in m for m in seen)
        await pilot.press("j")
        await wait_until(pilot, lambda: app.current_tree is not None and app.current_tree.number == 3, 3.0)
