"""Text from packets never reaches the terminal raw; bad input is a message, not a crash."""
from __future__ import annotations

from pathlib import Path

from tlstui.ui.app import TlsTuiApp

from ui_helpers import capture, ready, settle

S04 = capture("s04_mtls12_no_client_cert.pcap")
EVIL = b"\x1b]0;pwn\x07\x1b[2J"  # set the title, clear the screen: 13 bytes


def tampered_capture(tmp_path: Path) -> Path:
    """s04 with control sequences in the SNI (same length, so every length field still holds)."""
    raw = Path(S04).read_bytes()
    sni = b"server.tlslab.test"  # 18 bytes
    assert sni in raw
    evil = (EVIL + b"lab.t")[:len(sni)]
    out = tmp_path / "evil.pcap"
    out.write_bytes(raw.replace(sni, evil))
    return out


async def test_control_characters_in_packet_text_are_escaped_on_screen(fake_findings, tmp_path):
    path = tampered_capture(tmp_path)
    app = TlsTuiApp(str(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        app.frame_list.select_frame(4)
        await settle(pilot)
        f = app.current_tree.fields("tls.handshake.extensions_server_name")[0]
        assert "\x1b" in f.value  # the decoder keeps the raw value ...
        app.tree_pane.select_field(f)
        app.tree_pane.action_expand_all_layers()
        await settle(pilot)
        labels = []
        stack = list(app.tree_pane.root.children)
        while stack:
            n = stack.pop()
            labels.append(str(n.label))
            stack.extend(n.children)
        assert any("\\x1b]0;pwn\\x07" in l for l in labels)  # ... the tree shows it escaped
        assert not any("\x1b" in l or "\x07" in l for l in labels)
        # Copying says what was copied, escaped, while the clipboard gets the real value.
        await pilot.press("c")
        await settle(pilot)
        assert app.clipboard == f.value
        assert any("\\x1b" in n.message and "\x1b" not in n.message for n in app._notifications)
        # Nothing raw in what is drawn (the SVG is made from the same segments as the terminal).
        screen = app.export_screenshot()
        assert "\x1b" not in screen and "\x07" not in screen
        # The ladder and the TLS stream screen go through the same escaping.
        for line in app.screen.query_one("#tree").render_lines(app.screen.query_one("#tree").region):
            assert "\x1b" not in line.text


async def test_a_file_that_is_not_a_capture_exits_with_a_message(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello, this is not a pcap\n")
    app = TlsTuiApp(str(bad))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(100):
            await pilot.pause(0.02)
            if app.return_code is not None:
                break
    assert app.return_code == 2


def test_run_app_reports_a_missing_file(capsys, tmp_path):
    from tlstui.ui.app import run_app

    assert run_app(str(tmp_path / "nope.pcap"), None) == 2
    assert "no such file" in capsys.readouterr().err


def test_ui_modules_do_not_leak_textual_into_the_core():
    import subprocess
    import sys

    code = ("import sys, tlstui.session, tlstui.filter, tlstui.ui.rows, tlstui.ui.streams, "
            "tlstui.ui.settings; print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


async def test_a_damaged_capture_shows_the_frames_around_the_damage_and_a_finding(tmp_path):
    """The TUI on a file whose 10th record header is garbage: 11 of 12 frames, a warning, a finding."""
    import factory

    path = factory.damaged_s04(tmp_path)
    app = TlsTuiApp(str(path))
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(app, pilot)
        assert len(app.frame_list.view) == 11
        assert any("claims 3000000000 bytes" in n.message for n in app._notifications)
        damaged = [f for f in app.findings if f.kind == "capture.file_damaged"]
        assert damaged and damaged[0].frames == [9, 10]
        app.frame_list.select_frame(10)  # the first frame after the damage dissects normally
        await settle(pilot)
        assert app.current_tree.number == 10 and app.current_tree.fields("tcp.stream")


async def test_quitting_stops_the_tcp_analysis_child(monkeypatch):
    """A TCP-analysis child (tcp/offload.py) must not outlive the app."""
    import subprocess
    import sys as _sys

    from tlstui.tcp import offload

    children = []

    def slow_child(self, path, final=False):  # a child that would take a minute
        self.proc = subprocess.Popen([_sys.executable, "-c", "import time; time.sleep(60)"],
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        children.append(self.proc)

    monkeypatch.setenv(offload.ENV_SWITCH, "1")
    monkeypatch.setattr(offload.Offload, "__init__", slow_child)
    app = TlsTuiApp(capture("s08a_lossy_transfers.pcap"))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(200):
            await pilot.pause(0.02)
            if children:
                break
        assert children and children[0].poll() is None
    for _ in range(100):
        if children[0].poll() is not None:
            break
        import time

        time.sleep(0.02)
    assert children[0].poll() is not None
