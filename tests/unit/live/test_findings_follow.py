"""`tlstui findings --follow FILE|-i IFACE` (follow.py): each finding once, as it is decided."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import factory
from factory import DATA
from tlstui.findings import exit_code, find_all
from tlstui.follow import Follower, follow_file
from tlstui.session import Session

HERE = Path(__file__).parent
S07 = "s07_close_notify_keepalive_reuse_rst.pcap"
KEYS = ("kind", "severity", "summary", "explanation", "frames", "stream")


def _key(f):
    return (f.kind, f.stream, f.first_frame)


def _whole(path):
    s = Session.open(str(path))
    s.analyze()
    return [f for f in find_all(s) if f.kind != "capture.file_truncated"]


def _grow(path: Path, frames, delay: float, done: threading.Event) -> None:
    """Write a pcap as tcpdump -U does: the header, then one record at a time."""
    whole = factory.pcap(frames)
    with open(path, "wb") as fh:
        fh.write(whole[:24])
        fh.flush()
        pos = 24
        for _t, data, _o in frames:
            n = 16 + len(data)
            fh.write(whole[pos:pos + n])
            fh.flush()
            pos += n
            time.sleep(delay)
    done.set()


class _Recorder(io.StringIO):
    """Output that remembers how many frames the follower had analysed at each line."""

    def __init__(self, follower_box):
        super().__init__()
        self.box, self.at = follower_box, []

    def write(self, s):
        self.at += [self.box[0].frames] * s.count("\n")
        return super().write(s)


def test_findings_print_once_while_the_file_grows(tmp_path):
    frames = factory.real_frames(S07)
    path = tmp_path / "growing.pcap"
    done, stop = threading.Event(), threading.Event()
    box = [None]
    out = _Recorder(box)
    follower = box[0] = Follower(out, as_json=True)
    writer = threading.Thread(target=_grow, args=(path, frames, 0.12, done))
    writer.start()
    t = threading.Thread(target=follow_file, args=(str(path), follower), kwargs={"stop": stop, "poll": 0.05})
    t.start()
    done.wait(60)
    deadline = time.monotonic() + 30
    while follower.frames < len(frames) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    t.join(30)
    writer.join()
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert all(tuple(d) == KEYS for d in lines)  # the findings --json objects, one per line
    printed = [(d["kind"], d["stream"], d["frames"][0] if d["frames"] else None) for d in lines]
    assert len(printed) == len(set(printed))  # each once
    whole = _whole(path)
    assert {_key(f) for f in whole} <= set(printed)  # everything the whole file finds
    assert "tls.reuse_after_close_notify" in {k for k, _s, _f in printed}
    assert min(out.at) < len(frames), (out.at, follower.analyses)  # the first ones were printed before the file was complete
    assert exit_code(follower.printed) == exit_code(whole) == 3


def test_verdicts_on_what_did_not_come_wait_for_quiet(tmp_path):
    frames = factory.real_frames("s01_tls12_http_close_notify.pcap")
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(factory.pcap(frames[:6]))  # ClientHello, ServerHello ... and then nothing yet
    s = Session.open(str(cut))
    s.analyze()
    out = io.StringIO()
    follower = Follower(out, quiet=10.0)
    follower.take(s)
    assert "tls.handshake_incomplete" not in out.getvalue()
    assert any(f.kind == "tls.handshake_incomplete" for f in follower.pending.values())
    # the same frames, the stream silent for longer than quiet: decided
    follower_quiet = Follower(io.StringIO(), quiet=0.0)
    follower_quiet.take(s)
    assert "tls.handshake_incomplete" in follower_quiet.out.getvalue()
    # at the end (Ctrl-C) what still stands is printed, once
    follower.take(s, final=True)
    follower.take(s, final=True)
    text = out.getvalue()
    assert text.count("tls.handshake_incomplete") == 1
    assert text.splitlines()[0].startswith(("WARNING ", "ERROR ", "note "))
    # and the handshake finishing in time means it is never printed
    done = Session.open(str(DATA / "s01_tls12_http_close_notify.pcap"))
    done.analyze()
    follower2 = Follower(io.StringIO(), quiet=10.0)
    follower2.take(s)
    follower2.take(done, final=True)
    assert "tls.handshake_incomplete" not in follower2.out.getvalue()


def _wait_lines(proc, n, timeout=60.0):
    """Up to ``n`` lines of the child's output, waiting at most ``timeout`` seconds in all (a reader
    thread: a bare readline would block past the deadline when fewer lines come, and hang the suite)."""
    import queue
    import threading

    got: queue.Queue = queue.Queue()

    def read() -> None:  # exactly n lines at most: the rest is the caller's (communicate)
        for _ in range(n):
            line = proc.stdout.readline()
            if not line:
                break
            got.put(line)
        got.put(None)

    threading.Thread(target=read, daemon=True).start()
    lines = []
    deadline = time.monotonic() + timeout
    while len(lines) < n:
        try:
            line = got.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        lines.append(line)
    return lines


def _env(tmp_path):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop("SSLKEYLOGFILE", None)
    return env


def test_cli_follow_file_ctrl_c_summary_and_exit_code(tmp_path):
    src = tmp_path / "c.pcap"
    src.write_bytes((DATA / S07).read_bytes())
    want = _whole(src)
    p = subprocess.Popen([sys.executable, "-m", "tlstui", "findings", "--follow", str(src), "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(tmp_path))
    lines = _wait_lines(p, len(want))
    p.send_signal(signal.SIGINT)
    rest, err = p.communicate(timeout=60)
    got = [json.loads(x) for x in lines + rest.splitlines()]
    assert sorted((d["kind"], d["stream"]) for d in got) == sorted((f.kind, f.stream) for f in want)
    assert p.returncode == exit_code(want) == 3
    assert err.startswith("tlstui: followed ") and f"{len(want)} findings" in err


def test_cli_follow_live_with_a_standin_capture(tmp_path):
    env = {**_env(tmp_path), "TLSTUI_CAPTURE_PROGRAM": f"dumpcap:{sys.executable} {HERE / 'standin_capture.py'}",
           "STANDIN_SOURCE": str(DATA / S07), "STANDIN_DELAY": "0.03"}
    want = _whole(DATA / S07)
    p = subprocess.Popen([sys.executable, "-m", "tlstui", "findings", "--follow", "-i", "lo"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = _wait_lines(p, len(want))
    p.send_signal(signal.SIGINT)
    rest, err = p.communicate(timeout=60)
    text = "".join(lines) + rest
    assert "ERROR tls.reuse_after_close_notify (stream 0, frames 13,15,17,18)" in text
    assert p.returncode == 3
    assert "captured" in err and "kept in" in err and str(tmp_path / "cache") in err
    p2 = subprocess.run([sys.executable, "-m", "tlstui", "findings", "--follow", "-i", "nosuch0"],
                        capture_output=True, text=True, env=env, timeout=60)
    assert p2.returncode == 2 and "no such interface" in p2.stderr
    p3 = subprocess.run([sys.executable, "-m", "tlstui", "findings", "-i", "lo"], capture_output=True, text=True,
                        env=env, timeout=60)
    assert p3.returncode == 2 and "goes with --follow" in p3.stderr


def test_cli_follow_live_across_the_ring_files(tmp_path):
    """A ring of small files: following moves from one to the next and counts every frame."""
    env = {**_env(tmp_path), "TLSTUI_CAPTURE_PROGRAM": f"dumpcap:{sys.executable} {HERE / 'standin_capture.py'}",
           "STANDIN_SOURCE": str(DATA / S07), "STANDIN_DELAY": "0.05"}
    total = len(factory.real_frames(S07))
    p = subprocess.Popen([sys.executable, "-m", "tlstui", "findings", "--follow", "-i", "lo", "-b", "filesize:3",
                          "-b", "files:50"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(total * 0.05 + 4)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    ring = list((tmp_path / "cache" / "tlstui" / "live").glob("*/live_*.pcapng"))
    assert len(ring) >= 3
    assert f"followed lo: {total} frames in {len(ring)} files" in err, err
    assert p.returncode in (0, 1, 3) and out.count("\n") == len(set(out.splitlines()))


def test_follow_grows_one_session_instead_of_opening_again(tmp_path, monkeypatch):
    """The file is opened once: each growth continues the pass (incremental.grow), and everything the
    whole file finds is printed (findings decided on a part may be printed too, once)."""
    frames = factory.real_frames(S07)
    path = tmp_path / "growing.pcap"
    opened, grown = [], []
    real_open = Session.open.__func__

    def counting_open(cls, *a, **kw):
        s = real_open(cls, *a, **kw)
        opened.append(s)
        return s

    import tlstui.incremental as incremental

    real_grow = incremental.grow

    def counting_grow(session):
        got = real_grow(session)
        grown.append(got)
        return got

    monkeypatch.setattr(Session, "open", classmethod(counting_open))
    monkeypatch.setattr(incremental, "grow", counting_grow)
    done, stop = threading.Event(), threading.Event()
    follower = Follower(io.StringIO())
    writer = threading.Thread(target=_grow, args=(path, frames, 0.05, done))
    writer.start()
    t = threading.Thread(target=follow_file, args=(str(path), follower), kwargs={"stop": stop, "poll": 0.02})
    t.start()
    done.wait(60)
    deadline = time.monotonic() + 30
    while follower.frames < len(frames) and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    t.join(30)
    writer.join()
    assert follower.frames == len(frames)
    assert len(opened) == 1, len(opened)  # never opened again
    assert sum(1 for g in grown if g) >= 3  # it grew several times
    monkeypatch.undo()
    printed = [_key(f) for f in follower.printed]
    assert len(printed) == len(set(printed))
    assert {_key(f) for f in _whole(path)} <= set(printed)
