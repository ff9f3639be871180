"""`tlstui fields` against `tshark -T fields` on the same generated capture, measured in one run.

    python bench/bench_fields.py [--packets 1000000] [--capture /tmp/big.pcap]
"""
from __future__ import annotations

import argparse
from pathlib import Path

from common import ensure_capture, measure, report, tlstui_cmd, tshark_cmd

FIELDS = ["frame.number", "frame.len", "ip.src", "ip.dst", "ip.ttl", "ip.id", "tcp.stream", "tcp.srcport",
          "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--capture", type=Path)
    args = ap.parse_args()
    cap = ensure_capture(args.capture or Path(f"/tmp/bench_{args.packets}.pcap"), args.packets)
    es = sum((["-e", f] for f in FIELDS), [])
    ts, tm, rc = measure(tlstui_cmd() + ["fields", "-r", str(cap), "-2"] + es)
    assert rc == 0, "tlstui failed"
    shark = tshark_cmd()
    ws = wm = 0
    if shark:
        ws, wm, _ = measure(shark + ["-r", str(cap), "-2", "-n", "-T", "fields"] + es)
    report([(f"fields -2 -e ({len(FIELDS)} L2-L4 fields)", ts, tm, ws, wm)], args.packets)


if __name__ == "__main__":
    main()
