"""Reassembly: each direction's bytes as the receiver sees them, gaps explicit, conflicts recorded."""
from __future__ import annotations

import pytest

from tlstui.tcp.reassembly import MAX_PENDING_BYTES, Reassembler

SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_tcp_data(self, stream, direction, frame, data, frame_offset, stream_offset, sport, dport,
                    deliver_frame=None):
        self.events.append(("data", frame, bytes(data), frame_offset, stream_offset, deliver_frame))

    def on_tcp_gap(self, stream, direction, frame, length):
        self.events.append(("gap", frame, length))

    def on_tcp_close(self, stream, direction, frame, kind):
        self.events.append(("close", frame, kind))

    def stream(self) -> bytes:
        out = b""
        for e in self.events:
            if e[0] == "data":
                assert e[4] == len(out), "offsets must be contiguous"
                out += e[2]
            elif e[0] == "gap":
                out += b"?" * e[2]
        return out


class Wire:
    """Frames whose payload starts at offset 54 (Ethernet + IPv4 + TCP without options)."""

    def __init__(self, isn: int = 0) -> None:
        self.rec = Recorder()
        self.frames: dict[int, bytes] = {}
        self.r = Reassembler(self.rec, lambda n: self.frames[n])
        self.isn = isn
        self.n = 0

    def seg(self, seq: int, data: bytes = b"", flags: int = ACK, wire_len: int | None = None) -> int:
        """``seq`` counts from the first data byte (the SYN is at -1)."""
        self.n += 1
        self.frames[self.n] = b"\0" * 54 + data
        rel = (self.isn + 1 + seq) % (1 << 32)
        self.r.segment(0, 0, self.n, rel, flags, data, 54, len(data) if wire_len is None else wire_len, 1, 2)
        return self.n

    def syn(self) -> int:
        self.n += 1
        self.frames[self.n] = b"\0" * 54
        self.r.segment(0, 0, self.n, self.isn, SYN, b"", 54, 0, 1, 2)
        return self.n


def test_in_order():
    w = Wire()
    w.syn()
    w.seg(0, b"hello ")
    w.seg(6, b"world", flags=ACK | FIN)
    assert w.rec.stream() == b"hello world"
    assert w.rec.events[-1] == ("close", 3, "fin")
    assert w.r.locate(0, 0, 7) == (3, 55)
    assert list(w.r.pieces(0, 0)) == [(0, 6, 2, 54), (6, 5, 3, 54)]


def test_reordered_segments_wait_and_are_delivered_in_the_frame_that_fills_the_hole():
    w = Wire()
    w.syn()
    w.seg(0, b"aaaa")
    f3 = w.seg(8, b"cccc")
    f4 = w.seg(12, b"dddd")
    assert w.rec.stream() == b"aaaa"
    f5 = w.seg(4, b"bbbb")
    assert w.rec.stream() == b"aaaabbbbccccdddd"
    data = [e for e in w.rec.events if e[0] == "data"]
    assert [(e[1], e[5]) for e in data[1:]] == [(f5, f5), (f3, f5), (f4, f5)]
    assert w.r.locate(0, 0, 9) == (f3, 55)


def test_duplicates_are_dropped_and_identical_ones_are_no_conflict():
    w = Wire()
    w.syn()
    w.seg(0, b"abcd")
    w.seg(0, b"abcd")
    w.seg(4, b"efgh")
    w.seg(4, b"efgh")
    assert w.rec.stream() == b"abcdefgh"
    assert w.r.conflicts == []


def test_overlap_first_sent_bytes_win_and_the_difference_is_recorded():
    w = Wire()
    w.syn()
    w.seg(0, b"0123456789")
    f = w.seg(5, b"56X89ABC")  # overlaps 5..9 with one changed byte, then new data
    assert w.rec.stream() == b"0123456789ABC"
    (c,) = w.r.conflicts
    assert (c.frame, c.original_frame, c.first_diff, c.bytes_differ, c.length_differs) == (f, 2, 2, True, False)


def test_overlap_with_held_data_first_arrival_wins():
    w = Wire()
    w.syn()
    w.seg(0, b"aa")
    w.seg(4, b"XXXX")  # held
    f = w.seg(2, b"bbYYYY")  # fills the hole, overlaps the held bytes with other values
    assert w.rec.stream() == b"aabbXXXX"
    (c,) = w.r.conflicts
    assert (c.frame, c.original_frame, c.first_diff) == (f, 3, 2)


def test_shorter_copy_at_the_same_sequence_number_is_a_length_conflict():
    w = Wire()
    w.syn()
    w.seg(0, b"A" * 100)
    w.seg(100, b"B" * 100)
    f = w.seg(0, b"A" * 40)
    w.seg(100, b"B" * 100)  # an exact copy: fine
    w.seg(0, b"A" * 100 + b"B" * 100)  # a longer copy covering whole segments: a normal coalesced retransmission
    (c,) = w.r.conflicts
    assert (c.frame, c.length_differs, c.bytes_differ, c.first_diff, c.length, c.original_length) == \
        (f, True, False, 40, 40, 100)


def test_partial_retransmission_after_a_partial_ack_is_no_conflict():
    w = Wire()
    w.syn()
    w.seg(0, b"x" * 1000)
    w.seg(500, b"x" * 500)
    assert w.r.conflicts == []


def test_keepalive_garbage_byte_is_not_a_conflict():
    w = Wire()
    w.syn()
    w.seg(0, b"data")
    w.seg(3, b"\0")
    assert w.r.conflicts == [] and w.rec.stream() == b"data"


def test_lost_segment_becomes_a_gap_at_the_end():
    w = Wire()
    w.syn()
    w.seg(0, b"aaaa")
    f = w.seg(8, b"cccc")
    w.r.finish()
    assert w.rec.events[1:] == [("gap", f, 4), ("data", f, b"cccc", 54, 8, f)]
    assert w.r.locate(0, 0, 5) is None
    assert list(w.r.pieces(0, 0))[1] == (4, 4, 0, 0)
    with pytest.raises(ValueError):
        w.r.stream_bytes(0, 0)
    assert w.r.stream_bytes(0, 0, gap=b"?") == b"aaaa????cccc"


def test_reset_gives_up_on_holes():
    w = Wire()
    w.syn()
    w.seg(0, b"aa")
    w.seg(4, b"cc")
    f = w.seg(6, flags=RST | ACK)
    # The gap and the held bytes belong to the frame that carried them, not to the RST (which has none).
    assert w.rec.events[1:] == [("gap", 3, 2), ("data", 3, b"cc", 54, 4, 3), ("close", f, "rst")]


def test_fin_closes_only_once_everything_before_it_is_in():
    w = Wire()
    w.syn()
    w.seg(0, b"aa")
    w.seg(4, b"cc", flags=ACK | FIN)
    assert ("close", 3, "fin") not in w.rec.events
    f = w.seg(2, b"bb")
    assert w.rec.events[-1] == ("close", f, "fin")
    assert w.rec.stream() == b"aabbcc"


def test_too_much_held_data_declares_the_hole_lost():
    w = Wire()
    w.syn()
    w.seg(0, b"a")
    chunk = b"z" * 65536
    n = MAX_PENDING_BYTES // len(chunk) + 1
    for i in range(n):
        w.seg(10 + i * len(chunk), chunk)
    assert ("gap", 3, 9) in w.rec.events  # before the first held segment, frame 3
    assert len(w.rec.stream()) == 10 + n * len(chunk)
    hits = w.r.limits.hits
    assert [(h.what, h.frame) for h in hits] == [("reassembly", w.n)]
    assert f"bound {MAX_PENDING_BYTES}" in hits[0].detail and "hole of 9 bytes" in hits[0].detail


def test_a_hole_that_fills_in_time_is_no_limit_hit():
    w = Wire()
    w.syn()
    w.seg(0, b"a")
    w.seg(10, b"z" * 65536)
    w.seg(1, b"b" * 9)
    assert w.r.limits.hits == [] and w.rec.stream() == b"a" + b"b" * 9 + b"z" * 65536


def test_sequence_numbers_wrap_around():
    w = Wire(isn=(1 << 32) - 3)
    w.syn()
    w.seg(0, b"ab")  # relative seq 2**32 - 2
    w.seg(4, b"ef")  # wraps: held
    w.seg(2, b"cd")
    w.seg(6, b"gh")
    assert w.rec.stream() == b"abcdefgh"
    assert w.r.conflicts == []


def test_long_stream_across_the_4gib_boundary():
    w = Wire()
    w.syn()
    pos = 0
    step = 1 << 30
    for _ in range(5):  # 5 GiB of sequence space, in big steps (wire length only, no bytes kept)
        w.seg(pos, b"x", wire_len=1)
        pos += 1
        w.seg(pos, b"", wire_len=0)
        # jump ahead as if a gigabyte went by, announced by a segment cut to nothing (snaplen)
        w.seg(pos, b"", wire_len=step)
        pos += step
    assert w.r.dirs[(0, 0)].delivered == pos


def test_mid_stream_start_without_syn():
    w = Wire(isn=5000)
    w.seg(100, b"later")  # first segment seen: becomes stream offset 0
    w.seg(105, b" data")
    w.seg(90, b"0123456789")  # from before the start: nothing to deliver, nothing to compare
    assert w.rec.stream() == b"later data"


def test_snaplen_cut_bytes_are_a_gap_not_zeros():
    w = Wire()
    w.syn()
    f = w.seg(0, b"head", wire_len=10)
    w.seg(10, b"next")
    assert w.rec.events == [("data", f, b"head", 54, 0, f), ("gap", f, 6), ("data", 3, b"next", 54, 10, 3)]


def test_snaplen_cut_segment_held_out_of_order():
    w = Wire()
    w.syn()
    w.seg(0, b"ab")
    w.seg(4, b"ef", wire_len=6)
    w.seg(10, b"kl")
    w.seg(2, b"cd")
    assert w.rec.stream() == b"abcdef????kl"


def test_synthetic_tls_stream_survives_reorder_loss_recovery_and_duplicates():
    """A 200 kB stream cut in 1448-byte segments, sent with reordering, duplicates and retransmissions."""
    import random

    rnd = random.Random(5)
    payload = rnd.randbytes(200_000)
    segs = [(i, payload[i:i + 1448]) for i in range(0, len(payload), 1448)]
    order = []
    for s in segs:
        order.append(s)
        if rnd.random() < 0.1:
            order.append(s)  # duplicate
    for i in range(0, len(order) - 1, 7):
        order[i], order[i + 1] = order[i + 1], order[i]  # reorder
    lost = set(rnd.sample(range(len(order)), 10))
    sent = [s for i, s in enumerate(order) if i not in lost]
    sent += [order[i] for i in sorted(lost)]  # retransmitted at the end
    w = Wire(isn=(1 << 32) - 50_000)
    w.syn()
    for seq, data in sent:
        w.seg(seq, data)
    w.r.finish()
    assert w.rec.stream() == payload
    assert w.r.conflicts == []
