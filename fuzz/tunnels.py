"""Long mutation run over the tunnel parsers alone: the frames of the crafted tunnel captures, mutated,
through fast.parse_transport (and its whole-column twin, in batches) and the frame's tree, with the
checks of tests/fuzz/test_tunnel_never_raises.py (never raises; the pass and the tree find the same
innermost transport; bulk == per frame).  Much faster per case than fuzz/run.py's whole pipeline.

    python fuzz/tunnels.py --cases 100000 [--seed 1]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "tests"), str(HERE.parent / "tests" / "fuzz")]
from test_tunnel_never_raises import FRAMES, _check, _mutate  # noqa: E402

from tlstui.dissect import fast  # noqa: E402


def _bulk_agrees(frames: list[bytes]) -> None:
    blob = b"".join(frames)
    offsets, pos = [], 0
    for f in frames:
        offsets.append(pos)
        pos += len(f)
    caps = [len(f) for f in frames]
    got = fast.parse_transport_bulk(blob, offsets, caps, [1] * len(frames), caps)
    want = fast.TransportColumns(len(frames))
    for i in range(len(frames)):
        t = fast.parse_transport(blob, offsets[i], caps[i], 1, caps[i])
        if t is not None:
            want.put(i, t, offsets[i])
    for name in fast.TransportColumns.NAMES + ("src6", "dst6"):
        assert (getattr(got, name) == getattr(want, name)).all(), name
    assert got.outer == want.outer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0 = time.time()
    crashes = 0
    batch: list[bytes] = []
    for k in range(args.cases):
        frame = _mutate(rng.choice(FRAMES), rng)
        try:
            _check(frame)
        except Exception:  # noqa: BLE001 - every escape is a finding of this run
            crashes += 1
            out = HERE / "crashes" / f"tunnel-{args.seed}-{k}.bin"
            out.parent.mkdir(exist_ok=True)
            out.write_bytes(frame)
            out.with_suffix(".txt").write_text(traceback.format_exc())
        batch.append(frame)
        if len(batch) == 2000 or k == args.cases - 1:
            try:
                _bulk_agrees(batch)
            except Exception:  # noqa: BLE001
                crashes += 1
                out = HERE / "crashes" / f"tunnel-bulk-{args.seed}-{k}.txt"
                out.parent.mkdir(exist_ok=True)
                out.write_text(traceback.format_exc())
            batch = []
        if k % 5000 == 0:
            print(f"\r{k}/{args.cases} cases, {crashes} failures, {time.time() - t0:.0f} s", end="", flush=True)
    print(f"\r{args.cases}/{args.cases} cases, {crashes} failures, {time.time() - t0:.0f} s")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
