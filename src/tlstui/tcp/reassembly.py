"""TCP reassembly: each direction's byte stream as the receiver sees it.

First-sent bytes win; retransmitted bytes that differ are recorded, not dropped silently;
segments that arrive early wait until the gap before them fills, and are then delivered
tagged with their own frame (the delivering frame is the one that filled the gap); bytes
that never arrive (lost before the capture point, or cut by the snapshot length) become
explicit gaps, never zeros.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

MOD32 = 1 << 32
# Out-of-order data held per direction before we give up waiting and declare a gap.
MAX_PENDING_BYTES = 4 * 1024 * 1024


class StreamConsumer(Protocol):
    def on_tcp_data(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
                    stream_offset: int, sport: int, dport: int, deliver_frame: int | None = None) -> None: ...
    def on_tcp_gap(self, stream: int, direction: int, frame: int, length: int) -> None: ...
    def on_tcp_close(self, stream: int, direction: int, frame: int, kind: str) -> None: ...


@dataclass(slots=True)
class Conflict:
    """A retransmission whose bytes differ from what was first sent at that sequence number."""

    frame: int
    original_frame: int
    rel_seq: int
    first_diff: int  # offset in the retransmitted segment's payload of the first differing byte
    length_differs: bool


@dataclass(slots=True)
class _Pending:
    rel_seq: int
    frame: int
    frame_offset: int
    data: bytes
    deliver_frame: int = 0


@dataclass
class Direction:
    next_seq: int = -1  # relative sequence number of the next byte the receiver expects
    delivered: int = 0  # bytes handed to the consumer (stream offset of the next byte)
    pending: dict[int, _Pending] = field(default_factory=dict)
    pending_bytes: int = 0
    # (rel_seq, length, frame, frame_offset) of every delivered segment: for "which frame sent
    # this byte" and for comparing retransmissions with originals.  Kept compact per segment.
    segments: list[tuple[int, int, int, int]] = field(default_factory=list)
    closed: bool = False


class Reassembler:
    """Feeds in-order stream bytes to a consumer; records conflicting retransmissions."""

    def __init__(self, consumer: StreamConsumer, get_frame_bytes) -> None:
        self.consumer = consumer
        self.get_frame_bytes = get_frame_bytes
        self.dirs: dict[tuple[int, int], Direction] = {}
        self.conflicts: list[Conflict] = []

    def segment(self, stream: int, direction: int, frame: int, rel_seq: int, flags: int,
                payload: bytes, payload_off: int, wire_len: int, sport: int, dport: int) -> None:
        """One TCP segment: ``payload`` holds the captured bytes, ``wire_len`` the length on the wire."""
        d = self.dirs.get((stream, direction))
        if d is None:
            d = self.dirs[(stream, direction)] = Direction()
        if d.next_seq < 0:
            d.next_seq = rel_seq + (1 if flags & 0x02 else 0)
        if flags & 0x02:
            return
        if wire_len:
            self._data(d, stream, direction, frame, rel_seq, payload, payload_off, wire_len, sport, dport)
        if flags & 0x05 and not d.closed:
            d.closed = True
            self.consumer.on_tcp_close(stream, direction, frame, "rst" if flags & 0x04 else "fin")

    def _data(self, d: Direction, stream, direction, frame, seq, payload, off, wire_len, sport, dport) -> None:
        if len(payload) < wire_len:
            # Cut by the snapshot length: deliver what we have, then a gap for the rest.
            self._deliver_or_hold(d, stream, direction, frame, seq, payload, off, sport, dport)
            missing_seq = seq + len(payload)
            if d.next_seq == missing_seq:
                self.consumer.on_tcp_gap(stream, direction, frame, wire_len - len(payload))
                d.delivered += wire_len - len(payload)
                d.next_seq = seq + wire_len
                self._flush(d, stream, direction, frame, sport, dport)
            return
        self._deliver_or_hold(d, stream, direction, frame, seq, payload, off, sport, dport)

    def _deliver_or_hold(self, d, stream, direction, frame, seq, payload, off, sport, dport) -> None:
        if not payload:
            return
        ahead = (seq - d.next_seq) % MOD32
        if ahead >= MOD32 // 2:  # starts before next_seq: (partly) a retransmission
            behind = MOD32 - ahead
            self._compare(d, frame, seq, payload)
            if behind >= len(payload):
                return
            payload, off, seq = payload[behind:], off + behind, d.next_seq
            ahead = 0
        if ahead == 0:
            self._emit(d, stream, direction, frame, seq, payload, off, sport, dport)
            self._flush(d, stream, direction, frame, sport, dport)
        else:
            if seq not in d.pending or len(d.pending[seq].data) < len(payload):
                d.pending[seq] = _Pending(seq, frame, off, payload)
                d.pending_bytes += len(payload)
            if d.pending_bytes > MAX_PENDING_BYTES:
                self._skip_to_pending(d, stream, direction, frame, sport, dport)

    def _emit(self, d, stream, direction, frame, seq, payload, off, sport, dport, deliver_frame=None) -> None:
        d.segments.append((seq, len(payload), frame, off))
        self.consumer.on_tcp_data(stream, direction, frame, payload, off, d.delivered, sport, dport,
                                  deliver_frame=deliver_frame or frame)
        d.delivered += len(payload)
        d.next_seq = (seq + len(payload)) % MOD32

    def _flush(self, d, stream, direction, frame, sport, dport) -> None:
        while d.pending:
            progressed = False
            for seq in list(d.pending):
                ahead = (seq - d.next_seq) % MOD32
                p = d.pending[seq]
                if ahead == 0 or ahead >= MOD32 // 2:
                    del d.pending[seq]
                    d.pending_bytes -= len(p.data)
                    behind = 0 if ahead == 0 else MOD32 - ahead
                    if behind < len(p.data):
                        # Held bytes complete their records in the frame that filled the gap.
                        self._emit(d, stream, direction, p.frame, (seq + behind) % MOD32, p.data[behind:],
                                   p.frame_offset + behind, sport, dport, deliver_frame=frame or p.frame)
                    progressed = True
            if not progressed:
                break

    def _skip_to_pending(self, d, stream, direction, frame, sport, dport) -> None:
        """Give up on a gap: declare the missing bytes lost and go on from the earliest held segment."""
        first = min(d.pending, key=lambda s: (s - d.next_seq) % MOD32)
        missing = (first - d.next_seq) % MOD32
        self.consumer.on_tcp_gap(stream, direction, frame, missing)
        d.delivered += missing
        d.next_seq = first
        self._flush(d, stream, direction, frame, sport, dport)

    def finish(self) -> None:
        """End of capture: whatever still waits behind a gap is delivered after an explicit gap."""
        for (stream, direction), d in self.dirs.items():
            while d.pending:
                self._skip_to_pending(d, stream, direction, 0, 0, 0)

    def _compare(self, d: Direction, frame: int, seq: int, payload: bytes) -> None:
        """Compare retransmitted bytes with the first-sent ones at the same sequence numbers."""
        for oseq, olen, oframe, ooff in reversed(d.segments[-64:]):
            if oseq == seq:
                original = self.get_frame_bytes(oframe)[ooff:ooff + olen]
                n = min(len(original), len(payload))
                diff = next((i for i in range(n) if original[i] != payload[i]), -1)
                if diff >= 0 or len(original) != len(payload):
                    self.conflicts.append(Conflict(frame, oframe, seq, diff if diff >= 0 else n,
                                                   len(original) != len(payload)))
                return
