"""Long mutation run over the HTTP/2 reader and its fields alone (http/h2.py, http/h2fields.py),
with the checks of tests/fuzz/test_h2_never_raises.py: both directions of a crafted exchange,
mutated, fed in random pieces; never raises, every field inside its frame's bytes.

    python fuzz/h2.py --cases 100000 [--seed 1]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests" / "fuzz")]
from test_h2_never_raises import STREAMS, check, mutate  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0, crashes, frames = time.time(), [], 0
    for k in range(args.cases):
        data = mutate(rng.choice(STREAMS), rng)
        try:
            frames += check(data, random.Random(k))
        except Exception:  # noqa: BLE001 - every escape is a finding of this run
            out = HERE / "crashes" / f"h2-{args.seed}-{k}.bin"
            out.parent.mkdir(exist_ok=True)
            out.write_bytes(data)
            out.with_suffix(".txt").write_text(traceback.format_exc())
            crashes.append(str(out))
    print(f"{args.cases} cases ({frames} frames), {len(crashes)} crashes, {time.time() - t0:.0f} s")
    for c in crashes[:20]:
        print("crash:", c)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
