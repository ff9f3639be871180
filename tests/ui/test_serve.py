"""`tlstui serve FILE`: the app served by textual-serve, driven in a real headless Chromium.

The page draws the terminal with xterm.js on a canvas (WebGL or 2D), so there is no DOM text to read.
The test reads xterm.js's own screen buffer instead, the model the canvas is painted from: textual.js
keeps its Terminal in a local object, so an init script catches that object when it is built (the
first assignment of its `fitAddon` property) and hands its terminal to the page as a global.
Everything stays on 127.0.0.1: the test refuses any other request and checks that the page made none
(ui/serve.py serves textual-serve's own copy of the font the page would fetch from Google).
"""
from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tlstui.cli import main
from tlstui.ui.serve import app_command, public_url

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURE = DATA / "s06a_cipher_mismatch.pcap"  # 10 frames; the server refuses the ClientHello
CHROMIUM = os.environ.get("TLSTUI_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")

HOOK = """
(() => {
  Object.defineProperty(Object.prototype, 'fitAddon', {
    configurable: true,
    get() { return undefined; },
    set(value) {
      Object.defineProperty(this, 'fitAddon', {value, writable: true, configurable: true, enumerable: true});
      if (this.terminal && this.terminal.buffer) window.__tlstuiTerminal = this.terminal;
    },
  });
})();
"""

# Each screen row: its text, and the background colour of a cell in the No. column (the selection).
READ = """() => {
  const t = window.__tlstuiTerminal;
  if (!t) return null;
  const buf = t.buffer.active, rows = [];
  for (let y = 0; y < t.rows; y++) {
    const line = buf.getLine(buf.viewportY + y);
    if (!line) { rows.push(['', -1]); continue; }
    const cell = line.getCell(4);
    rows.push([line.translateToString(true), cell ? cell.getBgColor() : -1]);
  }
  return rows;
}"""


def test_app_command_is_this_interpreter_with_absolute_quoted_paths(tmp_path):
    cap = tmp_path / "a b;$(x).pcap"
    argv = shlex.split(app_command(str(cap), keylog=str(tmp_path / "k.log"), theme="tlstui-light"))
    assert argv[:3] == [sys.executable, "-m", "tlstui"]
    assert argv[3] == str(cap)
    assert argv[4:] == ["--keylog", str(tmp_path / "k.log"), "--theme", "tlstui-light"]
    assert public_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert public_url("::1", 8123) == "http://[::1]:8123"
    assert "0.0.0.0" not in public_url("0.0.0.0", 8123)


@pytest.mark.parametrize("argv, message", [
    (["serve"], "the following arguments are required: file"),
    (["serve", "-"], "give a capture file"),
    (["serve", "no-such.pcap"], "no-such.pcap: no such capture file"),
    (["serve", str(CAPTURE), "--port", "0"], "not a TCP port"),
    (["serve", str(CAPTURE), "--port", "x"], "invalid int value"),
])
def test_serve_bad_arguments_are_one_line_and_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.startswith("tlstui: serve: ") and err.count("\n") == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"tlstui serve exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"tlstui serve did not listen on 127.0.0.1:{port} within {timeout} s")


def _status(rows) -> str:
    return next((text for text, _ in reversed(rows) if re.search(r"\bframe \d+\b", text)), "")


def _row_of(rows, number: int) -> int:
    """The screen row that shows frame ``number`` in the frame list."""
    for y, (text, _) in enumerate(rows):
        if re.match(rf"^\W?\s*{number}\s+\d+\.\d{{6}}\s+127\.0\.0\.1\s", text):
            return y
    raise AssertionError(f"frame {number} not on screen")


def _wait_screen(page, predicate: str, timeout_ms: int) -> None:
    """Wait until ``predicate(screen text)`` holds in the page; on timeout, fail showing the screen."""
    try:
        page.wait_for_function(
            f"""(read) => {{ const rows = (0, eval)(read)(); if (!rows) return false;
                return ({predicate})(rows.map(r => r[0]).join('\\n')); }}""", arg=READ, timeout=timeout_ms)
    except Exception as e:
        rows = page.evaluate(READ) or []
        raise AssertionError(f"{type(e).__name__}: the screen never matched {predicate}; it shows:\n"
                             + "\n".join(t for t, _ in rows)) from None


def test_serve_in_headless_chromium(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM:  # CI installs it (.ci/run): there a missing browser is a failure, not a skip
        (pytest.fail if os.environ.get("CI") else pytest.skip)("no chromium (apt-get install chromium)")
    port = _free_port()
    log = open(tmp_path / "serve.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "tlstui", "serve", str(CAPTURE), "--port", str(port),
                             "--host", "127.0.0.1"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)  # its own group: the server and the app it starts
    try:
        _wait_listening(port, proc)
        with sync_api.sync_playwright() as pw:
            args = ["--no-sandbox"] if os.geteuid() == 0 else []
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=args, timeout=30_000)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                outside: list[str] = []
                page.on("request", lambda r: None if re.match(r"(https?|wss?)://127\.0\.0\.1[:/]", r.url)
                        else outside.append(r.url))
                page.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]|wss?://127\.0\.0\.1[:/])"),
                           lambda route: route.abort())
                page.add_init_script(HOOK)
                page.goto(f"http://127.0.0.1:{port}/", timeout=20_000)
                page.wait_for_function("() => !!window.__tlstuiTerminal", timeout=20_000)
                page.evaluate("() => window.__tlstuiTerminal.focus()")  # the keys go to the app
                # The app in the page: the frame list's rows and the finding, once the analysis is in.
                # (the findings pane names the finding's kind, grouped or not)
                _wait_screen(page, """(text) => text.includes('Client Hello') && text.includes('Alert (Level: Fatal')
                    && text.includes('tls.no_shared_cipher') && /\\bframe 1\\b/.test(text)
                    && text.includes('analysed')""", 60_000)
                rows = page.evaluate(READ)
                text = "\n".join(t for t, _ in rows)
                assert "s06a_cipher_mismatch.pcap" in text and "10 frames" in text
                assert re.search(r"\bframe 1\b", _status(rows))
                y1, y2 = _row_of(rows, 1), _row_of(rows, 2)
                selected_bg, other_bg = rows[y1][1], rows[y2][1]
                assert selected_bg != other_bg  # the selected row is drawn differently
                # A key press in the browser moves the selection: the status and the highlighted row.
                page.keyboard.press("ArrowDown")
                _wait_screen(page, """(text) => text.split('\\n').some(
                    line => /\\bframe 2\\b/.test(line) && /analysed/.test(line))""", 15_000)
                rows = page.evaluate(READ)
                assert re.search(r"\bframe 2\b", _status(rows))
                # Frame 2's row is highlighted now (brighter than frame 1's dim cursor was, the list
                # having the focus) and frame 1's row is back to a plain TCP row's colour.
                assert rows[_row_of(rows, 2)][1] not in (other_bg, -1)
                assert rows[_row_of(rows, 1)][1] == other_bg
                # The page is self-contained: its font comes from textual-serve's static files, not Google.
                assert outside == []
                assert page.evaluate("""async () => { await document.fonts.ready;
                    return [...document.fonts].some(f => f.family.includes('Roboto Mono') && f.status === 'loaded'); }""")
            finally:
                browser.close()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()
    assert "Serving" in (tmp_path / "serve.log").read_text()
