"""Snapshot tests (pytest-textual-snapshot): each main view at 80x24, 100x30 and 160x48, dark and light.

The capture is s05b_expired_leaf.pcap: 11 frames, one TLS 1.2 connection whose client refuses the
server's expired certificate (findings: certificate_expired, the alert, no SNI), so every view has
something to show at every size.  The SVGs live in __snapshots__/test_snapshots/; after a change that
is meant to move them, look at the new ones (rsvg-convert) and accept them with
`python -m pytest tests/ui/test_snapshots.py --snapshot-update`.

Deterministic by construction: settings and history in a temporary home (conftest), the analysis time
in the status line fixed (it is the one clock in these views), no toast, no blinking cursor.
"""
from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input

from tlstui.ui.app import TlsTuiApp
from tlstui.ui.screens import FollowScreen, LadderScreen, TlsStreamScreen

from ui_helpers import capture, ready, settle

S05B = capture("s05b_expired_leaf.pcap")
TLS_FRAME = 6  # the server's Certificate (the flight the client refuses)

SIZES = [(80, 24), (100, 30), (160, 48)]
THEMES = ["tlstui-dark", "tlstui-light"]


async def _wait_screen(app, pilot, cls, timeout: float = 20.0, filled=lambda s: True):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if isinstance(app.screen, cls) and filled(app.screen):
            await settle(pilot)
            return app.screen
        await pilot.pause(0.02)
    raise AssertionError(f"{cls.__name__} did not open")


@pytest.fixture(autouse=True)
def _fixed_analysis_time(monkeypatch):
    """The status line's "analysed in X s", the one clock of these views, pinned (status.py)."""
    monkeypatch.setenv("TLSTUI_FIXED_ANALYSIS_SECONDS", "0.0")


async def _steady(app, pilot) -> None:
    """What varies from run to run, made still: toasts, cursor blink (the analysis time: the fixture)."""
    app._update_status()
    for screen in app.screen_stack:
        for w in screen.query(Input):
            w.cursor_blink = False
    app.clear_notifications()
    await settle(pilot, 5)


async def _main(app, pilot) -> None:
    app.frame_list.select_frame(TLS_FRAME)


async def _findings(app, pilot) -> None:
    await pilot.press("n")  # the first finding: its frame selected, its explanation shown
    await settle(pilot)
    app.findings_pane.focus()


async def _follow_tcp(app, pilot) -> None:
    app.frame_list.select_frame(TLS_FRAME)
    await settle(pilot)
    await pilot.press("t")
    await _wait_screen(app, pilot, FollowScreen)


async def _follow_tls(app, pilot) -> None:
    app.frame_list.select_frame(TLS_FRAME)
    await settle(pilot)
    await pilot.press("T")
    await _wait_screen(app, pilot, TlsStreamScreen)


async def _ladder(app, pilot) -> None:
    app.frame_list.select_frame(TLS_FRAME)
    await settle(pilot)
    await pilot.press("L")
    await _wait_screen(app, pilot, LadderScreen)


async def _connections(app, pilot) -> None:
    from tlstui.ui.connections_view import ConnectionsScreen

    await pilot.press("z")
    await _wait_screen(app, pilot, ConnectionsScreen, filled=lambda s: s.table is not None)


VIEWS = {"main": _main, "findings": _findings, "follow_tcp": _follow_tcp, "follow_tls": _follow_tls,
         "ladder": _ladder, "connections": _connections}


@pytest.mark.parametrize("theme", THEMES, ids=["dark", "light"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("view", list(VIEWS))
def test_view(view, size, theme, snap_compare):
    app = TlsTuiApp(S05B, theme_name=theme)

    async def run_before(pilot) -> None:
        await ready(app, pilot)
        await VIEWS[view](app, pilot)
        await settle(pilot)
        await _steady(app, pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
