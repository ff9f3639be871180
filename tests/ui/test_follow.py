"""--follow: a capture still being written is read again as it grows."""
from __future__ import annotations

import asyncio
import struct
from pathlib import Path

from tlstui.ui.app import TlsTuiApp

from ui_helpers import capture, ready, settle

S07 = Path(capture("s07_close_notify_keepalive_reuse_rst.pcap"))


def _records(raw: bytes) -> list[bytes]:
    out, pos = [], 24
    while pos + 16 <= len(raw):
        n = struct.unpack_from("<I", raw, pos + 8)[0]
        out.append(raw[pos:pos + 16 + n])
        pos += 16 + n
    return out


async def _wait(pilot, cond, timeout=30.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if cond():
            return
        await pilot.pause(0.05)
    raise AssertionError("timed out")


async def test_follow_reads_what_the_capture_gains_and_keeps_up_with_its_end(tmp_path, monkeypatch):
    raw = S07.read_bytes()
    head, recs = raw[:24], _records(raw)
    assert len(recs) > 12
    path = tmp_path / "live.pcap"
    path.write_bytes(head + b"".join(recs[:6]))
    monkeypatch.setattr(TlsTuiApp, "FOLLOW_POLL", 0.1)
    app = TlsTuiApp(str(path), follow=True)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        assert len(app.session) == 6
        first = app.session  # grown in place (incremental.grow), never opened again
        assert "tls.reuse_after_close_notify" not in {f.kind for f in app.findings}
        app.frame_list.select_frame(6)  # on the last frame: the cursor follows the end
        await settle(pilot)
        # tcpdump writes in buffers: the file grows by whole records and a piece of the next one.
        with path.open("ab") as f:
            f.write(b"".join(recs[6:-1]) + recs[-1][:20])
        await _wait(pilot, lambda: len(app.session) == len(recs) - 1)
        await settle(pilot)
        assert app.frame_list.selected == len(recs) - 1
        kinds = {f.kind for f in app.findings}
        assert "tls.reuse_after_close_notify" in kinds
        assert "capture.file_truncated" not in kinds  # a half-written record is normal here
        with path.open("ab") as f:
            f.write(recs[-1][20:])
        await _wait(pilot, lambda: len(app.session) == len(recs))
        assert app.frame_list.selected == len(recs)
        assert app.session is first
        assert "following" in str(app.query_one("#status").render())


async def test_without_follow_a_growing_file_is_read_once(tmp_path, monkeypatch):
    raw = S07.read_bytes()
    head, recs = raw[:24], _records(raw)
    path = tmp_path / "live.pcap"
    path.write_bytes(head + b"".join(recs[:6]))
    monkeypatch.setattr(TlsTuiApp, "FOLLOW_POLL", 0.1)
    app = TlsTuiApp(str(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        with path.open("ab") as f:
            f.write(b"".join(recs[6:]))
        await pilot.pause(0.5)
        assert len(app.session) == 6
