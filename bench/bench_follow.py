"""--follow on a file growing to 1,000,000 frames: time per growth, and proof it never re-reads.

The generated capture (bench/common.ensure_capture, /tmp/bench_1000000.pcap) is copied into a new
file chunk by chunk, as a capture program would write it (chunks end anywhere, inside a record
too); after each chunk the session is grown (``tlstui.incremental.grow``: what ``findings --follow``
and the TUI's follow worker call).  Printed per growth: new frames, seconds, microseconds per new
frame, the frames the pass fed (always only the new ones), the earlier frames whose bytes were
read again (the reassembler comparing a retransmission with its original, QUIC's late datagrams:
by frame, not by file), and the bytes the process read with read(2) (the file is mapped: 0).  At
the end: the sustained ingest rate (new frames / time in grow) and the peak memory.

    nice -n 10 python bench/bench_follow.py [--frames 1000000] [--chunks 40] [--findings]

``--findings`` also times ``find_all`` after each growth (what ``findings --follow`` runs; the
rules read the whole session, so that part is not incremental).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from common import ensure_capture  # noqa: E402

from tlstui import incremental  # noqa: E402
from tlstui.capture.reader import Capture  # noqa: E402
from tlstui.session import Session  # noqa: E402
from tlstui.tcp import framepass  # noqa: E402


def _rchar() -> int:
    with open("/proc/self/io") as f:
        for line in f:
            if line.startswith("rchar:"):
                return int(line.split()[1])
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--source", default=None, help="capture to copy (default /tmp/bench_FRAMES.pcap, generated)")
    ap.add_argument("--out", default="/tmp/bench_follow_growing.pcap")
    ap.add_argument("--chunks", type=int, default=40, help="growths after the first part")
    ap.add_argument("--first", type=float, default=0.02, help="share of the file written before opening")
    ap.add_argument("--findings", action="store_true", help="time find_all after each growth too")
    args = ap.parse_args()
    src = Path(args.source or f"/tmp/bench_{args.frames}.pcap")
    ensure_capture(src, args.frames)
    size = src.stat().st_size
    out = Path(args.out)
    first = max(24 + 16, int(size * args.first))
    step = (size - first) // args.chunks + 1

    fed: list[tuple[int, int]] = []
    real_feed = framepass.feed_frames

    def feed(capture, start, stop, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        fed.append((start, stop))
        return real_feed(capture, start, stop, *a, **kw)

    incremental.feed_frames = feed
    old_reads = [0, 0]  # [frames numbered <= the length before this growth, bound]
    real_bytes = Capture.frame_bytes

    def frame_bytes(self, number):  # noqa: ANN001
        if number <= old_reads[1]:
            old_reads[0] += 1
        return real_bytes(self, number)

    Capture.frame_bytes = frame_bytes

    with open(src, "rb") as fin, open(out, "wb") as fo:
        fo.write(fin.read(first))
        fo.flush()
        t0 = time.perf_counter()
        s = Session.open(str(out))
        s.analyze()
        t_open = time.perf_counter() - t0
        print(f"first part: {first} bytes, {len(s)} frames, opened and analysed in {t_open:.2f} s")
        print(f"{'growth':>6} {'frames':>9} {'new':>7} {'grow s':>7} {'cpu s':>7} {'us/frame':>8} {'fed':>17} "
              f"{'old reads':>9} {'read(2) B':>9} {'findings s':>10}")
        total_new, total_t, total_cpu, rows = 0, 0.0, 0.0, []
        pos = first
        k = 0
        while pos < size:
            fo.write(fin.read(step))
            fo.flush()
            pos = min(size, pos + step)
            k += 1
            before = len(s)
            fed.clear()
            old_reads[:] = [0, before]
            r0 = _rchar()
            t1, c1 = time.perf_counter(), time.process_time()
            new = incremental.grow(s)
            dt, dc = time.perf_counter() - t1, time.process_time() - c1
            read = _rchar() - r0
            if new is None:
                print("cannot grow: opened again would be needed")
                return 1
            tf = ""
            if args.findings:
                from tlstui.findings import find_all

                t2 = time.perf_counter()
                find_all(s)
                tf = f"{time.perf_counter() - t2:10.2f}"
            total_new += new
            total_t += dt
            total_cpu += dc
            rows.append((new, dt))
            span = f"{fed[0][0] + 1}..{fed[-1][1]}" if fed else "-"
            assert not fed or (fed[0][0] == before and fed[-1][1] == len(s)), fed  # only the new frames
            print(f"{k:6} {len(s):9} {new:7} {dt:7.3f} {dc:7.3f} {1e6 * dt / max(new, 1):8.1f} {span:>17} "
                  f"{old_reads[0]:9} {read:9} {tf:>10}")
    per = [1e6 * dt / n for n, dt in rows if n]
    third = max(1, len(per) // 3)
    print(f"\n{len(s)} frames ({total_new} by {len(rows)} growths); time in grow {total_t:.2f} s")
    print(f"sustained ingest: {total_new / total_t:,.0f} frames/s of wall time, {total_new / total_cpu:,.0f} frames/s "
          f"of this process's CPU time (target >= 20,000; the machine's load: {os.getloadavg()[0]:.1f})")
    print(f"us per new frame: first third {sum(per[:third]) / third:.1f}, last third {sum(per[-third:]) / third:.1f} "
          f"(flat: a growth costs its new frames, not the file)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    s.close()
    os.unlink(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
