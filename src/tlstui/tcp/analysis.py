"""TCP sequence analysis: Wireshark's ``tcp.analysis.*`` and the anomalies Wireshark misses.

The analysis pass (``Session.analyze``) calls, in file order::

    a = TcpAnalyzer(session)
    a.skip(number)                    # a frame that is not TCP
    a.feed(number, time_ns, t, stream, direction)   # a TCP frame
    a.finish()                        # end of capture

and dissection asks ``a.fields(number)`` (Fields under the tcp layer: the ``tcp.analysis``
subtree and the ``tlstui.*`` fields) and ``a.info_prefix(number)`` (the Info column's
"[TCP Retransmission] " prefixes, in tshark's order).

**Wireshark's flags.**  The conditions are those of packet-tcp.c in Wireshark 4.0
(``tcp_analyze_sequence_number`` with its defaults: fast retransmission takes precedence
over out-of-order, bytes in flight from the unacknowledged segments), evaluated on raw
sequence numbers in the same order, so the same frames are flagged, including Wireshark's
quirks (an out-of-order segment is one that arrives within the initial RTT, or 3 ms, of
the highest one; a keep-alive's ACK is not a duplicate ACK).  Values that tshark prints
from its second pass (the stream's iRTT) are the final ones.

**What Wireshark misses** (filterable under ``tlstui.``):

* ``tlstui.tcp.retransmission_mismatch`` (+ ``.first_diff_offset``, ``.original_frame``,
  ``.length_differs``): a retransmitted segment some of whose bytes differ from what was first
  sent at those sequence numbers.  Candidates come from the reassembler
  (``Reassembler.conflicts``, which keeps the first-sent bytes); ``finish`` keeps those whose
  captured overlapping bytes really differ.  A copy of another length whose overlapping bytes
  are equal (re-segmentation: a shorter resend after ICMP fragmentation needed, a resend that
  spans two segments) is not a mismatch; ``length_differs`` only qualifies a real one.  Nor are
  the zero bytes of a minimum-size packet whose IP length counts the Ethernet padding.
* ``tlstui.tcp.synack_without_options``: a SYN-ACK whose TCP header has no options at all.
* ``tlstui.ip.middlebox_signature`` (+ ``.ttl``, ``.sources``, ``.group``): IPv4 packets
  from two or more source addresses that share one TTL and one incrementing ip.id
  sequence, i.e. one box answering for several servers.

**Storage.**  One ``array('I')`` of flag bits per frame, one each for the acknowledged frame,
bytes in flight and bytes since the last PSH; the few frames with more (dup ACK numbers, RTO)
in small dicts; per-stream state only while the pass runs.

**API for findings** (valid after ``finish()``)::

    a.flags_of(number) -> int                       # bit set of FLAG_* below (0: nothing)
    a.events(kind) -> list[(frame, stream)]         # kind: 'retransmission', 'fast_retransmission',
        # 'spurious_retransmission', 'out_of_order', 'lost_segment', 'ack_lost_segment',
        # 'duplicate_ack', 'zero_window', 'zero_window_probe', 'zero_window_probe_ack',
        # 'window_full', 'window_update', 'keep_alive', 'keep_alive_ack', 'reused_ports',
        # 'reset' (RST frames), 'retransmission_mismatch', 'synack_without_options',
        # 'middlebox_signature'
    a.mismatches -> list[Mismatch]                  # frame, original_frame, stream, rel_seq,
                                                    # first_diff (offset in the frame's payload),
                                                    # length_differs, length, original_length,
                                                    # differing (bytes that differ)
    a.synacks_without_options -> list[(frame, stream)]
    a.middlebox_groups -> list[MiddleboxGroup]      # ttl, first/last ip.id, sources, frames
    a.resets(stream) -> list[int]                   # RST frames of one stream
    a.zero_windows(stream=None) -> list[int]
    a.initial_rtt(stream) -> float | None           # seconds
"""
from __future__ import annotations

import math
import struct
from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..dissect import fast
from ..dissect.tree import make
from ..field import Field
from ..registry import FieldType as T, register

if TYPE_CHECKING:  # pragma: no cover
    from ..dissect.fast import Transport
    from .conversations import TcpStream

# Wireshark's tcp_acked flag bits (packet-tcp.c), kept as they are there.
RETRANSMISSION = 0x0001
LOST_PACKET = 0x0002
ACK_LOST_PACKET = 0x0004
KEEP_ALIVE = 0x0008
DUPLICATE_ACK = 0x0010
ZERO_WINDOW = 0x0020
ZERO_WINDOW_PROBE = 0x0040
ZERO_WINDOW_PROBE_ACK = 0x0080
KEEP_ALIVE_ACK = 0x0100
OUT_OF_ORDER = 0x0200
FAST_RETRANSMISSION = 0x0400
WINDOW_UPDATE = 0x0800
WINDOW_FULL = 0x1000
REUSED_PORTS = 0x2000
SPURIOUS_RETRANSMISSION = 0x4000
WS_FLAGS = 0x7FFF
# Ours.
HAS_ANALYSIS = 1 << 16  # the frame has a [SEQ/ACK analysis] subtree
MISMATCH = 1 << 17
SYNACK_NO_OPTIONS = 1 << 18
MIDDLEBOX = 1 << 19
RESET = 1 << 20

TH_FIN, TH_SYN, TH_RST, TH_PUSH, TH_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
M32 = 0xFFFFFFFF
HALF = 0x80000000
MAX_UNACKED = 10000  # TCP_MAX_UNACKED_SEGMENTS
FAST_RETRANS_NS = 20_000_000
DEFAULT_OOO_NS = 3_000_000

SEV_CHAT, SEV_NOTE, SEV_WARN = 0x00200000, 0x00400000, 0x00600000
GROUP_SEQUENCE = 0x02000000
_SEV_NAME = {SEV_CHAT: "Chat", SEV_NOTE: "Note", SEV_WARN: "Warning"}

register("tcp.analysis", T.NONE, "SEQ/ACK analysis")
register("tcp.analysis.flags", T.NONE, "TCP Analysis Flags")
register("tcp.analysis.acks_frame", T.FRAMENUM, "This is an ACK to the segment in frame")
register("tcp.analysis.ack_rtt", T.RELATIVE_TIME, "The RTT to ACK the segment was")
register("tcp.analysis.initial_rtt", T.RELATIVE_TIME, "iRTT")
register("tcp.analysis.bytes_in_flight", T.UINT, "Bytes in flight")
register("tcp.analysis.push_bytes_sent", T.UINT, "Bytes sent since last PSH flag")
register("tcp.analysis.rto", T.RELATIVE_TIME, "The RTO for this segment was")
register("tcp.analysis.rto_frame", T.FRAMENUM, "RTO based on delta from frame")
register("tcp.analysis.duplicate_ack", T.NONE, "Duplicate ACK")
register("tcp.analysis.duplicate_ack_num", T.UINT, "Duplicate ACK #")
register("tcp.analysis.duplicate_ack_frame", T.FRAMENUM, "Duplicate to the ACK in frame")

# (bit, field, expert message, severity, Info prefix) in the order tshark prints them.
_EXPERTS: list[tuple[int, str, str, int, str]] = [
    (REUSED_PORTS, "tcp.analysis.reused_ports",
     "A new tcp session is started with the same ports as an earlier session in this trace",
     SEV_NOTE, "[TCP Port numbers reused] "),
    (RETRANSMISSION, "tcp.analysis.retransmission", "This frame is a (suspected) retransmission",
     SEV_NOTE, "[TCP Retransmission] "),
    (FAST_RETRANSMISSION, "tcp.analysis.fast_retransmission",
     "This frame is a (suspected) fast retransmission", SEV_NOTE, "[TCP Fast Retransmission] "),
    (SPURIOUS_RETRANSMISSION, "tcp.analysis.spurious_retransmission",
     "This frame is a (suspected) spurious retransmission", SEV_NOTE, "[TCP Spurious Retransmission] "),
    (OUT_OF_ORDER, "tcp.analysis.out_of_order", "This frame is a (suspected) out-of-order segment",
     SEV_WARN, "[TCP Out-Of-Order] "),
    (LOST_PACKET, "tcp.analysis.lost_segment", "Previous segment(s) not captured (common at capture start)",
     SEV_WARN, "[TCP Previous segment not captured] "),
    (ACK_LOST_PACKET, "tcp.analysis.ack_lost_segment",
     "ACKed segment that wasn't captured (common at capture start)", SEV_WARN, "[TCP ACKed unseen segment] "),
    (WINDOW_UPDATE, "tcp.analysis.window_update", "TCP window update", SEV_CHAT, "[TCP Window Update] "),
    (WINDOW_FULL, "tcp.analysis.window_full", "TCP window specified by the receiver is now completely full",
     SEV_WARN, "[TCP Window Full] "),
    (KEEP_ALIVE, "tcp.analysis.keep_alive", "TCP keep-alive segment", SEV_NOTE, "[TCP Keep-Alive] "),
    (KEEP_ALIVE_ACK, "tcp.analysis.keep_alive_ack", "ACK to a TCP keep-alive segment", SEV_NOTE,
     "[TCP Keep-Alive ACK] "),
    (DUPLICATE_ACK, "tcp.analysis.duplicate_ack", "Duplicate ACK", SEV_NOTE, ""),  # prefix built per frame
    (ZERO_WINDOW_PROBE, "tcp.analysis.zero_window_probe", "TCP Zero Window Probe", SEV_NOTE,
     "[TCP ZeroWindowProbe] "),
    (ZERO_WINDOW, "tcp.analysis.zero_window", "TCP Zero Window segment", SEV_WARN, "[TCP ZeroWindow] "),
    (ZERO_WINDOW_PROBE_ACK, "tcp.analysis.zero_window_probe_ack", "ACK to a TCP Zero Window Probe", SEV_NOTE,
     "[TCP ZeroWindowProbeAck] "),
]
for _bit, _name, _msg, _sev, _pfx in _EXPERTS:
    if _name != "tcp.analysis.duplicate_ack":
        register(_name, T.NONE, _msg)

register("tlstui.tcp.retransmission_mismatch", T.NONE,
         "Retransmitted bytes differ from what was first sent at this sequence number")
register("tlstui.tcp.retransmission_mismatch.first_diff_offset", T.UINT,
         "First differing byte (offset in this segment's payload)")
register("tlstui.tcp.retransmission_mismatch.original_frame", T.FRAMENUM, "Originally sent in frame")
register("tlstui.tcp.retransmission_mismatch.length_differs", T.BOOLEAN, "Length differs from the original segment")
register("tlstui.tcp.synack_without_options", T.NONE, "SYN-ACK without any TCP options")
register("tlstui.ip.middlebox_signature", T.NONE,
         "Source addresses sharing one TTL and one incrementing ip.id sequence")
register("tlstui.ip.middlebox_signature.ttl", T.UINT, "Shared TTL")
register("tlstui.ip.middlebox_signature.sources", T.UINT, "Source addresses in the sequence")
register("tlstui.ip.middlebox_signature.group", T.UINT, "Signature group")

EVENT_BITS = {name.rsplit(".", 1)[1]: bit for bit, name, *_ in _EXPERTS}
EVENT_BITS.update({"retransmission_mismatch": MISMATCH, "synack_without_options": SYNACK_NO_OPTIONS,
                   "middlebox_signature": MIDDLEBOX, "reset": RESET})

_u32pair = struct.Struct(">II").unpack_from


def _gt(a: int, b: int) -> bool:
    """GT_SEQ(a, b): a is after b in sequence space."""
    return ((b - a) & M32) >= HALF


def _lt(a: int, b: int) -> bool:
    return ((a - b) & M32) >= HALF


def _le(a: int, b: int) -> bool:
    return ((b - a) & M32) < HALF


@dataclass(slots=True)
class Mismatch:
    """A retransmission whose bytes (or length) differ from the first-sent ones."""

    frame: int
    original_frame: int
    stream: int
    rel_seq: int
    first_diff: int  # offset in this frame's TCP payload of the first differing byte
    length_differs: bool
    length: int = 0
    original_length: int = 0
    bytes_differ: bool = True  # always True now: an identical copy of another length is no mismatch
    differing: int = 0  # how many of the overlapping (captured) bytes differ


@dataclass(slots=True)
class MiddleboxGroup:
    """Packets from several sources sharing one TTL and one incrementing ip.id counter."""

    ttl: int
    first_id: int
    last_id: int
    sources: list[bytes]
    frames: list[int]
    group: int = 0


class _Flow:
    """One direction of a conversation, as packet-tcp.c's tcp_flow_t + tcp_analyze_seq_flow_info_t."""

    __slots__ = ("base_seq", "base_set", "nextseq", "nextseqframe", "nextseqtime", "maxseqtobeacked",
                 "lastack", "lastacktime", "window", "win_scale", "is_first_ack", "lastsegmentflags",
                 "dupacknum", "lastnondupack", "valid_bif", "push_bytes", "push_set_last",
                 "sack_n", "sack_sum", "ref_raw", "ref_u", "u_next", "u_seq", "u_frame")

    def __init__(self) -> None:
        self.base_seq = 0
        self.base_set = False
        self.nextseq = 0
        self.nextseqframe = 0
        self.nextseqtime = 0
        self.maxseqtobeacked = 0
        self.lastack = 0
        self.lastacktime = 0
        self.window = M32
        self.win_scale = -1
        self.is_first_ack = False
        self.lastsegmentflags = 0
        self.dupacknum = 0
        self.lastnondupack = 0
        self.valid_bif = True
        self.push_bytes = 0
        self.push_set_last = False
        self.sack_n = 0
        self.sack_sum = 0
        # Unacknowledged segments, sorted by (next sequence number, frame): sequence numbers
        # are unwrapped around a reference that follows the flow, so that plain integer order
        # is sequence-space order.
        self.ref_raw = -1
        self.ref_u = 1 << 33
        self.u_next: list[int] = []
        self.u_seq: list[int] = []
        self.u_frame: list[int] = []

    def unwrap(self, raw: int) -> int:
        return self.ref_u + (((raw - self.ref_raw) + HALF) & M32) - HALF


class _Stream:
    __slots__ = ("flows", "mru_syn", "first_rtt")

    def __init__(self) -> None:
        self.flows = (_Flow(), _Flow())
        self.mru_syn = 0
        self.first_rtt = 0


class TcpAnalyzer:
    """Per-frame TCP analysis, fed in file order by the analysis pass (see the module docstring)."""

    def __init__(self, session) -> None:
        self.session = session
        self.flags = array("I")
        self.acked = array("I")  # frame whose segment this frame acknowledges
        self.bif = array("I")  # bytes in flight (0: not shown)
        self.push = array("I")  # bytes sent since the last PSH
        self.dupack: dict[int, tuple[int, int]] = {}  # frame -> (dup ACK number, original ACK frame)
        self.rto: dict[int, tuple[int, int]] = {}  # frame -> (RTO ns, frame it is based on)
        self.mismatches: list[Mismatch] = []
        self._mismatch_by_frame: dict[int, Mismatch] = {}
        self.synacks_without_options: list[tuple[int, int]] = []
        self.middlebox_groups: list[MiddleboxGroup] = []
        self._middlebox_by_frame: dict[int, int] = {}
        self.first_rtt: dict[int, int] = {}  # stream -> initial RTT ns (after finish)
        self._streams: dict[int, _Stream] = {}
        self._sealed = None  # see seal(): what the end of the capture needs, once the running state is gone
        self._synacks: list[tuple[int, int, int, int]] = []  # (frame, stream, direction, raw seq)
        self._keys: set[tuple] = set()
        self._times = None
        self._chains = _IpIdChains()
        self.finished = False

    # --- the pass -----------------------------------------------------------------------
    def _pad(self, i: int) -> None:
        n = i - len(self.flags)
        if n > 0:
            z = array("I", bytes(4 * n))
            self.flags.extend(z)
            self.acked.extend(z)
            self.bif.extend(z)
            self.push.extend(z)

    def skip(self, number: int) -> None:
        """A frame that is not TCP (or that the pass could not place in a stream)."""
        self._pad(number)

    def __getstate__(self) -> dict:
        """The analysis state without the session (sent from the offload child, see offload.py)."""
        state = self.__dict__.copy()
        del state["session"]
        state["_times"] = None
        return state

    def load_state(self, state: dict) -> None:
        session = self.session
        self.__dict__.update(state)
        self.session = session

    def feed(self, number: int, time_ns: int, t: "Transport", stream: "TcpStream", direction: int) -> None:
        """One TCP frame.  ``t`` carries raw seq/ack, flags, raw window and the wire length."""
        self.feed_values(number, time_ns, t.flags, t.seq, t.ack, t.payload_len, t.window, t.tcp_hdr_len, t.l4_off,
                         t.ip_id, t.ttl, t.src, t.dst, t.sport, t.dport, stream, direction)

    def feed_values(self, number: int, time_ns: int, flags: int, seq: int, ack: int, seglen: int, window: int,
                    hl: int, l4_off: int, ip_id: int, ttl: int, src: bytes, dst: bytes, sport: int, dport: int,
                    stream: "TcpStream", direction: int) -> None:
        """``feed`` with the Transport's values one by one (framepass.feed_analysis reads them from
        columns): raw seq/ack, flags, raw window, wire payload length, TCP header length and offset."""
        if len(self.flags) < number - 1:
            self._pad(number - 1)
        sn = stream.number
        st = self._streams.get(sn)
        if st is None:
            st = self._streams[sn] = _Stream()
        fwd = st.flows[direction]
        rev = st.flows[1 - direction]
        fl = 0  # this frame's tcp_acked flags
        ta = False  # whether Wireshark created the frame's tcp_acked (the analysis subtree)
        acked = bif = push = 0

        # Conversation bookkeeping done before the analysis (ports reused, SYN repeated).
        syn_ack = flags & (TH_SYN | TH_ACK)
        first = stream.first_frame == number
        if first:  # a stream's address pair never changes: remember it once
            a, b = (src, sport), (dst, dport)
            key = (a, b) if a <= b else (b, a)
            if syn_ack == TH_SYN and key in self._keys:
                fl |= REUSED_PORTS
            self._keys.add(key)
        if syn_ack == TH_SYN:
            if not first and fwd.base_set:
                if seq == fwd.base_seq:
                    # A repeated SYN: Wireshark 4.0 restores nextseq (an earlier RST may have moved
                    # it) but, unlike later versions, does not call this "ports reused".
                    fwd.nextseq = fwd.maxseqtobeacked
                else:
                    fl |= REUSED_PORTS
        elif syn_ack == TH_SYN | TH_ACK and fwd.base_set and seq != fwd.base_seq:
            fwd.base_seq = seq
            fl |= REUSED_PORTS
        if syn_ack == TH_SYN | TH_ACK:
            self._synacks.append((number, sn, direction, seq))
        fwd.sack_n = 0
        fwd.sack_sum = 0

        # --- tcp_analyze_sequence_number ---
        if not fwd.base_set:
            fwd.base_seq = seq if flags & TH_SYN else (seq - 1) & M32
            fwd.base_set = True
        if flags & TH_ACK:
            if not rev.base_set:
                rev.base_seq = (ack - 1) & M32
                rev.base_set = True
            rev.valid_bif = True
        if fwd.ref_raw < 0:
            fwd.ref_raw = seq
        no_sfr = not flags & (TH_SYN | TH_FIN | TH_RST)
        f_next = fwd.nextseq
        if seglen == 1 and seq == f_next and rev.window == 0:
            fl |= ZERO_WINDOW_PROBE
        else:
            if window == 0 and no_sfr:
                fl |= ZERO_WINDOW
            if f_next and ((f_next - seq) & M32) >= HALF and not flags & TH_RST:
                fl |= LOST_PACKET
                fwd.valid_bif = False
            if seglen <= 1 and seq == ((f_next - 1) & M32) and no_sfr:
                fl |= KEEP_ALIVE
            if (seglen == 0 and window and window != fwd.window and seq == f_next
                    and ack == fwd.lastack and no_sfr):
                fl |= WINDOW_UPDATE
            if seglen > 0 and rev.win_scale != -1 and no_sfr:
                shift = 0 if rev.is_first_ack or rev.win_scale == -2 else rev.win_scale
                if (seq + seglen) & M32 == (rev.lastack + ((rev.window << shift) & M32)) & M32:
                    fl |= WINDOW_FULL
            if seglen == 0 and seq == f_next and ack == fwd.lastack and no_sfr and window == fwd.window:
                if window and rev.lastsegmentflags & KEEP_ALIVE:
                    fl |= KEEP_ALIVE_ACK
                elif window == 0 and rev.lastsegmentflags & ZERO_WINDOW_PROBE:
                    fl |= ZERO_WINDOW_PROBE_ACK
                elif window:
                    fwd.dupacknum = 1 if fwd.dupacknum == -1 else fwd.dupacknum + 1
                    fl |= DUPLICATE_ACK
                    self.dupack[number] = (fwd.dupacknum, fwd.lastnondupack)
        # finished_fwd:
        if ack != fwd.lastack:
            fwd.lastnondupack = number
            fwd.dupacknum = 0
        r_max = rev.maxseqtobeacked
        if r_max and flags & TH_ACK and ((r_max - ack) & M32) >= HALF:
            ta = True
            # The same hole is reported once (tshark 4.0, found by probing it): when the other side
            # has sent past its boundary, the boundary moves up to what it sent; when it has not (it
            # is stalled, sending pure ACKs), its ACK counter marks the hole as reported (-1) until it
            # acknowledges something new (or a duplicate ACK counts from there).
            if ((r_max - rev.nextseq) & M32) >= HALF:  # LT_SEQ(boundary, what it sent)
                rev.maxseqtobeacked = rev.nextseq
                fl |= ACK_LOST_PACKET
            else:
                if rev.dupacknum == 0:
                    fl |= ACK_LOST_PACKET
                rev.dupacknum = -1
        syn_fin = flags & (TH_SYN | TH_FIN)
        if (seglen > 0 or syn_fin) and not fl & KEEP_ALIVE:
            seq_not_advanced = bool(f_next) and ((seq - f_next) & M32) >= HALF
            if seglen > 1 and ((f_next - 1) & M32) == seq:
                seq_not_advanced = False
            r_last = rev.lastack
            if seglen > 0 and r_last and ((r_last - seq - seglen) & M32) < HALF:
                fl |= SPURIOUS_RETRANSMISSION
            elif (seq_not_advanced and rev.dupacknum >= 2 and r_last == seq
                  and 0 <= time_ns - rev.lastacktime < FAST_RETRANS_NS):
                fl |= FAST_RETRANSMISSION
            elif (seq_not_advanced and 0 <= time_ns - fwd.nextseqtime < (st.first_rtt or DEFAULT_OOO_NS)
                  and f_next != (seq + seglen + (1 if syn_fin else 0)) & M32):
                fl |= OUT_OF_ORDER
            elif seq_not_advanced:
                fl |= RETRANSMISSION
                rto_ns, rto_frame = time_ns - fwd.nextseqtime, fwd.nextseqframe
                if fwd.u_frame:
                    oldest = min(fwd.u_frame)
                    rto_ns, rto_frame = time_ns - self._time(oldest), oldest
                if rto_ns:
                    self.rto[number] = (rto_ns, rto_frame)
        # finished_checking_retransmission_type:
        nextseq = (seq + seglen) & M32
        if (seglen or syn_fin) and len(fwd.u_next) < MAX_UNACKED:
            if syn_fin:
                nextseq = (nextseq + 1) & M32
            un = fwd.ref_u + (((nextseq - fwd.ref_raw) + HALF) & M32) - HALF
            us = fwd.ref_u + (((seq - fwd.ref_raw) + HALF) & M32) - HALF
            lst = fwd.u_next
            if not lst or un >= lst[-1]:
                lst.append(un)
                fwd.u_seq.append(us)
                fwd.u_frame.append(number)
            else:
                k = bisect_right(lst, un)
                lst.insert(k, un)
                fwd.u_seq.insert(k, us)
                fwd.u_frame.insert(k, number)
        if not f_next or ((f_next - nextseq) & M32) >= HALF:
            if not fl & ZERO_WINDOW_PROBE:
                fwd.nextseq = nextseq
                fwd.nextseqframe = number
                fwd.nextseqtime = time_ns
                # follow the flow so that unwrapped numbers stay within 2**31 of the reference
                fwd.ref_u = fwd.ref_u + (((nextseq - fwd.ref_raw) + HALF) & M32) - HALF
                fwd.ref_raw = nextseq
        if seq == fwd.maxseqtobeacked or not fwd.maxseqtobeacked:
            if not fl & ZERO_WINDOW_PROBE:
                fwd.maxseqtobeacked = fwd.nextseq
        fwd.window = window
        fwd.lastack = ack
        fwd.lastacktime = time_ns
        fwd.lastsegmentflags = fl if (fl or ta) else 0

        # Remove what this acknowledges from the other direction's unacknowledged segments.
        lst = rev.u_next
        if lst and rev.ref_raw >= 0:
            ua = rev.ref_u + (((ack - rev.ref_raw) + HALF) & M32) - HALF
            k = bisect_right(lst, ua)
            if k:
                j = bisect_left(lst, ua, 0, k)
                if j < k and lst[j] == ua:
                    acked = rev.u_frame[j]
                    ta = True
                del lst[:k]
                del rev.u_seq[:k]
                del rev.u_frame[:k]
            useq = rev.u_seq
            if useq and min(useq) < ua:
                for i in range(len(useq)):
                    if useq[i] < ua:  # partly acknowledged: the rest stays
                        useq[i] = ua

        # Bytes in flight.
        if seglen and fwd.u_next and fwd.valid_bif:
            ta = True
            # packet-tcp.c takes the lowest and highest sequence numbers relative to the side's base
            # as plain unsigned numbers: an unwrapped u is base-relative at (u + k) mod 2**32.
            k = fwd.ref_raw - fwd.ref_u - fwd.base_seq
            lo, hi = min(fwd.u_seq), fwd.u_next[-1]
            if (lo + k) >> 32 == (hi + k) >> 32:  # no wrap in between: the mapping is monotonic
                first, last = (lo + k) & M32, (hi + k) & M32
            else:  # the base lies inside (a re-based side, or a stream over 4 GB)
                first = min([(s_ + k) & M32 for s_ in fwd.u_seq])
                last = max([(s_ + k) & M32 for s_ in fwd.u_next])
            in_flight = (last - first) & M32
            if rev.sack_n:
                in_flight = (in_flight - rev.sack_sum) & M32
            if 0 < in_flight < 2_000_000_000:
                bif = in_flight - (1 if syn_fin else 0)
            if flags & TH_PUSH:
                fwd.push_bytes = fwd.push_bytes + seglen if not fwd.push_set_last else seglen
                fwd.push_set_last = True
            elif fwd.push_set_last:
                fwd.push_bytes = seglen
                fwd.push_set_last = False
            else:
                fwd.push_bytes += seglen
            push = fwd.push_bytes

        # --- after the analysis, in dissect_tcp's order ---
        if flags & TH_SYN:
            if not flags & TH_ACK:
                st.mru_syn = time_ns
            fwd.is_first_ack = True
        if syn_ack == TH_ACK:
            if st.mru_syn and not st.first_rtt:
                st.first_rtt = time_ns - st.mru_syn
            fwd.is_first_ack = False
        if hl > 20:
            idx = self.session.capture.index
            frame_end = idx.offset[number - 1] + idx.cap_len[number - 1]
            self._options(fwd, l4_off + 20, min(l4_off + hl, frame_end))  # options may be cut short
        if flags & TH_SYN:
            if fwd.win_scale == -1:
                fwd.win_scale = -2
                rev.win_scale = -2
            elif flags & TH_ACK and rev.win_scale == -2:
                fwd.win_scale = -2
            if flags & TH_ACK and hl == 20:
                fl |= SYNACK_NO_OPTIONS
                self.synacks_without_options.append((number, sn))
        if flags & TH_RST:
            fl |= RESET
        if ip_id >= 0:
            self._chains.add(number, ttl, ip_id, src, time_ns)

        if fl & WS_FLAGS or ta:
            fl |= HAS_ANALYSIS
        self.flags.append(fl)
        self.acked.append(acked)
        self.bif.append(bif)
        self.push.append(push)

    def _time(self, number: int) -> int:
        if self._times is None:
            self._times = self.session.capture.index.time_ns
        return self._times[number - 1]

    def _options(self, fwd: _Flow, start: int, end: int) -> None:
        """SACK blocks (for bytes in flight) and the window scale option, as packet-tcp.c stores them."""
        data = self.session.capture.data
        if end - start == 12 and data[start:start + 4] == b"\x01\x01\x08\x0a":
            return  # NOP NOP timestamps: the common case, nothing to store
        pos = start
        while pos < end:
            kind = data[pos]
            if kind == 0:
                break
            if kind == 1:
                pos += 1
                continue
            if pos + 1 >= end:
                break
            ln = data[pos + 1]
            if ln < 2 or pos + ln > end:
                break
            if kind == 3 and ln == 3:
                fwd.win_scale = min(data[pos + 2], 14)
            elif kind == 5 and ln >= 2:
                n = 0
                total = 0
                p = pos + 2
                while p + 8 <= pos + ln:
                    le, re_ = _u32pair(data, p)
                    n += 1
                    if n < 4:  # packet-tcp.c keeps blocks 1..3 (it counts before it stores)
                        total = (total + ((re_ - le) & M32)) & M32
                    p += 8
                if n:
                    fwd.sack_n = min(n, 3)
                    fwd.sack_sum = total
            pos += ln

    def finish(self) -> None:
        """End of capture: final per-stream values, retransmission mismatches, middlebox groups.

        An overlay on the running state (issue 18, docs/incremental.md): the streams, SYN-ACKs and
        ip.id chains stay, so feeding more frames goes on, and the flags this adds are journaled:
        ``unfinish`` takes them back before a growth feeds on, and ``finish`` computes them again."""
        self.unfinish()
        total = len(self.session.capture.index)
        self._pad(total)
        flags = self.flags
        undo = self._undo = {}

        def mark(i: int, bits: int) -> None:
            if i not in undo:
                undo[i] = flags[i]
            flags[i] |= bits

        first_rtt, rebased, groups = self._end_of_streams()
        self.first_rtt = first_rtt
        for number in rebased:
            mark(number - 1, REUSED_PORTS | HAS_ANALYSIS)
        conv = self.session.conv
        reasm = getattr(self.session, "reassembler", None)
        self.mismatches = []
        self._mismatch_by_frame = {}
        for c in getattr(reasm, "conflicts", []) if reasm is not None else []:
            if c.frame <= 0 or c.frame > total or c.frame in self._mismatch_by_frame:
                continue
            if not c.bytes_differ or not 0 < c.original_frame <= total:
                continue  # an identical copy of another length: re-segmentation, not a rewrite
            if (flags[c.frame - 1] | flags[c.original_frame - 1]) & (KEEP_ALIVE | ZERO_WINDOW_PROBE) \
                    and min(c.length or 1, c.original_length or 1) <= 1:
                continue  # a keep-alive's or window probe's one byte: stacks send any byte there
            got = self._overlap_diff(c.frame, c.original_frame)
            if got is None:
                continue  # the overlapping bytes that were captured are equal (or padding, see there)
            first_diff, ndiff = got
            m = Mismatch(c.frame, c.original_frame, conv.tcp_stream[c.frame - 1], c.rel_seq, first_diff,
                         c.length_differs, c.length, c.original_length, True, ndiff)
            self.mismatches.append(m)
            self._mismatch_by_frame[c.frame] = m
            mark(c.frame - 1, MISMATCH)
        self.mismatches.sort(key=lambda m: m.frame)
        self.middlebox_groups = []
        self._middlebox_by_frame = {}
        for gi, g in enumerate(groups):
            g.group = gi
            self.middlebox_groups.append(g)
            for f in g.frames:
                self._middlebox_by_frame[f] = gi
                mark(f - 1, MIDDLEBOX)
        self.finished = True

    def _end_of_streams(self) -> tuple[dict[int, int], list[int], list[MiddleboxGroup]]:
        """What the end of the capture makes of the running state (the streams, the SYN-ACKs and the
        ip.id chains): each stream's initial RTT, the SYN-ACKs re-based later, the middlebox groups.
        A sealed analyzer (``seal``) kept them instead of that state."""
        sealed = self._sealed
        if sealed is not None:
            first_rtt, rebased, groups = sealed
            return dict(first_rtt), list(rebased), [MiddleboxGroup(g.ttl, g.first_id, g.last_id, list(g.sources),
                                                                   list(g.frames)) for g in groups]
        first_rtt = {sn: st.first_rtt for sn, st in self._streams.items() if st.first_rtt}
        # tshark's second pass asks every SYN-ACK again whether its sequence number is the side's
        # base: a SYN-ACK that a later one with a new initial sequence number re-based is "ports
        # reused" as well.
        rebased = []
        for number, sn, d, seq in self._synacks:
            st = self._streams.get(sn)
            if st is not None and st.flows[d].base_set and seq != st.flows[d].base_seq:
                rebased.append(number)
        return first_rtt, rebased, self._chains.groups()

    def seal(self) -> None:
        """The capture will not grow (a headless command reads a file once): keep what the end of
        the capture needs from the running state, and let go of that state (tens of MB at 1M frames).
        Nothing may be fed after this (``incremental.can_grow`` says no)."""
        self._sealed = self._end_of_streams()
        self.release()

    def unfinish(self) -> None:
        """Take back what ``finish`` added (before more frames are fed: a growing capture)."""
        undo = self.__dict__.get("_undo")
        if undo:
            flags = self.flags
            for i, v in undo.items():
                flags[i] = v
        self._undo = {}
        self._times = None  # the index's arrays may be new ones after a growth
        self.finished = False

    @property
    def sealed(self) -> bool:
        return self._sealed is not None

    def release(self) -> None:
        """Forget the running state once the capture can no longer grow (memory)."""
        self._synacks = []
        self._streams = {}
        self._keys = set()
        self._chains = _IpIdChains()
        self._undo = {}

    def _captured_payload(self, number: int):
        """(Transport, captured payload bytes) of a TCP frame, or None."""
        cap = self.session.capture
        i = number - 1
        off, cl = cap.index.offset[i], cap.index.cap_len[i]
        t = fast.parse_transport(cap.data, off, cl, cap.interfaces[cap.index.interface[i]].linktype)
        if t is None or t.proto != 6:
            return None
        n = max(0, min(t.payload_len, off + cl - t.payload_off))
        return t, bytes(cap.data[t.payload_off:t.payload_off + n])

    def _overlap_diff(self, frame: int, original: int) -> tuple[int, int] | None:
        """(offset in ``frame``'s payload of the first byte that differs from ``original`` at the same
        sequence number, how many differ) over the bytes both captured; None when all are equal.

        Only differing bytes make a mismatch: a resend that is shorter (after an ICMP fragmentation
        needed, 1452 of 1460 bytes), longer or cut elsewhere, with equal overlapping bytes, is the
        sender re-segmenting.  Nor do the trailing zeros of a minimum-size packet whose IP length
        counts the Ethernet padding (see ``_padding_from``)."""
        a, b = self._captured_payload(frame), self._captured_payload(original)
        if a is None or b is None:
            return None
        (ta, new), (tb, old) = a, b
        pad_new, pad_old = _padding_from(ta, new), _padding_from(tb, old)
        rel = self.session.conv.rel_seq
        shift = ((rel[original - 1] - rel[frame - 1] + HALF) & M32) - HALF  # old's start in new's offsets
        lo, hi = max(0, shift), min(len(new), shift + len(old))
        first, n = -1, 0
        for k in range(lo, hi):
            if new[k] != old[k - shift] and k < pad_new and k - shift < pad_old:
                n += 1
                if first < 0:
                    first = k
        return (first, n) if n else None

    # --- answers -------------------------------------------------------------------------
    def flags_of(self, number: int) -> int:
        i = number - 1
        return self.flags[i] if 0 <= i < len(self.flags) else 0

    def events(self, kind: str) -> list[tuple[int, int]]:
        """(frame, tcp.stream) of every frame with one analysis flag (see EVENT_BITS)."""
        bit = EVENT_BITS[kind]
        streams = self.session.conv.tcp_stream
        return [(i + 1, streams[i]) for i, f in enumerate(self.flags) if f & bit]

    def resets(self, stream: int) -> list[int]:
        return [f for f, s in self.events("reset") if s == stream]

    def zero_windows(self, stream: int | None = None) -> list[int]:
        return [f for f, s in self.events("zero_window") if stream is None or s == stream]

    def initial_rtt(self, stream: int) -> float | None:
        ns = self.first_rtt.get(stream)
        return ns / 1e9 if ns else None

    def info_prefix(self, number: int) -> str:
        fl = self.flags_of(number)
        if not fl & WS_FLAGS:
            return ""
        out = []
        for bit, _name, _msg, _sev, pfx in _EXPERTS:
            if fl & bit:
                if bit == DUPLICATE_ACK:
                    num, frame = self.dupack.get(number, (0, 0))
                    pfx = f"[TCP Dup ACK {frame}#{num}] "
                out.append(pfx)
        return "".join(reversed(out))

    def fields(self, number: int) -> list[Field]:
        """The Fields this frame gets under its tcp layer."""
        fl = self.flags_of(number)
        if not fl & (HAS_ANALYSIS | MISMATCH | SYNACK_NO_OPTIONS | MIDDLEBOX):
            return []
        i = number - 1
        pos = self._tcp_offset(number)
        out: list[Field] = []
        if fl & HAS_ANALYSIS:
            an = make("tcp.analysis", None, pos, 0, "[SEQ/ACK analysis]")
            out.append(an)
            acked = self.acked[i]
            if acked:
                an.add(make("tcp.analysis.acks_frame", acked, pos, 0,
                            f"[This is an ACK to the segment in frame: {acked}]"))
                rtt = self._time(number) - self._time(acked)
                if rtt:
                    an.add(make("tcp.analysis.ack_rtt", rtt / 1e9, pos, 0,
                                f"[The RTT to ACK the segment was: {_secs(rtt)} seconds]"))
            stream = self.session.conv.tcp_stream[i]
            irtt = self.first_rtt.get(stream, 0)
            if irtt:
                an.add(make("tcp.analysis.initial_rtt", irtt / 1e9, pos, 0, f"[iRTT: {_secs(irtt)} seconds]"))
            if self.bif[i]:
                an.add(make("tcp.analysis.bytes_in_flight", self.bif[i], pos, 0,
                            f"[Bytes in flight: {self.bif[i]}]"))
                an.add(make("tcp.analysis.push_bytes_sent", self.push[i], pos, 0,
                            f"[Bytes sent since last PSH flag: {self.push[i]}]"))
            if fl & WS_FLAGS:
                ff = an.add(make("tcp.analysis.flags", None, pos, 0, "[TCP Analysis Flags]"))
                for bit, name, msg, sev, _pfx in _EXPERTS:
                    if not fl & bit:
                        continue
                    if bit == DUPLICATE_ACK:
                        num, frame = self.dupack.get(number, (0, 0))
                        ff.add(make(name, None, pos, 0, "[This is a TCP duplicate ack]"))
                        an.add(make("tcp.analysis.duplicate_ack_num", num, pos, 0, f"[Duplicate ACK #: {num}]"))
                        df = an.add(make("tcp.analysis.duplicate_ack_frame", frame, pos, 0,
                                         f"[Duplicate to the ACK in frame: {frame}]"))
                        df.add(_expert(name, f"Duplicate ACK (#{num})", sev, pos))
                        continue
                    ff.add(_expert(name, msg, sev, pos))
                    if bit in (FAST_RETRANSMISSION, SPURIOUS_RETRANSMISSION):
                        ff.add(_expert("tcp.analysis.retransmission",
                                       "This frame is a (suspected) retransmission", SEV_NOTE, pos))
                    elif bit == RETRANSMISSION and number in self.rto:
                        rto_ns, rto_frame = self.rto[number]
                        ff.add(make("tcp.analysis.rto", rto_ns / 1e9, pos, 0,
                                    f"[The RTO for this segment was: {_secs(rto_ns)} seconds]"))
                        ff.add(make("tcp.analysis.rto_frame", rto_frame, pos, 0,
                                    f"[RTO based on delta from frame: {rto_frame}]"))
        if fl & MISMATCH:
            m = self._mismatch_by_frame[number]
            what = f"{m.differing} byte{'s' if m.differing != 1 else ''}" if m.differing else "bytes"
            if m.length_differs:
                what += f"; and {m.length} bytes long instead of {m.original_length}"
            mf = make("tlstui.tcp.retransmission_mismatch", None, pos, 0,
                      f"[Retransmission differs from the original in frame {m.original_frame} ({what}); "
                      f"first differing byte at payload offset {m.first_diff}]")
            mf.add(make("tlstui.tcp.retransmission_mismatch.original_frame", m.original_frame, pos, 0))
            mf.add(make("tlstui.tcp.retransmission_mismatch.first_diff_offset", m.first_diff, pos, 0))
            mf.add(make("tlstui.tcp.retransmission_mismatch.length_differs", int(m.length_differs), pos, 0,
                        f"Length differs from the original segment: {'True' if m.length_differs else 'False'}"))
            out.append(mf)
        if fl & SYNACK_NO_OPTIONS:
            out.append(make("tlstui.tcp.synack_without_options", None, pos + 12, 1,
                            "[SYN-ACK without any TCP options (not even MSS): an old stack or a proxy]"))
        if fl & MIDDLEBOX:
            gi = self._middlebox_by_frame[number]
            g = self.middlebox_groups[gi]
            mb = make("tlstui.ip.middlebox_signature", None, pos, 0,
                      f"[TTL {g.ttl} and one ip.id sequence 0x{g.first_id:04x}..0x{g.last_id:04x} shared by "
                      f"{len(g.sources)} source addresses: one box answers for several servers]")
            mb.add(make("tlstui.ip.middlebox_signature.ttl", g.ttl, pos, 0))
            mb.add(make("tlstui.ip.middlebox_signature.sources", len(g.sources), pos, 0))
            mb.add(make("tlstui.ip.middlebox_signature.group", gi, pos, 0))
            out.append(mb)
        return out

    def _tcp_offset(self, number: int) -> int:
        cap = self.session.capture
        i = number - 1
        off = cap.index.offset[i]
        t = fast.parse_transport(cap.data, off, cap.index.cap_len[i], cap.interfaces[cap.index.interface[i]].linktype)
        return t.l4_off - off if t is not None else 0


ETH_MIN_PAYLOAD = 46  # an Ethernet frame's payload is padded to 46 bytes


def _padding_from(t, payload: bytes) -> int:
    """Where Ethernet padding counted in the IP length may start in a segment's payload.

    Some devices (nDPI's "TCP ACK payload" heuristic describes them) write an IP total length
    that includes the Ethernet padding of short frames: a bare ACK, SYN-ACK or FIN then carries
    2-6 zero "payload" bytes, and a 3-byte segment carries 3 more.  Such a packet is exactly as
    long as Ethernet's minimum; its trailing zero bytes may be padding, which a later segment at
    the same sequence numbers overwrites with the real data: not a rewrite."""
    n = len(payload)
    if not n or n > 6 or t.payload_off - t.ip_off + t.payload_len > ETH_MIN_PAYLOAD:
        return n
    k = n
    while k and payload[k - 1] == 0:
        k -= 1
    return k


def _secs(ns: int) -> str:
    return f"{ns / 1e9:.9f}"


def _expert(name: str, msg: str, sev: int, pos: int) -> Field:
    e = make("_ws.expert", None, pos, 0, f"[Expert Info ({_SEV_NAME[sev]}/Sequence): {msg}]")
    e.add(make(name, None, pos, 0, f"[{msg}]"))
    e.add(make("_ws.expert.message", msg, pos, 0, hidden=True))
    e.add(make("_ws.expert.severity", sev, pos, 0, f"[Severity level: {_SEV_NAME[sev]}]"))
    e.add(make("_ws.expert.group", GROUP_SEQUENCE, pos, 0, "[Group: Sequence]"))
    return e


class _Chain:
    __slots__ = ("ttl", "first_id", "last_id", "sources", "frames", "switches", "last_time", "last_src", "listed",
                 "per_src", "log_p")

    def __init__(self, ttl: int, ip_id: int, src: bytes, frame: int, time_ns: int) -> None:
        self.ttl = ttl
        self.first_id = self.last_id = ip_id
        self.sources = [src]
        self.frames = array("I", [frame])
        self.switches = 0
        self.last_time = time_ns
        self.last_src = src
        self.listed = False
        self.per_src = {src: 1}
        self.log_p = 0.0  # log10 of the chance that the source switches so far are coincidences


class _IpIdChains:
    """Chains of IPv4 packets with one TTL whose ip.id goes up by 1..MAX_STEP from one to the next.

    A host numbers its packets per socket or per destination; a chain that runs across two or
    more source addresses, switching between them again and again, is one counter in one box.
    """

    MAX_STEP = 4
    MIN_PACKETS = 12
    MIN_SWITCHES = 2
    # Each of two or more sources must have sent most of its packets (with that TTL) in the chain:
    # independent per-connection counters that happen to come close interleave only briefly.
    MIN_SHARE = 0.5
    MIN_PER_SOURCE = 5
    MAX_GAP_NS = 120 * 1_000_000_000
    MAX_LOG_P = -6.0  # at most one chance in a million that the chain is a coincidence

    def __init__(self) -> None:
        self._tail: dict[int, _Chain] = {}  # ttl << 16 | last ip.id -> chain
        self._multi: list[_Chain] = []
        self._sent: dict[tuple[int, bytes], int] = {}  # (ttl, source) -> packets
        self._chains: dict[int, int] = {}  # ttl -> chains started (how many tails a packet could join)

    def add(self, frame: int, ttl: int, ip_id: int, src: bytes, time_ns: int) -> None:
        tail = self._tail
        k0 = (ttl, src)
        self._sent[k0] = self._sent.get(k0, 0) + 1
        chain = None
        base = ttl << 16  # tails are keyed by (ttl, ip.id) packed in one int
        for step in range(1, self.MAX_STEP + 1):
            k = base | ((ip_id - step) & 0xFFFF)
            c = tail.get(k)
            if c is not None and time_ns - c.last_time <= self.MAX_GAP_NS:
                chain = c
                del tail[k]
                break
        if chain is None:
            chain = _Chain(ttl, ip_id, src, frame, time_ns)
            self._chains[ttl] = self._chains.get(ttl, 0) + 1
        else:
            chain.frames.append(frame)
            chain.per_src[src] = chain.per_src.get(src, 0) + 1
            if src != chain.last_src:
                chain.switches += 1
                # With many independent counters behind one TTL, a new source's ip.id lands next to
                # some chain's tail by chance: charge each switch that chance.
                chain.log_p += min(0.0, math.log10(self._chains.get(ttl, 1) * self.MAX_STEP / 65536))
                if src not in chain.sources:
                    chain.sources.append(src)
                    if not chain.listed:
                        chain.listed = True
                        self._multi.append(chain)
            chain.last_time = time_ns
            chain.last_src = src
            chain.last_id = ip_id
        tail[base | ip_id] = chain

    def groups(self) -> list[MiddleboxGroup]:
        out = []
        for c in self._multi:
            if len(c.frames) < self.MIN_PACKETS or c.switches < self.MIN_SWITCHES or c.log_p > self.MAX_LOG_P:
                continue
            shared = [src for src, n in c.per_src.items()
                      if n >= self.MIN_PER_SOURCE and n >= self.MIN_SHARE * self._sent[(c.ttl, src)]]
            if len(shared) >= 2:
                out.append(MiddleboxGroup(c.ttl, c.first_id, c.last_id, list(c.sources), list(c.frames)))
        out.sort(key=lambda g: g.frames[0])
        return out
