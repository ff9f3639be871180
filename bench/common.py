"""Shared helpers for the benchmarks: run a command, measure wall time and its own peak memory."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
GEN = SHARED / "tools" / "gen_capture.py"


def measure(cmd: list[str], stdout=subprocess.DEVNULL) -> tuple[float, int, int]:
    """(seconds, peak RSS in KiB of this child alone, exit status)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss, os.waitstatus_to_exitcode(status)


def ensure_capture(path: Path, packets: int) -> Path:
    if not path.exists():
        if not GEN.exists():
            sys.exit(f"{path} is missing and {GEN} is not there to make it")
        # --seed 5: the capture issue 15 measured, so numbers compare across runs
        subprocess.run([sys.executable, str(GEN), "--packets", str(packets), "--seed", "5", "--out", str(path)],
                       check=True)
    return path


def tlstui_cmd() -> list[str]:
    exe = shutil.which("tlstui")
    return [exe] if exe else [sys.executable, "-m", "tlstui"]


# The preferences the truth files are made with (shared/tools/truth.sh): with tshark's default
# (no out-of-order reassembly) a segment that arrives before the one it follows is decoded at once,
# mid-record, and the TLS records after it read as garbage ("Ignored Unknown Record", alerts that
# are not there) until the stream happens to resynchronise.
TSHARK_PREFS = ["-o", "tcp.relative_sequence_numbers:TRUE", "-o", "tcp.analyze_sequence_numbers:TRUE",
                "-o", "tcp.reassemble_out_of_order:TRUE"]


def tshark_cmd() -> list[str] | None:
    exe = shutil.which("tshark")
    return [exe, *TSHARK_PREFS] if exe else None


def report(rows: list[tuple[str, float, int, float, int]], frames: int) -> None:
    """rows: (what, tlstui s, tlstui KiB, tshark s, tshark KiB)."""
    print(f"{'work':58} {'tlstui':>9} {'tshark':>9} {'ratio':>6} {'tlstui MB':>10} {'tshark MB':>10} {'mem':>5}")
    for what, ts, tm, ws, wm in rows:
        print(f"{what[:58]:58} {ts:8.2f}s {ws:8.2f}s {ts / ws if ws else 0:6.2f} {tm / 1024:10.0f} "
              f"{wm / 1024:10.0f} {tm / wm if wm else 0:5.2f}")
    print(f"({frames} frames; ratio = tlstui / tshark, lower is better)")
