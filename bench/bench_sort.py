"""Sorting the frame list of a big capture, measured in a real terminal (tmux), as a person sees it.

    python /work/shared/tools/gen_capture.py --packets 1000000 --out /tmp/big.pcap
    python bench/bench_sort.py /tmp/big.pcap [--custom tcp.window_size] [--long protocol]

Starts `tlstui FILE` (160x48) with a fresh settings file holding one custom column, waits for the
analysis, then sorts with the keys (`o`, arrows, Enter; `O` reverses) and times each sort from
the Enter to the status line saying "sorted by ...".  The custom column is sorted first, right
after the analysis (its column is built on first use: the first time includes the build), then
again once built.  Last, a sort whose column is slow to build (`--long`, default Protocol: every
frame's tree) is started and keys are timed while it runs; then it is cancelled (capture order).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

SESSION = "tlstui-sort-bench"
CHOOSER = ["", "no", "time", "source", "destination", "protocol", "length"]  # then the custom ones, info


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True).stdout


def screen() -> list[str]:
    return tmux("capture-pane", "-p", "-t", SESSION).rstrip("\n").splitlines()


def status() -> str:
    lines = screen()
    return lines[-2] if len(lines) >= 2 else ""


def wait_for(pred, timeout: float = 60.0, poll: float = 0.005) -> float:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if pred():
            return time.perf_counter() - t0
        time.sleep(poll)
    raise TimeoutError(f"never matched; status: {status()!r}")


def frame_of(line: str) -> int | None:
    m = re.search(r"frame (\d+)", line)
    return int(m.group(1)) if m else None


def sort_by(index: int, mark: str, timeout: float = 600.0) -> tuple[float, str]:
    """Choose row ``index`` of the sort chooser; seconds until the status says it is sorted."""
    tmux("send-keys", "-t", SESSION, "o")
    time.sleep(0.4)
    tmux("send-keys", "-t", SESSION, "Home")  # the chooser opens on the current sort
    for _ in range(index):
        tmux("send-keys", "-t", SESSION, "Down")
    time.sleep(0.3)
    t0 = time.perf_counter()
    tmux("send-keys", "-t", SESSION, "Enter")
    wait_for(lambda: re.search(rf"sorted by .* {mark} \(", status()) is not None, timeout=timeout)
    wall = time.perf_counter() - t0
    m = re.search(r"sorted by (.*?) [▲▼] \(([\d.]+)s\)", status())
    return wall, (f"{m.group(1)}: worker {m.group(2)} s" if m else status())


def reverse(mark: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    tmux("send-keys", "-t", SESSION, "O")
    wait_for(lambda: re.search(rf"sorted by .* {mark} \(", status()) is not None, timeout=600)
    wall = time.perf_counter() - t0
    m = re.search(r"sorted by (.*?) [▲▼] \(([\d.]+)s\)", status())
    return wall, (f"{m.group(1)}: worker {m.group(2)} s" if m else status())


def key_latency(n: int) -> list[float]:
    out = []
    for _ in range(n):
        cur = frame_of(status())
        t0 = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "j")
        wait_for(lambda c=cur: frame_of(status()) not in (None, c), timeout=20, poll=0.002)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture")
    ap.add_argument("--custom", default="tcp.window_size", help="the custom column to sort by")
    ap.add_argument("--long", default="protocol", choices=CHOOSER[1:] + ["info"],
                    help="a sort to time keys against while it runs")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tlstui-sort-bench-")
    os.makedirs(f"{tmp}/c/tlstui")
    with open(f"{tmp}/c/tlstui/settings.json", "w") as f:
        json.dump({"custom_columns": [args.custom], "show_findings": True}, f)
    cmd = (f"env XDG_CONFIG_HOME={tmp}/c XDG_DATA_HOME={tmp}/d {shlex.quote(sys.executable)} -m tlstui "
           f"{shlex.quote(args.capture)}")
    tmux("kill-session", "-t", SESSION)
    tmux("new-session", "-d", "-s", SESSION, "-x", "160", "-y", "48", cmd)
    custom_index = len(CHOOSER)
    try:
        wait_for(lambda: "analysed in" in status() and "findings" in status(), timeout=3600, poll=0.2)
        m = re.search(r"([\d,]+) frames.*analysed in ([\d.]+)s", status())
        print(f"{m.group(1) if m else '?'} frames, analysed in {m.group(2) if m else '?'} s")
        time.sleep(1.0)
        print("sort (Enter -> status line 'sorted by'; the worker's own time in brackets):")
        for label, index, mark in (
                (f"custom {args.custom}, first use", custom_index, "▲"),
                ("  the same, reversed (O)", None, "▼"),
                ("Time", CHOOSER.index("time"), "▲"),
                ("Length", CHOOSER.index("length"), "▲"),
                ("  reversed (O)", None, "▼"),
                ("Source, first use", CHOOSER.index("source"), "▲"),
                ("  reversed (O)", None, "▼"),
                (f"custom {args.custom}, built", custom_index, "▲")):
            wall, what = reverse(mark) if index is None else sort_by(index, mark)
            print(f"  {label:40s} {wall:7.2f} s   ({what})")
        # A sort whose column takes long: keys while it is built, then back to capture order.
        idx = CHOOSER.index(args.long) if args.long in CHOOSER else custom_index + 1
        tmux("send-keys", "-t", SESSION, "o")
        time.sleep(0.4)
        tmux("send-keys", "-t", SESSION, "Home")
        for _ in range(idx):
            tmux("send-keys", "-t", SESSION, "Down")
        tmux("send-keys", "-t", SESSION, "Enter")
        time.sleep(3.0)
        m = re.search(r"sort[^%]*%", status())
        print(f"while sorting by {args.long} ({m.group(0) if m else status()}):")
        lat = sorted(key_latency(30))
        print(f"  j (down)  n={len(lat)}  median {statistics.median(lat):.1f} ms  "
              f"p95 {lat[int(len(lat) * 0.95) - 1]:.1f} ms  max {max(lat):.1f} ms")
        t0 = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "o")
        time.sleep(0.4)
        tmux("send-keys", "-t", SESSION, "Home", "Enter")
        wait_for(lambda: "sort" not in status(), timeout=60)
        print(f"  cancelled (capture order) in {time.perf_counter() - t0:.2f} s (0.4 s of it waiting for the chooser)")
    finally:
        tmux("kill-session", "-t", SESSION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
