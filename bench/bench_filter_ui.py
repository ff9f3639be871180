"""Applying display filters in the TUI on a big capture, timed in a real terminal (tmux) as a person
sees it, beside tshark reading the same filter from the file, in the same run (issue 15).

    python bench/bench_filter_ui.py /tmp/bench_1000000.pcap [--no-tshark]

Starts `tlstui FILE` (160x48), waits for the analysis, then for each filter of FILTERS: types it in
the filter bar (`/`, the text, Enter) and times Enter -> the status line showing "shown N" with no
"filtering" left. Each filter is applied twice: the first time builds its fields' columns (a field
seen for the first time; target <= 0.5x tshark's `-2 -Y F` on the same file), the second finds them
built (target < 0.3 s at 1M frames). While the `--keys-on` filter's columns are built (by default
x509sat.uTF8String, the longest build), `f` (findings pane shown/hidden) is timed until the screen
shows it (target < 100 ms; the list is empty until a filter ends, so cursor keys would show nothing). The shown count is
checked against tshark's row count.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_sort as ui  # noqa: E402  (the tmux helpers)
from common import measure, tshark_cmd  # noqa: E402

ui.SESSION = "tlstui-filter-bench"
# The filters of issue 15's list (bench_scale.FILTERS), every one timed in every run.
from bench_scale import FILTERS  # noqa: E402


def shown() -> int | None:
    st = ui.status()
    if "filtering" in st:
        return None
    m = re.search(r"shown ([\d,]+)", st)
    return int(m.group(1).replace(",", "")) if m else None


def _screen() -> str:
    """The screen without the lines a running filter changes by itself (its progress in the status)."""
    lines = ui.tmux("capture-pane", "-p", "-t", ui.SESSION).splitlines()
    return "\n".join(ln for ln in lines if "frames" not in ln and "filtering" not in ln)


def keys_while_filtering(n: int = 20, gap: float = 0.25) -> list[float]:
    """Latency (ms) of `f` (the findings pane shown/hidden: the panes' layout changes) while the
    status still says "filtering": until the screen shows the change.  The list itself is empty
    until the filter ends, so cursor keys would show nothing.  An even number of presses leaves
    the pane as it was.  ``gap`` seconds between presses, as a person's (bench_ui's --key-gap): a key
    sent while the last one is still being drawn is measured from the wrong screen."""
    out = []
    for k in range(n):
        if k:
            time.sleep(gap)
        if "filtering" not in ui.status():
            break
        before = _screen()
        t0 = time.perf_counter()
        ui.tmux("send-keys", "-t", ui.SESSION, "f")
        try:
            ui.wait_for(lambda b=before: _screen() != b, timeout=20, poll=0.002)
        except TimeoutError:
            break
        out.append((time.perf_counter() - t0) * 1000)
    if len(out) % 2:
        ui.tmux("send-keys", "-t", ui.SESSION, "f")
    return out


def apply(text: str, timeout: float = 1800.0, keys_while: bool = False) -> tuple[float, int, list[float]]:
    """Seconds from Enter to the filter's result on screen, the shown count, key latencies (ms)."""
    ui.tmux("send-keys", "-t", ui.SESSION, "/")
    time.sleep(0.3)
    ui.tmux("send-keys", "-t", ui.SESSION, "C-l")  # clear what is applied: the count must change
    ui.wait_for(lambda: "shown" not in ui.status(), timeout=60)
    ui.tmux("send-keys", "-t", ui.SESSION, "/")
    time.sleep(0.3)
    ui.tmux("send-keys", "-t", ui.SESSION, "-l", text)
    time.sleep(0.3)
    t0 = time.perf_counter()
    ui.tmux("send-keys", "-t", ui.SESSION, "Enter")
    lat: list[float] = []
    done = None
    while time.perf_counter() - t0 < timeout:
        if shown() is not None and "filtering" not in ui.status():
            done = time.perf_counter() - t0
            break
        if keys_while and not lat and time.perf_counter() - t0 > 0.3 and "filtering" in ui.status():
            lat = keys_while_filtering()  # the result's time then includes the keys' handling too
        time.sleep(0.01)
    if done is None:
        raise TimeoutError(f"filter {text!r} never finished; status: {ui.status()!r}")
    return done, shown() or 0, lat


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--keys-on", default="x509sat.uTF8String",
                    help="the filter during whose first application keys are timed (default: the one whose "
                         "column build takes longest; its first time then includes the keys' handling)")
    args = ap.parse_args()
    shark = None if args.no_tshark else tshark_cmd()
    tmp = tempfile.mkdtemp(prefix="tlstui-filter-bench-")
    # tmux's server may be older than this process: what it runs gets this environment explicitly.
    path = f"PYTHONPATH={shlex.quote(os.environ['PYTHONPATH'])} " if os.environ.get("PYTHONPATH") else ""
    cmd = (f"env {path}XDG_CONFIG_HOME={tmp}/c XDG_DATA_HOME={tmp}/d {shlex.quote(sys.executable)} -m tlstui "
           f"{shlex.quote(args.capture)}")
    ui.tmux("kill-session", "-t", ui.SESSION)
    ui.tmux("new-session", "-d", "-s", ui.SESSION, "-x", "160", "-y", "48", cmd)
    rows = []
    try:
        ui.wait_for(lambda: "analysed in" in ui.status(), timeout=3600, poll=0.2)
        m = re.search(r"([\d,]+) frames.*analysed in ([\d.]+)s", ui.status())
        print(f"{m.group(1) if m else '?'} frames, analysed in {m.group(2) if m else '?'} s")
        time.sleep(2.0)
        ui.tmux("send-keys", "-t", ui.SESSION, "Escape")
        print(f"\n{'filter':44} {'first':>8} {'again':>7} {'tshark':>8} {'ratio':>6}  shown")
        for flt in FILTERS:
            first, count, lat = apply(flt, keys_while=flt == args.keys_on)
            again, count2, _ = apply(flt)
            ws, rc_rows = 0.0, None
            if shark:
                with open("/tmp/bench_filter_ui_tshark.out", "wb") as out:
                    ws, _wm, _rc = measure(shark + ["-2", "-n", "-r", args.capture, "-Y", flt, "-T", "fields",
                                                    "-e", "frame.number"], stdout=out)
                with open("/tmp/bench_filter_ui_tshark.out", "rb") as f:
                    rc_rows = sum(1 for _ in f)
            same = "" if rc_rows is None else ("same as tshark" if rc_rows == count == count2 else
                                               f"DIFFERENT: tshark {rc_rows}")
            print(f"{flt[:44]:44} {first:7.2f}s {again:6.2f}s {ws:7.1f}s {first / ws if ws else 0:6.2f}  "
                  f"{count} {same}")
            rows.append(f"| `{flt}` | {first:.2f} s | {again:.2f} s | {ws:.1f} s | {first / ws if ws else 0:.2f} | "
                        f"{count:,} {same} |")
            if lat:
                lat.sort()
                print(f"  keys while filtering (f, the findings pane): n={len(lat)} median {statistics.median(lat):.0f} ms "
                      f"p95 {lat[max(0, int(len(lat) * 0.95) - 1)]:.0f} ms max {max(lat):.0f} ms")
    finally:
        ui.tmux("kill-session", "-t", ui.SESSION)
    print("\n| filter (TUI, Enter -> result on screen) | first time | columns built | tshark -2 -Y | ratio | shown |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
