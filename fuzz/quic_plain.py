"""Structure-aware mutation run over QUIC: the plaintext of each packet is mutated *before* it is
protected (RFC 9001 keys: Initial from the DCID, Handshake and 1-RTT from a key log carried in a
pcapng Decryption Secrets Block), so every case reaches the frame parser, CRYPTO reassembly, the
TLS handshake inside, the connection tracking, the tree and the QUIC findings (mutating a capture's
protected bytes only breaks the AEAD tag).  Each case is one pcapng through fuzz/pipeline.py with
``strict_rules`` and ``hidden_errors`` (a finding rule's caught failure, or a Python error a safety net
shows as a malformed packet, counts as a crash).

    python fuzz/quic_plain.py --cases 10000 [--seed 1]

Crashing inputs go to fuzz/crashes/quic-SEED-N.pcapng with their traceback.
"""
from __future__ import annotations

import argparse
import gc
import random
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests"), str(HERE.parent / "tests" / "unit" / "quic"),
                str(HERE.parent / "tests" / "fuzz")]
import make_quic_findings_capture as M  # noqa: E402
from factory import dsb, epb, idb, shb  # noqa: E402
from make_quic_capture import crypto  # noqa: E402
from pipeline import run_pipeline  # noqa: E402
from test_h2_never_raises import mutate  # noqa: E402

from tlstui.quic.varint import encode_varint as vi  # noqa: E402

FRAME_BITS = [b"\x00", b"\x01", b"\x02\x00\x00\x00\x00", b"\x03\x05\x00\x00\x00\x01\x02\x03", b"\x06",
              b"\x07\x04tokn", b"\x08", b"\x0f\x00\x00\x03abc", b"\x10\x40\x00", b"\x18\x01\x00\x04abcd" + bytes(16),
              b"\x19\x00", b"\x1a" + bytes(8), b"\x1b" + bytes(8), b"\x1c\x41\x28\x06\x02no", b"\x1d\x41\x00\x00",
              b"\x1e", b"\x30\x03abc", b"\x31", b"\x40\xac", b"\xff" * 8]


def _plaintexts(c: "M.Conn", tag: int) -> dict[str, bytes]:
    ee_fin = crypto(0, M.encrypted_extensions() + M.finished(0x5A))
    return {
        "c_initial": crypto(0, c.ch) + bytes(300),
        "s_initial": M.SH_CRYPTO,
        "s_handshake": ee_fin,
        "c_handshake": crypto(0, M.finished(0xCA)),
        "c_short": b"\x01" + bytes(30),
        "s_short": b"\x1e\x18\x01\x00\x08" + bytes(8) + bytes(16) + b"\x01",
        "close": M.cc_transport(0x12A, b"bad cert") if tag & 1 else M.cc_application(0x101, b"h3"),
    }


def _mutated(p: bytes, rng: random.Random) -> bytes:
    r = rng.random()
    if r < 0.5:
        p = mutate(p, rng)
    elif r < 0.75:  # frames spliced in at a random place
        i = rng.randrange(len(p) + 1)
        p = p[:i] + b"".join(rng.choice(FRAME_BITS) for _ in range(rng.randint(1, 4))) + p[i:]
    elif r < 0.85:  # a CRYPTO frame at a random offset, holding a piece of the original
        a = rng.randrange(len(p) + 1)
        p = crypto(rng.choice([0, 1, 60, 200, 1 << 20]), p[a:a + rng.randint(0, 80)]) + p
    return p + bytes(max(0, 24 - len(p)))  # room for the header protection sample


def case(rng: random.Random) -> bytes:
    tag = rng.choice(list(M.KEYED))
    c = M.Conn(50000 + rng.randrange(1000), rng.randrange(256), tag=tag)
    pt = {k: (_mutated(v, rng) if rng.random() < 0.4 else v) for k, v in _plaintexts(c, tag).items()}
    if rng.random() < 0.1:
        pt["c_initial"] = b"\x06" + vi(0) + vi(len(c.ch)) + c.ch[:rng.randrange(len(c.ch))] + bytes(40)
    datagrams = [c.c(c.c_initial(0, pt["c_initial"])),
                 c.s(c.s_initial(0, pt["s_initial"]) + c.s_handshake(0, pt["s_handshake"])),
                 c.c(c.c_handshake(0, pt["c_handshake"])), c.c(c.c_short(0, pt["c_short"])),
                 c.s(c.s_short(0, pt["s_short"])), c.c(c.c_short(1, pt["close"]))]
    if rng.random() < 0.3:
        rng.shuffle(datagrams)
    if rng.random() < 0.2:
        datagrams.insert(rng.randrange(len(datagrams)), rng.choice(datagrams))
    keys = M.keylog().encode()
    out = [shb(), idb("<", 1), dsb("<", 0x544C534B, keys)]
    for i, d in enumerate(datagrams):
        out.append(epb("<", 0, 1_700_000_000_000_000 + i * 1000, d))
    return b"".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    t0 = time.time()
    crashes = []
    for k in range(args.cases):
        if k % 200 == 0:
            gc.unfreeze()
            gc.collect()
        data = case(rng)
        try:
            run_pipeline(data, dissect_all=True, strict_rules=True, hidden_errors=True)
        except Exception:  # noqa: BLE001 - every escape is a finding of this run
            out = HERE / "crashes" / f"quic-{args.seed}-{k}.pcapng"
            out.parent.mkdir(exist_ok=True)
            out.write_bytes(data)
            out.with_suffix(".txt").write_text(traceback.format_exc())
            crashes.append(str(out))
        if k % 100 == 99:
            print(f"\r{k + 1}/{args.cases} cases, {len(crashes)} crashes, {time.time() - t0:.0f} s", end="", flush=True)
    print(f"\r{args.cases}/{args.cases} cases, {len(crashes)} crashes, {time.time() - t0:.0f} s")
    for c in crashes[:20]:
        print("crash:", c)
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
