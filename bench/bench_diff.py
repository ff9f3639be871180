"""`tlstui diff A B` on two 1,000,000-frame captures of the same traffic, against tshark reading both.

A is gen_capture.py's capture (a point next to the clients); B is made from A by ``make_b`` below:
the same packets as a point next to the servers would see them (B's clock ``--offset`` seconds
ahead, client->server packets later by the path's 2 ms, server->client packets earlier, TTL one
lower on arrival), plus a few impairments: client data segments dropped, client
data segments with a byte rewritten, client data segments held back 30 ms, client SYNs with their MSS clamped, RSTs forged towards the
servers.  Both timings come from the same run:

    python bench/bench_diff.py [--packets 1000000] [--capture A.pcap] [--offset 3.25] [--no-tshark]
                               [--dissect] [--stages]

The baseline is what the issue names, ``tshark -r A -q`` + ``tshark -r B -q``; ``--dissect`` adds
``tshark -r X -q -z conv,tcp`` per file (tshark with -q and no tap does not dissect at all).
"""
from __future__ import annotations

import argparse
import json
import random
import struct
import subprocess
import sys
import time
from pathlib import Path

from common import ensure_capture, measure, tlstui_cmd, tshark_cmd

REC = struct.Struct("<IIII")


def _records(data: bytes):
    """(ts_ns, offset of the frame, caplen, origlen) of a little-endian pcap (µs or ns)."""
    magic = data[:4]
    scale = 1000 if magic == b"\xd4\xc3\xb2\xa1" else 1 if magic == b"\x4d\x3c\xb2\xa1" else None
    if scale is None:
        sys.exit("make_b: a little-endian pcap is expected (gen_capture.py writes one)")
    at, n = 24, len(data)
    while at + 16 <= n:
        sec, frac, cap, orig = REC.unpack_from(data, at)
        yield sec * 1_000_000_000 + frac * scale, at + 16, cap, orig
        at += 16 + cap


def _ip_checksum(hdr: bytearray) -> None:
    hdr[10:12] = b"\0\0"
    s = sum(struct.unpack(f">{len(hdr) // 2}H", bytes(hdr)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    hdr[10:12] = struct.pack(">H", ~s & 0xFFFF)


def make_b(a_path: Path, b_path: Path, offset_s: float, seed: int = 11, drops: int = 5, rewrites: int = 5,
           clamps: int = 3, forged: int = 2, held: int = 3) -> dict:
    """Write B from A; returns what was done (frame numbers of A)."""
    rnd = random.Random(seed)
    data = a_path.read_bytes()
    recs = list(_records(data))
    client_data, client_syn = [], []
    for i, (_t, off, cap, _o) in enumerate(recs):
        if cap < 54 or data[off + 12:off + 14] != b"\x08\x00" or data[off + 23] != 6:
            continue
        ihl = (data[off + 14] & 15) * 4
        tcp = off + 14 + ihl
        sport = data[tcp] << 8 | data[tcp + 1]
        if sport in (443, 8443):
            continue
        flags = data[tcp + 13]
        thl = (data[tcp + 12] >> 4) * 4
        if flags & 0x02 and not flags & 0x10:
            client_syn.append(i)
        elif cap > 14 + ihl + thl:
            client_data.append(i)
    picked = rnd.sample(client_data, drops + rewrites + forged + held)
    drop, rewrite = set(picked[:drops]), set(picked[drops:drops + rewrites])
    forge, hold = picked[drops + rewrites:drops + rewrites + forged], set(picked[drops + rewrites + forged:])
    clamp = set(rnd.sample(client_syn, clamps))
    off_ns = int(offset_s * 1e9)
    out = []
    for i, (t, off, cap, orig) in enumerate(recs):
        frame = bytearray(data[off:off + cap])
        to_server = True
        if cap >= 34 and frame[12:14] == b"\x08\x00" and frame[23] == 6:
            ihl = (frame[14] & 15) * 4
            tcp = 14 + ihl
            to_server = (frame[tcp] << 8 | frame[tcp + 1]) not in (443, 8443)
        delay = 2_000_000 + (30_000_000 if i in hold else 0)  # a few held back 30 ms: reordered
        if to_server:
            if i in drop:
                continue
            frame[22] -= 1  # one hop further
            if i in rewrite:
                thl = (frame[tcp + 12] >> 4) * 4
                frame[tcp + thl + 10] ^= 0x20
            if i in clamp:
                opts = frame[tcp + 20:tcp + (frame[tcp + 12] >> 4) * 4]
                k = opts.find(b"\x02\x04")
                if k >= 0:
                    frame[tcp + 20 + k + 2:tcp + 20 + k + 4] = struct.pack(">H", 1400)
            hdr = frame[14:14 + ihl]
            _ip_checksum(hdr)
            frame[14:14 + ihl] = hdr
            tb = t + off_ns + delay
        else:
            frame[22] += 1  # B is one hop nearer the server
            hdr = frame[14:14 + ihl]
            _ip_checksum(hdr)
            frame[14:14 + ihl] = hdr
            tb = t + off_ns - delay
        out.append((tb, bytes(frame), orig))
        if i in forge:  # a RST in the client's name, right after this segment, that only B sees
            ihl = (frame[14] & 15) * 4
            tcp = 14 + ihl
            rst = bytearray(frame[:tcp + 20])
            rst[16:18] = struct.pack(">H", ihl + 20)
            rst[22] = 99
            rst[tcp + 12] = 0x50
            rst[tcp + 13] = 0x14
            hdr = rst[14:14 + ihl]
            _ip_checksum(hdr)
            rst[14:14 + ihl] = hdr
            out.append((tb + 1000, bytes(rst), len(rst)))
    out.sort(key=lambda r: r[0])
    with open(b_path, "wb") as f:
        f.write(data[:24])
        w = f.write
        for t, frame, orig in out:
            w(REC.pack(t // 1_000_000_000, (t % 1_000_000_000) // (1000 if data[:4] == b"\xd4\xc3\xb2\xa1" else 1),
                       len(frame), max(orig, len(frame))))
            w(frame)
    return {"dropped": sorted(i + 1 for i in drop), "rewritten": sorted(i + 1 for i in rewrite),
            "mss_clamped": sorted(i + 1 for i in clamp), "forged_rst_after": sorted(i + 1 for i in forge),
            "held_30ms": sorted(i + 1 for i in hold),
            "frames_b": len(out), "offset_s": offset_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=1_000_000)
    ap.add_argument("--capture", type=Path, help="capture A (default /tmp/bench_PACKETS.pcap, made if missing)")
    ap.add_argument("--offset", type=float, default=3.25, help="B's clock minus A's, seconds")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--dissect", action="store_true", help="also time tshark -q -z conv,tcp on both")
    ap.add_argument("--stages", action="store_true", help="also run the diff once in a child and print its stages")
    ap.add_argument("--make-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    a = ensure_capture(args.capture or Path(f"/tmp/bench_{args.packets}.pcap"), args.packets)
    b = a.with_name(a.stem + f".b{args.offset:g}.pcap")
    if args.make_only:
        t0 = time.perf_counter()
        done = make_b(a, b, args.offset)
        print(f"made {b} in {time.perf_counter() - t0:.1f} s: {json.dumps(done)}")
        return
    if not b.exists():  # in a child, so that this process stays small (its children inherit its peak RSS)
        subprocess.run([sys.executable, __file__, "--make-only", "--capture", str(a), "--offset", str(args.offset)],
                       check=True)
    ts, tm, rc = measure(tlstui_cmd() + ["diff", str(a), str(b), "--json"],
                         stdout=open(b.with_suffix(".diff.json"), "w"))
    assert rc in (0, 1, 3), f"tlstui diff failed (exit {rc})"
    found = json.loads(b.with_suffix(".diff.json").read_text())
    kinds: dict[str, int] = {}
    for f in found:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    rows = [("tlstui diff A B --json", ts, tm)]
    shark = None if args.no_tshark else tshark_cmd()
    if shark:
        wa, ma, _ = measure(shark + ["-r", str(a), "-q"])
        wb, mb, _ = measure(shark + ["-r", str(b), "-q"])
        rows.append(("tshark -r A -q + tshark -r B -q", wa + wb, max(ma, mb)))
        if args.dissect:
            da, dma, _ = measure(shark + ["-n", "-r", str(a), "-q", "-z", "conv,tcp"])
            db, dmb, _ = measure(shark + ["-n", "-r", str(b), "-q", "-z", "conv,tcp"])
            rows.append(("tshark -q -z conv,tcp on A + on B (dissecting)", da + db, max(dma, dmb)))
    print(f"{'work':50} {'seconds':>8} {'peak MB':>8} {'ratio':>6}")
    for what, s, kb in rows:
        print(f"{what:50} {s:8.2f} {kb / 1024:8.0f} {ts / s if s else 0:6.2f}")
    print(f"({args.packets} frames each; ratio = tlstui diff / that row; findings: {json.dumps(kinds)})")
    if args.stages:
        code = ("import json, sys; from tlstui.diff import diff_captures; "
                "print(json.dumps(diff_captures(sys.argv[1], sys.argv[2]).timings))")
        got = subprocess.run([sys.executable, "-c", code, str(a), str(b)], capture_output=True, text=True, check=True)
        print("stages (s):", got.stdout.strip())


if __name__ == "__main__":
    main()
