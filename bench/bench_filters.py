"""`tlstui fields -Y FILTER` against `tshark -Y FILTER` on the same generated capture (issue 3).

    python bench/bench_filters.py [--packets 1000000] [--capture /tmp/bench_1000000.pcap]
                                  [--filter EXPR ...] [--no-tshark]

Both print only ``frame.number`` of the matching frames, so the time is reading, dissecting what
the filter needs, and filtering.  tshark runs in one pass (no ``-2``), its fastest mode.  The
first row, ``(no filter)``, is tlstui's floor: everything above it is the filter's own cost.
"""
from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

from common import ensure_capture, measure, report, tlstui_cmd, tshark_cmd

FILTERS = [
    "tcp.stream eq 7",
    "ip.addr == 10.0.0.0/8 and tcp.len > 0",
    "tcp.flags.reset == 1",
    "tls.handshake.type == 1",
    "tcp.port in {443, 8443} && !(tcp.len == 0) && frame.len > 100",
]


def count_lines(cmd: list[str]) -> int:
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return out.count("\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--capture", type=Path)
    ap.add_argument("--filter", action="append", help="filters to time (default: the issue's list)")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--check", action="store_true", help="also compare the two frame counts")
    args = ap.parse_args()
    cap = ensure_capture(args.capture or Path(f"/tmp/bench_{args.packets}.pcap"), args.packets)
    shark = None if args.no_tshark else tshark_cmd()
    rows = []
    base = tlstui_cmd() + ["fields", "-r", str(cap), "-e", "frame.number"]
    ts, tm, rc = measure(base)
    assert rc == 0, "tlstui failed"
    rows.append(("(no filter)", ts, tm, 0.0, 0))
    for expr in args.filter or FILTERS:
        ts, tm, rc = measure(base + ["-Y", expr])
        assert rc == 0, f"tlstui failed on {expr!r}"
        ws = wm = 0
        if shark:
            cmd = shark + ["-r", str(cap), "-n", "-Y", expr, "-T", "fields", "-e", "frame.number"]
            ws, wm, _ = measure(cmd)
            if args.check:
                a, b = count_lines(base + ["-Y", expr]), count_lines(cmd)
                print(f"{expr!r}: tlstui {a} frames, tshark {b} frames{'' if a == b else '  <-- differ'}")
        rows.append((f"-Y {expr}", ts, tm, ws, wm))
    report(rows, args.packets)


if __name__ == "__main__":
    main()
