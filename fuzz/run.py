"""Long mutation-fuzzing run over the whole pipeline, seeded from the real test captures.

    python fuzz/run.py --cases 100000 [--seed 1] [--jobs 2] [--only NAME-PART] [--seed-dir DIR] [--strict-rules]
                       [--hidden-errors]

Each case takes a seed capture, applies 1-8 random mutations (byte flips, overwrites with
interesting values, truncation, chunk duplication/removal, length-field corruption), and runs
fuzz/pipeline.py on it.  Crashing inputs are written to fuzz/crashes/ with their traceback;
keep each fixed one as a regression test in tests/fuzz/regressions/.
"""
from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from pipeline import run_pipeline  # noqa: E402

DATA = HERE.parent / "tests" / "data"
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x16, 0x15, 0x17, 0x14, 0x03, 0x01, 0xFE, 0xFD]


def seeds(max_size: int = 64 * 1024, only: str = "", seed_dir: Path = DATA) -> list[bytes]:
    """The test captures up to ``max_size`` bytes (those whose name contains ``only``)."""
    out = []
    for p in sorted(Path(seed_dir).iterdir()):
        if p.suffix in (".pcap", ".pcapng") and p.stat().st_size <= max_size and only in p.name:
            out.append(p.read_bytes())
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not b:
            break
        op = rng.randrange(7)
        i = rng.randrange(len(b))
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice(INTERESTING)
        elif op == 2:  # a length-looking 16-bit field set large
            b[i:i + 2] = rng.choice([b"\xff\xff", b"\x40\x00", b"\x00\x00", b"\x00\x01"])
        elif op == 3:
            del b[rng.randrange(24, max(25, len(b))):]
        elif op == 4:
            j = min(len(b), i + rng.randint(1, 64))
            b[i:i] = b[i:j]
        elif op == 5:
            j = min(len(b), i + rng.randint(1, 64))
            del b[i:j]
        else:
            b[i:i + 4] = rng.randbytes(4)
    return bytes(b)


def worker(args: tuple[int, int, int, str, str, bool, bool]) -> tuple[int, list[str]]:
    start, count, seed, only, seed_dir, strict, hidden = args
    rng = random.Random(seed * 1_000_003 + start)
    corpus = seeds(only=only, seed_dir=Path(seed_dir))
    crashes = []
    for k in range(count):
        if k % 200 == 0:  # the pass freezes what the collector tracks (Session.analyze): let it go now and then
            gc.unfreeze()
            gc.collect()
        data = mutate(rng.choice(corpus), rng)
        try:
            run_pipeline(data, dissect_all=(k % 4 == 0) or hidden, strict_rules=strict, hidden_errors=hidden)
        except Exception:  # noqa: BLE001 - every escape is a finding of this run
            out = HERE / "crashes" / f"crash-{seed}-{start + k}.pcap"
            out.parent.mkdir(exist_ok=True)
            out.write_bytes(data)
            out.with_suffix(".txt").write_text(traceback.format_exc())
            crashes.append(str(out))
    return count, crashes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=max(1, mp.cpu_count()))
    ap.add_argument("--only", default="", help="seed from the test captures whose name contains this (tunnel_)")
    ap.add_argument("--seed-dir", default=str(DATA),
                    help="where the seed captures are (default tests/data; fuzz/seeds holds pcapngs whose "
                         "Decryption Secrets Blocks let the pass decrypt HTTP/2 and QUIC's Handshake/1-RTT)")
    ap.add_argument("--strict-rules", action="store_true",
                    help="a finding rule that fails (a tlstui.rule_error note) counts as a crash")
    ap.add_argument("--hidden-errors", action="store_true",
                    help="a Python error a dissector's safety net shows as '[Malformed Packet: IndexError]' counts "
                         "as a crash (every case then dissects every frame)")
    args = ap.parse_args()
    if not seeds(only=args.only, seed_dir=Path(args.seed_dir)):
        ap.error(f"no seed capture in {args.seed_dir} matches --only {args.only!r}")
    chunk = 500
    tasks = [(s, min(chunk, args.cases - s), args.seed, args.only, args.seed_dir, args.strict_rules,
              args.hidden_errors)
             for s in range(0, args.cases, chunk)]
    t0 = time.time()
    done, crashes = 0, []
    with mp.Pool(args.jobs) as pool:
        for n, c in pool.imap_unordered(worker, tasks):
            done += n
            crashes += c
            print(f"\r{done}/{args.cases} cases, {len(crashes)} crashes, {time.time() - t0:.0f} s", end="", flush=True)
    print()
    for c in crashes[:20]:
        print("crash:", c)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
