"""The TLS view of a diff: the records each point saw, compared, on the connection directions where
the TCP view found payload changed, lost or added.

Each point's byte stream is rebuilt as a receiver there would take it (the first copy of each
byte, in capture order), from the first byte after the SYN; TLS record headers are walked on both
and records at the same stream offset compared.  A record that differs, or an alert record one
point has and the other does not (an alert forged or swallowed by the path), is a finding.
"""
from __future__ import annotations

import numpy as np

from ..tls.names import ALERT_DESCRIPTIONS, ALERT_LEVELS
from . import kinds as K
from .detect import Context
from .model import DiffFinding

CONTENT = {20: "ChangeCipherSpec", 21: "Alert", 22: "Handshake", 23: "Application Data", 24: "Heartbeat"}
MAX_STREAM = 16 << 20  # bytes of one direction rebuilt at most


def _stream(ctx: Context, side: int, cid: int, adir: int):
    """(bytes, owner frame per byte, filled mask) from relative seq 1, or None."""
    r = ctx.al.rb if side else ctx.al.ra
    S = ctx.B if side else ctx.A
    sel = np.nonzero((r.cid == cid) & (r.adir == adir) & (r.plen > 0) & (r.rel < MAX_STREAM))[0]
    if not len(sel):
        return None
    rel, ln = r.rel[sel], r.plen[sel]
    end = int(min((rel + ln).max(), MAX_STREAM + 1))
    if end <= 1:
        return None
    buf = np.zeros(end, np.uint8)
    owner = np.zeros(end, np.int32)
    filled = np.zeros(end, bool)
    for p in sel[np.argsort(r.t[sel], kind="stable")].tolist():
        a = int(r.rel[p])
        row = int(r.row[p])
        pay = np.frombuffer(ctx.payload(side, row), np.uint8)
        lo, hi = max(a, 1), min(a + len(pay), end)
        if hi <= lo:
            continue
        piece = pay[lo - a:hi - a]
        free = ~filled[lo:hi]
        buf[lo:hi][free] = piece[free]
        owner[lo:hi][free] = int(S.frame[row])
        filled[lo:hi] = True
    return buf, owner, filled


def _records(st, start: int = 1) -> dict[int, tuple]:
    """{seq: (type, version, length, bytes, frames, complete)} of the records that start at ``start``
    (relative seq; 1 is the first byte after the SYN) and follow one another."""
    buf, owner, filled = st
    out, at, n = {}, start, len(buf)
    while at + 5 <= n and filled[at:at + 5].all():
        ctype, major = int(buf[at]), int(buf[at + 1])
        if ctype not in CONTENT or major != 3:
            break
        ln = int(buf[at + 3]) << 8 | int(buf[at + 4])
        end = at + 5 + ln
        complete = end <= n and bool(filled[at:end].all())
        body = bytes(buf[at:end]) if complete else b""
        frames = sorted(set(owner[at:min(end, n)][filled[at:min(end, n)]].tolist()))
        out[at] = (ctype, int(buf[at + 1]) << 8 | int(buf[at + 2]), ln, body, frames, complete)
        if not complete:
            break
        at = end
    return out


def _alert_text(rec, decrypted: tuple[int, int] | None = None, keyed: bool = False) -> str:  # noqa: ANN001
    ctype, _v, ln, body, _f, complete = rec
    if complete and ln == 2:
        return (f"Alert (Level: {ALERT_LEVELS.get(body[5], 'Unknown')}, Description: "
                f"{ALERT_DESCRIPTIONS.get(body[6], 'Unknown')})")
    if decrypted is not None:
        return (f"an encrypted Alert (Level: {ALERT_LEVELS.get(decrypted[0], 'Unknown')}, Description: "
                f"{ALERT_DESCRIPTIONS.get(decrypted[1], 'Unknown')}; decrypted with the key log)")
    if keyed:
        return f"an encrypted alert record ({ln} bytes; the key log does not decrypt it)"
    return f"an encrypted alert record ({ln} bytes; which alert it is needs the keys: --keylog)"


def _decrypted(ctx: Context, cid: int, here: str, rec) -> tuple[int, int] | None:  # noqa: ANN001
    if ctx.keys is None or (rec[5] and rec[2] == 2):
        return None
    side = 0 if here == "A" else 1
    m = ctx.matches[cid]
    try:
        return ctx.keys.alert(side, (m.b if side else m.a).stream, rec[4])
    except Exception:  # noqa: BLE001 - a capture the full analysis cannot read: the alert stays unnamed
        return None


def _seg_starts(ctx: Context, cid: int, adir: int) -> list[int]:
    r = ctx.al.ra
    sel = np.nonzero((r.cid == cid) & (r.adir == adir) & (r.plen > 0) & (r.rel < MAX_STREAM))[0]
    return sorted(set(r.rel[sel].tolist()))


def _chains(st, starts: list[int], first: int | None) -> list[int]:  # noqa: ANN001
    """Where runs of records start in the sender's stream: ``first`` (1 after a SYN), then, after
    each break (a hole the capture never filled, a segment before the capture), the first segment
    start where a plausible record begins."""
    if st is None:
        return []
    out, pos, tries = [], 0, 0
    while tries < 64:
        at = first
        if at is None:
            for cand in starts:
                if cand < pos:
                    continue
                tries += 1
                recs = _records(st, cand)
                head = recs.get(cand)
                # A plausible start: a whole record of at most 2^14 + 2048 bytes (TLS's bound) with
                # version 3.0-3.4, then another record, a hole or the end.
                if head is not None and head[5] and head[2] <= 18432 and 0x0300 <= head[1] <= 0x0304 and (
                        len(recs) >= 2 or cand + 5 + head[2] >= len(st[0]) or not st[2][cand + 5 + head[2]]):
                    at = cand
                    break
                if tries >= 64:
                    break
        if at is None:
            break
        out.append(at)
        recs = _records(st, at)
        end = max((k + 5 + v[2] for k, v in recs.items()), default=at + 1)
        if end >= len(st[0]):
            break
        pos, first = end, None
    return out


def tls_view(ctx: Context, groups: set[tuple[int, int]]) -> list[DiffFinding]:
    out = []
    for cid, adir in sorted(groups):
        m = ctx.matches[cid]
        ab = ctx.travels_ab(cid, adir)
        sa, sb = _stream(ctx, 0, cid, adir), _stream(ctx, 1, cid, adir)
        if sa is None and sb is None:
            continue
        # Record boundaries from the sender's stream, applied to both points' streams.
        starts = _chains(sa if ab else sb, _seg_starts(ctx, cid, adir), 1 if m.a.isn[adir] >= 0 else None)
        ra, rb = {}, {}
        for at in starts:
            if sa is not None:
                ra.update(_records(sa, at))
            if sb is not None:
                rb.update(_records(sb, at))
        if not ra and not rb:
            continue  # not TLS
        sender, receiver = ("A", "B") if ab else ("B", "A")
        differ, alerts = [], []
        for off in sorted(set(ra) | set(rb)):
            x, y = ra.get(off), rb.get(off)
            if x is not None and y is not None:
                if x[:4] == y[:4] or not (x[5] and y[5]):
                    continue  # the same record, or one side lacks bytes of it (the drop is the finding)
                differ.append((off, x, y))
                for rec, here, there in ((x, "A", "B"), (y, "B", "A")):
                    if rec[0] == 21 and (y if here == "A" else x)[0] != 21:
                        alerts.append((off, rec, here, there))
                if x[:3] != y[:3]:
                    break  # the record layouts part here: what follows is not comparable
                continue
            # A record one side has where the other has no bytes at all (dropped, or added by the path).
            rec, here, there = (x, "A", "B") if x is not None else (y, "B", "A")
            other = sb if here == "A" else sa
            if rec[0] == 21 and (other is None or off + 5 > len(other[2]) or not other[2][off:off + 5].any()):
                alerts.append((off, rec, here, there))
        for off, x, y in differ:
            name = CONTENT.get(x[0], str(x[0]))
            what = (f"type {name} -> {CONTENT.get(y[0], y[0])}" if x[0] != y[0] else
                    f"length {x[2]} -> {y[2]}" if x[2] != y[2] else "same type and length, different bytes")
            xs, ys = (x, y) if ab else (y, x)
            summary = (f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: TLS {name} record at seq {off} "
                       f"differs between the points ({what}; A#{x[4][0] if x[4] else '?'} / B#{y[4][0] if y[4] else '?'})")
            expl = (f"Seen: the record at seq {off} ({off - 1} bytes into this direction's stream) is, as {sender} sent "
                    f"it, {CONTENT.get(xs[0], xs[0])} of {xs[2]} bytes (frames {sender}#{', '.join(map(str, xs[4][:8]))}), and as "
                    f"{receiver} received it {CONTENT.get(ys[0], ys[0])} of {ys[2]} bytes (frames {receiver}#"
                    f"{', '.join(map(str, ys[4][:8]))}); rebuilt from the first copy of each byte each point captured. "
                    f"Inferred: the receiver's TLS stack gets a record the sender did not write: an encrypted record "
                    f"fails its integrity check (bad_record_mac), a handshake message breaks the Finished hash."
                    + (" The record headers differ: the records after it are not compared." if x[:3] != y[:3] else ""))
            out.append(ctx.finding(K.TLS_RECORDS, "error", cid, summary, expl, x[4], y[4]))
        for off, rec, here, there in alerts:
            only_receiver = here == receiver
            text = _alert_text(rec, _decrypted(ctx, cid, here, rec), ctx.keys is not None)
            summary = (f"{ctx.streams(cid)} {ctx.direction(cid, adir)}: TLS alert seen only at {here} "
                       f"({here}#{rec[4][0] if rec[4] else '?'}: {text})")
            expl = (f"Seen: at seq {off} {here} has {text}; {there} has no alert there. Inferred: "
                    + ("a device between the points sent this alert in the peer's name (a TLS-inspecting proxy "
                       "or firewall refusing the connection)" if only_receiver else
                       "the alert was lost or swallowed between the points: the peer never learned why the "
                       "connection ended") + ".")
            fa, fb = (rec[4], []) if here == "A" else ([], rec[4])
            out.append(ctx.finding(K.TLS_ALERT, "error", cid, summary, expl, fa, fb))
    return out
