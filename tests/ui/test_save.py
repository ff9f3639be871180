"""`w` saves the shown (filtered) or the marked frames as pcapng, keeping the decryption secrets."""
from __future__ import annotations

import asyncio
import os
import shutil

import pytest
from textual.binding import Binding

from tlstui.capture.reader import open_capture
from tlstui.session import Session
from tlstui.ui.app import TlsTuiApp, binding_sections
from tlstui.ui.saving import SaveScreen, default_save_path

from ui_helpers import DATA, capture, ready, settle

S07 = capture("s07_close_notify_keepalive_reuse_rst.pcap")
S01 = "s01_tls12_http_close_notify"


@pytest.fixture(autouse=True)
def _no_env_keylog(monkeypatch):
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)


def rows(cap, numbers):
    idx = cap.index
    return [(idx.time_ns[n - 1], idx.cap_len[n - 1], idx.orig_len[n - 1], cap.frame_bytes(n)) for n in numbers]


def shown(app) -> list[int]:
    v = app.frame_list.view
    return [v.number_at(i) for i in range(len(v))]


async def wait_for(pilot, cond, what: str, timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if cond():
            await settle(pilot)
            return
        await pilot.pause(0.02)
    raise AssertionError(what)


async def apply(app, pilot, text: str) -> None:
    app.apply_filter_text(text)
    await wait_for(pilot, lambda: app._filter_view is not None and app.applied_filter == text
                   and not app.filter_state.startswith(("filtering", "filter waits")), "filter did not finish")


async def open_save(app, pilot) -> SaveScreen:
    await pilot.press("w")
    await wait_for(pilot, lambda: isinstance(app.screen, SaveScreen), "w did not open the save dialog")
    return app.screen


async def type_path(pilot, path: str) -> None:
    await pilot.press("ctrl+u")  # the default path goes
    await pilot.press(*path)


def hint(screen: SaveScreen) -> str:
    return str(screen.query_one("#save-hint").render())


async def test_w_writes_the_filtered_frames(tmp_path, fake_findings):
    app = TlsTuiApp(S07)
    out = tmp_path / "reset-only.pcapng"
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await apply(app, pilot, "tcp.port == 443 && tcp.len > 0")
        want = shown(app)
        assert 1 < len(want) < len(app.session)
        screen = await open_save(app, pilot)
        assert screen.query_one("#save-path").value == default_save_path(S07, "filtered")
        assert screen.query_one("#save-path").value.endswith("s07_close_notify_keepalive_reuse_rst-filtered.pcapng")
        await type_path(pilot, str(out))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SaveScreen), "the dialog stayed")
        assert out.is_file()
        back = open_capture(str(out))
        assert len(back) == len(want)
        assert rows(back, range(1, len(back) + 1)) == rows(app.session.capture, want)
        assert app.message is not None and f"Wrote {len(want)} frames to {out}" in app.message[0]
        assert "frames to" in str(app.query_one("#status").render())


async def test_w_sorted_list_writes_capture_order(tmp_path, fake_findings):
    app = TlsTuiApp(S07)
    out = tmp_path / "sorted.pcapng"
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await apply(app, pilot, "tcp.len > 0")
        want = shown(app)
        await pilot.press("O")  # reverse sort: the file still holds capture order
        await settle(pilot)
        await open_save(app, pilot)
        await type_path(pilot, str(out))
        await pilot.press("enter")
        await wait_for(pilot, out.is_file, "no file")
        back = open_capture(str(out))
        assert rows(back, range(1, len(back) + 1)) == rows(app.session.capture, sorted(want))


async def test_w_with_marks_writes_the_marked_frames_or_the_shown_ones(tmp_path, fake_findings):
    src = tmp_path / "cap.pcap"
    shutil.copy(S07, src)
    app = TlsTuiApp(str(src))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        for n in (7, 3, 12):
            app.frame_list.select_frame(n)
            await settle(pilot)
            await pilot.press("m")
        await apply(app, pilot, "tcp.len > 0")
        filtered = shown(app)
        screen = await open_save(app, pilot)
        assert "the 3 marked frames" in str(screen.query_one("RadioSet").query("RadioButton").first().label)
        assert screen.query_one("#save-path").value == str(tmp_path / "cap-marked.pcapng")
        await pilot.press("enter")  # the default: the marked frames, beside the capture
        marked = tmp_path / "cap-marked.pcapng"
        await wait_for(pilot, lambda: not isinstance(app.screen, SaveScreen), "the dialog stayed")
        back = open_capture(str(marked))
        assert rows(back, range(1, len(back) + 1)) == rows(app.session.capture, [3, 7, 12])
        # Asked which: Tab to the choice, the second one (the shown frames), back to the path.
        screen = await open_save(app, pilot)
        await pilot.press("tab", "down", "enter", "shift+tab")
        await settle(pilot)
        assert screen.choice == 1
        assert screen.query_one("#save-path").value == str(tmp_path / "cap-filtered.pcapng")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SaveScreen), "the dialog stayed")
        back = open_capture(str(tmp_path / "cap-filtered.pcapng"))
        assert rows(back, range(1, len(back) + 1)) == rows(app.session.capture, filtered)
        # An existing file: the first Enter warns, the second replaces it.
        await open_save(app, pilot)
        before = os.path.getsize(marked)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SaveScreen) and "exists: Enter again replaces it" in hint(app.screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SaveScreen), "the dialog stayed")
        assert os.path.getsize(marked) == before


async def test_w_keeps_the_key_log_so_the_file_decrypts_alone(tmp_path, fake_findings):
    app = TlsTuiApp(str(DATA / f"{S01}.pcap"), str(DATA / f"{S01}.keys"))
    out = tmp_path / "tls.pcapng"
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        await apply(app, pilot, "tls")
        want = shown(app)
        screen = await open_save(app, pilot)
        assert "secrets are kept" in hint(screen)
        await type_path(pilot, str(out))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SaveScreen), "the dialog stayed")
        assert "with the decryption secrets" in app.message[0]
    back = Session.open(str(out))  # no key log: the DSB alone
    back.analyze()
    full = Session.open(str(DATA / f"{S01}.pcap"), str(DATA / f"{S01}.keys"))
    full.analyze()
    assert len(back) == len(want) < len(full)

    def decrypted(s, numbers):
        return [[(f.name, str(f.value)) for f in s.tree(n).fields("http.request.method")]
                + [(f.name, str(f.value)) for f in s.tree(n).fields("http.response.code")] for n in numbers]

    got = decrypted(back, range(1, len(back) + 1))
    assert got == decrypted(full, want)
    assert any(got)  # the HTTP inside TLS was read: decryption happened
    plain = Session.open(str(DATA / f"{S01}.pcap"))
    plain.analyze()
    assert not any(decrypted(plain, want))  # and needs the keys


async def test_w_refuses_the_input_and_says_why_writing_failed(tmp_path, fake_findings, monkeypatch):
    src = tmp_path / "cap.pcap"
    shutil.copy(S07, src)
    size = os.path.getsize(src)
    app = TlsTuiApp(str(src))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        screen = await open_save(app, pilot)
        await type_path(pilot, str(src))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and "is the capture being read" in hint(screen)
        assert os.path.getsize(src) == size
        await type_path(pilot, str(tmp_path / "nowhere" / "x.pcapng"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and "no such directory" in hint(screen)
        from tlstui.capture import writer

        def broken(path, *a, **k):
            raise writer.WriteError(f"{path}: cannot write: No space left on device")

        monkeypatch.setattr(writer, "write_pcapng", broken)
        await type_path(pilot, str(tmp_path / "full.pcapng"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not screen.busy, "the write did not end")
        assert app.screen is screen and "No space left on device" in hint(screen)
        assert not (tmp_path / "full.pcapng").exists()
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, SaveScreen)


def test_default_path(tmp_path):
    assert default_save_path(str(tmp_path / "a.pcapng"), "filtered") == str(tmp_path / "a-filtered.pcapng")
    assert default_save_path(str(tmp_path / "a.pcap.gz"), "marked") == str(tmp_path / "a-marked.pcapng")
    assert default_save_path(str(tmp_path / "trace"), "all") == str(tmp_path / "trace-all.pcapng")
    # a folder that cannot be written (or is gone): the working directory
    assert default_save_path(str(tmp_path / "gone" / "a.pcap"), "all") == os.path.abspath("a-all.pcapng")
    assert default_save_path("-", "filtered") == os.path.abspath("capture-filtered.pcapng")


def test_no_key_is_bound_twice():
    """Each key means one thing on the main screen: the app's keys and those of its panes never
    clash (a pane's key would hide the app's), and w is Save, z the connections view (issue 18)."""
    sections = dict(binding_sections())

    def keys(bs):
        return [k for b in bs if isinstance(b, Binding) for k in b.key.split(",")]

    app_keys = keys(sections["Everywhere"])
    assert len(app_keys) == len(set(app_keys)), sorted(k for k in app_keys if app_keys.count(k) > 1)
    for pane in ("Frame list", "Protocol tree", "Bytes", "Findings"):
        clash = set(keys(sections[pane])) & set(app_keys)
        assert not clash, (pane, clash)
    by_key = {k: b.action for b in sections["Everywhere"] for k in b.key.split(",")}
    assert by_key["w"] == "save" and by_key["z"] == "connections"


async def test_w_refuses_when_the_ring_moved_to_another_file(tmp_path, fake_findings):
    """-i: the frame numbers chosen belong to the file shown when w was pressed."""
    app = TlsTuiApp(S07)
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        screen = await open_save(app, pilot)
        app._session_path = str(tmp_path / "live_00002.pcapng")  # what _move_to_ring_file leads to
        await type_path(pilot, str(tmp_path / "x.pcapng"))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and "moved on to another file" in hint(screen)
        assert not (tmp_path / "x.pcapng").exists() and app._saving is None


async def test_w_on_the_bundled_demo_defaults_to_the_working_directory(tmp_path, fake_findings, monkeypatch):
    from tlstui.ui.app import demo_paths

    monkeypatch.chdir(tmp_path)
    path, keys = demo_paths()
    app = TlsTuiApp(path, keys, display_name="demo.pcapng (bundled demo)")
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        screen = await open_save(app, pilot)
        assert screen.query_one("#save-path").value == str(tmp_path / "demo-all.pcapng")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SaveScreen), "the dialog stayed")
        assert len(open_capture(str(tmp_path / "demo-all.pcapng"))) == len(app.session)
