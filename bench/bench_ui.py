"""Responsiveness of tlstui on a big capture, measured end to end in a real terminal (tmux).

    python /work/shared/tools/gen_capture.py --packets 1000000 --out /tmp/big.pcap
    python bench/bench_ui.py /tmp/big.pcap [--keys 30]

Starts `tlstui FILE` in a detached tmux session (160x48), sends keys with `tmux send-keys`
and polls `tmux capture-pane` until the status line shows the frame the key should select.
So a latency is key -> handlers -> repaint -> terminal, as a person sees it (plus ~2 ms of
polling).  Textual's Pilot cannot measure this while a worker thread runs: it waits for the
process to go idle, which a busy analysis thread never lets happen.

Prints: time to first rows, per-key latency (median / p95 / p99 / max) while the analysis runs
(a burst of keys at its start, then one key every --key-gap seconds through the rest of the pass,
grouped by the progress shown) and after it, and the time to the end of the analysis; then the
same keys timed inside the app (key event -> end of the screen update that draws the moved list
row, and the one that draws the new tree and bytes), which leaves out tmux and the polling.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

SESSION = "tlstui-bench"
LOG = "/tmp/tlstui-bench-keys.log"


def child(capture: str) -> None:
    """Run tlstui with timing hooks: per key, when the list and the details reach the screen."""
    import json

    from textual import events
    from textual.screen import Screen

    from tlstui.ui.app import TlsTuiApp

    log = open(LOG, "w", buffering=1)
    st = {"t0": None, "key": None, "list": None, "details_ready": False}

    def flush(t_details: float | None) -> None:
        if st["t0"] is not None and st["list"] is not None:
            log.write(json.dumps({"key": st["key"], "list_ms": (st["list"] - st["t0"]) * 1000,
                                  "details_ms": None if t_details is None else (t_details - st["t0"]) * 1000,
                                  "analysing": not app.analysis_done.is_set()}) + "\n")

    orig_event = TlsTuiApp.on_event

    async def on_event(self, event):
        if isinstance(event, events.Key) and event.key != st["key"] or (
                isinstance(event, events.Key) and st["t0"] is not None and time.perf_counter() - st["t0"] > 0.005):
            if st["t0"] is not None and st["list"] is not None and not st["details_ready"]:
                flush(None)  # the next key came before the details were drawn (coalesced)
            st.update(t0=time.perf_counter(), key=event.key, list=None, details_ready=False)
        await orig_event(self, event)

    orig_refresh = Screen._compositor_refresh

    def refresh(self):
        r = orig_refresh(self)
        now = time.perf_counter()
        if st["t0"] is not None:
            if st["list"] is None:
                st["list"] = now
            elif st["details_ready"]:
                flush(now)
                st.update(t0=None, details_ready=False)
        return r

    orig_show = TlsTuiApp._show_frame

    async def show(self, number):
        await orig_show(self, number)
        if st["t0"] is not None and time.perf_counter() - st["t0"] > 5.0:
            # Not a key's answer: the details redrawn when the analysis ends, long after the last key
            # (timed from that key, it read as one 48 s key).
            st.update(t0=None, details_ready=False)
            return
        st["details_ready"] = True
        self.screen.refresh()

    TlsTuiApp.on_event = on_event
    Screen._compositor_refresh = refresh
    TlsTuiApp._show_frame = show
    app = TlsTuiApp(capture)
    app.run()


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def status() -> str:
    lines = tmux("capture-pane", "-p", "-t", SESSION).rstrip("\n").splitlines()
    return lines[-2] if len(lines) >= 2 else ""


def wait_for(pred, timeout: float = 30.0, poll: float = 0.002) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if pred(status()):
            return time.perf_counter() - t0
        time.sleep(poll)
    raise TimeoutError(f"status never matched; last: {status()!r}")


def frame_of(line: str) -> int | None:
    m = re.search(r"frame (\d+)", line)
    return int(m.group(1)) if m else None


def press(key: str, expect) -> float:
    t0 = time.perf_counter()
    tmux("send-keys", "-t", SESSION, key)
    wait_for(lambda s: frame_of(s) == expect if not callable(expect) else expect(frame_of(s)), timeout=20)
    return (time.perf_counter() - t0) * 1000


def percentile(vals: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1) of a non-empty list."""
    vals = sorted(vals)
    return vals[min(len(vals) - 1, max(0, int(len(vals) * q + 0.999999) - 1))]


def summary(name: str, vals: list[float]) -> str:
    return (f"  {name:14} n={len(vals):3}  median {statistics.median(vals):6.1f} ms  "
            f"p95 {percentile(vals, 0.95):6.1f} ms  p99 {percentile(vals, 0.99):6.1f} ms  max {max(vals):6.1f} ms")


def all_keys(res: dict[str, list[float]]) -> str:
    """One line over every key of a phase: the number the < 100 ms p95 target is judged on."""
    return summary("all keys", [v for vals in res.values() for v in vals])


def top_line() -> str:
    lines = tmux("capture-pane", "-p", "-t", SESSION).splitlines()
    return "\n".join(lines[:3])


def typed_text() -> str:
    """What is typed in the filter bar, read with its colours (capture-pane -e): the run of text in
    the input's own style, which stops at the cursor cell and leaves out the completion's ghost text
    and the placeholder (a plain capture shows both, and the placeholder holds 'tcp.stream eq')."""
    line = tmux("capture-pane", "-e", "-p", "-t", SESSION).split("\n", 1)[0]
    i = line.find("Filter ")
    if i < 0:
        return ""
    rest = re.sub(r"^(\x1b\[[0-9;]*m)+", "", line[i + len("Filter "):])
    return rest.split("\x1b", 1)[0]


def footer() -> str:
    lines = tmux("capture-pane", "-p", "-t", SESSION).rstrip("\n").splitlines()
    return lines[-1] if lines else ""


def type_filter(text: str) -> list[float]:
    """Open the filter bar and type ``text`` a character at a time; each latency is until the
    typed prefix is on screen.  Escape leaves the bar (the typed text is not applied)."""
    out = []
    before = footer()
    tmux("send-keys", "-t", SESSION, "/")
    t0 = time.perf_counter()
    while footer() == before:  # the footer shows the bar's keys once it has the focus
        if time.perf_counter() - t0 > 20:
            raise TimeoutError("the filter bar never took the focus")
        time.sleep(0.01)
    tmux("send-keys", "-t", SESSION, "C-u")  # anything left from before
    time.sleep(0.2)
    for i, ch in enumerate(text):
        t0 = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "-l", ch)
        if ch == " ":  # tmux drops trailing blanks from what it shows: measured with the next character
            continue
        want = text[:i + 1]
        while typed_text() != want:
            if time.perf_counter() - t0 > 20:
                raise TimeoutError(f"typed {want!r} never showed; the top lines:\n{top_line()}")
            time.sleep(0.002)
        out.append((time.perf_counter() - t0) * 1000)
    tmux("send-keys", "-t", SESSION, "Escape")
    time.sleep(0.3)
    tmux("send-keys", "-t", SESSION, "Escape")
    time.sleep(0.3)
    return out


def run_keys(n: int, page: int) -> dict[str, list[float]]:
    res: dict[str, list[float]] = {}
    cur = frame_of(status()) or 1
    for _ in range(n):
        cur += 1
        res.setdefault("j (down)", []).append(press("j", cur))
    for _ in range(n // 3):
        cur -= 1
        res.setdefault("k (up)", []).append(press("k", cur))
    for _ in range(n // 3):
        res.setdefault("PageDown", []).append(press("PageDown", lambda f, c=cur: f is not None and f > c))
        cur = frame_of(status())
    m = re.search(r"([\d,]+) frames", status())
    last = int(m.group(1).replace(",", "")) if m else 0
    res.setdefault("G (last)", []).append(press("G", last))
    res.setdefault("g (first)", []).append(press("g", 1))
    return res


def keys_through_pass(gap: float) -> dict[str, list[float]]:
    """j and k in turn, one every ``gap`` seconds (a person reading rows), until the pass ends:
    the first keys above all fall in its first phase (the bulk conversation pass, shown as 0%);
    these sample every phase, grouped by the percentage the status line showed."""
    res: dict[str, list[float]] = {}
    cur = frame_of(status()) or 1
    step = 1
    while True:
        st = status()
        if "analysed in" in st or "analysing" not in st:
            return res
        m = re.search(r"analysing\D*?(\d+)%", st)
        pct = int(m.group(1)) if m else -1
        phase = "0%" if pct == 0 else "1-49%" if 0 < pct < 50 else "50-100%" if pct >= 50 else "?"
        cur += step
        try:
            res.setdefault(f"at {phase}", []).append(press("j" if step > 0 else "k", cur))
        except TimeoutError:
            return res
        step = -step
        time.sleep(gap)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture")
    ap.add_argument("--keys", type=int, default=30)
    ap.add_argument("--through", action=argparse.BooleanOptionalAction, default=True,
                    help="after the first keys, keep pressing keys until the pass ends (default on)")
    ap.add_argument("--key-gap", type=float, default=0.25, help="seconds between those keys (default 0.25)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.capture)
        return 0
    tmp = tempfile.mkdtemp(prefix="tlstui-bench-")
    env = f"XDG_CONFIG_HOME={tmp}/c XDG_DATA_HOME={tmp}/d"
    cmd = (f"env {env} {shlex.quote(sys.executable)} {shlex.quote(os.path.abspath(__file__))} --child "
           f"{shlex.quote(args.capture)}")
    tmux("kill-session", "-t", SESSION)
    t0 = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "48", cmd)
    try:
        wait_for(lambda s: "frame 1" in s, timeout=60)
        first = time.perf_counter() - t0
        print(f"first rows on screen: {first * 1000:.0f} ms after start (interpreter and imports included)")
        wait_for(lambda s: "analysing" in s or "analysed" in s, timeout=120)
        print(f"index complete: {time.perf_counter() - t0:.1f} s")
        time.sleep(1.0)
        during = run_keys(args.keys, 46)
        during["filter typing"] = type_filter("tcp.stream eq 7 and tls")
        st = status()
        m = re.search(r"(\d+)%", st)
        print(f"keys while the analysis runs (it was at {m.group(1) if m else '?'}% after them):")
        for k, v in during.items():
            print(summary(k, v))
        print(all_keys(during))
        if args.through:
            through = keys_through_pass(args.key_gap)
            print(f"keys through the rest of the pass, one every {args.key_gap * 1000:.0f} ms "
                  f"(by the progress the status showed at the key):")
            for k, v in through.items():
                print(summary(k, v))
            print(all_keys(through))
        wait_for(lambda s: "analysed in" in s, timeout=3600, poll=0.05)
        m = re.search(r"analysed in ([\d.]+)s", status())
        print(f"analysis finished {time.perf_counter() - t0:.1f} s after start (the pass: {m.group(1) if m else '?'} s)")
        # The findings rules run right after the pass: keys at once, while they run.
        rules = {"j (down)": []}
        cur = frame_of(status()) or 1
        t_end = time.perf_counter() + 1.5
        while time.perf_counter() < t_end:
            cur += 1
            rules["j (down)"].append(press("j", cur))
        print("keys while the findings rules run (the 1.5 s after the pass):")
        for k, v in rules.items():
            print(summary(k, v))
        time.sleep(1.0)
        after = run_keys(args.keys, 46)
        after["filter typing"] = type_filter("tcp.stream eq 7 and tls")
        print("keys after the analysis:")
        for k, v in after.items():
            print(summary(k, v))
        print(all_keys(after))
        print("inside the app (key event -> end of the screen update that shows it):")
        import json

        rows = [json.loads(line) for line in open(LOG)]
        for phase, flag in (("while analysing", True), ("after analysis", False)):
            sel = [r for r in rows if r["analysing"] is flag]
            if not sel:
                continue
            print(f" {phase}:")
            print(summary("list row", [r["list_ms"] for r in sel]))
            det = [r["details_ms"] for r in sel if r["details_ms"] is not None]
            if det:
                print(summary("tree + bytes", det))
    finally:
        tmux("kill-session", "-t", SESSION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
