"""The conversation pass over whole columns: tcp.stream, udp.stream, directions and relative
sequence numbers for every frame at once, with NumPy.

``ConversationTracker`` (conversations.py) is the definition: a per-frame state machine keyed by
the address/port pair.  Each pair's machine is independent of the others, and for most pairs it
is simple: one stream, whose base sequence number per direction is fixed by the first frame of
that direction (or by the first ACK from the other side, when it comes earlier).  Those pairs are
computed here as whole-column operations.  A pair whose machine can split it into several streams
or re-base a direction (a SYN that is not the first frame of its direction, a SYN after the base
was guessed from an ACK) is fed, frame by frame in file order, to a ``ConversationTracker`` of its
own, so the result is the tracker's by construction.  tests/unit/tcp/test_conversations_bulk.py
checks that both give the same arrays and streams on every test capture and on crafted traffic.
"""
from __future__ import annotations

import numpy as np

from ..dissect.fast import Transport, TransportColumns
from ..dissect.transport import parse_options
from .conversations import (MOD32, SYN_SENT, completeness_bits, TH_ACK, TH_FIN, TH_RST, TH_SYN, ConversationTracker, TcpStream, UdpStream,
                            syn_window_scale)

_V6 = np.int64(1) << 50


def _endpoints(t: TransportColumns, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An integer per (address, port) of each row's source and destination: IPv4 as
    address << 16 | port, IPv6 as a number of its own (above every IPv4 code)."""
    return _codes(t.ip_version[rows], t.src4[rows], t.dst4[rows], t.src6[rows], t.dst6[rows], t.sport[rows],
                  t.dport[rows])


def _codes(version, src4, dst4, src6, dst6, sport, dport) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """``_endpoints`` from the columns' values themselves (one row per occurrence)."""
    m_all = len(version)
    src = np.zeros(m_all, dtype=np.int64)
    dst = np.zeros(m_all, dtype=np.int64)
    v4 = version == 4
    src[v4] = src4[v4].astype(np.int64) << 16 | sport[v4]
    dst[v4] = dst4[v4].astype(np.int64) << 16 | dport[v4]
    r6 = ~v4
    if r6.any():
        m = int(r6.sum())
        raw = np.zeros((2 * m, 18), dtype=np.uint8)
        raw[:m, :16], raw[m:, :16] = src6[r6], dst6[r6]
        ports = np.concatenate((sport[r6], dport[r6])).astype(np.uint16)
        raw[:, 16], raw[:, 17] = ports >> 8, ports & 0xFF
        _, ids = np.unique(raw.view("V18").ravel(), return_inverse=True)
        ids = ids.astype(np.int64).ravel() + _V6
        src[r6], dst[r6] = ids[:m], ids[m:]
    return src, dst


def _groups(rows: np.ndarray, src: np.ndarray, dst: np.ndarray):
    """Rows sorted by pair then frame; the group (pair) of each sorted row and group starts."""
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    order = np.lexsort((rows, hi, lo))
    lo_s, hi_s = lo[order], hi[order]
    new = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        new[1:] = (lo_s[1:] != lo_s[:-1]) | (hi_s[1:] != hi_s[:-1])
    group = np.cumsum(new) - 1
    starts = np.nonzero(new)[0]
    return order, group, starts


def _first(mask: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group, the sorted position of its first row where ``mask`` holds (-1 if none)."""
    out = np.full(n_groups, -1, dtype=np.int64)
    pos = np.nonzero(mask)[0]
    g = group[pos]
    keep = np.ones(len(pos), dtype=bool)
    keep[1:] = g[1:] != g[:-1]
    out[g[keep]] = pos[keep]
    return out


def _addr(t: TransportColumns, row: int, source: bool) -> tuple[bytes, int]:
    if t.ip_version[row] == 4:
        a = int(t.src4[row] if source else t.dst4[row]).to_bytes(4, "big")
    else:
        a = bytes(t.src6[row] if source else t.dst6[row])
    return a, int(t.sport[row] if source else t.dport[row])


def _transport(t: TransportColumns, row: int) -> Transport:
    """A ``Transport`` with what ``feed_tcp``/``feed_udp`` read, for the frame-by-frame pairs."""
    (src, sport), (dst, dport) = _addr(t, row, True), _addr(t, row, False)
    return Transport(int(t.proto[row]), src, dst, sport, dport, 0, 0, 0, 0, 0, int(t.seq[row]), int(t.ack[row]),
                     int(t.flags[row]), 0, 0, 0, int(t.ip_version[row]))


def window_scale(data, off: int, cap: int, t: TransportColumns, row: int) -> int:
    """A SYN's window-scale shift, as the frame pass reads it (-2 without the option)."""
    wscale = -2
    start, stop = off + int(t.l4_off[row]) + 20, min(off + int(t.payload_off[row]), off + cap)
    for kind, o, ln in parse_options(data, start, stop):
        if kind == 3 and ln == 3:
            wscale = min(data[o + 2], 14)
    return wscale


def trim_heap() -> None:
    """Give the allocator's free memory back to the system.  The whole-column work allocates and
    frees arrays of a few MB each; glibc then keeps them in its heap (its mmap threshold grows),
    which a long-lived analysis would otherwise carry (about 100 bytes a frame)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


def _completeness(t: TransportColumns, tcp_stream: np.ndarray, streams: list[TcpStream]) -> None:
    """Each stream's tcp.completeness bits (``TcpStream.first_bits``/``later_bits``), as
    ``ConversationTracker.feed_tcp`` leaves them, for all streams at once."""
    rows = np.nonzero(tcp_stream >= 0)[0]
    if not len(rows):
        return
    order = rows[np.argsort(tcp_stream[rows], kind="stable")]  # each stream's frames, in capture order
    bits = completeness_bits(t.flags[order].astype(np.int64), t.payload_len[order].astype(np.int64))
    keys = tcp_stream[order]
    starts = np.nonzero(np.r_[True, keys[1:] != keys[:-1]])[0]
    first = bits[starts].tolist()
    later = bits & ~SYN_SENT  # a SYN after the stream's first frame is not counted (TcpStream.completeness)
    later[starts] = 0
    later = np.bitwise_or.reduceat(later, starts).tolist()
    for number, f, rest in zip(keys[starts].tolist(), first, later):
        st = streams[number]
        st.first_bits, st.later_bits = f, rest


def track(data, offsets, caps, times_ns, t: TransportColumns) -> ConversationTracker:
    """A ``ConversationTracker`` holding what feeding every frame in order would leave in it."""
    n = t.n
    conv = ConversationTracker()
    tcp_stream = np.full(n, -1, dtype=np.int32)
    udp_stream = np.full(n, -1, dtype=np.int32)
    direction = np.full(n, -1, dtype=np.int8)
    rel_seq = np.zeros(n, dtype=np.uint32)
    rel_ack = np.zeros(n, dtype=np.uint32)
    prev = np.zeros(n, dtype=np.int32)
    times = np.asarray(times_ns, dtype=np.int64)
    offsets = np.asarray(offsets, dtype=np.int64)
    caps = np.asarray(caps, dtype=np.int64)

    tcp_rows = np.nonzero(t.proto == 6)[0]
    streams: list[tuple[int, TcpStream, np.ndarray]] = []  # (first row, stream, its rows in order)
    if len(tcp_rows):
        streams += _simple_tcp(data, offsets, caps, times, t, tcp_rows, direction, rel_seq, rel_ack)
    streams.sort(key=lambda x: x[0])
    for number, (_first_row, st, rows) in enumerate(streams):
        st.number = number
        tcp_stream[rows] = number
        prev[rows[1:]] = rows[:-1] + 1
        conv.tcp_streams.append(st)
        conv._tcp_by_key[_key(st)] = st

    if len(tcp_rows):
        _completeness(t, tcp_stream, conv.tcp_streams)
    _udp_streams(t, conv, udp_stream, direction)

    conv.tcp_stream.frombytes(tcp_stream.tobytes())
    conv.udp_stream.frombytes(udp_stream.tobytes())
    conv.direction.frombytes(direction.tobytes())
    conv.rel_seq.frombytes(rel_seq.tobytes())
    conv.rel_ack.frombytes(rel_ack.tobytes())
    conv.prev_in_stream.frombytes(prev.tobytes())
    conv.filled = n
    return conv


def _udp_streams(t: TransportColumns, conv: ConversationTracker, udp_stream: np.ndarray,
                 direction: np.ndarray) -> None:
    """udp.stream of every UDP occurrence: each frame's own UDP, and the UDP datagrams of the tunnels
    around its transport (``TransportColumns.outer``), numbered in the order tshark meets them (by
    frame, the outer ones first)."""
    udp_rows = np.nonzero(t.proto == 17)[0]
    outer = getattr(t, "outer", {})
    extra = [(row, k, u) for row in sorted(outer) for k, u in enumerate(outer[row])]
    if not len(udp_rows) and not extra:
        return
    # One occurrence per row: the frame's own UDP rows, then the outer datagrams.
    version = np.concatenate((t.ip_version[udp_rows], np.array([u.ip_version for _r, _k, u in extra], np.uint8)))
    src4 = np.concatenate((t.src4[udp_rows], np.array([u.src4 if u.ip_version == 4 else 0 for _r, _k, u in extra],
                                                      np.uint32)))
    dst4 = np.concatenate((t.dst4[udp_rows], np.array([u.dst4 if u.ip_version == 4 else 0 for _r, _k, u in extra],
                                                      np.uint32)))
    six = [(list(u.src) if u.ip_version == 6 else [0] * 16, list(u.dst) if u.ip_version == 6 else [0] * 16)
           for _r, _k, u in extra]
    src6 = np.concatenate((t.src6[udp_rows], np.array([a for a, _b in six], np.uint8).reshape(-1, 16)))
    dst6 = np.concatenate((t.dst6[udp_rows], np.array([b for _a, b in six], np.uint8).reshape(-1, 16)))
    sport = np.concatenate((t.sport[udp_rows], np.array([u.sport for _r, _k, u in extra], np.uint16)))
    dport = np.concatenate((t.dport[udp_rows], np.array([u.dport for _r, _k, u in extra], np.uint16)))
    rows = np.concatenate((udp_rows, np.array([r for r, _k, _u in extra], np.int64))).astype(np.int64)
    # Within a frame the outer datagrams come first (k), the frame's own UDP last.
    sub = np.concatenate((np.full(len(udp_rows), 15, np.int64), np.array([k for _r, k, _u in extra], np.int64)))
    src, dst = _codes(version, src4, dst4, src6, dst6, sport, dport)
    order, group, starts = _groups(rows * 16 + sub, src, dst)
    first = order[starts]  # the first occurrence of each stream
    number_of_group = np.empty(len(starts), dtype=np.int64)
    by_first = np.argsort(rows[first] * 16 + sub[first], kind="stable")
    number_of_group[by_first] = np.arange(len(starts))
    numbers = np.empty(len(rows), dtype=np.int64)
    numbers[order] = number_of_group[group]
    own = len(udp_rows)
    udp_stream[udp_rows] = numbers[:own]
    addr_code = src[first]
    gid = np.empty(len(rows), dtype=np.int64)
    gid[order] = group
    direction[udp_rows] = np.where(src[:own] == addr_code[gid[:own]], 0, 1)
    for g in by_first.tolist():
        k = int(first[g])
        a = _occurrence_addr(t, rows, own, extra, k, True)
        b = _occurrence_addr(t, rows, own, extra, k, False)
        s = UdpStream(len(conv.udp_streams), a, b, int(rows[k]) + 1)
        conv.udp_streams.append(s)
        conv._udp_by_key[(a, b) if a <= b else (b, a)] = s
    for j, (row, k, _u) in enumerate(extra):
        conv.outer_udp[row] = conv.outer_udp.get(row, ()) + (int(numbers[own + j]),)
        conv.outer_dir[row] = conv.outer_dir.get(row, ()) + (0 if src[own + j] == addr_code[gid[own + j]] else 1,)


def _occurrence_addr(t: TransportColumns, rows: np.ndarray, own: int, extra: list, k: int,
                     source: bool) -> tuple[bytes, int]:
    if k < own:
        return _addr(t, int(rows[k]), source)
    u = extra[k - own][2]
    return (u.src, u.sport) if source else (u.dst, u.dport)


def _key(st: TcpStream) -> tuple:
    a, b = st.addr, st.peer
    return (a, b) if a <= b else (b, a)


def _simple_tcp(data, offsets, caps, times, t, tcp_rows, direction, rel_seq, rel_ack):  # noqa: ANN001
    """The TCP streams, as (first row, TcpStream, rows): simple pairs here, the others through a
    tracker of their own.  Fills direction/rel_seq/rel_ack for every TCP row."""
    src, dst = _endpoints(t, tcp_rows)
    order, group, starts = _groups(tcp_rows, src, dst)
    n_groups = len(starts)
    rows_s = tcp_rows[order]
    src_s = src[order]
    flags = t.flags[rows_s].astype(np.int64)
    seq = t.seq[rows_s].astype(np.int64)
    ack = t.ack[rows_s].astype(np.int64)
    d = np.where(src_s == src_s[starts][group], 0, 1)
    syn = (flags & TH_SYN) != 0
    has_ack = (flags & TH_ACK) != 0
    first_d = [_first(d == k, group, n_groups) for k in (0, 1)]          # F_d
    first_ack_from = [_first(has_ack & (d == k), group, n_groups) for k in (0, 1)]  # first ACK sent by side k
    complex_group = np.zeros(n_groups, dtype=bool)
    # (a) a SYN that is not the first frame of its direction
    is_first = np.zeros(len(rows_s), dtype=bool)
    for k in (0, 1):
        f = first_d[k][first_d[k] >= 0]
        is_first[f] = True
    complex_group[group[syn & ~is_first]] = True
    base = np.zeros((2, n_groups), dtype=np.int64)
    saw_syn = np.zeros((2, n_groups), dtype=bool)
    for k in (0, 1):
        f, a = first_d[k], first_ack_from[1 - k]
        by_ack = (a >= 0) & ((f < 0) | (a < f))
        # (b) the base was guessed from the other side's ACK before this side's SYN
        complex_group |= by_ack & (f >= 0) & syn[np.maximum(f, 0)]
        by_seq = (f >= 0) & ~by_ack
        fs = np.maximum(f, 0)
        base[k] = np.where(by_ack, (ack[np.maximum(a, 0)] - 1) % MOD32,
                           np.where(syn[fs], seq[fs], (seq[fs] - 1) % MOD32))
        base[k][~by_ack & ~by_seq] = -1
        saw_syn[k] = by_seq & syn[fs]
    simple_row = ~complex_group[group]
    g = group
    rel_seq_s = (seq - base[d, g]) % MOD32
    rel_ack_s = np.where(has_ack, (ack - base[1 - d, g]) % MOD32, ack)
    rs = rows_s[simple_row]
    direction[rs] = d[simple_row]
    rel_seq[rs] = rel_seq_s[simple_row]
    rel_ack[rs] = rel_ack_s[simple_row]

    out = []
    ends = np.append(starts[1:], len(rows_s))
    fin = [_first((d == k) & ((flags & TH_FIN) != 0), group, n_groups) for k in (0, 1)]
    rst = _first((flags & TH_RST) != 0, group, n_groups)
    for gi in np.nonzero(~complex_group)[0].tolist():
        lo, hi = int(starts[gi]), int(ends[gi])
        rows = rows_s[lo:hi]
        r0, rl = int(rows[0]), int(rows[-1])
        st = TcpStream(0, _addr(t, r0, True), _addr(t, r0, False), r0 + 1, first_time_ns=int(times[r0]))
        st.base_seq = [int(base[0, gi]), int(base[1, gi])]
        st.saw_syn = [bool(saw_syn[0, gi]), bool(saw_syn[1, gi])]
        st.fin = [int(rows_s[fin[k][gi]]) + 1 if fin[k][gi] >= 0 else 0 for k in (0, 1)]
        st.rst = int(rows_s[rst[gi]]) + 1 if rst[gi] >= 0 else 0
        st.frames = hi - lo
        st.last_frame = rl + 1
        st.last_time_ns = int(times[rl])
        syns = sorted((int(first_d[k][gi]), k) for k in (0, 1) if first_d[k][gi] >= 0 and syn[first_d[k][gi]])
        for f, k in syns:  # in capture order, as the frame pass meets them
            row = int(rows_s[f])
            syn_window_scale(st, k, window_scale(data, int(offsets[row]), int(caps[row]), t, row), bool(has_ack[f]))
        out.append((r0, st, rows))

    complex_rows = np.sort(rows_s[~simple_row])
    if len(complex_rows):
        sub = ConversationTracker()
        for row in complex_rows.tolist():
            tr = _transport(t, row)
            ws = window_scale(data, int(offsets[row]), int(caps[row]), t, row) if tr.flags & TH_SYN else -2
            sub.feed_tcp(row + 1, int(times[row]), tr, ws)
        local = np.frombuffer(sub.tcp_stream, dtype=np.int32)
        direction[complex_rows] = np.frombuffer(sub.direction, dtype=np.int8)
        rel_seq[complex_rows] = np.frombuffer(sub.rel_seq, dtype=np.uint32)
        rel_ack[complex_rows] = np.frombuffer(sub.rel_ack, dtype=np.uint32)
        members = np.argsort(local, kind="stable")
        bounds = np.searchsorted(local[members], np.arange(len(sub.tcp_streams) + 1))
        for k, st in enumerate(sub.tcp_streams):
            rows = complex_rows[members[bounds[k]:bounds[k + 1]]]
            out.append((int(rows[0]), st, rows))
    return out
