"""Conversations as Wireshark numbers them: tcp.stream, udp.stream, relative sequence numbers.

Fed once per frame in file order by the analysis pass.  Per-frame results live in typed
arrays (about 17 bytes per frame); per-stream state lives in one small object per stream.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from ..dissect.fast import Transport

TH_FIN, TH_SYN, TH_RST, TH_PUSH, TH_ACK, TH_URG, TH_ECE, TH_CWR = 1, 2, 4, 8, 16, 32, 64, 128
MOD32 = 1 << 32


@dataclass(slots=True)
class TcpStream:
    """One TCP conversation.  Index 0 of the pairs is the first-seen sender."""

    number: int
    addr: tuple[bytes, int]  # the first-seen sender (address, port)
    peer: tuple[bytes, int]
    first_frame: int
    base_seq: list[int] = field(default_factory=lambda: [-1, -1])  # -1: not known yet
    saw_syn: list[bool] = field(default_factory=lambda: [False, False])
    fin: list[int] = field(default_factory=lambda: [0, 0])  # frame of the first FIN per side
    rst: int = 0  # frame of the first RST
    frames: int = 0
    last_frame: int = 0
    # The window-scale shift per side as Wireshark keeps it (see ``syn_window_scale``): -1 unknown
    # (no SYN of that side seen), -2 not used (a SYN went without the option).
    wscale: list[int] = field(default_factory=lambda: [-1, -1])
    last_time_ns: int = 0
    first_time_ns: int = 0
    # tcp.completeness (``completeness_bits``): the first frame's bits, and those of the others.
    first_bits: int = 0
    later_bits: int = 0

    def completeness(self, frame: int) -> int:
        """tcp.completeness as tshark 4.0 -2 shows it on ``frame`` of this stream: every frame's
        bits, except that the first frame's own count on the first frame only when it is a SYN,
        and a SYN after the first frame is not SYN_SENT (``later_bits`` leaves it out).  Read off
        tshark: every TCP frame of the 129 corpus captures (22,012 cells) and tests/data."""
        if frame == self.first_frame and not self.first_bits & SYN_SENT:
            return self.later_bits
        return self.first_bits | self.later_bits


# tcp.completeness: what a conversation showed of a connection's life (packet-tcp.c's bits).
SYN_SENT, SYN_ACK, ACK_SEEN, DATA_SEEN, FIN_SEEN, RST_SEEN = 1, 2, 4, 8, 16, 32


def completeness_bits(flags, seglen):  # noqa: ANN001, ANN201 - ints, or NumPy arrays of them
    """One segment's tcp.completeness bits, for an int or whole columns at once.  Read off tshark
    4.0's output (no source was at hand): an ACK is a segment with ACK, without SYN and without
    payload (a FIN or RST may ride on it); DATA is payload with any flag; a SYN without ACK is
    SYN_SENT, with ACK SYN_ACK."""
    syn = (flags & 0x02) != 0
    no_syn = (flags & 0x02) == 0
    ack = (flags & 0x10) != 0
    no_ack = (flags & 0x10) == 0
    return ((syn & no_ack) * SYN_SENT | (syn & ack) * SYN_ACK | (ack & no_syn & (seglen == 0)) * ACK_SEEN
            | ((seglen > 0) & (flags != 0)) * DATA_SEEN | ((flags & 0x01) != 0) * FIN_SEEN
            | ((flags & 0x04) != 0) * RST_SEEN)


_COMPLETE = {SYN_SENT: "Incomplete, SYN_SENT", SYN_SENT | SYN_ACK: "Incomplete, CLIENT_ESTABLISHED",
             SYN_SENT | SYN_ACK | ACK_SEEN: "Incomplete, ESTABLISHED",
             SYN_SENT | SYN_ACK | ACK_SEEN | DATA_SEEN: "Incomplete, DATA"}


def completeness_text(value: int) -> str:
    """The tree's words for a tcp.completeness value (as tshark 4.0 labels it)."""
    words = _COMPLETE.get(value)
    if words is None:
        handshake = SYN_SENT | SYN_ACK | ACK_SEEN
        if value & handshake == handshake and value & (FIN_SEEN | RST_SEEN) and not value & ~63:
            words = "Complete, WITH_DATA" if value & DATA_SEEN else "Complete, NO_DATA"
        else:
            words = "Incomplete"
    return f"{words} ({value})"


def syn_window_scale(st: TcpStream, d: int, shift: int, ack: bool) -> None:
    """A SYN (SYN-ACK if ``ack``) of side ``d`` with window-scale option ``shift`` (-2: none), as
    packet-tcp.c takes it: the option sets that side's shift; a SYN without one, from a side that has
    none, turns scaling off for both sides; a SYN-ACK answering a SYN without it turns it off too.
    One side's SYN alone (the other's was not captured) scales that side only."""
    ws = st.wscale
    if shift >= 0:
        ws[d] = shift
    if ws[d] == -1:
        ws[d] = ws[1 - d] = -2
    elif ack and ws[1 - d] == -2:
        ws[d] = -2


def window_shift(st: TcpStream, d: int) -> int:
    """The window-scale shift for direction ``d`` of a stream as Wireshark applies it at the end of
    its first pass (to every frame, before the SYNs too): -1 unknown, -2 no scaling."""
    return st.wscale[d]


def client_side(st) -> int:  # noqa: ANN001 - a TcpStream or a UdpStream
    """Which direction is the client's when no hello says so: the first-seen sender if both SYNs
    were seen (it sent the SYN), else the side with the higher port (servers listen on the lower)."""
    saw_syn = getattr(st, "saw_syn", None)
    if saw_syn is not None and saw_syn[0] and saw_syn[1]:
        return 0
    return 1 if st.peer[1] > st.addr[1] else 0


@dataclass(slots=True)
class UdpStream:
    number: int
    addr: tuple[bytes, int]
    peer: tuple[bytes, int]
    first_frame: int


class ConversationTracker:
    """Assigns stream numbers and relative sequence numbers, frame by frame."""

    def __init__(self, per_frame: bool = True) -> None:
        """``per_frame=False`` tracks the streams only, without the per-frame columns (the TCP
        analysis child of tcp/offload.py needs no more)."""
        self.per_frame = per_frame
        self.filled = 0  # frames already tracked in bulk (conversations_bulk.track): not fed again
        self.tcp_streams: list[TcpStream] = []
        self.udp_streams: list[UdpStream] = []
        self._tcp_by_key: dict[tuple, TcpStream] = {}
        self._udp_by_key: dict[tuple, UdpStream] = {}
        # Per frame (index = frame number - 1); -1 where the frame has no such layer.
        self.tcp_stream = array("i")
        self.udp_stream = array("i")
        self.direction = array("b")
        self.rel_seq = array("I")
        self.rel_ack = array("I")
        self.prev_in_stream = array("i")  # previous frame of the same TCP stream, 0 if none
        # The UDP streams of the tunnels around a frame's own TCP/UDP (VXLAN, Geneve, GTP-U, Teredo),
        # outermost first, by frame index: few frames have them.
        self.outer_udp: dict[int, tuple[int, ...]] = {}
        self.outer_dir: dict[int, tuple[int, ...]] = {}  # their directions (0: the stream's first sender)

    def skip(self) -> None:
        """Record a frame that is neither TCP nor UDP."""
        if not self.per_frame:
            return
        self.prev_in_stream.append(0)
        self.tcp_stream.append(-1)
        self.udp_stream.append(-1)
        self.direction.append(-1)
        self.rel_seq.append(0)
        self.rel_ack.append(0)

    def _udp(self, frame: int, t: Transport) -> tuple[UdpStream, int]:
        a, b = (t.src, t.sport), (t.dst, t.dport)
        key = (a, b) if a <= b else (b, a)
        s = self._udp_by_key.get(key)
        if s is None:
            s = UdpStream(len(self.udp_streams), a, b, frame)
            self.udp_streams.append(s)
            self._udp_by_key[key] = s
        return s, 0 if a == s.addr else 1

    def feed_outer(self, frame: int, outer: tuple[Transport, ...]) -> None:
        """The UDP datagrams that carry tunnels around the frame's own TCP/UDP (``Transport.outer``):
        each is a udp.stream, numbered before the inner one as tshark numbers them.  Call before
        ``feed_tcp``/``feed_udp`` of the same frame."""
        got = [self._udp(frame, u) for u in outer]
        if self.per_frame:
            self.outer_udp[frame - 1] = tuple(s.number for s, _d in got)
            self.outer_dir[frame - 1] = tuple(d for _s, d in got)

    def feed_udp(self, frame: int, t: Transport) -> tuple[UdpStream, int]:
        s, d = self._udp(frame, t)
        if not self.per_frame:
            return s, d
        self.prev_in_stream.append(0)
        self.tcp_stream.append(-1)
        self.udp_stream.append(s.number)
        self.direction.append(d)
        self.rel_seq.append(0)
        self.rel_ack.append(0)
        return s, d

    def feed_tcp(self, frame: int, time_ns: int, t: Transport, wscale: int = -2) -> tuple[TcpStream, int]:
        """``wscale``: the window-scale shift of a SYN's options (-2 when it has none)."""
        a, b = (t.src, t.sport), (t.dst, t.dport)
        key = (a, b) if a <= b else (b, a)
        s = self._tcp_by_key.get(key)
        flags = t.flags
        if s is not None and (flags & (TH_SYN | TH_ACK)) == TH_SYN:
            d = 0 if a == s.addr else 1
            # A SYN whose sequence number differs from the one this conversation started
            # with opens a new conversation on the same ports (packet-tcp.c, ports reused).
            if s.base_seq[d] >= 0 and t.seq != s.base_seq[d]:
                s = None
        if s is None:
            s = TcpStream(len(self.tcp_streams), a, b, frame, first_time_ns=time_ns)
            self.tcp_streams.append(s)
            self._tcp_by_key[key] = s
        d = 0 if a == s.addr else 1
        r = 1 - d
        base = s.base_seq
        if base[d] < 0:
            if flags & TH_SYN:
                base[d] = t.seq
                s.saw_syn[d] = True
            else:
                base[d] = (t.seq - 1) % MOD32
        elif flags & TH_SYN and flags & TH_ACK and t.seq != base[d]:
            # A SYN-ACK after we guessed the base from an ACK, or a second SYN-ACK with a new
            # initial sequence number: tshark counts this side from it on (the frames before keep
            # the numbers they had).
            base[d] = t.seq
            s.saw_syn[d] = True
        if flags & TH_SYN:
            syn_window_scale(s, d, wscale, bool(flags & TH_ACK))
        if flags & TH_ACK:
            if base[r] < 0:
                base[r] = (t.ack - 1) % MOD32
            ack = (t.ack - base[r]) % MOD32
        else:
            ack = t.ack
        if flags & TH_FIN and not s.fin[d]:
            s.fin[d] = frame
        if flags & TH_RST and not s.rst:
            s.rst = frame
        if s.frames:
            s.later_bits |= completeness_bits(flags, t.payload_len) & ~SYN_SENT
        else:
            s.first_bits = completeness_bits(flags, t.payload_len)
        s.frames += 1
        if self.per_frame:
            self.prev_in_stream.append(s.last_frame)
            self.tcp_stream.append(s.number)
            self.udp_stream.append(-1)
            self.direction.append(d)
            self.rel_seq.append((t.seq - base[d]) % MOD32)
            self.rel_ack.append(ack)
        s.last_frame = frame
        s.last_time_ns = time_ns
        return s, d
