"""Live capture (capture/live.py, `tlstui -i IFACE`).

Always: a stand-in for dumpcap (standin_capture.py, TLSTUI_CAPTURE_PROGRAM) writes a known
capture slowly into the ring; the TUI is replaced by a fake run_app that follows the growing file
as the real follow mode does; the one-line failures.  Where the machine allows (root, `unshare
--net`, the program installed): a real TLS connection on the loopback of a fresh network namespace,
captured by the real tcpdump and the real dumpcap; and the real programs' permission failure, run
as an unprivileged user.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from factory import DATA
from tlstui.capture import live as live_mod
from tlstui.capture.live import LiveCapture, LiveError, Ring, find_program
from tlstui.capture.reader import open_capture
from tlstui.cli import main
from tlstui.session import Session

HERE = Path(__file__).parent
STANDIN = HERE / "standin_capture.py"
SOURCE = DATA / "s01_tls12_http_close_notify.pcap"


@pytest.fixture
def standin(monkeypatch, tmp_path):
    monkeypatch.setenv("TLSTUI_CAPTURE_PROGRAM", f"dumpcap:{sys.executable} {STANDIN}")
    monkeypatch.setenv("STANDIN_SOURCE", str(SOURCE))
    monkeypatch.setenv("STANDIN_DELAY", "0.02")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("STANDIN_FAIL", raising=False)
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    return tmp_path


def _rows(cap):
    idx = cap.index
    return [(idx.time_ns[i], idx.orig_len[i], cap.frame_bytes(i + 1)) for i in range(len(idx))]


def _frames(path) -> int:
    try:
        return len(open_capture(str(path)))
    except Exception:
        return -1


def test_tui_follows_the_growing_capture_then_saves_it(standin, monkeypatch, capsys):
    total = len(open_capture(str(SOURCE)))
    seen: list[int] = []
    calls = {}

    def fake_run_app(path, keylog=None, theme=None, follow=False, live=None):
        calls.update(path=path, follow=follow, live=live)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            n = _frames(path)
            seen.append(n)
            if n == total:
                break
            time.sleep(0.05)
        return 0

    import tlstui.ui.app

    monkeypatch.setattr(tlstui.ui.app, "run_app", fake_run_app)
    out = standin / "saved.pcapng"
    assert main(["-i", "lo", "-w", str(out)]) == 0
    cache = standin / "cache" / "tlstui" / "live"
    assert calls["follow"] is True and Path(calls["path"]).parent.parent == cache
    assert isinstance(calls["live"], LiveCapture)  # handed to the TUI for its status line and ring
    assert seen[-1] == total and any(0 <= n < total for n in seen)  # it was followed while it grew
    err = capsys.readouterr().err
    assert f"captured {total} packets" in err and "kept in" in err and f"saved {total} frames" in err
    assert _rows(open_capture(str(out))) == _rows(open_capture(str(SOURCE)))
    assert os.path.exists(calls["path"])  # what was captured is kept in the cache too


def test_ring_rotates_within_its_bound_and_save_merges_it(standin):
    live = LiveCapture("lo", ring=Ring(files=3, filesize_kb=8), directory=standin / "ring")
    first = live.start()
    assert first.endswith("live_00001_" + Path(first).name.split("_")[2])
    deadline = time.monotonic() + 30
    while live.packets < len(open_capture(str(SOURCE))) and time.monotonic() < deadline:
        time.sleep(0.05)
    live.stop()
    files = live.files()
    assert len(files) == 3  # files:3 kept, the oldest recycled
    assert sum(os.path.getsize(f) for f in files) <= 3 * (8 * 1024 + 4096)  # a file can pass by one packet
    assert live.packets == len(open_capture(str(SOURCE))) and live.dropped == 0
    out = standin / "merged.pcapng"
    n = live_mod.save_capture(files, str(out), None)
    kept = [r for f in files for r in _rows(open_capture(f))]
    assert n == len(kept) > 0
    back = open_capture(str(out))
    assert _rows(back) == kept == _rows(open_capture(str(SOURCE)))[-len(kept):]  # the newest frames, in order


def test_save_keeps_the_key_log(standin):
    live = LiveCapture("lo", directory=standin / "ring")
    live.start()
    time.sleep(0.1)
    deadline = time.monotonic() + 30
    while live.packets < len(open_capture(str(SOURCE))) and time.monotonic() < deadline:
        time.sleep(0.05)
    live.stop()
    out = standin / "keys.pcapng"
    live_mod.save_capture(live.files(), str(out), str(DATA / "s01_tls12_http_close_notify.keys"))
    def methods(path, keylog=None):
        s = Session.open(str(path), keylog)
        s.analyze()
        return [str(f.value) for n in range(1, len(s) + 1) for f in s.tree(n).fields("http.request.method")]

    assert methods(out) == methods(SOURCE, str(DATA / "s01_tls12_http_close_notify.keys")) != []
    assert methods(SOURCE) == []


@pytest.mark.parametrize("fail,args,words", [
    ("permission", ["-i", "lo"], ["-i lo: no permission to capture with dumpcap", "setcap"]),
    ("nodevice", ["-i", "lo"], ["-i lo: no such interface (here: "]),
    ("filter", ["-i", "lo", "-f", "tcp port"], ["-f tcp port: dumpcap rejects this capture filter",
                                                "can't parse filter expression"]),
])
def test_the_program_failing_is_one_line(standin, monkeypatch, capsys, fail, args, words):
    monkeypatch.setenv("STANDIN_FAIL", fail)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("tlstui: ")
    for w in words:
        assert w in err


def test_missing_interface_and_no_program(standin, monkeypatch, capsys):
    assert main(["-i", "nosuch0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlstui: -i nosuch0: no such interface (here: ") and "lo" in err and err.count("\n") == 1
    monkeypatch.delenv("TLSTUI_CAPTURE_PROGRAM")
    monkeypatch.setenv("PATH", str(standin))
    monkeypatch.setattr(live_mod, "EXTRA_DIRS", ())
    assert main(["-i", "lo"]) == 2
    err = capsys.readouterr().err
    assert "no capture program: install dumpcap" in err and "tcpdump" in err and err.count("\n") == 1
    assert main(["-i", "lo", "-b", "files:x"]) == 2
    assert "expected files:N or filesize:KB" in capsys.readouterr().err
    assert main(["capture.pcap", "-i", "lo"]) == 2
    assert main(["capture.pcap", "-f", "tcp"]) == 2


def test_dumpcap_is_preferred(monkeypatch, tmp_path):
    for name in ("dumpcap", "tcpdump"):
        p = tmp_path / name
        p.write_text("#!/bin/sh\n")
        p.chmod(0o755)
    monkeypatch.setattr(live_mod, "EXTRA_DIRS", ())
    env = {"PATH": str(tmp_path)}
    assert find_program(env) == ("dumpcap", [str(tmp_path / "dumpcap")])
    (tmp_path / "dumpcap").unlink()
    assert find_program(env) == ("tcpdump", [str(tmp_path / "tcpdump")])
    with pytest.raises(LiveError):
        find_program({"TLSTUI_CAPTURE_PROGRAM": "wireshark:x"})


def _can_unshare() -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    try:
        return subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _program(kind: str) -> str | None:
    return shutil.which(kind, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")


@pytest.mark.parametrize("kind", ["tcpdump", "dumpcap"])
def test_real_tls_connection_in_a_network_namespace(tmp_path, kind):
    if not _can_unshare():
        pytest.skip("needs root and unshare --net (network namespaces)")
    if not _program(kind):
        pytest.skip(f"{kind} is not installed")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("SSLKEYLOGFILE", None)
    r = subprocess.run(["unshare", "--net", sys.executable, str(HERE / "netns_tls.py"), kind, str(tmp_path)],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["format"] == ("pcap" if kind == "tcpdump" else "pcapng")  # tcpdump writes pcap
    assert got["frames"] == got["packets"] > 10
    assert got["handshake"][:2] == ["1", "2"] and "20" in got["handshake"]  # ClientHello, ServerHello, Finished
    assert got["methods"] == ["GET"]  # decrypted with the client's key log
    assert got["reply"].endswith("ok")
    assert "tls.truncated_close" not in got["findings"]  # both sides sent close_notify


@pytest.mark.parametrize("kind", ["tcpdump", "dumpcap"])
def test_real_program_without_permission(tmp_path, kind):
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root (to become an unprivileged user) and setpriv")
    prog = _program(kind)
    if not prog:
        pytest.skip(f"{kind} is not installed")
    import tempfile

    home = Path(tempfile.mkdtemp(prefix="tlstui-nobody-"))  # pytest's own tmp is root's alone
    home.chmod(0o777)
    env = {**os.environ, "XDG_CACHE_HOME": str(home / "cache"), "HOME": str(home),
           "TLSTUI_CAPTURE_PROGRAM": f"{kind}:{prog}"}
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", sys.executable]
    probe = subprocess.run(nobody + ["-c", "import tlstui.cli"], capture_output=True, text=True, timeout=60, env=env,
                           cwd=str(home))
    if probe.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip("the unprivileged user cannot run this Python and tlstui")
    r = subprocess.run(nobody + ["-m", "tlstui", "-i", "lo"],
                       capture_output=True, text=True, timeout=60, env=env, cwd=str(home))
    shutil.rmtree(home, ignore_errors=True)
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and f"-i lo: no permission to capture with {kind}" in r.stderr
    assert "setcap" in r.stderr


@pytest.mark.parametrize("kind", ["tcpdump", "dumpcap"])
def test_findings_follow_live_sees_a_refused_certificate(tmp_path, kind):
    """`tlstui findings --follow -i lo --json` in a network namespace, a real client refusing the
    server's self-signed certificate: the alert is printed while the capture runs, exit 3."""
    if not _can_unshare():
        pytest.skip("needs root and unshare --net (network namespaces)")
    if not _program(kind):
        pytest.skip(f"{kind} is not installed")
    env = {**os.environ}
    env.pop("SSLKEYLOGFILE", None)
    r = subprocess.run(["unshare", "--net", sys.executable, str(HERE / "netns_follow.py"), kind, str(tmp_path)],
                       capture_output=True, text=True, timeout=180, env=env)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["refused"] == "CERTIFICATE_VERIFY_FAILED"
    kinds = [f["kind"] for f in got["findings"]]
    assert "tls.alert" in kinds and len(kinds) == len(set(kinds))
    assert got["before_ctrl_c"] >= 1  # printed as decided, not at the end
    assert got["rc"] == 3
    alert = next(f for f in got["findings"] if f["kind"] == "tls.alert")
    assert "unknown_ca" in alert["summary"] or "bad_certificate" in alert["summary"], alert["summary"]
    assert f"with {kind} on lo, kept in {tmp_path}" in got["stderr"]


def test_old_rings_are_removed_running_and_recent_ones_kept(tmp_path):
    root = tmp_path / "live"
    now = time.time()
    old_dead = root / "eth0-20200101-000000-999999999"
    recent_dead = root / "eth0-20260101-000000-999999998"
    old_alive = root / f"lo-20200101-000000-{os.getpid()}"
    other = root / "not-a-ring"
    for d in (old_dead, recent_dead, old_alive, other):
        d.mkdir(parents=True)
        (d / "live_00001_20200101000000.pcapng").write_bytes(b"x")
    for d in (old_dead, old_alive, other):
        for p in [d, *d.iterdir()]:
            os.utime(p, (now - 30 * 86400, now - 30 * 86400))
    removed = live_mod.clean_old_captures(root, days=7, now=now)
    assert removed == [old_dead]
    assert not old_dead.exists() and recent_dead.exists() and old_alive.exists() and other.exists()


def test_status_line(standin):
    live = LiveCapture("lo", directory=standin / "ring")
    live.start()
    deadline = time.monotonic() + 30
    while live.packets < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    line = live.status()
    assert line.startswith("dumpcap on lo: ") and " packets, " in line and "/s" in line and "stopped" not in line
    live.stop()
    assert live.status().endswith(", 0 dropped (stopped)")
