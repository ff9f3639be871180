"""Segment alignment: which segment of B is which segment of A, inside matched connections.

Every TCP segment of a matched connection gets a key in A's terms: the connection, A's direction,
the sequence number relative to A's base for that direction (B's shifted by the connection's
sequence offset), the length, the SYN/FIN/RST bits and the relative acknowledgment number.  Both
tables are sorted by key once (NumPy); a key seen equally often on both sides pairs its segments in
time order (nearly all of them).  The few keys seen more often on one side (a segment dropped,
duplicated or injected) are paired by a small monotone alignment on time, with the clock offset
measured on the others.  Segments still alone are paired with a relaxed key (sequence and length
only: the path changed the ACK or the flags) before they are called dropped or injected.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .match import Match
from .side import ACK, FIN, M32, RST, SYN, Side


@dataclass
class Rows:
    """The segments of matched connections on one side: row numbers into its table and their key."""

    row: np.ndarray
    cid: np.ndarray  # index into the matches
    adir: np.ndarray  # direction in A's terms
    rel: np.ndarray
    ack: np.ndarray
    fl: np.ndarray
    plen: np.ndarray
    t: np.ndarray


@dataclass
class Alignment:
    ra: Rows
    rb: Rows
    pa: np.ndarray  # paired positions into ra / rb
    pb: np.ndarray
    relaxed: np.ndarray  # bool per pair: paired only by sequence and length
    ua: np.ndarray  # positions into ra with no counterpart
    ub: np.ndarray


def _rows(S: Side, matches: list[Match], side_b: bool) -> Rows:
    nstreams = (int(S.stream.max()) + 1) if len(S.stream) else 0
    cmap = np.full(nstreams + 1, -1, dtype=np.int64)
    flip = np.zeros(len(matches), dtype=np.int64)
    base = np.zeros((len(matches), 2), dtype=np.int64)
    delta = np.zeros((len(matches), 2), dtype=np.int64)
    for i, m in enumerate(matches):
        cmap[(m.b if side_b else m.a).stream] = i
        flip[i] = int(m.flip) if side_b else 0
        base[i] = m.a.base
        if side_b:
            delta[i] = m.delta
    cid_all = cmap[S.stream] if len(S.stream) else np.zeros(0, np.int64)
    row = np.nonzero(cid_all >= 0)[0]
    cid = cid_all[row]
    adir = S.dir[row] ^ flip[cid]
    rel = (S.seq[row] - delta[cid, adir] - base[cid, adir]) & M32
    flags = S.flags[row]
    ack = np.where(flags & ACK, (S.ack[row] - delta[cid, 1 - adir] - base[cid, 1 - adir]) & M32, 0)
    return Rows(row=row, cid=cid, adir=adir, rel=rel, ack=ack, fl=flags & (SYN | FIN | RST), plen=S.plen[row],
                t=S.t[row])


_MIX = np.array([0x9E3779B97F4A7C15 - (1 << 64), 0xC2B2AE3D27D4EB4F - (1 << 64), 0x165667B19E3779F9], dtype=np.int64)


def _keycols(r: Rows) -> list[np.ndarray]:
    """The key as three int64 columns: (connection, direction, SYN/FIN/RST), (seq, length), ack."""
    return [(r.cid << 4) | (r.adir << 3) | r.fl, (r.rel << 16) | (r.plen & 0xFFFF), r.ack]


def align(A: Side, B: Side, matches: list[Match]) -> tuple[Alignment, list[tuple[list, list]]]:
    """The pairing, and the runs left for ``settle`` (A positions, B positions) per key."""
    ra, rb = _rows(A, matches, False), _rows(B, matches, True)
    na = len(ra.row)
    cols = [np.concatenate([x, y]) for x, y in zip(_keycols(ra), _keycols(rb))]
    side = np.concatenate([np.zeros(na, np.int64), np.ones(len(rb.row), np.int64)])
    # One stable sort on a 64-bit mix of the key (three times faster than a lexsort of its columns;
    # runs are then cut on the columns themselves).  Stable: within a key, A's segments (first in the
    # concatenation) come before B's, each side's in capture order.
    with np.errstate(over="ignore"):
        h = (cols[0] * _MIX[0]) ^ (cols[1] * _MIX[1]) ^ (cols[2] * _MIX[2])
        h ^= h >> 29
    order = np.argsort(h, kind="stable")
    n = len(order)
    if n == 0:
        z = np.zeros(0, np.int64)
        return Alignment(ra, rb, z, z, np.zeros(0, bool), z, z), []
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in cols:
        cs = c[order]
        change[1:] |= cs[1:] != cs[:-1]
    starts = np.nonzero(change)[0]
    lens = np.diff(np.append(starts, n))
    s_sorted = side[order]
    nb = np.add.reduceat(s_sorted, starts)
    nA = lens - nb
    even = (nA == 1) & (nb == 1)
    # One on each side (nearly every key): the pair.  Keys seen several times (duplicate ACKs,
    # retransmissions) are paired in ``settle``, where the segments' own bytes tell them apart.
    ev_starts, ev_n = starts[even], nA[even]
    total = int(ev_n.sum())
    run_of = np.repeat(np.arange(len(ev_starts)), ev_n)
    k_in = np.arange(total) - np.repeat(np.cumsum(ev_n) - ev_n, ev_n)
    pos_a = order[ev_starts[run_of] + k_in]
    pos_b = order[ev_starts[run_of] + ev_n[run_of] + k_in] - na
    odd = []
    for st, ln, ka in zip(starts[~even].tolist(), lens[~even].tolist(), nA[~even].tolist()):
        seg = order[st:st + ln]
        odd.append((seg[:ka].tolist(), (seg[ka:] - na).tolist()))
    al = Alignment(ra, rb, pos_a, pos_b, np.zeros(len(pos_a), bool), np.zeros(0, np.int64), np.zeros(0, np.int64))
    return al, odd


def signatures(S: Side, r: Rows, pos: list[int]) -> dict:
    """{position: (ip.id, options crc, payload crc)} of the segments of the uneven runs."""
    rows = r.row[np.asarray(pos, dtype=np.int64)]
    return dict(zip(pos, zip(S.ip_id[rows].tolist(), S.ohash[rows].tolist(), S.phash[rows].tolist())))


def settle(al: Alignment, odd: list[tuple[list, list]], expect, sig_a=None, sig_b=None) -> Alignment:  # noqa: ANN001
    """Pair the uneven runs: first copies identical in ip.id, options and payload, then by time (``expect(cid, adir)``: B's time minus A's expected for that
    direction, ns), then the segments still alone by sequence and length; the rest stay alone."""
    ra, rb = al.ra, al.rb
    pa, pb, ua, ub = [], [], [], []
    for xs, ys in odd:
        if not xs or not ys:
            ua.extend(xs)
            ub.extend(ys)
            continue
        # First the copies whose ip.id, options and payload are all the same, in time order.
        if sig_a is not None:
            free: dict = {}
            for y in ys:
                free.setdefault(sig_b[y], []).append(y)
            rest_x = []
            for x in xs:
                got = free.get(sig_a[x])
                if got:
                    pa.append(x)
                    pb.append(got.pop(0))
                else:
                    rest_x.append(x)
            taken_y = set(pb[-(len(xs) - len(rest_x)):]) if len(xs) > len(rest_x) else set()
            xs, ys = rest_x, [y for y in ys if y not in taken_y]
            if not xs or not ys:
                ua.extend(xs)
                ub.extend(ys)
                continue
        e = expect(int(ra.cid[xs[0]]), int(ra.adir[xs[0]]))
        px, py = _monotone(ra.t[xs] + e, rb.t[ys])
        used_x, used_y = set(px), set(py)
        pa.extend(xs[i] for i in px)
        pb.extend(ys[j] for j in py)
        ua.extend(x for i, x in enumerate(xs) if i not in used_x)
        ub.extend(y for j, y in enumerate(ys) if j not in used_y)
    # Relaxed: same connection, direction, sequence and length (the ACK or flags were changed).
    byk: dict = {}
    for y in ub:
        byk.setdefault((int(rb.cid[y]), int(rb.adir[y]), int(rb.rel[y]), int(rb.plen[y])), []).append(y)
    left_a, rpa, rpb = [], [], []
    taken: set = set()
    for x in ua:
        k = (int(ra.cid[x]), int(ra.adir[x]), int(ra.rel[x]), int(ra.plen[x]))
        cands = [y for y in byk.get(k, ()) if y not in taken]
        if not cands:
            left_a.append(x)
            continue
        e = expect(k[0], k[1])
        y = min(cands, key=lambda y: abs(int(rb.t[y]) - int(ra.t[x]) - e))
        taken.add(y)
        rpa.append(x)
        rpb.append(y)
    ub = [y for y in ub if y not in taken]
    i64 = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    pos_a = np.concatenate([al.pa, i64(pa), i64(rpa)])
    pos_b = np.concatenate([al.pb, i64(pb), i64(rpb)])
    relaxed = np.concatenate([al.relaxed, np.zeros(len(pa), bool), np.ones(len(rpa), bool)])
    # The pairs in A's capture order (each A segment pairs once: a scatter, not a sort).
    slot = np.full(len(ra.row), -1, dtype=np.int64)
    slot[pos_a] = np.arange(len(pos_a))
    by_frame = slot[slot >= 0]
    pos_a, pos_b, relaxed = pos_a[by_frame], pos_b[by_frame], relaxed[by_frame]
    return Alignment(ra, rb, pos_a, pos_b, relaxed, np.sort(i64(left_a)), np.sort(i64(ub)))


def _monotone(ta: np.ndarray, tb: np.ndarray) -> tuple[list[int], list[int]]:
    """Pair min(len) elements of two time-sorted lists in order, least total |time difference|."""
    n, m = len(ta), len(tb)
    ta, tb = ta.tolist(), tb.tolist()
    if n > m:
        pb_, pa_ = _monotone(np.asarray(tb), np.asarray(ta))
        return pa_, pb_
    if n * m > 250_000:  # a pathological run (thousands of identical segments): in order
        return list(range(n)), list(range(n))
    # n <= m: every A element pairs; choose which B elements (DP over positions, O(n*m)).
    INF = float("inf")
    cost = [[INF] * (m + 1) for _ in range(n + 1)]
    cost[0] = [0.0] * (m + 1)
    for i in range(1, n + 1):
        row, prev = cost[i], cost[i - 1]
        for j in range(i, m + 1):
            take = prev[j - 1] + abs(tb[j - 1] - ta[i - 1])
            row[j] = min(row[j - 1], take)
    i, j, px, py = n, m, [], []
    while i > 0:
        if j > i and cost[i][j] == cost[i][j - 1]:
            j -= 1
            continue
        px.append(i - 1)
        py.append(j - 1)
        i -= 1
        j -= 1
    return px[::-1], py[::-1]
