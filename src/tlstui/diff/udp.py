"""The UDP half of a diff: datagrams (DTLS, QUIC, DNS, anything over UDP) compared between the points.

UDP has no sequence numbers: a datagram is known by its payload.  Per capture, every UDP datagram
(not a tunnel's outer one) becomes a row: udp.stream, direction, time, length, a crc32 of its payload,
TTL, ip.id.  Flows (udp.stream) are matched between the captures by their 4-tuple, else — through NAT —
by the payloads they share (each pair of flows counts the datagrams with the same crc and length in
the same direction; the pair with the most wins, which fixes the orientation too).  Inside a matched
flow direction, datagrams with the same payload pair up in time order (copies of a DTLS flight sent
again pair one for one); what is left is then paired by time when it is most likely the same datagram
with changed bytes (same length, or a common first 8 bytes, within ``REWRITE_WINDOW_NS`` of the
expected arrival): ``diff.rewritten``; the rest is ``diff.dropped`` (seen at the sending point only)
or ``diff.injected`` (seen at the receiving point only), as for TCP (detect.one_sided).
"""
from __future__ import annotations

import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..safe_text import escape_text
from . import kinds as K
from .model import DiffFinding

REWRITE_WINDOW_NS = 50_000_000  # a leftover pair arriving this far from the expected time is two datagrams
SHARED_FLOWS_MAX = 8  # a payload found in more flows than this (a common keepalive) does not vote
MAX_LISTED = 5
MAX_FRAMES = 200


@dataclass
class Flow:
    stream: int  # udp.stream
    ends: tuple  # ((addr bytes, port), (addr bytes, port)): the first sender first (as udp.stream)
    rows: np.ndarray  # rows of the datagram table
    first_ns: int
    last_ns: int


@dataclass
class UdpSide:
    frame: np.ndarray
    t: np.ndarray
    stream: np.ndarray
    dir: np.ndarray
    plen: np.ndarray
    pay_at: np.ndarray
    phash: np.ndarray  # crc32 of the payload (-1 with none)
    ttl: np.ndarray
    ip_id: np.ndarray
    flows: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.frame)


def udp_table(s, t, times: np.ndarray, offs: np.ndarray, mv: memoryview, cancel=None) -> UdpSide:  # noqa: ANN001
    """The datagram table of a session whose conversation pass has run (side._table's columns)."""
    from .side import CRC_BATCH, Cancelled

    conv = s.conv
    n = len(times)
    ustream = np.asarray(conv.udp_stream, dtype=np.int64)[:n] if n else np.zeros(0, np.int64)
    direction = np.asarray(conv.direction, dtype=np.int64)[:n] if n else np.zeros(0, np.int64)
    rows = np.nonzero((ustream >= 0) & (t.proto[:len(ustream)] == 17) & (t.tunnel[:len(ustream)] == 0))[0]
    plen = t.payload_len[rows].astype(np.int64)
    pay_at = offs[rows] + t.payload_off[rows]
    phash = np.full(len(rows), -1, dtype=np.int64)
    crc = zlib.crc32
    full = np.nonzero(plen > 0)[0]
    ends = pay_at[full] + plen[full]
    for lo in range(0, len(full), CRC_BATCH):
        if cancel is not None and cancel.is_set():
            raise Cancelled
        part = full[lo:lo + CRC_BATCH]
        phash[part] = np.fromiter(map(crc, map(mv.__getitem__, map(slice, pay_at[part].tolist(),
                                                                   ends[lo:lo + CRC_BATCH].tolist()))),
                                  dtype=np.int64, count=len(part))
    u = UdpSide(frame=rows + 1, t=times[rows], stream=ustream[rows], dir=direction[rows], plen=plen, pay_at=pay_at,
                phash=phash, ttl=t.ttl[rows].astype(np.int64), ip_id=t.ip_id[rows].astype(np.int64))
    if len(rows):
        order = np.argsort(u.stream, kind="stable")
        nst = len(conv.udp_streams)
        bounds = np.searchsorted(u.stream[order], np.arange(nst + 1))
        for number, st in enumerate(conv.udp_streams):
            r = order[bounds[number]:bounds[number + 1]]
            if len(r):
                u.flows.append(Flow(number, (st.addr, st.peer), r, int(u.t[r[0]]), int(u.t[r[-1]])))
    return u


# --- matching flows ---------------------------------------------------------------------

@dataclass
class FlowMatch:
    a: Flow
    b: Flow
    flip: bool  # B's direction d is A's direction d ^ flip
    method: str  # "4-tuple" or "payload hash"


def match_flows(UA: UdpSide, UB: UdpSide) -> tuple[list[FlowMatch], list[Flow], list[Flow]]:
    left_a = {f.stream: f for f in UA.flows}
    left_b = {f.stream: f for f in UB.flows}
    out: list[FlowMatch] = []
    by_ends: dict = defaultdict(list)
    for f in left_b.values():
        by_ends[f.ends].append((f, False))
        by_ends[f.ends[::-1]].append((f, True))
    for f in list(left_a.values()):
        cands = [(b, flip) for b, flip in by_ends.get(f.ends, ()) if b.stream in left_b]
        if cands:
            b, flip = min(cands, key=lambda bf: abs(bf[0].first_ns - f.first_ns))
            del left_a[f.stream], left_b[b.stream]
            out.append(FlowMatch(f, b, flip, "4-tuple"))
    # Through NAT: the flows that share the most payloads (same crc, length) in the same orientation.
    if left_a and left_b:
        where: dict = defaultdict(set)  # (crc, len) -> {(B flow, B dir)}
        for f in left_b.values():
            for r in f.rows[UB.plen[f.rows] > 0].tolist():
                where[(int(UB.phash[r]), int(UB.plen[r]))].add((f.stream, int(UB.dir[r])))
        votes: dict = defaultdict(int)  # (A flow, B flow, flip) -> datagrams shared
        for f in left_a.values():
            for r in f.rows[UA.plen[f.rows] > 0].tolist():
                got = where.get((int(UA.phash[r]), int(UA.plen[r])))
                if not got or len(got) > SHARED_FLOWS_MAX:
                    continue
                d = int(UA.dir[r])
                for bs, bd in got:
                    votes[(f.stream, bs, bool(d ^ bd))] += 1
        for (sa, sb, flip), _n in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])):
            if sa in left_a and sb in left_b:
                out.append(FlowMatch(left_a.pop(sa), left_b.pop(sb), flip, "payload hash"))
    out.sort(key=lambda m: m.a.stream)
    return out, sorted(left_a.values(), key=lambda f: f.stream), sorted(left_b.values(), key=lambda f: f.stream)


# --- pairing datagrams --------------------------------------------------------------------

@dataclass
class UdpPairs:
    pa: np.ndarray  # A rows / B rows of datagrams with the same payload at both points
    pb: np.ndarray
    ra: np.ndarray  # A rows / B rows of the same datagram with changed bytes
    rb: np.ndarray
    ua: np.ndarray  # A rows / B rows with no counterpart
    ub: np.ndarray
    ga: np.ndarray  # per A row: 2 * match index + A's direction (-1: not in a matched flow)
    gb: np.ndarray  # per B row, in A's terms

    def group_of_a(self, x: int) -> tuple[int, int]:
        g = int(self.ga[x])
        return g // 2, g % 2

    def group_of_b(self, y: int) -> tuple[int, int]:
        g = int(self.gb[y])
        return g // 2, g % 2


_MIX = np.array([0x9E3779B97F4A7C15 - (1 << 64), 0xC2B2AE3D27D4EB4F - (1 << 64), 0x165667B19E3779F9], dtype=np.int64)


def pair_datagrams(UA: UdpSide, UB: UdpSide, matches: list[FlowMatch], expect) -> UdpPairs:  # noqa: ANN001
    """``expect(cid, adir)``: B's time minus A's expected for that flow direction (ns).

    One sort over both sides on (flow direction, payload crc, length), as align.py does for TCP: a key
    seen once on each side (nearly all) is a pair; the keys seen more often on one side (copies of a
    resent flight, a copy lost) are paired by time; what is left may be one datagram rewritten."""
    from .align import _monotone

    ga = np.full(len(UA), -1, dtype=np.int64)
    gb = np.full(len(UB), -1, dtype=np.int64)
    for cid, m in enumerate(matches):
        ga[m.a.rows] = 2 * cid + UA.dir[m.a.rows]
        gb[m.b.rows] = 2 * cid + (UB.dir[m.b.rows] ^ int(m.flip))
    rows_a, rows_b = np.nonzero(ga >= 0)[0], np.nonzero(gb >= 0)[0]
    na = len(rows_a)
    cols = [np.concatenate([ga[rows_a], gb[rows_b]]), np.concatenate([UA.phash[rows_a], UB.phash[rows_b]]),
            np.concatenate([UA.plen[rows_a], UB.plen[rows_b]])]
    i64 = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    z = np.zeros(0, np.int64)
    if not len(cols[0]):
        return UdpPairs(z, z, z, z, z, z, ga, gb)
    with np.errstate(over="ignore"):
        h = (cols[0] * _MIX[0]) ^ (cols[1] * _MIX[1]) ^ (cols[2] * _MIX[2])
        h ^= h >> 29
    order = np.argsort(h, kind="stable")  # within a key: A's rows first, each side's in capture order
    n = len(order)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for c in cols:
        cs = c[order]
        change[1:] |= cs[1:] != cs[:-1]
    starts = np.nonzero(change)[0]
    lens = np.diff(np.append(starts, n))
    nb = np.add.reduceat((order >= na).astype(np.int64), starts)
    nA = lens - nb
    even = (nA == 1) & (nb == 1)
    pa, pb = [rows_a[order[starts[even]]]], [rows_b[order[starts[even] + 1] - na]]
    left: dict = defaultdict(lambda: ([], []))  # group -> (A rows, B rows) without a counterpart
    for st, ln, ka in zip(starts[~even].tolist(), lens[~even].tolist(), nA[~even].tolist()):
        seg = order[st:st + ln]
        xs, ys = rows_a[seg[:ka]].tolist(), rows_b[seg[ka:] - na].tolist()
        g = int(cols[0][seg[0]])
        e = expect(g // 2, g % 2)
        px, py = _monotone(UA.t[xs] + e, UB.t[ys]) if xs and ys else ([], [])
        pa.append(i64([xs[i] for i in px]))
        pb.append(i64([ys[j] for j in py]))
        sx, sy = set(px), set(py)
        left[g][0].extend(x for i, x in enumerate(xs) if i not in sx)
        left[g][1].extend(y for j, y in enumerate(ys) if j not in sy)
    ra_, rb_, ua, ub = [], [], [], []
    for g, (la, lb) in left.items():
        la.sort()
        lb.sort()
        e = expect(g // 2, g % 2)
        # What is left: the same datagram with changed bytes, when it looks like it.
        if la and lb:
            px, py = _monotone(UA.t[la] + e, UB.t[lb])
            taken_a, taken_b = set(), set()
            for i, j in zip(px, py):
                x, y = la[i], lb[j]
                if abs(int(UB.t[y]) - int(UA.t[x]) - e) > REWRITE_WINDOW_NS:
                    continue
                if UA.plen[x] != UB.plen[y] and _prefix(UA, UB, x, y) < 8:
                    continue
                ra_.append(x)
                rb_.append(y)
                taken_a.add(x)
                taken_b.add(y)
            la = [x for x in la if x not in taken_a]
            lb = [y for y in lb if y not in taken_b]
        ua += la
        ub += lb
    pa_, pb_ = np.concatenate(pa), np.concatenate(pb)
    o = np.argsort(pa_, kind="stable")  # in A's capture order
    return UdpPairs(pa_[o], pb_[o], i64(ra_), i64(rb_), np.sort(i64(ua)), np.sort(i64(ub)), ga, gb)


_DATA: tuple = (None, None)  # set by compare(): the captures' bytes


def _bytes(U: UdpSide, side: int, row: int) -> bytes:
    at, ln = int(U.pay_at[row]), int(U.plen[row])
    return bytes(_DATA[side][at:at + ln])


def _prefix(UA: UdpSide, UB: UdpSide, x: int, y: int) -> int:
    a, b = _bytes(UA, 0, x)[:64], _bytes(UB, 1, y)[:64]
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


# --- the comparison -------------------------------------------------------------------------

@dataclass
class UdpResult:
    matches: list
    only: tuple  # (flows only in A, only in B)
    pairs: UdpPairs | None
    findings: list
    offset_ns: int
    flows: tuple = (0, 0)  # UDP flows per capture
    separable: bool = False  # the UDP clock saw both directions of travel
    delay: dict = field(default_factory=dict)  # 'UDP A->B' / 'UDP B->A': as detect.delay_stats


def _clock(UA: UdpSide, UB: UdpSide, matches: list[FlowMatch], tcp_clock):  # noqa: ANN001
    """(offset, per group 2*cid+adir: travels A->B, expect(cid, adir)) from datagrams with the same
    payload at both points; the TCP clock's offset when TCP segments were paired (more samples)."""
    from .clock import estimate

    first = pair_datagrams(UA, UB, matches, lambda c, d: tcp_clock.offset_ns if tcp_clock is not None else 0)
    ng = 2 * len(matches)
    grp = first.ga[first.pa]
    dt = UB.t[first.pb] - UA.t[first.pa]
    c = estimate(dt, grp, ng)
    offset = c.offset_ns
    ab = c.ab.copy()
    if tcp_clock is not None and tcp_clock.samples:
        offset = tcp_clock.offset_ns
        have = c.counts > 0
        ab[have] = c.med[have] >= offset
        none = ~have
        partner = np.arange(ng) ^ 1
        ab[none] = ~ab[partner[none]] & have[partner[none]]
    separable = c.separable if tcp_clock is None or not tcp_clock.samples else tcp_clock.separable

    def expect(cid: int, adir: int) -> int:
        g = 2 * cid + adir
        return int(c.med[g]) if g < len(c.counts) and c.counts[g] else offset

    return offset, ab, expect, separable


def _endpoint(e: tuple) -> str:
    from .detect import endpoint

    return endpoint(e)


def compare(A, B, data_a, data_b, tcp_clock=None) -> UdpResult | None:  # noqa: ANN001 - side.Side, bytes/mmap
    """The UDP findings of a diff (None when neither capture has UDP)."""
    global _DATA
    UA, UB = getattr(A, "udp", None), getattr(B, "udp", None)
    if UA is None or UB is None or (not len(UA) and not len(UB)):
        return None
    _DATA = (data_a, data_b)
    try:
        return _compare(A, B, UA, UB, tcp_clock)
    finally:
        _DATA = (None, None)


def _compare(A, B, UA: UdpSide, UB: UdpSide, tcp_clock) -> UdpResult:  # noqa: ANN001
    matches, only_a, only_b = match_flows(UA, UB)
    if not matches:
        return UdpResult(matches, (only_a, only_b), None, [], 0, (len(UA.flows), len(UB.flows)))
    offset, ab, expect, separable = _clock(UA, UB, matches, tcp_clock)
    p = pair_datagrams(UA, UB, matches, expect)
    found: list[DiffFinding] = []

    def where(cid: int, adir: int) -> tuple[str, str, bool]:
        m = matches[cid]
        way = bool(ab[2 * cid + adir])
        e = m.a.ends
        return (f"A udp.stream {m.a.stream} / B udp.stream {m.b.stream}",
                f"{_endpoint(e[adir])} -> {_endpoint(e[1 - adir])} ({'A->B' if way else 'B->A'})", way)

    def finding(kind, sev, cid, summary, expl, fa, fb):  # noqa: ANN001, ANN202
        m = matches[cid]
        return DiffFinding(kind, sev, escape_text(summary), escape_text(expl), list(fa)[:MAX_FRAMES], m.a.stream,
                           list(fb)[:MAX_FRAMES], m.b.stream, transport="udp")

    # Rewritten: per flow direction.
    groups: dict = defaultdict(list)
    for x, y in zip(p.ra.tolist(), p.rb.tolist()):
        groups[p.group_of_a(x)].append((x, y))
    for (cid, adir), xy in sorted(groups.items()):
        streams, way, ab_ = where(cid, adir)
        lines, fa, fb = [], [], []
        for x, y in xy:
            fa.append(int(UA.frame[x]))
            fb.append(int(UB.frame[y]))
            if len(lines) >= MAX_LISTED:
                continue
            ba, bb = _bytes(UA, 0, x), _bytes(UB, 1, y)
            src, dst = (ba, bb) if ab_ else (bb, ba)
            diffs = [i for i in range(min(len(ba), len(bb))) if ba[i] != bb[i]]
            first = diffs[0] if diffs else min(len(ba), len(bb))
            text = f"A#{fa[-1]} <-> B#{fb[-1]}: len {len(src)} sent"
            text += f", {len(dst)} arrived" if len(src) != len(dst) else ""
            if first < min(len(src), len(dst)):
                text += (f", first differing byte at offset {first}: sent 0x{src[first]:02x}, arrived 0x{dst[first]:02x}; "
                         f"{len(diffs)} of {min(len(ba), len(bb))} bytes differ")
            else:
                text += f", the first {first} bytes the same"
            lines.append(text)
        n = len(fa)
        what = "datagram" if n == 1 else f"{n} datagrams"
        summary = f"{streams} {way}: payload of {what} rewritten in the path (A#{fa[0]} <-> B#{fb[0]})"
        expl = ("Seen: a datagram of this flow captured at both points with different bytes, at the time the "
                "original was due (no copy with the original bytes arrived): " + " | ".join(lines) +
                (" | ..." if n > len(lines) else "") + ". Inferred: a device between the points rewrites UDP "
                "payload (an ALG, a proxy, a broken offload); DTLS and QUIC receivers drop such a datagram as it "
                "fails its record or packet protection (it is then lost as if dropped), other protocols read "
                "what arrived.")
        found.append(finding(K.REWRITTEN, "error", cid, summary, expl, fa, fb))
    # Seen at one point only.
    lo_b, hi_b = (int(UB.t.min()), int(UB.t.max())) if len(UB) else (0, -1)
    lo_a, hi_a = (int(UA.t.min()), int(UA.t.max())) if len(UA) else (0, -1)
    lo_b, hi_b = min(lo_b, B.first_ns or lo_b), max(hi_b, B.last_ns)
    lo_a, hi_a = min(lo_a, A.first_ns or lo_a), max(hi_a, A.last_ns)
    events: dict = defaultdict(list)
    for x in p.ua.tolist():
        cid, adir = p.group_of_a(x)
        if not lo_b <= int(UA.t[x]) + expect(cid, adir) <= hi_b:
            continue  # B was not capturing when it would have passed
        events[(cid, adir, 0)].append(x)
    for y in p.ub.tolist():
        cid, adir = p.group_of_b(y)
        if not lo_a <= int(UB.t[y]) - expect(cid, adir) <= hi_a:
            continue
        events[(cid, adir, 1)].append(y)
    for (cid, adir, side), rows in sorted(events.items()):
        streams, way, ab_ = where(cid, adir)
        dropped = (side == 0) == ab_  # seen at the sending point only
        U = UB if side else UA
        here = "B" if side else "A"
        frames = [int(U.frame[r]) for r in rows]
        nbytes = int(sum(int(U.plen[r]) for r in rows))
        lines = [f"{here}#{int(U.frame[r])} len {int(U.plen[r])}, TTL {int(U.ttl[r])}" for r in rows[:MAX_LISTED]]
        n = len(rows)
        what = f"{'1 datagram' if n == 1 else f'{n} datagrams'} ({nbytes} bytes)"
        sender, receiver = ("A", "B") if ab_ else ("B", "A")
        if dropped:
            summary = f"{streams} {way}: {what} left {sender} and never reached {receiver} ({here}#{frames[0]})"
            expl = (f"Seen at {sender} only: " + " | ".join(lines) + (" | ..." if n > len(lines) else "") +
                    ". Inferred: lost or discarded between the two points (congestion, a policer, a firewall); UDP "
                    "does not resend: DTLS sends a handshake flight again after its timer, QUIC resends the lost "
                    "frames in new packets (new bytes, so not paired with these), other protocols lose the data.")
            sev = "warning"
        else:
            usual = _usual_ttl(UA if not side else UB, p, cid, adir, side, matches)
            extra = "".join(f"; the peer's datagrams that passed arrive with TTL {usual}"
                            for r in rows[:1] if usual is not None and int(U.ttl[r]) != usual)
            summary = f"{streams} {way}: {what} arrived at {receiver} that {sender} never sent ({here}#{frames[0]})"
            expl = (f"Seen at {receiver} only, as if from {_endpoint(matches[cid].a.ends[adir])}: " + " | ".join(lines) +
                    (" | ..." if n > len(lines) else "") + extra +
                    ". Inferred: made by a device between the points, not by the peer (or a copy the path duplicated "
                    "with other bytes).")
            sev = "error"
        fa, fb = ([], frames) if side else (frames, [])
        found.append(finding(K.DROPPED if dropped else K.INJECTED, sev, cid, summary, expl, fa, fb))
    found += _ttl_and_order(UA, UB, p, ab, where, finding)
    delay = _delay_stats(UA, UB, p, ab, offset)
    found += _delay_findings(delay, separable)
    # NAT: flows matched by payload, with other addresses at the two points.
    for cid, m in enumerate(matches):
        eb = m.b.ends[::-1] if m.flip else m.b.ends
        if m.a.ends != eb:
            changed = [f"{_endpoint(x)} at A is {_endpoint(y)} at B" for x, y in zip(m.a.ends, eb) if x != y]
            found.append(finding(
                K.HEADER_REWRITTEN, "note", cid,
                f"A udp.stream {m.a.stream} / B udp.stream {m.b.stream}: addresses translated (NAT): {'; '.join(changed)}",
                f"Seen: the flow was matched by the datagrams both points captured with the same payload, with "
                f"different addresses or ports at the two points: {'; '.join(changed)}. Inferred: a NAT or load "
                f"balancer between the points; findings on this flow use A's addresses.",
                [int(UA.frame[m.a.rows[0]])], [int(UB.frame[m.b.rows[0]])]))
    return UdpResult(matches, (only_a, only_b), p, found, offset, (len(UA.flows), len(UB.flows)), separable, delay)


def _ttl_and_order(UA: UdpSide, UB: UdpSide, p: UdpPairs, ab: np.ndarray, where, finding) -> list:  # noqa: ANN001
    """On the datagrams seen at both points with the same payload, per flow direction: a TTL decrease
    that is not one constant number of hops (diff.header_rewritten), and datagrams that reached the far
    point after datagrams sent later (diff.reordered), as detect._ttl and detect.reordered do for TCP."""
    from .detect import TTL_HOPS

    out: list = []
    if not len(p.pa):
        return out
    g = p.ga[p.pa]
    gab = ab[g]
    sent = np.where(gab, UA.ttl[p.pa], UB.ttl[p.pb])
    got = np.where(gab, UB.ttl[p.pb], UA.ttl[p.pa])
    send_frame = np.where(gab, UA.frame[p.pa], UB.frame[p.pb])
    recv_frame = np.where(gab, UB.frame[p.pb], UA.frame[p.pa])
    order = np.argsort(g, kind="stable")
    cuts = np.nonzero(np.diff(g[order]))[0] + 1
    for pos in np.split(order, cuts):
        grp = int(g[pos[0]])
        cid, adir = grp // 2, grp % 2
        streams, way, ab_ = where(cid, adir)
        hops = sent[pos] - got[pos]
        lo, hi = int(hops.min()), int(hops.max())
        if not (lo == hi and 0 <= lo <= TTL_HOPS):
            usual = int(np.bincount(hops - lo).argmax()) + lo
            # The odd ones out when most datagrams show a plausible hop count; all when none does.
            bad = pos if not 0 <= usual <= TTL_HOPS or hi == lo else pos[hops != usual]
            fa, fb = UA.frame[p.pa[bad]].tolist(), UB.frame[p.pb[bad]].tolist()
            pairs = " | ".join(f"A#{x} <-> B#{y}: sent {s_}, arrived {r_}" for x, y, s_, r_ in
                               list(zip(fa, fb, sent[bad].tolist(), got[bad].tolist()))[:MAX_LISTED])
            values = sorted(set(got[pos].tolist()))
            out.append(finding(
                K.HEADER_REWRITTEN, "warning", cid,
                f"{streams} {way}: TTL rewritten (arrives with {', '.join(map(str, values[:4]))}"
                f"{'...' if len(values) > 4 else ''}; A#{fa[0]} <-> B#{fb[0]})",
                f"Seen: TTL as sent minus TTL as arrived is {lo}..{hi} over {len(pos)} datagrams: {pairs}"
                f"{' | ...' if len(bad) > MAX_LISTED else ''}. Routers lower the TTL by one per hop, the same for every "
                f"packet. Inferred: a device sets its own TTL on some of these datagrams (a proxy re-originating "
                f"them, a box answering for the peer).", fa, fb))
        # Held back: reached the far point after a datagram sent later.
        o = pos[np.argsort(send_frame[pos], kind="stable")]
        rv = recv_frame[o]
        later_min = np.r_[np.minimum.accumulate(rv[::-1])[::-1][1:], np.iinfo(np.int64).max]
        late = o[rv > later_min]
        if len(late):
            fa, fb = UA.frame[p.pa[late]].tolist(), UB.frame[p.pb[late]].tolist()
            n, total = len(late), len(pos)
            recv = "B" if ab_ else "A"
            out.append(finding(
                K.REORDERED, "note" if n * 100 < total else "warning", cid,
                f"{streams} {way}: {n} of {total} datagrams arrived at {recv} after datagrams sent later "
                f"(A#{fa[0]} <-> B#{fb[0]})",
                f"Seen: these datagrams were captured at the sending point before others that reached {recv} ahead "
                f"of them: {', '.join(f'A#{x} <-> B#{y}' for x, y in list(zip(fa, fb))[:MAX_LISTED])}"
                f"{', ...' if n > MAX_LISTED else ''}. Inferred: the path reorders (parallel links, per-packet load "
                f"balancing, a queue holding some packets); DTLS and QUIC accept datagrams out of order, within "
                f"their replay windows.", fa, fb))
    return out


def _delay_stats(UA: UdpSide, UB: UdpSide, p: UdpPairs, ab: np.ndarray, offset: int) -> dict:
    """Per direction of travel: count, min, p5, median, p95, max (ns) and the slowest pair, of the
    datagrams seen at both points with the same payload (detect.delay_stats for TCP)."""
    out: dict = {}
    if not len(p.pa):
        return out
    g = p.ga[p.pa]
    gab = ab[g]
    dt = UB.t[p.pb] - UA.t[p.pa]
    d = np.where(gab, dt - offset, offset - dt)
    for name, sel in (("UDP A->B", gab), ("UDP B->A", ~gab)):
        x = d[sel]
        if not len(x):
            continue
        p5, p50, p95 = (int(v) for v in np.percentile(x, [5, 50, 95]))
        k = int(np.nonzero(sel)[0][int(np.argmax(x))])
        out[name] = dict(count=len(x), min=int(x.min()), p5=p5, median=p50, p95=p95, max=int(x.max()),
                         slowest=(int(UA.frame[p.pa[k]]), int(UB.frame[p.pb[k]]), int(g[k]) // 2), what="datagrams")
    return out


def _delay_findings(stats: dict, separable: bool) -> list:
    from .detect import HELD_NS, JITTER_NS

    out = []
    for name, st in stats.items():
        spread, held = st["p95"] - st["p5"], st["max"] - st["median"]
        if spread <= JITTER_NS and held <= HELD_NS:
            continue
        fa_, fb_, _cid = st["slowest"]
        ms = lambda v: f"{v / 1e6:.3f} ms"  # noqa: E731
        summary = (f"one-way delay {name}: median {ms(st['median'])}, spread (p5-p95) {ms(spread)}, max {ms(st['max'])} "
                   f"(A#{fa_} <-> B#{fb_})")
        expl = (f"Seen: {st['count']} datagrams captured at both points with the same payload; delay {name} min "
                f"{ms(st['min'])}, p5 {ms(st['p5'])}, median {ms(st['median'])}, p95 {ms(st['p95'])}, max {ms(st['max'])} "
                f"(the slowest: A#{fa_} <-> B#{fb_}), with the estimated clock offset "
                f"({'assuming the same minimum delay both ways' if separable else 'one direction only: relative to the fastest'}). "
                f"Inferred: queueing in the path (bufferbloat, a shaper) or a device holding packets; DTLS's "
                f"retransmission timer and QUIC's loss detection see it as jitter.")
        out.append(DiffFinding(K.DELAY, "note" if spread <= 5 * JITTER_NS else "warning", escape_text(summary),
                               escape_text(expl), [fa_], None, [fb_], None, transport="udp"))
    return out


def _usual_ttl(U: UdpSide, p: UdpPairs, cid: int, adir: int, side: int, matches) -> int | None:  # noqa: ANN001
    """The most common TTL of this flow direction's datagrams that did pass, at the receiving point."""
    rows = p.pb if side else p.pa
    rows = rows[(p.gb if side else p.ga)[rows] == 2 * cid + adir]
    return int(np.bincount(U.ttl[rows]).argmax()) if len(rows) else None
