"""The per-frame half of the analysis pass, below the session.

``feed_frames`` walks frames in file order and hands each one to the conversation tracker
(tcp.stream, udp.stream, relative sequence numbers), the TCP analyzer, the reassembler and
the TLS/DTLS analyzer (for UDP payloads); any of the last three may be left out.  The session
(``Session._analyze_range``) runs it with all four; the TCP-analysis child process
(``tcp.offload``) runs it with the tracker and the analyzer alone, on a ``LowerSource``
instead of a session.  It imports nothing above ``tcp/`` and ``dissect/``, so the child never
loads the session, the TLS decoders or the findings.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..dissect import fast
from ..dissect.transport import parse_options
from .conversations import ConversationTracker

TH_SYN_FIN_RST = 0x07

if TYPE_CHECKING:
    from ..capture.reader import Capture
    from .analysis import TcpAnalyzer
    from .reassembly import Reassembler


class LowerSource:
    """What the TCP analyzer reads from its session (the capture and the conversations), without
    a session: the offload child analyses a file with this."""

    reassembler = None  # no reassembly: no candidates for tlstui.tcp.retransmission_mismatch here

    def __init__(self, capture: "Capture", conv: ConversationTracker) -> None:
        self.capture = capture
        self.conv = conv

    def __len__(self) -> int:
        return len(self.capture.index)


def feed_frames(capture: "Capture", start: int, stop: int, conv: ConversationTracker,
                tcpa: "TcpAnalyzer | None" = None, reasm: "Reassembler | None" = None, tls=None) -> None:  # noqa: ANN001
    """The pass over frames start+1 .. stop (0-based indexes start .. stop-1).

    ``tls`` (a ``TlsAnalyzer``) gets the UDP payloads; TCP payloads reach it through ``reasm``."""
    data = capture.data
    idx = capture.index
    offsets, caps, origs, times, ifaces = idx.offset, idx.cap_len, idx.orig_len, idx.time_ns, idx.interface
    linktypes = [i.linktype for i in capture.interfaces]
    parse = fast.parse_transport
    # Frames the tracker already holds (``conversations_bulk.track`` did them all at once) are
    # looked up, not fed again.
    filled = conv.filled
    tcp_of, dir_of, tcp_streams = conv.tcp_stream, conv.direction, conv.tcp_streams
    udp_of, udp_streams = conv.udp_stream, conv.udp_streams
    for i in range(start, stop):
        number = i + 1
        off = offsets[i]
        t = parse(data, off, caps[i], linktypes[ifaces[i]], origs[i])
        if t is None:
            if i >= filled:
                conv.skip()
            if tcpa:
                tcpa.skip(number)
            continue
        end = off + caps[i]
        if t.outer and i >= filled:
            conv.feed_outer(number, t.outer)  # the tunnels' UDP streams, numbered before the inner one
        if t.proto == 6:
            if i < filled:
                stream, d = tcp_streams[tcp_of[i]], dir_of[i]
            else:
                wscale = -2
                if t.flags & 0x02:
                    for kind, o, ln in parse_options(data, t.l4_off + 20, min(t.payload_off, end)):
                        if kind == 3 and ln == 3:
                            wscale = min(data[o + 2], 14)
                stream, d = conv.feed_tcp(number, times[i], t, wscale)
            if tcpa:
                tcpa.feed(number, times[i], t, stream, d)
            if reasm is None:
                continue
            captured = max(0, min(t.payload_len, end - t.payload_off))
            payload = bytes(data[t.payload_off:t.payload_off + captured]) if captured else b""
            reasm.segment(stream.number, d, number, conv.rel_seq[i], t.flags, payload,
                          t.payload_off - off, t.payload_len, t.sport, t.dport)
        else:
            ustream, d = (udp_streams[udp_of[i]], dir_of[i]) if i < filled else conv.feed_udp(number, t)
            if tls and t.payload_len and not t.tunnel & fast.CARRIER:  # a tunnel's own payload is no application's
                captured = max(0, min(t.payload_len, end - t.payload_off))
                tls.on_udp(ustream.number, d, number, bytes(data[t.payload_off:t.payload_off + captured]),
                           t.payload_off - off, t.sport, t.dport)
            if tcpa:
                tcpa.skip(number)


def transport_columns(capture: "Capture") -> "fast.TransportColumns":
    """``fast.parse_transport_bulk`` over every indexed frame of the capture (NumPy over the file)."""
    import numpy as np

    idx = capture.index
    n = len(idx)
    linktypes = np.array([i.linktype for i in capture.interfaces] or [0], dtype=np.int64)
    ifaces = np.asarray(idx.interface[:n], dtype=np.int64)
    return fast.parse_transport_bulk(capture.data, np.frombuffer(idx.offset, dtype=np.int64)[:n] if n else [],
                                     np.frombuffer(idx.cap_len, dtype=np.uint32)[:n] if n else [],
                                     linktypes[ifaces] if n else ifaces,
                                     np.frombuffer(idx.orig_len, dtype=np.uint32)[:n] if n else [])


class PassRows:
    """The frames the upper half of the pass (reassembly, TLS/DTLS on UDP) has anything to do with,
    read from the bulk transport columns: TCP segments with payload or SYN/FIN/RST, the last
    segment of each stream direction (the reassembler's ``last_frame`` at the end of the
    capture), and UDP datagrams with payload outside tunnels' own UDP.  Pure ACKs are most of
    the rest: when the TCP analysis runs elsewhere (``tcp.offload``) they are never visited, and
    the rows come with the values ``feed_frames`` would read from each frame's headers.
    """

    __slots__ = ("rows", "proto", "payload_off", "payload_len", "flags", "sport", "dport")

    def __init__(self, t: "fast.TransportColumns", conv: ConversationTracker) -> None:
        import numpy as np

        n = t.n
        tcp = t.proto == 6
        streams = np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        dirs = np.frombuffer(conv.direction, dtype=np.int8)[:n] if n else np.zeros(0, np.int8)
        udp_of = np.frombuffer(conv.udp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        tcp &= streams >= 0
        busy = tcp & ((t.payload_len > 0) | ((t.flags & TH_SYN_FIN_RST) != 0))
        tcp_rows = np.nonzero(tcp)[0]
        if len(tcp_rows):  # the last segment of each (stream, direction), by a stable sort on the key
            key = streams[tcp_rows].astype(np.int64) * 2 + dirs[tcp_rows]
            order = np.argsort(key, kind="stable")
            ends = np.r_[key[order][1:] != key[order][:-1], True]
            busy[tcp_rows[order[ends]]] = True
        busy |= (t.proto == 17) & (udp_of >= 0) & (t.payload_len > 0) & ((t.tunnel & fast.CARRIER) == 0)
        rows = np.nonzero(busy)[0]
        self.rows = rows
        self.proto = t.proto[rows]
        self.payload_off = t.payload_off[rows]
        self.payload_len = t.payload_len[rows]
        self.flags = t.flags[rows]
        self.sport = t.sport[rows]
        self.dport = t.dport[rows]

    def span(self, start: int, stop: int) -> tuple[int, int]:
        """The positions in ``rows`` of frames start+1 .. stop."""
        import numpy as np

        return int(np.searchsorted(self.rows, start)), int(np.searchsorted(self.rows, stop))


def feed_rows(capture: "Capture", rows: PassRows, start: int, stop: int, conv: ConversationTracker,
              reasm: "Reassembler", tls=None) -> None:  # noqa: ANN001
    """What ``feed_frames(capture, start, stop, conv, None, reasm, tls)`` does, on the frames of
    ``rows`` alone: the conversation pass has run over all of them (``conv.filled``)."""
    lo, hi = rows.span(start, stop)
    for a in range(lo, hi, ROWS_PER_SLICE):  # small slices of Python values: see feed_analysis
        _feed_rows(capture, rows, a, min(hi, a + ROWS_PER_SLICE), conv, reasm, tls)


def _feed_rows(capture: "Capture", rows: PassRows, lo: int, hi: int, conv: ConversationTracker,
               reasm: "Reassembler", tls=None) -> None:  # noqa: ANN001
    data = capture.data
    idx = capture.index
    offsets, caps = idx.offset, idx.cap_len
    tcp_of, dir_of, tcp_streams, rel_seq = conv.tcp_stream, conv.direction, conv.tcp_streams, conv.rel_seq
    udp_of, udp_streams = conv.udp_stream, conv.udp_streams
    segment = reasm.segment
    cols = zip(rows.rows[lo:hi].tolist(), rows.proto[lo:hi].tolist(), rows.payload_off[lo:hi].tolist(),
               rows.payload_len[lo:hi].tolist(), rows.flags[lo:hi].tolist(), rows.sport[lo:hi].tolist(),
               rows.dport[lo:hi].tolist())
    for i, proto, poff, plen, flags, sport, dport in cols:
        off = offsets[i]
        captured = min(plen, caps[i] - poff)
        if proto == 6:
            payload = bytes(data[off + poff:off + poff + captured]) if captured > 0 else b""
            segment(tcp_streams[tcp_of[i]].number, dir_of[i], i + 1, rel_seq[i], flags, payload, poff, plen,
                    sport, dport)
        elif tls:
            tls.on_udp(udp_streams[udp_of[i]].number, dir_of[i], i + 1,
                       bytes(data[off + poff:off + poff + max(0, captured)]), poff, sport, dport)


def feed_analysis(capture: "Capture", t: "fast.TransportColumns", conv: ConversationTracker,
                  tcpa: "TcpAnalyzer", start: int, stop: int) -> None:
    """The TCP analysis of frames start+1 .. stop from the bulk transport columns and a tracker
    that holds them already (``conversations_bulk.track``): what ``feed_frames`` does with the
    analyzer alone, without reading each frame's headers again."""
    import numpy as np

    if stop <= start:
        return
    streams = np.frombuffer(conv.tcp_stream, dtype=np.int32)[start:stop]
    rows = np.nonzero((t.proto[start:stop] == 6) & (streams >= 0))[0] + start
    # In small slices: the per-row Python values of a whole capture would take ~500 bytes a frame
    # at once, and the allocator's pages they took, mixed with the analysis's own long-lived
    # objects, would stay with the process (4096 rows: 93 MB of heap at 1M frames, 105 MB with 32k).
    for lo in range(0, len(rows), ROWS_PER_SLICE):
        _feed_analysis_rows(capture, t, conv, tcpa, rows[lo:lo + ROWS_PER_SLICE])
    tcpa.skip(stop)


ROWS_PER_SLICE = 4096


def _feed_analysis_rows(capture: "Capture", t: "fast.TransportColumns", conv: ConversationTracker,
                        tcpa: "TcpAnalyzer", rows) -> None:  # noqa: ANN001 - NumPy rows
    import numpy as np

    idx = capture.index
    offsets = np.frombuffer(idx.offset, dtype=np.int64)[rows]
    times = np.frombuffer(idx.time_ns, dtype=np.int64)[rows]
    cols = [rows.tolist(), (offsets + t.l4_off[rows]).tolist(), times.tolist()]
    cols += [getattr(t, name)[rows].tolist() for name in
             ("sport", "dport", "ttl", "ip_id", "payload_len", "seq", "ack", "flags", "window", "tcp_hdr_len",
              "ip_version", "src4", "dst4")]
    tcp_of, dir_of, tcp_streams = conv.tcp_stream, conv.direction, conv.tcp_streams
    addr4: dict[int, bytes] = {}
    feed = tcpa.feed_values
    for i, l4, time_ns, sport, dport, ttl, ip_id, plen, seq, ack, flags, window, hl, ipv, s4, d4 in zip(*cols):
        if ipv == 4:
            src = addr4.get(s4)
            if src is None:
                src = addr4[s4] = s4.to_bytes(4, "big")
            dst = addr4.get(d4)
            if dst is None:
                dst = addr4[d4] = d4.to_bytes(4, "big")
        else:
            src, dst = t.src6[i].tobytes(), t.dst6[i].tobytes()
        feed(i + 1, time_ns, flags, seq, ack, plen, window, hl, l4, ip_id, ttl, src, dst, sport, dport,
             tcp_streams[tcp_of[i]], dir_of[i])
