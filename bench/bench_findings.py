"""`tlstui findings` on a generated capture (default 1,000,000 frames), with a per-stage and
per-rule breakdown, against `tshark -q -z expert` (tshark's own anomaly summary) for scale.

    python bench/bench_findings.py [--packets 1000000] [--capture /tmp/big.pcap] [--no-tshark] [--breakdown]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from common import ensure_capture, measure, report, tlstui_cmd, tshark_cmd

_BREAKDOWN = r"""
import json, sys, time, warnings
warnings.simplefilter("ignore")
t0 = time.perf_counter()
from tlstui.session import Session
from tlstui.findings import run_rules
from tlstui.findings.context import Context
from tlstui.findings.rules import RULES
s = Session.open(sys.argv[1]); t1 = time.perf_counter()
s.analyze(); t2 = time.perf_counter()
per_rule = {}
ctx = Context(s)
n = 0
for rule in RULES:
    a = time.perf_counter()
    try:
        n += len(rule.check(ctx))
    except Exception as e:
        per_rule[rule.__name__ + " FAILED"] = str(e)
    per_rule[rule.__name__.rsplit(".", 1)[-1]] = time.perf_counter() - a
t3 = time.perf_counter()
json.dump({"open": t1 - t0, "analyze": t2 - t1, "rules": t3 - t2, "findings": n, "per_rule": per_rule,
           "frames": len(s)}, sys.stdout)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--capture", type=Path)
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--breakdown", action="store_true", help="also time the pass and each rule in-process")
    args = ap.parse_args()
    cap = ensure_capture(args.capture or Path(f"/tmp/bench_{args.packets}.pcap"), args.packets)

    ts, tm, rc = measure(tlstui_cmd() + ["findings", str(cap), "--json"])
    assert rc in (0, 1, 3), f"tlstui findings failed (exit {rc})"
    shark = None if args.no_tshark else tshark_cmd()
    ws = wm = 0
    if shark:
        ws, wm, _ = measure(shark + ["-r", str(cap), "-n", "-q", "-z", "expert"])
    report([("findings --json (whole pass + all rules) vs tshark -z expert", ts, tm, ws, wm)], args.packets)

    if not args.breakdown:
        return
    out = subprocess.run([sys.executable, "-c", _BREAKDOWN, str(cap)], capture_output=True, text=True, check=True)
    b = json.loads(out.stdout)
    print(f"\nin-process: open {b['open']:.2f}s, analysis pass {b['analyze']:.2f}s, "
          f"rules {b['rules']:.2f}s ({b['findings']} findings, {b['frames']} frames)")
    slow = sorted(((v, k) for k, v in b["per_rule"].items() if isinstance(v, float)), reverse=True)[:6]
    print("slowest rules: " + ", ".join(f"{k} {v * 1000:.0f} ms" for v, k in slow))
    failed = {k: v for k, v in b["per_rule"].items() if k.endswith("FAILED")}
    if failed:
        print("FAILED rules:", failed)


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark took {time.perf_counter() - t:.0f}s)")
