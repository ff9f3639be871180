"""Which connection of capture B is which of capture A.

In order, each on the connections still unmatched: the ISNs of both SYNs (NAT keeps them; a
sequence-randomising firewall does not), the 4-tuple (no NAT), the first TCP timestamp value of
each direction, the hash of the first payload segment of each direction.  A match also fixes the
orientation (which direction of B is A's direction 0) and the sequence-number offset per direction.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .side import M32, Conn, Side

METHODS = ("ISN", "4-tuple", "TCP timestamps", "payload hash")


@dataclass
class Match:
    a: Conn
    b: Conn
    flip: bool  # B's direction d is A's direction d ^ flip
    method: str
    delta: tuple = (0, 0)  # per A direction: B's raw seq - A's raw seq

    def b_dir(self, a_dir: int) -> int:
        return a_dir ^ int(self.flip)


def _keys(c: Conn, method: str):
    """(value of direction 0, value of direction 1), or None when this method cannot say."""
    if method == "ISN":
        v = tuple(c.isn)
    elif method == "4-tuple":
        return c.ends
    elif method == "TCP timestamps":
        v = tuple(c.tsval)
    else:
        v = tuple(c.first_hash)
    return None if -1 in v or v[0] == v[1] else v


def _overlap(a: Conn, b: Conn, offset_ns: int) -> int:
    return min(a.last_ns, b.last_ns - offset_ns) - max(a.first_ns, b.first_ns - offset_ns)


def match_connections(A: Side, B: Side) -> tuple[list[Match], list[Conn], list[Conn]]:
    """(matches, A's connections without a counterpart, B's)."""
    left_a = {c.stream: c for c in A.conns}
    left_b = {c.stream: c for c in B.conns}
    matches: list[Match] = []
    for method in METHODS:
        index: dict = defaultdict(list)
        for c in left_b.values():
            k = _keys(c, method)
            if k is not None:
                index[k].append((c, False))
                index[(k[1], k[0])].append((c, True))
        if not index:
            continue
        used: set[int] = set()
        for c in list(left_a.values()):
            k = _keys(c, method)
            if k is None:
                continue
            cands = [(b, flip) for b, flip in index.get(k, ()) if b.stream not in used and b.stream in left_b]
            if not cands:
                continue
            # Port reuse (4-tuple), or a value two connections share: the one closest in time.
            b, flip = min(cands, key=lambda bf: abs((bf[0].first_ns - B.first_ns) - (c.first_ns - A.first_ns)))
            used.add(b.stream)
            del left_b[b.stream]
            del left_a[c.stream]
            matches.append(Match(c, b, flip, method))
    for m in matches:
        m.delta = tuple(_seq_delta(A, B, m, d) for d in (0, 1))
    matches.sort(key=lambda m: m.a.stream)
    return matches, sorted(left_a.values(), key=lambda c: c.stream), sorted(left_b.values(), key=lambda c: c.stream)


def _seq_delta(A: Side, B: Side, m: Match, d: int) -> int:
    """B's raw sequence numbers minus A's in A's direction ``d``: from the ISNs, else from the first
    payload segment both captured (same crc and length), else 0."""
    bd = m.b_dir(d)
    if m.a.isn[d] >= 0 and m.b.isn[bd] >= 0:
        return (m.b.isn[bd] - m.a.isn[d]) & M32
    ra = m.a.rows[(A.dir[m.a.rows] == d) & (A.plen[m.a.rows] > 0)][:8]
    rb = m.b.rows[(B.dir[m.b.rows] == bd) & (B.plen[m.b.rows] > 0)][:64]
    if len(ra) and len(rb):
        kb = {}
        for r in rb.tolist():
            kb.setdefault((int(B.phash[r]), int(B.plen[r])), r)
        for r in ra.tolist():
            got = kb.get((int(A.phash[r]), int(A.plen[r])))
            if got is not None:
                return (int(B.seq[got]) - int(A.seq[r])) & M32
    if m.method == "4-tuple" or (m.a.isn[d] < 0 and m.b.isn[bd] < 0):
        return 0
    return 0
