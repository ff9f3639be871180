"""The side-by-side view (`tlstui A B`) on a benchmark pair: time to the diff and to the end of both
analysis passes, and peak memory, headless (Textual's ``run_test``, no terminal).

    python bench/bench_diff_view.py A.pcap B.pcap [--quit-after SECONDS]

Make the pair as bench_diff.py does (``bench_diff.py --capture A.pcap --make-only`` writes B).
Peak memory is sampled every 20 ms over this process and its children (a worker process the diff
forks counts too), and also given as ``ru_maxrss`` of this process and of its largest child.
``--quit-after S`` presses q S seconds after the lists show and reports how long quitting took
(the diff and the passes are cancelled, not waited for).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_kb = 0
        self.stop = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stop.is_set():
            pids, total, seen = [me], 0, set()
            while pids:
                p = pids.pop()
                if p in seen:
                    continue
                seen.add(p)
                total += _rss_kb(p)
                pids += _children(p)
            self.peak_kb = max(self.peak_kb, total)
            time.sleep(0.02)


async def run(a: str, b: str, quit_after: float | None) -> dict:
    from tlstui.ui.diff_view import DiffApp

    app = DiffApp(a, b)
    out: dict = {}
    t0 = time.perf_counter()
    async with app.run_test(size=(160, 48)) as pilot:
        while any(s is None for s in app.sessions):
            await pilot.pause(0.02)
        out["lists shown (s)"] = round(time.perf_counter() - t0, 2)
        if quit_after is not None:
            await pilot.pause(quit_after)
            out["diff done when q pressed"] = app.result is not None
            tq = time.perf_counter()
            await pilot.press("q")
        else:
            while app.result is None and app.error is None:
                await pilot.pause(0.05)
            out["diff done (s)"] = round(time.perf_counter() - t0, 2)
            out["findings"] = len(app.findings)
            while not all(s.finished for s in app.sessions):
                await pilot.pause(0.1)
            out["both analysed (s)"] = round(time.perf_counter() - t0, 2)
            tq = time.perf_counter()
    out["app closed (s after q / after the passes)"] = round(time.perf_counter() - tq, 2)
    out["_tq"] = tq
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--quit-after", type=float)
    args = ap.parse_args()
    sampler = Sampler()
    sampler.start()
    out = asyncio.run(run(args.a, args.b, args.quit_after))
    # asyncio.run returns once the worker thread has ended (it waits for the default executor)
    out["worker ended (s after q / after the passes)"] = round(time.perf_counter() - out.pop("_tq"), 2)
    sampler.stop.set()
    sampler.join()
    out["peak RSS, process tree (MB)"] = round(sampler.peak_kb / 1024)
    out["ru_maxrss self (MB)"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    out["ru_maxrss largest child (MB)"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU seconds: steadier than wall time on a shared machine
    out["CPU s self / children"] = f"{me.ru_utime + me.ru_stime:.1f} / {kids.ru_utime + kids.ru_stime:.1f}"
    for k, v in out.items():
        print(f"{k:32} {v}")


if __name__ == "__main__":
    main()
