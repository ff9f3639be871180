"""tcp.pmtu_blackhole (warning, inferred): full-size segments retransmitted and never acknowledged
while small segments in the same direction get through.

The pattern, per TCP stream and direction, read from the captured segments:

* a segment at least ``FULL_SHARE`` of the largest payload the direction sent (and at least
  ``MIN_FULL`` bytes: near the MSS) is sent two or more times at that size, and no ACK from the
  peer passes its start while those copies go out;
* either three or more full-size copies went unacknowledged, or the data got through only once
  the sender cut it into smaller segments, or the stream ended (RST, FIN, end of capture) waiting;
* small segments of the same direction do get through: acknowledged, or answered by duplicate
  ACKs (each one the peer's answer to a segment that arrived);
* no full-size segment of that direction was ever acknowledged before a resend (big packets pass
  otherwise: plain loss, not a black hole).

Streams captured one way only (``findings.oneway``) are skipped: there the ACKs are missing
from the file, not from the wire.  An ``ip.fragmentation_needed`` seen for the stream is named
instead of the guess that ICMP is filtered.
"""
from __future__ import annotations

from ..context import Context, frame_list, plural
from ..model import Finding
from ..oneway import one_direction_streams
from ..pathmtu import segments, too_big_messages
from ..tlsinfo import handshake_done, handshake_started

KINDS = ("tcp.pmtu_blackhole",)
M32 = 0xFFFFFFFF
HALF = 0x80000000
TH_FIN, TH_SYN, TH_RST, TH_ACK = 0x01, 0x02, 0x04, 0x10
MIN_FULL = 1000
FULL_SHARE = 0.9


def _ge(a: int, b: int) -> bool:
    """a at or after b in sequence space."""
    return ((a - b) & M32) < HALF


def _gt(a: int, b: int) -> bool:
    return a != b and _ge(a, b)


def _candidate_streams(ctx: Context) -> list[int]:
    """Streams worth reading segment by segment: a full-size segment resent twice at the same
    sequence number, or resent and then smaller resends at it (re-cut), or a full-size resend among
    the stream's last frames (it ended waiting).  Read from the retransmission events alone, so a
    capture full of ordinary losses is not parsed frame by frame (1M frames: 5 s before)."""
    by_seq: dict[tuple[int, int, int], list[int]] = {}
    full_resends: dict[int, list[int]] = {}
    seq = ctx.conv.rel_seq
    for kind in ("retransmission", "fast_retransmission"):
        try:
            events = ctx.tcp_events(kind)
        except (KeyError, AttributeError):
            continue
        for f, s in events:
            if s < 0:
                continue
            n = ctx.tcp_payload_len(f)
            by_seq.setdefault((s, ctx.direction(f), seq[f - 1]), []).append(n)
            if n >= MIN_FULL:
                full_resends.setdefault(s, []).append(f)
    got = {s for (s, _d, _q), lens in by_seq.items() if len(lens) >= 2 and max(lens) >= MIN_FULL}
    prev = ctx.conv.prev_in_stream
    for s, frames in full_resends.items():
        if s in got:
            continue
        st = ctx.tcp_stream(s)
        tail, f = set(), st.last_frame if st is not None else 0
        for _ in range(6):
            if not f:
                break
            tail.add(f)
            f = prev[f - 1]
        if tail & set(frames):
            got.add(s)
    return sorted(got)


def _analyse(segs: list, d: int) -> dict | None:
    mine = [s for s in segs if s.direction == d]
    data = [s for s in mine if s.length > 0 and not s.flags & TH_SYN]
    if not data:
        return None
    peer_acks = [s for s in segs if s.direction != d and s.flags & TH_ACK]
    if not peer_acks:
        return None
    maxlen = max(s.length for s in data)
    full = max(MIN_FULL, int(maxlen * FULL_SHARE))
    if maxlen < MIN_FULL:
        return None

    def first_ack_past(after_frame: int, seq: int):
        for a in peer_acks:
            if a.frame > after_frame and _gt(a.ack, seq):
                return a
        return None

    by_seq: dict[int, list] = {}
    for s in data:
        if s.length >= full:
            by_seq.setdefault(s.seq, []).append(s)
    # Full-size segments that were acknowledged before any resend: big packets do get through.
    big_passed = 0
    for seq, copies in by_seq.items():
        a = first_ack_past(copies[0].frame, (seq + copies[0].length - 1) & M32)
        nxt = next((s for s in data if s.frame > copies[0].frame and s.seq == seq), None)
        if a is not None and (nxt is None or a.frame < nxt.frame):
            big_passed += 1
    if big_passed:
        return None
    stuck = []
    for seq, copies in sorted(by_seq.items(), key=lambda kv: kv[1][0].frame):
        if len(copies) < 2:
            continue
        a = first_ack_past(copies[0].frame, seq)
        unacked = [c for c in copies if a is None or c.frame < a.frame]
        if len(unacked) < 2:
            continue
        smaller = [s for s in data if s.frame > copies[0].frame and s.length < full
                   and ((seq - s.seq) & M32) < s.length and (a is None or s.frame < a.frame)]
        ended = a is None
        if len(unacked) >= 3 or (smaller and a is not None) or ended:
            stuck.append((seq, unacked, smaller if a is not None else [], a))
    if not stuck:
        return None
    seq0, unacked0, _, _ = stuck[0]
    start = unacked0[0].frame
    # Small segments that pass: acknowledged ones, before or after, and duplicate ACKs.
    small_acked = []
    for s in data:
        if s.length >= full or s.length == 0:
            continue
        if any(s.seq == x[0] for x in stuck):
            continue
        if first_ack_past(s.frame, (s.seq + s.length - 1) & M32) is not None:
            small_acked.append(s)
    smaller_through = [x for x in stuck if x[2]]
    dupacks = []
    prev_ack = None
    for a in peer_acks:
        if a.frame < start:
            prev_ack = a.ack
            continue
        if not _gt(a.ack, seq0) and a.length == 0 and not a.flags & (TH_SYN | TH_FIN | TH_RST) \
                and prev_ack is not None and a.ack == prev_ack:
            dupacks.append(a.frame)
        prev_ack = a.ack
    small_after = [s for s in data if s.frame > start and s.length < full]
    if not small_acked and not smaller_through and not (dupacks and small_after):
        return None
    return {"full": full, "maxlen": maxlen, "stuck": stuck, "small_acked": small_acked,
            "dupacks": dupacks, "small_after": small_after, "smaller_through": smaller_through,
            "ended": any(x[3] is None for x in stuck)}


def check(ctx: Context) -> list[Finding]:
    if ctx.tcp is None:
        return []
    oneway = one_direction_streams(ctx)
    icmp = {}
    for tb in too_big_messages(ctx):
        if tb.kind == "tcp":
            icmp.setdefault((tb.stream, tb.direction), []).append(tb)
    tls = {key[1]: st for key, st in ctx.tls_streams.items() if key[0] == "tcp"}
    out = []
    for stream in _candidate_streams(ctx):
        if ("tcp", stream) in oneway:
            continue
        segs = segments(ctx, stream)
        for d in (0, 1):
            got = _analyse(segs, d)
            if got is None:
                continue
            st = tls.get(stream)
            cdir = st.client_direction if st is not None and st.client_direction in (0, 1) else None
            if cdir is None:
                ts = ctx.tcp_stream(stream)
                if ts is not None and ts.saw_syn[0] and ts.saw_syn[1]:
                    cdir = 0  # both SYNs seen: the first-seen sender sent the first one
            sender = ctx.side("tcp", stream, d, cdir)
            stuck = got["stuck"]
            seq, unacked, _smaller, _a = stuck[0]
            sizes = sorted({c.length for x in stuck for c in x[1]})
            frames = [c.frame for x in stuck for c in x[1]]
            parts = [f"{sender} sent {plural(len(stuck), 'full-size segment')} "
                     f"({'/'.join(str(n) for n in sizes)} bytes of payload; the largest it sent is {got['maxlen']}) "
                     f"again and again without an ACK: seq {seq} in frame {frame_list([c.frame for c in unacked], 8)}"]
            for sq, un, _s, _a2 in stuck[1:4]:
                parts.append(f"seq {sq} in frame {frame_list([c.frame for c in un], 8)}")
            if len(stuck) > 4:
                parts.append(f"and {len(stuck) - 4} more")
            seen = "; ".join(parts) + "."
            passing = []
            if got["small_acked"]:
                sa = got["small_acked"]
                lo, hi = min(s.length for s in sa), max(s.length for s in sa)
                passing.append(f"{plural(len(sa), 'smaller segment')} of the same direction "
                               f"({lo if lo == hi else f'{lo}-{hi}'} bytes, frame "
                               f"{frame_list([s.frame for s in sa], 6)}) were acknowledged")
                frames.extend(s.frame for s in sa[:6])
            if got["dupacks"] and got["small_after"]:
                passing.append(f"the peer sent {plural(len(got['dupacks']), 'duplicate ACK')} (frame "
                               f"{frame_list(got['dupacks'], 6)}), each the answer to a smaller segment that arrived "
                               "after the lost ones")
            for sq, _un, smaller, a in got["smaller_through"][:2]:
                passing.append(f"the same bytes (seq {sq}) were acknowledged in frame {a.frame} only after the "
                               f"sender resent them in smaller pieces (frame {frame_list([s.frame for s in smaller], 4)}, "
                               f"{'/'.join(str(s.length) for s in smaller[:4])} bytes)")
                frames.extend(s.frame for s in smaller[:4])
                frames.append(a.frame)
            if got["ended"]:
                passing.append("some of them are still unacknowledged when the capture ends")
            seen += " Meanwhile " + "; ".join(passing) + "."
            hs = ""
            if st is not None and handshake_started(st) and not handshake_done(st):
                hs = " The TLS handshake on this stream did not complete, consistent with this stall."
            told = icmp.get((stream, d), [])
            if told:
                t0 = told[0]
                inferred = (f"An ICMP {'fragmentation needed' if t0.icmp.version == 4 else 'Packet Too Big'} for "
                            f"this stream was seen (frame {t0.frame}, MTU {t0.mtu or 'not given'}; see "
                            "ip.fragmentation_needed): the path's MTU is too small for these segments, and the "
                            "sender went on sending them at full size; it ignored the message, or the message was "
                            "lost between this capture point and the sender.")
                check_what = ("Check: the sender's path MTU discovery (is ICMP reaching its stack?), and MSS "
                              "clamping on the tunnel so that full-size segments fit.")
                frames.append(t0.frame)
            else:
                inferred = ("Inferred (not seen): packets of this size are dropped somewhere on the path while "
                            "smaller ones pass, and no ICMP fragmentation-needed reached the capture point: a path "
                            "MTU black hole, typically a tunnel or VPN (IPsec, GRE, PPPoE, WireGuard) whose MTU is "
                            "smaller than the endpoints think, with ICMP filtered."
                            + (" It is the classic stall of a TLS handshake at the server's certificate flight."
                               if hs else ""))
                check_what = ("Check: the MTU of tunnels on the path and MSS clamping on them (e.g. TCPMSS "
                              "--clamp-mss-to-pmtu, or a lower MSS on the VPN interface); whether firewalls drop ICMP "
                              "type 3 code 4 / ICMPv6 type 2; try a ping with DF set and a full-size payload (ping -M do "
                              "-s 1472) along the same path; a capture on the other side would show the large "
                              "segments never arriving.")
            out.append(Finding(
                kind="tcp.pmtu_blackhole", severity="warning",
                summary=(f"full-size segments from {sender} retransmitted and never acknowledged while small ones "
                         f"pass in TCP stream {stream} ({ctx.peers('tcp', stream, cdir if cdir is not None else 0)}): "
                         "likely a path MTU black hole" if not told else
                         f"full-size segments from {sender} lost after an ICMP too-big in TCP stream {stream}"),
                explanation=f"Seen: {seen}{hs} {inferred} {check_what}",
                frames=frames, stream=stream))
    return out
