"""Performance at scale, side by side with tshark on the same file, in one run (issue 8).

    python bench/bench_scale.py [--packets 1000000 5000000] [--capture FILE] [--no-tshark]

Measures, each in its own child process:
  first-rows    open the capture and draw the first screen of rows (50 frame trees)
  analysis      the whole pass (index, streams, TCP analysis, reassembly, TLS) plus findings
  fields -Y F   `tlstui fields -Y F -e frame.number` for the benchmark filters
and the same work in tshark (`tshark -2 -Y tcp.analysis.flags`, `tshark -2 -Y F`).
Memory: tlstui's heap is RssAnon (the memory map's file pages are not the index and are
shared with the page cache) of the session process plus that of the TCP analysis child
(tcp/offload.py) at its end; tshark reads with read(), so its peak RSS is all heap.
The last lines are a markdown table for the README.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from common import ensure_capture, measure, tlstui_cmd, tshark_cmd

# The filters people type (issue 15's list), every one timed and printed in every run.
FILTERS = ["tcp.analysis.flags", "tcp.analysis.retransmission", "tcp.analysis.duplicate_ack", "tls.alert_message",
           "frame.time_delta > 0.2", "tcp.window_size < 1000", "tcp.options.mss_val < 1400",
           'tls.handshake.extensions_server_name contains "example"', "x509sat.uTF8String",
           "tls.handshake.type == 1", "ip.addr == 10.0.0.0/8 and tcp.len > 0", "tcp.stream eq 7",
           "tcp.flags.reset == 1"]
# `fields` with 13 L2-L4 fields and no filter.
L234 = ["frame.number", "frame.time_relative", "frame.len", "eth.src", "ip.src", "ip.dst", "ip.ttl", "tcp.stream",
        "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.len"]
SRC = str(Path(__file__).resolve().parent.parent / "src")

CHILD = r"""
import json, sys, time
sys.path.insert(0, %(src)r)
t0 = time.perf_counter()
from tlstui.session import Session

def status():
    out = {}
    for line in open("/proc/self/status"):
        k, _, v = line.partition(":")
        if k in ("VmHWM", "RssAnon", "RssFile"):
            out[k] = int(v.split()[0])
    return out

mode = sys.argv[1]
# As `tlstui findings` opens it: a file read once (final: no running state kept for growing it).
s = Session.open(%(cap)r, lazy=(mode == "first"), final=(mode != "first"))
if mode == "first":
    for n in range(1, 51):
        s.tree(n).info
    print(json.dumps({"seconds": time.perf_counter() - t0, **status()}))
else:
    s.analyze()
    t1 = time.perf_counter()
    from tlstui.findings import find_all
    found = find_all(s)
    t2 = time.perf_counter()
    print(json.dumps({"seconds": t2 - t0, "pass": t1 - t0, "findings": t2 - t1, "n_findings": len(found),
                      "frames": len(s), "offload_heap_kb": s.offload_heap_kb, **status()}))
"""


def _lines(path: str) -> list[bytes]:
    with open(path, "rb") as f:
        return f.read().splitlines()


def _differing(a: list[bytes], b: list[bytes]) -> int:
    return sum(1 for x, y in zip(a, b) if x != y) + abs(len(a) - len(b))


def child(cap: Path, mode: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD % {"src": SRC, "cap": str(cap)}, mode],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_size(packets: int, capture: Path | None, shark: list[str] | None, filters: bool = True) -> list[str]:
    """Measure one capture size; returns the markdown table rows."""
    cap = ensure_capture(capture or Path(f"/tmp/bench_{packets}.pcap"), packets)
    rows = []
    first = child(cap, "first")
    print(f"first rows: {first['seconds']:.2f} s to open and dissect the first 50 frames (target < 0.5 s)")
    rows.append(f"| first screen of rows | {first['seconds']:.2f} s | | | | | |")

    full = child(cap, "full")
    frames = full["frames"]
    heap_kb = full["RssAnon"] + full["offload_heap_kb"]  # both processes' heaps, at their ends
    print(f"analysis:   pass {full['pass']:.1f} s + findings {full['findings']:.1f} s = {full['seconds']:.1f} s; "
          f"{full['n_findings']} findings; heap {heap_kb / 1024:.0f} MB = {full['RssAnon'] / 1024:.0f} MB + "
          f"TCP analysis child {full['offload_heap_kb'] / 1024:.0f} MB ({heap_kb * 1024 / frames:.0f} B/frame); "
          f"peak RSS incl. mapped file pages {full['VmHWM'] / 1024:.0f} MB")
    ws = wm = 0.0
    if shark:
        ws, wm, _ = measure(shark + ["-2", "-n", "-r", str(cap), "-Y", "tcp.analysis.flags", "-T", "fields",
                                     "-e", "frame.number"])
        print(f"tshark -2 -Y tcp.analysis.flags: {ws:.1f} s, peak {wm / 1024:.0f} MB")
        print(f"  ratio time {full['seconds'] / ws:.2f} (target <= 0.3), memory {heap_kb / wm:.2f} (target <= 0.2)")
    rows.append(f"| analysis + findings (vs `tshark -2 -Y tcp.analysis.flags`) | {full['seconds']:.1f} s | {ws:.1f} s | "
                f"{full['seconds'] / ws if ws else 0:.2f} | {heap_kb / 1024:.0f} MB ({heap_kb * 1024 / frames:.0f} B/frame) | "
                f"{wm / 1024:.0f} MB | {heap_kb / wm if wm else 0:.2f} |")
    print(f"\n{'filter':44} {'tlstui':>8} {'tshark':>8} {'ratio':>6} {'tlstui MB':>9} {'tshark MB':>9}")
    runs = [(f"`fields -Y '{flt}'`", flt, ["-Y", flt, "-e", "frame.number"]) for flt in (FILTERS if filters else [])]
    if filters:
        runs.append(("fields, 13 L2-L4 fields, no filter", "13 L2-L4 fields, no filter",
                     [a for f in L234 for a in ("-e", f)]))
    for label, short, args in runs:
        # Both outputs are kept and compared: a fast answer only counts if it is tshark's answer.
        with open("/tmp/bench_tlstui.out", "wb") as out:
            ts, tm, rc = measure(tlstui_cmd() + ["fields", "-r", str(cap), "-2"] + args, stdout=out)
        ws = wm = 0.0
        same = "not compared"
        if shark:
            with open("/tmp/bench_tshark.out", "wb") as out:
                ws, wm, _ = measure(shark + ["-2", "-n", "-r", str(cap), "-T", "fields"] + args, stdout=out)
            mine, theirs = _lines("/tmp/bench_tlstui.out"), _lines("/tmp/bench_tshark.out")
            same = f"same {len(mine)} rows" if mine == theirs else \
                f"DIFFERENT: {len(mine)} rows vs tshark's {len(theirs)}, {_differing(mine, theirs)} differ"
        print(f"{short[:44]:44} {ts:7.1f}s {ws:7.1f}s {ts / ws if ws else 0:6.2f} {tm / 1024:9.0f} {wm / 1024:9.0f}"
              f"  {same}")
        rows.append(f"| {label} | {ts:.1f} s | {ws:.1f} s | {ts / ws if ws else 0:.2f} | "
                    f"{tm / 1024:.0f} MB peak RSS* | {wm / 1024:.0f} MB | {same} |")
    print(f"({frames} frames; tlstui peak MB for fields includes mapped file pages)")
    return [f"**{frames:,} frames** ({cap.stat().st_size / 1e6:.0f} MB)", "",
            "| work | tlstui | tshark | time ratio | tlstui memory | tshark peak | memory ratio / output |",
            "|---|---|---|---|---|---|---|", *rows, ""]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--capture", type=Path, help="use this capture (one size only)")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--no-filters", action="store_true", help="leave out the fields -Y runs")
    args = ap.parse_args()
    shark = None if args.no_tshark else tshark_cmd()
    table = []
    for packets in args.packets:
        table += run_size(packets, args.capture if len(args.packets) == 1 else None, shark, not args.no_filters)
    print("\n" + "\n".join(table))


if __name__ == "__main__":
    main()
