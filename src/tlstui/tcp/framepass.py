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
