"""The detectors: what the path between the two capture points did, per connection and direction.

Inputs are the aligned pairs and the segments left alone (align.py), the clock (clock.py) and the
bytes of both captures.  Each finding keeps what was seen (A's frames, B's frames, the values on
each side) apart from what it most likely means.
"""
from __future__ import annotations

import ipaddress
from collections import defaultdict

import numpy as np

from ..safe_text import escape_text
from . import kinds as K
from .align import Alignment
from .clock import Clock
from .match import Match
from .model import DiffFinding
from .side import ACK, FIN, RST, SYN, Conn, Side, parse_options

MAX_LISTED = 5  # segments described one by one in a summary/explanation
MAX_FRAMES = 200  # evidence frames kept per finding and side
TTL_HOPS = 32  # a constant TTL decrease up to this many hops is routing, not rewriting
OPTION_NAMES = {0: "EOL", 1: "NOP", 2: "MSS", 3: "window scale", 4: "SACK permitted", 5: "SACK", 8: "timestamps",
                28: "user timeout", 29: "TCP-AO", 30: "MPTCP", 34: "TFO cookie"}


def endpoint(e: tuple) -> str:
    addr, port = e
    try:
        ip = ipaddress.ip_address(bytes(addr))
        return f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"
    except ValueError:
        return f"{bytes(addr).hex()}:{port}"


def flag_text(flags: int) -> str:
    names = [n for bit, n in ((SYN, "SYN"), (FIN, "FIN"), (RST, "RST"), (0x08, "PSH"), (ACK, "ACK")) if flags & bit]
    return ",".join(names) or "none"


class Context:
    """What every detector reads."""

    def __init__(self, A: Side, B: Side, matches: list[Match], al: Alignment, clock: Clock,
                 data_a, data_b) -> None:  # noqa: ANN001 - mmap or bytes
        self.A, self.B, self.matches, self.al, self.clock = A, B, matches, al, clock
        self.data = (data_a, data_b)
        ra, rb = al.ra, al.rb
        self.ia = ra.row[al.pa]  # table rows of each pair
        self.ib = rb.row[al.pb]
        self.group = 2 * ra.cid[al.pa] + ra.adir[al.pa]
        self.ab = clock.ab
        self.keys = None  # keys.AlertKeys with --keylog: the encrypted alerts named

    # --- naming -----------------------------------------------------------------------
    def travels_ab(self, cid: int, adir: int) -> bool:
        return bool(self.ab[2 * cid + adir])

    def direction(self, cid: int, adir: int) -> str:
        """'10.0.0.1:40000 -> 10.0.0.2:443 (A -> B)' in A's addresses."""
        m = self.matches[cid]
        e = m.a.ends
        way = "A->B" if self.travels_ab(cid, adir) else "B->A"
        return f"{endpoint(e[adir])} -> {endpoint(e[1 - adir])} ({way})"

    def streams(self, cid: int) -> str:
        m = self.matches[cid]
        return f"A tcp.stream {m.a.stream} / B tcp.stream {m.b.stream}"

    def payload(self, side: int, row: int, n: int | None = None) -> bytes:
        S = self.B if side else self.A
        at, ln = int(S.pay_at[row]), int(S.plen[row])
        if n is not None:
            ln = min(ln, n)
        return bytes(self.data[side][at:at + ln])

    def options(self, side: int, row: int) -> bytes:
        S = self.B if side else self.A
        at, ln = int(S.opt_at[row]), int(S.opt_len[row])
        return bytes(self.data[side][at:at + ln]) if ln > 0 else b""

    def finding(self, kind: str, severity: str, cid: int | None, summary: str, explanation: str,
                fa=(), fb=()) -> DiffFinding:  # noqa: ANN001 - iterables of frame numbers
        m = self.matches[cid] if cid is not None else None
        return DiffFinding(kind, severity, escape_text(summary), escape_text(explanation),
                           list(fa)[:MAX_FRAMES], m.a.stream if m else None, list(fb)[:MAX_FRAMES],
                           m.b.stream if m else None)


def _groups(keys: np.ndarray) -> dict[int, np.ndarray]:
    """Positions per distinct key (in order)."""
    if not len(keys):
        return {}
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    cut = np.nonzero(np.diff(ks))[0] + 1
    return {int(keys[p[0]]): p for p in (order[s:e] for s, e in zip(np.r_[0, cut], np.r_[cut, len(ks)]))}


# --- payload ---------------------------------------------------------------------------

def rewritten(ctx: Context) -> list[DiffFinding]:
    A, B = ctx.A, ctx.B
    sel = np.nonzero((A.plen[ctx.ia] > 0) & (A.phash[ctx.ia] != B.phash[ctx.ib]))[0]
    out = []
    ra = ctx.al.ra
    for g, pos in _groups(ctx.group[sel]).items():
        pos = sel[pos]
        cid, adir = g // 2, g % 2
        ab = ctx.travels_ab(cid, adir)
        lines, fa, fb = [], [], []
        for p in pos.tolist():
            ia, ib = int(ctx.ia[p]), int(ctx.ib[p])
            fa.append(int(A.frame[ia]))
            fb.append(int(B.frame[ib]))
            if len(lines) >= MAX_LISTED:
                continue
            pa_, pb_ = ctx.payload(0, ia), ctx.payload(1, ib)
            diffs = [i for i in range(min(len(pa_), len(pb_))) if pa_[i] != pb_[i]]
            first = diffs[0] if diffs else min(len(pa_), len(pb_))
            rel = int(ra.rel[ctx.al.pa[p]])
            src, dst = (pa_, pb_) if ab else (pb_, pa_)
            retrans = _first_sent(ctx, cid, adir, rel, int(A.t[ia]) if ab else int(B.t[ib]), ab)
            lines.append(f"A#{int(A.frame[ia])} <-> B#{int(B.frame[ib])}: seq {rel}, len {len(pa_)}, first differing "
                         f"byte at offset {first} (seq {rel + first}): sent 0x{src[first]:02x}, arrived 0x{dst[first]:02x}"
                         f"; {len(diffs)} of {len(pa_)} bytes differ" + (f"; {retrans}" if retrans else ""))
        n = len(fa)
        what = "segment" if n == 1 else f"{n} segments"
        summary = f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: payload of {what} rewritten in the path ({lines[0].split(':', 1)[0]})"
        expl = ("Seen: the same segment (same connection, sequence number, length) was captured at both points with "
                "different bytes: " + " | ".join(lines) + (" | ..." if n > len(lines) else "") +
                ". Inferred: a device between the two capture points rewrites payload (a proxy, a broken NIC offload or a "
                "middlebox 'normalising' data); the receiver's TLS layer will fail the record's integrity check "
                "(bad_record_mac) unless the original bytes also arrived first.")
        out.append(ctx.finding(K.REWRITTEN, "error", cid, summary, expl, fa, fb))
    return out


def _first_sent(ctx: Context, cid: int, adir: int, rel: int, t: int, ab: bool) -> str:
    """'a retransmission: A#7 first sent seq 1449' when the sender side sent these bytes before."""
    side = 0 if ab else 1
    S = ctx.B if side else ctx.A
    r = ctx.al.rb if side else ctx.al.ra
    sel = np.nonzero((r.cid == cid) & (r.adir == adir) & (r.plen > 0) & (r.rel <= rel) & (r.rel + r.plen > rel)
                     & (r.t < t))[0]
    if not len(sel):
        return ""
    row = int(r.row[sel[0]])
    return f"a retransmission ({'B' if side else 'A'}#{int(S.frame[row])} first sent these bytes)"


# --- headers -----------------------------------------------------------------------------

def headers(ctx: Context) -> list[DiffFinding]:
    A, B, ia, ib = ctx.A, ctx.B, ctx.ia, ctx.ib
    out: list[DiffFinding] = []
    checks = [
        ("ip.id", (A.ip_id[ia] >= 0) & (B.ip_id[ib] >= 0) & (A.ip_id[ia] != B.ip_id[ib]), "ip_id", "0x{:04x}"),
        ("tcp.window_size_value", A.window[ia] != B.window[ib], "window", "{}"),
        ("tcp.flags", A.flags[ia] != B.flags[ib], "flags", "0x{:04x}"),
        ("tcp.ack", ctx.al.relaxed & ((A.flags[ia] & ACK) > 0) & (ctx.al.ra.ack[ctx.al.pa] != ctx.al.rb.ack[ctx.al.pb]),
         "ack", "{}"),
    ]
    for name, mask, attr, fmt in checks:
        sel = np.nonzero(mask)[0]
        for g, pos in _groups(ctx.group[sel]).items():
            pos = sel[pos]
            out.append(_header_finding(ctx, g, pos, name, attr, fmt))
    out.extend(_ttl(ctx))
    out.extend(_options(ctx))
    return out


def _pairs_text(ctx: Context, pos: np.ndarray, attr: str, fmt: str, ab: bool) -> tuple[str, list, list]:
    A, B = ctx.A, ctx.B
    fa = A.frame[ctx.ia[pos]].tolist()
    fb = B.frame[ctx.ib[pos]].tolist()
    va = getattr(A, attr)[ctx.ia[pos]].tolist()
    vb = getattr(B, attr)[ctx.ib[pos]].tolist()
    parts = []
    for x, y, u, v in list(zip(fa, fb, va, vb))[:MAX_LISTED]:
        sent, got = (u, v) if ab else (v, u)
        parts.append(f"A#{x} <-> B#{y}: sent {fmt.format(sent)}, arrived {fmt.format(got)}")
    return " | ".join(parts) + (" | ..." if len(fa) > MAX_LISTED else ""), fa, fb


def _header_finding(ctx: Context, g: int, pos: np.ndarray, name: str, attr: str, fmt: str) -> DiffFinding:
    cid, adir = g // 2, g % 2
    ab = ctx.travels_ab(cid, adir)
    text, fa, fb = _pairs_text(ctx, pos, attr, fmt, ab)
    n = len(fa)
    summary = f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: {name} rewritten in {n} segment{'s' if n != 1 else ''} (A#{fa[0]} <-> B#{fb[0]})"
    why = {"ip.id": "routers keep the IP identification; a NAT or proxy that re-originates packets writes its own",
           "tcp.window_size_value": "a device rewrites the advertised window (a WAN optimiser, a firewall "
                                    "clamping windows, a proxy)",
           "tcp.flags": "a device changes TCP flags (ECN bits cleared, PSH added or removed)",
           "tcp.ack": "a device changes acknowledgment numbers (a sequence-randomising firewall that "
                      "translates only one direction, or a proxy that acknowledges on its own)"}[name]
    expl = f"Seen: the same segment captured at both points with a different {name}: {text}. Inferred: {why}."
    return ctx.finding(K.HEADER_REWRITTEN, "warning", cid, summary, expl, fa, fb)


def _ttl(ctx: Context) -> list[DiffFinding]:
    A, B, out = ctx.A, ctx.B, []
    ab_pair = ctx.ab[ctx.group]
    sent = np.where(ab_pair, A.ttl[ctx.ia], B.ttl[ctx.ib])
    got = np.where(ab_pair, B.ttl[ctx.ib], A.ttl[ctx.ia])
    hops = sent - got
    for g, pos in _groups(ctx.group).items():
        h = hops[pos]
        lo, hi = int(h.min()), int(h.max())
        if lo == hi and 0 <= lo <= TTL_HOPS:
            continue
        cid, adir = g // 2, g % 2
        bad = pos if lo < 0 or lo > TTL_HOPS else pos[h != np.bincount(h - lo).argmax() + lo]
        text, fa, fb = _pairs_text(ctx, bad, "ttl", "{}", bool(ctx.ab[g]))
        values = sorted(set(got[pos].tolist()))
        summary = (f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: TTL rewritten (arrives with "
                   f"{', '.join(map(str, values[:4]))}{'...' if len(values) > 4 else ''}; A#{fa[0]} <-> B#{fb[0]})")
        expl = (f"Seen: TTL as sent minus TTL as arrived is {lo}..{hi} over {len(pos)} segments: {text}. Routers "
                f"lower the TTL by one per hop, the same for every packet; a decrease that varies, a rise, or more "
                f"than {TTL_HOPS} hops means a device sets its own TTL. Inferred: something re-originates these "
                f"packets (a proxy or a box answering for the peer); compare ip.middlebox_signature on the receiving side.")
        out.append(ctx.finding(K.HEADER_REWRITTEN, "warning", cid, summary, expl, fa, fb))
    return out


def _options(ctx: Context) -> list[DiffFinding]:
    A, B = ctx.A, ctx.B
    sel = np.nonzero(A.ohash[ctx.ia] != B.ohash[ctx.ib])[0]
    out = []
    for g, pos in _groups(ctx.group[sel]).items():
        pos = sel[pos]
        cid, adir = g // 2, g % 2
        ab = bool(ctx.ab[g])
        kinds: dict[str, list] = defaultdict(list)  # what changed -> pair positions
        detail: dict[str, str] = {}
        for p in pos.tolist():
            oa, ob = ctx.options(0, int(ctx.ia[p])), ctx.options(1, int(ctx.ib[p]))
            so, ro = (oa, ob) if ab else (ob, oa)
            what, text = _option_change(so, ro)
            kinds[what].append(p)
            detail.setdefault(what, text)
        for what, ps in kinds.items():
            ps = np.asarray(ps)
            fa = A.frame[ctx.ia[ps]].tolist()
            fb = B.frame[ctx.ib[ps]].tolist()
            n = len(fa)
            summary = (f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: TCP {what} ({detail[what]}) in {n} "
                       f"segment{'s' if n != 1 else ''} (A#{fa[0]} <-> B#{fb[0]})")
            pairs = ", ".join(f"A#{x} <-> B#{y}" for x, y in list(zip(fa, fb))[:MAX_LISTED])
            why = {"MSS clamped": "a router or firewall clamps the MSS (common on PPPoE and VPN links); harmless unless "
                                  "the clamp is below the path's real MTU need",
                   "options stripped": "a firewall or middlebox removes options it does not know or allow; without "
                                       "SACK or window scaling the connection is slower, without timestamps PAWS is lost",
                   "options added": "a device adds TCP options of its own",
                   "options rewritten": "a device rewrites option values (timestamps randomised by a firewall, "
                                        "SACK blocks translated)"}[what]
            expl = f"Seen: {pairs}: the sender's options {detail[what]}. Inferred: {why}."
            out.append(ctx.finding(K.HEADER_REWRITTEN, "warning", cid, summary, expl, fa, fb))
    return out


def _option_change(sent: bytes, got: bytes) -> tuple[str, str]:
    so = [(k, v) for k, v in parse_options(sent) if k > 1]
    ro = [(k, v) for k, v in parse_options(got) if k > 1]
    sk, rk = {k for k, _ in so}, {k for k, _ in ro}
    mss_s = next((int.from_bytes(v, "big") for k, v in so if k == 2 and len(v) == 2), None)
    mss_r = next((int.from_bytes(v, "big") for k, v in ro if k == 2 and len(v) == 2), None)
    name = lambda ks: ", ".join(OPTION_NAMES.get(k, f"kind {k}") for k in sorted(ks))  # noqa: E731
    if sk - rk:
        return "options stripped", f"{name(sk - rk)} removed"
    if rk - sk:
        return "options added", f"{name(rk - sk)} added"
    if mss_s is not None and mss_r is not None and mss_s != mss_r:
        return "MSS clamped", f"MSS {mss_s} -> {mss_r}"
    changed = {k for (k, v) in so if (k, v) not in ro}
    return "options rewritten", f"{name(changed) or 'layout'} changed"


def translation(ctx: Context) -> list[DiffFinding]:
    """NAT: a connection whose addresses or ports differ between the points; shifted sequence numbers."""
    out = []
    for cid, m in enumerate(ctx.matches):
        ea = m.a.ends
        eb = m.b.ends[::-1] if m.flip else m.b.ends
        fa = [int(ctx.A.frame[m.a.rows[0]])]
        fb = [int(ctx.B.frame[m.b.rows[0]])]
        if ea != eb:
            changed = [f"{endpoint(x)} at A is {endpoint(y)} at B" for x, y in zip(ea, eb) if x != y]
            out.append(ctx.finding(
                K.HEADER_REWRITTEN, "note", cid,
                f"{ctx.streams(cid)}: addresses translated (NAT): {'; '.join(changed)}",
                f"Seen: the connection was matched by {'its ISNs' if m.method == 'ISN' else m.method}, "
                f"with different addresses or ports at the two points: {'; '.join(changed)}. Inferred: a NAT or "
                f"load balancer between the points; findings on this connection use A's addresses.", fa, fb))
        shifted = [d for d in (0, 1) if m.delta[d]]
        if shifted:
            parts = [f"{endpoint(ea[d])}'s by {m.delta[d]} (0x{m.delta[d]:08x})" for d in shifted]
            out.append(ctx.finding(
                K.HEADER_REWRITTEN, "note", cid, f"{ctx.streams(cid)}: sequence numbers shifted ({'; '.join(parts)})",
                f"Seen: the same bytes carry sequence numbers that differ by a constant between the points "
                f"({'; '.join(parts)}; B minus A). Inferred: a firewall randomising ISNs (e.g. Cisco ASA) translates "
                f"sequence and acknowledgment numbers; SACK blocks it does not translate break selective ACKs.", fa, fb))
    return out


# --- segments seen on one side only ---------------------------------------------------

def one_sided(ctx: Context) -> list[DiffFinding]:
    A, B, al, clock = ctx.A, ctx.B, ctx.al, ctx.clock
    ra, rb = al.ra, al.rb
    # Kept where the other capture was running when the segment would have passed its point (the
    # connection direction's median time difference, else the offset): the rest was in flight at an edge.
    def expected(r, pos):  # noqa: ANN001, ANN202
        return np.array([clock.expect(int(c), int(d)) for c, d in zip(r.cid[pos], r.adir[pos])], dtype=np.int64)
    ta = ra.t[al.ua] + expected(ra, al.ua)
    tb = rb.t[al.ub] - expected(rb, al.ub)
    ka = al.ua[(ta >= B.first_ns) & (ta <= B.last_ns)]
    kb = al.ub[(tb >= A.first_ns) & (tb <= A.last_ns)]
    events: dict[tuple, list] = defaultdict(list)  # (cid, adir, kind) -> [(side, pos)]
    for side, keep, r in ((0, ka, ra), (1, kb, rb)):
        for p in keep.tolist():
            cid, adir = int(r.cid[p]), int(r.adir[p])
            ab = ctx.travels_ab(cid, adir)
            dropped = (side == 0) == ab  # seen at the sending point only
            events[(cid, adir, K.DROPPED if dropped else K.INJECTED)].append((side, p))
    out = []
    for (cid, adir, kind), evs in sorted(events.items()):
        out.append(_one_sided_finding(ctx, cid, adir, kind, evs))
    return out


def _one_sided_finding(ctx: Context, cid: int, adir: int, kind: str, evs: list) -> DiffFinding:
    A, B = ctx.A, ctx.B
    ab = ctx.travels_ab(cid, adir)
    sender, receiver = ("A", "B") if ab else ("B", "A")
    fa, fb, lines, flags_seen, payload = [], [], [], 0, 0
    for side, p in evs:
        r = ctx.al.rb if side else ctx.al.ra
        S = B if side else A
        row = int(r.row[p])
        (fb if side else fa).append(int(S.frame[row]))
        flags_seen |= int(S.flags[row])
        payload += int(S.plen[row])
        if len(lines) < MAX_LISTED:
            lines.append(_describe_one(ctx, side, p, kind, ab))
    n = len(evs)
    what = _what(flags_seen, payload, n)
    first = (f"A#{fa[0]}" if fa else f"B#{fb[0]}")
    if kind == K.DROPPED:
        summary = f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: {what} left {sender} and never reached {receiver} ({first})"
        expl = (f"Seen at {sender} only: " + " | ".join(lines) + (" | ..." if n > len(lines) else "") +
                f". Inferred: lost or discarded between the two points (congestion, a policer, a firewall dropping "
                f"what it does not like); a segment whose bytes arrived in another segment was resent by TCP.")
        sev = "warning"
    else:
        summary = f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: {what} arrived at {receiver} that {sender} never sent ({first})"
        forged = flags_seen & (RST | SYN | FIN) or payload
        expl = (f"Seen at {receiver} only, as if from {endpoint(ctx.matches[cid].a.ends[adir])}: " + " | ".join(lines) +
                (" | ..." if n > len(lines) else "") +
                f". Inferred: made by a device between the points, not by the peer"
                + (" (a forged RST tears the connection down for both ends: a firewall, IPS or censor)"
                   if flags_seen & RST else "") + ".")
        sev = "error" if forged else "warning"
    return ctx.finding(kind, sev, cid, summary, expl, fa, fb)


def _what(flags: int, payload: int, n: int) -> str:
    names = [x for bit, x in ((RST, "RST"), (SYN, "SYN"), (FIN, "FIN")) if flags & bit]
    if payload:
        names.append(f"{payload} bytes of data")
    segs = "1 segment" if n == 1 else f"{n} segments"
    return f"{segs} ({', '.join(names)})" if names else f"{segs} (pure ACK{'s' if n != 1 else ''})"


def _describe_one(ctx: Context, side: int, p: int, kind: str, ab: bool) -> str:
    r = ctx.al.rb if side else ctx.al.ra
    S = ctx.B if side else ctx.A
    row = int(r.row[p])
    name = "B" if side else "A"
    text = f"{name}#{int(S.frame[row])} seq {int(r.rel[p])} len {int(S.plen[row])} flags {flag_text(int(S.flags[row]))}"
    cid, adir = int(r.cid[p]), int(r.adir[p])
    other = ctx.al.ra if side else ctx.al.rb
    OS = ctx.A if side else ctx.B
    # The same bytes on the other side (a retransmission that got through, a duplicate made in the path).
    if int(S.plen[row]):
        rel, ln = int(r.rel[p]), int(S.plen[row])
        sel = np.nonzero((other.cid == cid) & (other.adir == adir) & (other.plen > 0) & (other.rel <= rel) &
                         (other.rel + other.plen >= rel + ln))[0]
        if len(sel):
            orow = int(other.row[sel[0]])
            same = ctx.payload(1 - side, orow)[rel - int(other.rel[sel[0]]):][:ln] == ctx.payload(side, row)
            text += (f"; these bytes were captured at {'A' if side else 'B'} in "
                     f"{'A' if side else 'B'}#{int(OS.frame[orow])} ({'same' if same else 'different'} bytes)")
        else:
            text += f"; these bytes were never captured at {'A' if side else 'B'}"
    if kind == K.INJECTED:
        # Its TTL against the peer's segments that did pass: a different sender shows.
        grp = 2 * cid + adir
        sel = np.nonzero(ctx.group == grp)[0]
        if len(sel):
            ttls = (ctx.B.ttl[ctx.ib[sel]] if side else ctx.A.ttl[ctx.ia[sel]])
            usual = int(np.bincount(ttls).argmax())
            ttl = int(S.ttl[row])
            text += f"; TTL {ttl}" + (f" where the peer's segments arrive with {usual}" if ttl != usual else
                                      " (as the peer's segments)")
    return text


# --- timing ----------------------------------------------------------------------------

def reordered(ctx: Context) -> list[DiffFinding]:
    A, B = ctx.A, ctx.B
    out = []
    if not len(ctx.group):
        return out
    ab_pair = ctx.ab[ctx.group]
    send = np.where(ab_pair, A.frame[ctx.ia], B.frame[ctx.ib])
    recv = np.where(ab_pair, B.frame[ctx.ib], A.frame[ctx.ia])
    order = np.lexsort((send, ctx.group))
    g, rv = ctx.group[order], recv[order]
    big = int(rv.max()) + 1 if len(rv) else 1
    adj = rv + g * big
    # Held back: a segment that arrived after one sent later (the least of what was sent after it).
    later_min = np.r_[np.minimum.accumulate(adj[::-1])[::-1][1:], np.iinfo(np.int64).max]
    late = np.nonzero(adj > later_min)[0]
    for grp, pos in _groups(g[late]).items():
        pos = order[late[pos]]
        cid, adir = grp // 2, grp % 2
        ab = bool(ctx.ab[grp])
        fa = A.frame[ctx.ia[pos]].tolist()
        fb = B.frame[ctx.ib[pos]].tolist()
        n = len(fa)
        total = int((ctx.group == grp).sum())
        recv_name = "B" if ab else "A"
        pairs = ", ".join(f"A#{x} <-> B#{y}" for x, y in list(zip(fa, fb))[:MAX_LISTED])
        summary = (f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: {n} of {total} segments arrived at {recv_name} "
                   f"after segments sent later (A#{fa[0]} <-> B#{fb[0]})")
        expl = (f"Seen: these segments were captured at the sending point before others that reached "
                f"{recv_name} ahead of them: {pairs}{', ...' if n > MAX_LISTED else ''}. Inferred: the path reorders "
                f"(parallel links, load balancing per packet, a queue that delays some packets); the receiver "
                f"sees out-of-order segments and sends duplicate ACKs that may trigger needless retransmissions.")
        out.append(ctx.finding(K.REORDERED, "note" if n * 100 < total else "warning", cid, summary, expl, fa, fb))
    return out


def delay_stats(ctx: Context) -> dict:
    """Per direction of travel ('A->B', 'B->A'): count, min, median, p5, p95, max (ns) and the slowest pair."""
    out = {}
    if not len(ctx.group):
        return out
    ab_pair = ctx.ab[ctx.group]
    d = ctx.clock.delay_ns
    for name, sel in (("A->B", ab_pair), ("B->A", ~ab_pair)):
        x = d[sel]
        if not len(x):
            continue
        p5, p50, p95 = (int(v) for v in np.percentile(x, [5, 50, 95]))
        k = int(np.argmax(x))
        pos = np.nonzero(sel)[0][k]
        out[name] = dict(count=len(x), min=int(x.min()), p5=p5, median=p50, p95=p95, max=int(x.max()),
                         slowest=(int(ctx.A.frame[ctx.ia[pos]]), int(ctx.B.frame[ctx.ib[pos]]),
                                  int(ctx.group[pos]) // 2))
    return out


JITTER_NS = 20_000_000  # p95 - p5 above this: the delay is worth a finding
HELD_NS = 200_000_000  # a segment held this much beyond the median


def delay(ctx: Context, stats: dict) -> list[DiffFinding]:
    out = []
    for name, st in stats.items():
        spread = st["p95"] - st["p5"]
        held = st["max"] - st["median"]
        if spread <= JITTER_NS and held <= HELD_NS:
            continue
        fa_, fb_, cid = st["slowest"]
        ms = lambda v: f"{v / 1e6:.3f} ms"  # noqa: E731
        summary = (f"one-way delay {name}: median {ms(st['median'])}, spread (p5-p95) {ms(spread)}, max {ms(st['max'])} "
                   f"(A#{fa_} <-> B#{fb_})")
        expl = (f"Seen: {st['count']} segments captured at both points; delay {name} min {ms(st['min'])}, p5 "
                f"{ms(st['p5'])}, median {ms(st['median'])}, p95 {ms(st['p95'])}, max {ms(st['max'])} (the slowest: "
                f"A#{fa_} <-> B#{fb_}, {ctx.streams(cid)}). The delays are measured with the estimated clock offset "
                f"({'assuming the same minimum delay both ways' if ctx.clock.separable else 'traffic in one direction only: relative to the fastest segment'}). "
                f"Inferred: a spread this large is queueing in the path (bufferbloat, a shaper) or a device holding "
                f"packets; RTT-based timers see it as jitter.")
        out.append(DiffFinding(K.DELAY, "note" if spread <= 5 * JITTER_NS else "warning", escape_text(summary),
                               escape_text(expl), [fa_], None, [fb_], None))  # the whole path: no one stream
    return out


def unmatched_connections(ctx: Context, only_a: list[Conn], only_b: list[Conn], margin_ns: int) -> list[DiffFinding]:
    out = []
    off = ctx.clock.offset_ns
    for c, side in [(c, 0) for c in only_a] + [(c, 1) for c in only_b]:
        S, O = (ctx.B, ctx.A) if side else (ctx.A, ctx.B)
        shift = -off if side else off
        if c.last_ns + shift < O.first_ns + margin_ns or c.first_ns + shift > O.last_ns - margin_ns:
            continue  # the other capture was not running
        here, there = ("B", "A") if side else ("A", "B")
        frames = S.frame[c.rows].tolist()
        syn = "with its SYN" if c.client >= 0 else "without a SYN"
        summary = (f"{here} tcp.stream {c.stream} {endpoint(c.ends[0])} <-> {endpoint(c.ends[1])}: connection seen only "
                   f"at {here} ({len(frames)} segments, {syn})")
        expl = (f"Seen: no connection at {there} has its ISNs, 4-tuple, first TCP timestamps or first payload, while "
                f"{there}'s capture was running ({here}#{frames[0]}..{here}#{frames[-1]}). Inferred: it took another "
                f"path, a capture filter left it out, or it was blocked (or answered) between the points.")
        fl = S.flags[c.rows]
        unanswered = bool(((fl & SYN) > 0).all() and not (fl & ACK).any())  # SYNs only: never answered
        if unanswered:
            expl += (f" Its {len(frames)} SYN{'s were' if len(frames) != 1 else ' was'} never answered: the "
                     f"connection attempt died between the points (a firewall dropping it, a routing hole).")
        out.append(DiffFinding(K.INJECTED if side else K.DROPPED, "warning" if unanswered else "note",
                               escape_text(summary), escape_text(expl),
                               [] if side else frames[:MAX_FRAMES], None if side else c.stream,
                               frames[:MAX_FRAMES] if side else [], c.stream if side else None))
    return out
