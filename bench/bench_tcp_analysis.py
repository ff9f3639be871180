#!/usr/bin/env python3
"""Time the TCP analysis pass on a large capture, beside tshark on the same file.

    python /work/shared/tools/gen_capture.py --packets 1000000 --out /tmp/big.pcap
    python bench/bench_tcp_analysis.py /tmp/big.pcap [--no-tshark]

Each measurement runs in its own child process, which reports its wall time and peak RSS
(``resource.getrusage``), so the numbers do not include one another:

  pass-no-tcp   the analysis pass without the TCP analyzer (conversations + reassembly, no TLS)
  pass-tcp      the same pass with the TCP analyzer (tcp.analysis.*, tlstui anomalies)
  tshark        ``tshark -2 -r FILE -Y tcp.analysis.flags -T fields -e frame.number``

It prints time, peak memory and the ratios, and checks that both tools flag the same frames.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {src!r})
import tlstui.session as S
S.TlsAnalyzer = None  # TCP layers only: no TLS decoding in this measurement
if not {with_tcp}:
    S.TcpAnalyzer = None
t0 = time.perf_counter()
s = S.Session.open({path!r})
while s.capture.index_more() if hasattr(s.capture, "index_more") else False:
    pass
t1 = time.perf_counter()
s.analyze()
t2 = time.perf_counter()
out = {{"open_s": t1 - t0, "pass_s": t2 - t1, "frames": len(s),
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}
a = s.tcp_analyzer
if a is not None:
    out["flagged"] = sum(1 for f in a.flags if f & 0x7FFF)
    out["analyzer_bytes"] = sum(x.itemsize * len(x) for x in (a.flags, a.acked, a.bif, a.push))
    out["mismatches"] = len(a.mismatches)
    out["synack_no_options"] = len(a.synacks_without_options)
    out["middlebox_groups"] = len(a.middlebox_groups)
    with open({flagged_path!r}, "w") as f:
        f.write("\n".join(str(i + 1) for i, x in enumerate(a.flags) if x & 0x7FFF))
print(json.dumps(out))
"""

TSHARK = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.run(["tshark", "-2", "-n", "-r", {path!r}, "-Y", "tcp.analysis.flags", "-T", "fields",
                    "-e", "frame.number"], capture_output=True, text=True)
t1 = time.perf_counter()
with open({flagged_path!r}, "w") as f:
    f.write(p.stdout)
print(json.dumps({{"pass_s": t1 - t0, "rc": p.returncode, "flagged": len(p.stdout.split()),
                  "maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}}))
"""


def run_child(code: str) -> dict:
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"child failed:\n{p.stderr[-2000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("capture")
    ap.add_argument("--no-tshark", action="store_true")
    args = ap.parse_args()
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    path = os.path.abspath(args.capture)
    ours_flagged, tshark_flagged = "/tmp/bench_tcp_ours.txt", "/tmp/bench_tcp_tshark.txt"
    size = os.path.getsize(path)
    print(f"capture: {path} ({size / 1e6:.0f} MB)")

    base = run_child(CHILD.format(src=src, path=path, with_tcp=False, flagged_path=ours_flagged))
    tcp = run_child(CHILD.format(src=src, path=path, with_tcp=True, flagged_path=ours_flagged))
    frames = tcp["frames"]
    rows = [("pass-no-tcp", base), ("pass-tcp", tcp)]
    ts = None
    if not args.no_tshark and shutil.which("tshark"):
        ts = run_child(TSHARK.format(path=path, flagged_path=tshark_flagged))
        rows.append(("tshark -2 -Y tcp.analysis.flags", ts))

    print(f"frames: {frames:,}")
    print(f"{'run':34s} {'time s':>8s} {'us/frame':>9s} {'peak RSS MB':>12s}")
    for name, r in rows:
        print(f"{name:34s} {r['pass_s']:8.2f} {r['pass_s'] / frames * 1e6:9.2f} {r['maxrss_kb'] / 1024:12.0f}")
    analyzer_s = tcp["pass_s"] - base["pass_s"]
    print(f"TCP analyzer alone (difference):   {analyzer_s:8.2f} s, {analyzer_s / frames * 1e6:.2f} us/frame, "
          f"per-frame arrays {tcp['analyzer_bytes'] / 1e6:.0f} MB")
    print(f"(opening/indexing the file, not included above: {tcp['open_s']:.2f} s)")
    print(f"flagged frames: tlstui {tcp['flagged']:,}"
          + (f", tshark {ts['flagged']:,}" if ts else ""))
    print(f"tlstui anomalies: {tcp['mismatches']} retransmission mismatches, "
          f"{tcp['synack_no_options']} option-less SYN-ACKs, {tcp['middlebox_groups']} middlebox signatures")
    if ts:
        print(f"ratios tlstui/tshark: time {tcp['pass_s'] / ts['pass_s']:.2f}x, "
              f"peak memory {tcp['maxrss_kb'] / ts['maxrss_kb']:.2f}x")
        a = set(open(ours_flagged).read().split())
        b = set(open(tshark_flagged).read().split())
        print(f"same flagged frames as tshark: {a == b}"
              + ("" if a == b else f" (only tlstui {len(a - b)}, only tshark {len(b - a)}; "
                                   f"first {sorted(map(int, a ^ b))[:10]})"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
