"""TCP reassembly: each direction's byte stream as the receiver sees it.

Positions are *stream offsets*: byte 0 is the first byte after the SYN (or, for a stream
that starts mid-connection, the first byte seen).  Sequence numbers are unwrapped around
the current position, so streams longer than 4 GiB and wrap-around just work.

* **First-sent bytes win.**  A byte is taken from the first segment in the capture that
  carries it; later copies (retransmissions, overlaps, duplicates) are compared with it,
  and a copy whose bytes differ, or that starts where an earlier segment started and stops
  inside it, is recorded in ``Reassembler.conflicts`` (never silently dropped).
* **Out of order.**  Segments that arrive ahead of a hole wait; when the hole fills they are
  delivered, each with its own frame and offset, and with ``deliver_frame`` set to the frame
  that filled the hole (the one in which a record they complete belongs, as in Wireshark with
  out-of-order reassembly).
* **Gaps are explicit.**  Bytes that never arrive (lost before the capture point, or cut by
  the snapshot length) become ``on_tcp_gap`` calls, never zeros: at once for bytes cut by the
  snapshot length once everything before them is in, and for a hole when too much data waits
  behind it (``MAX_PENDING_BYTES``), when the sender resets, or at the end of the capture.
* **Byte -> frame.**  ``locate(stream, direction, offset)`` says which frame (and where in
  it) carried any delivered byte; ``pieces(stream, direction)`` lists the whole stream as
  (offset, length, frame, frame_offset) runs, frame 0 marking a gap: the input of "follow
  stream".  Kept in typed arrays (20 bytes per run).
"""
from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol

from ..limits import REASSEMBLY_PENDING_BYTES as MAX_PENDING_BYTES, Limits

MOD32 = 1 << 32
M32 = MOD32 - 1
HALF = 1 << 31
TH_FIN, TH_SYN, TH_RST = 0x01, 0x02, 0x04


# What a consumer's on_tcp_data may return: it will read none of that stream's later bytes
# (dissect.clear.Tee then stops handing them to it).
DONE = "done"


class StreamConsumer(Protocol):
    def on_tcp_data(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
                    stream_offset: int, sport: int, dport: int, deliver_frame: int | None = None) -> str | None: ...
    def on_tcp_gap(self, stream: int, direction: int, frame: int, length: int) -> None: ...
    def on_tcp_close(self, stream: int, direction: int, frame: int, kind: str) -> None: ...


@dataclass(slots=True)
class Conflict:
    """A segment whose bytes (or length) differ from what was first sent at those sequence numbers."""

    frame: int
    original_frame: int  # the frame that first carried the first differing byte
    rel_seq: int  # the segment's relative sequence number
    first_diff: int  # offset in the segment's payload of the first differing byte
    length_differs: bool  # starts where an earlier segment started, and stops inside it
    length: int = 0  # the segment's payload length
    original_length: int = 0  # the payload length of the original segment (original_frame)
    bytes_differ: bool = False  # at least one byte differs (not only the length)
    stream: int = -1
    direction: int = -1


@dataclass(slots=True)
class _Piece:
    start: int
    end: int
    frame: int
    frame_offset: int
    data: bytes | None  # None: known missing (cut by the snapshot length)


_NO_RUNS_Q = array("q")  # never appended to: Reassembler._emit replaces them first
_NO_RUNS_I = array("I")


@dataclass(slots=True)
class Direction:
    """One direction of one stream."""

    origin: int = -1  # relative sequence number of stream offset 0 (-1: nothing seen yet)
    delivered: int = 0  # stream offset of the next byte the receiver needs
    pend_starts: list[int] = field(default_factory=list)  # sorted, non-overlapping pieces ahead
    pend: list[_Piece] = field(default_factory=list)
    pending_bytes: int = 0
    fin_at: int = -1  # stream offset just after the last byte, once a FIN is seen
    closed: bool = False
    last_frame: int = 0
    # What was delivered, in order: run start, length, frame (0: a gap), offset in the frame.
    # Shared empty arrays until the first run (most directions of a port scan never get one).
    map_start: array = field(default_factory=lambda: _NO_RUNS_Q)
    map_len: array = field(default_factory=lambda: _NO_RUNS_I)
    map_frame: array = field(default_factory=lambda: _NO_RUNS_I)
    map_off: array = field(default_factory=lambda: _NO_RUNS_I)

    def position(self, rel_seq: int) -> int:
        """The stream offset of a relative sequence number, unwrapped around the current position."""
        return self.delivered + (((rel_seq - self.origin - self.delivered) + HALF) & M32) - HALF


class Reassembler:
    """Feeds in-order stream bytes to a consumer; records conflicting retransmissions."""

    def __init__(self, consumer: StreamConsumer, get_frame_bytes: Callable[[int], bytes],
                 limits: Limits | None = None) -> None:
        self.limits = limits if limits is not None else Limits()
        self.consumer = consumer
        self.get_frame_bytes = get_frame_bytes
        self.dirs: dict[tuple[int, int], Direction] = {}
        self.conflicts: list[Conflict] = []
        self._cur = (0, 0, 0)  # (stream, direction, frame) being fed, for the consumer calls

    # --- feeding -----------------------------------------------------------------------
    def segment(self, stream: int, direction: int, frame: int, rel_seq: int, flags: int,
                payload: bytes, payload_off: int, wire_len: int, sport: int, dport: int) -> None:
        """One TCP segment: ``payload`` holds the captured bytes, ``wire_len`` the length on the wire,
        ``payload_off`` where the payload starts in the frame."""
        key = (stream, direction)
        d = self.dirs.get(key)
        if d is None:
            if not (wire_len or flags & (TH_SYN | TH_FIN)):
                # A bare ACK or RST before any data: nothing to reassemble (port scans: millions).
                if flags & TH_RST:
                    self._forget_if_empty(stream, 1 - direction)
                return
            d = self.dirs[key] = Direction()
        d.last_frame = frame
        seq = (rel_seq + 1) & M32 if flags & TH_SYN else rel_seq
        if d.origin < 0:
            d.origin = seq
        elif flags & TH_SYN and d.delivered == 0 and not d.pend and d.origin != seq:
            d.origin = seq  # a SYN seen after segments that guessed the start
        self._cur = (sport, dport, frame)
        if wire_len:
            pos = d.position(seq)
            if pos == d.delivered and not d.pend and len(payload) == wire_len and d.fin_at < 0:
                self._emit(d, stream, direction, frame, pos, payload, payload_off, frame)  # in order: most segments
            else:
                self._data(d, stream, direction, frame, rel_seq, pos, payload, payload_off, wire_len)
        if flags & TH_FIN and d.fin_at < 0:
            d.fin_at = d.position(seq) + wire_len
        if flags & TH_RST and not d.closed:
            self._give_up(d, stream, direction, frame)
            d.closed = True
            self.consumer.on_tcp_close(stream, direction, frame, "rst")
            self._forget_if_empty(stream, direction)
            self._forget_if_empty(stream, 1 - direction)
        elif d.fin_at >= 0 and not d.closed and d.delivered >= d.fin_at:
            d.closed = True
            self.consumer.on_tcp_close(stream, direction, frame, "fin")

    def _forget_if_empty(self, stream: int, direction: int) -> None:
        """A connection reset before any byte (a refused connection, a port scan): keep nothing."""
        d = self.dirs.get((stream, direction))
        if d is not None and d.map_start is _NO_RUNS_Q and not d.pend:
            del self.dirs[(stream, direction)]

    def _data(self, d: Direction, stream: int, direction: int, frame: int, rel_seq: int, pos: int,
              payload: bytes, foff: int, wire_len: int) -> None:
        end = pos + wire_len
        if pos < 0:  # bytes from before the start we chose (a mid-stream capture): nothing to match
            cut = min(-pos, len(payload))
            payload, foff, pos = payload[cut:], foff + cut, 0
            if end <= 0:
                return
        delivered = d.delivered
        if pos == delivered and not d.pend and len(payload) == wire_len:
            self._emit(d, stream, direction, frame, pos, payload, foff, frame)  # the common case
            self._close_if_fin(d, stream, direction, frame)
            return
        cap_end = pos + len(payload)
        if pos < delivered or d.pend:
            # keep-alives repeat the last byte (often as garbage): not a retransmission to compare
            if not (wire_len == 1 and pos == delivered - 1):
                self._compare(d, stream, direction, frame, rel_seq, pos, end, payload)
        cur = max(pos, delivered)
        new: list[_Piece] = []
        starts, pend = d.pend_starts, d.pend
        i = bisect_right(starts, cur) - 1
        if i < 0:
            i = 0
        while cur < end:
            while i < len(pend) and pend[i].end <= cur:
                i += 1
            if i < len(pend) and pend[i].start <= cur:
                cur = min(end, pend[i].end)  # already held: first arrival wins
                continue
            stop = min(end, pend[i].start) if i < len(pend) else end
            if cur < cap_end:
                e = min(stop, cap_end)
                new.append(_Piece(cur, e, frame, foff + (cur - pos), payload[cur - pos:e - pos]))
                if e < stop:
                    new.append(_Piece(e, stop, frame, foff + (e - pos), None))
            else:
                new.append(_Piece(cur, stop, frame, foff + (cur - pos), None))
            cur = stop
        for p in new:
            k = bisect_left(starts, p.start)
            starts.insert(k, p.start)
            pend.insert(k, p)
            d.pending_bytes += p.end - p.start
        self._flush(d, stream, direction, frame)
        if d.pending_bytes > MAX_PENDING_BYTES:
            held = d.pending_bytes
            hole = d.pend[0].start - d.delivered if d.pend else 0
            self._skip_hole(d, stream, direction, frame)
            self.limits.hit("reassembly", "tcp", stream, frame,
                            f"direction {direction}: {held} bytes waited behind a hole of {hole} bytes "
                            f"(bound {MAX_PENDING_BYTES}); the hole was declared lost")
        self._close_if_fin(d, stream, direction, frame)

    def _close_if_fin(self, d: Direction, stream: int, direction: int, frame: int) -> None:
        if d.fin_at >= 0 and not d.closed and d.delivered >= d.fin_at:
            d.closed = True
            self.consumer.on_tcp_close(stream, direction, frame, "fin")

    def _emit(self, d: Direction, stream: int, direction: int, frame: int, pos: int, data: bytes | None,
              foff: int, deliver_frame: int, length: int = 0) -> None:
        n = len(data) if data is not None else length
        if d.map_start is _NO_RUNS_Q:
            d.map_start, d.map_len, d.map_frame, d.map_off = array("q"), array("I"), array("I"), array("I")
        d.map_start.append(pos)
        d.map_len.append(n)
        d.map_frame.append(frame if data is not None else 0)
        d.map_off.append(foff if data is not None else 0)
        d.delivered = pos + n
        if data is None:
            self.consumer.on_tcp_gap(stream, direction, frame, n)
        else:
            sport, dport, _ = self._cur
            self.consumer.on_tcp_data(stream, direction, frame, data, foff, pos, sport, dport, deliver_frame)

    def _flush(self, d: Direction, stream: int, direction: int, deliver_frame: int) -> None:
        """Deliver what the hole no longer holds back; records it completes belong to
        ``deliver_frame`` (the frame that filled the hole), or, when 0 (the hole was given up),
        to the frame that carried each piece."""
        starts, pend = d.pend_starts, d.pend
        n = 0
        while n < len(pend) and pend[n].start <= d.delivered:
            p = pend[n]
            n += 1
            d.pending_bytes -= p.end - p.start
            if p.end <= d.delivered:
                continue
            skip = d.delivered - p.start
            data = p.data[skip:] if p.data is not None else None
            self._emit(d, stream, direction, p.frame, d.delivered, data, p.frame_offset + skip,
                       deliver_frame or p.frame, p.end - d.delivered)
        if n:
            del starts[:n]
            del pend[:n]

    def _skip_hole(self, d: Direction, stream: int, direction: int, frame: int) -> None:
        """Give up on the first hole: declare its bytes lost and go on from the next held data.

        The held bytes are not this frame's (a RST, a FIN, the frame that overflowed the bound):
        the gap belongs to the frame the data after it came in, and what that data completes to
        the frames that carried it."""
        if not d.pend:
            return
        first = d.pend[0]
        if first.start > d.delivered:
            self._emit(d, stream, direction, first.frame, d.delivered, None, 0, first.frame, first.start - d.delivered)
        self._flush(d, stream, direction, 0)

    def _give_up(self, d: Direction, stream: int, direction: int, frame: int) -> None:
        while d.pend:
            self._skip_hole(d, stream, direction, frame)

    def held(self) -> list[tuple[int, int]]:
        """The directions ``finish`` has something to do for: data held behind a hole, or a FIN behind one."""
        return [k for k, d in self.dirs.items() if d.pend or (d.fin_at >= 0 and not d.closed)]

    def overlay_begin(self, keys, memo: dict) -> None:  # noqa: ANN001 - (stream, direction) keys
        """Keep a copy of these directions before ``finish`` (issue 18: ``overlay_undo`` puts them back)."""
        import copy

        memo.update({id(_NO_RUNS_Q): _NO_RUNS_Q, id(_NO_RUNS_I): _NO_RUNS_I})  # compared by identity
        self._overlay = ({k: copy.deepcopy(self.dirs[k], memo) for k in keys}, self._cur)

    def overlay_undo(self) -> None:
        overlay = self.__dict__.pop("_overlay", None)
        if overlay is not None:
            saved, self._cur = overlay
            self.dirs.update(saved)

    def finish(self) -> None:
        """End of capture: whatever still waits behind a hole is delivered after an explicit gap."""
        for (stream, direction), d in self.dirs.items():
            self._cur = (0, 0, d.last_frame)
            while d.pend:
                self._skip_hole(d, stream, direction, d.last_frame)
            if d.fin_at >= 0 and not d.closed:
                d.closed = True
                self.consumer.on_tcp_close(stream, direction, d.last_frame, "fin")

    # --- comparing copies ------------------------------------------------------------
    def _originals(self, d: Direction, start: int, end: int) -> Iterator[tuple[int, int, int, int, bytes | None]]:
        """(start, end, frame, frame_offset, data or None) of first-sent runs overlapping [start, end)."""
        ms = d.map_start
        i = max(0, bisect_right(ms, start) - 1)
        while i < len(ms) and ms[i] < end:
            s, n = ms[i], d.map_len[i]
            if s + n > start and d.map_frame[i]:
                yield s, s + n, d.map_frame[i], d.map_off[i], None
            i += 1
        starts = d.pend_starts
        i = max(0, bisect_right(starts, start) - 1)
        while i < len(d.pend) and d.pend[i].start < end:
            p = d.pend[i]
            if p.end > start and p.data is not None:
                yield p.start, p.end, p.frame, p.frame_offset, p.data
            i += 1

    def _compare(self, d: Direction, stream: int, direction: int, frame: int, rel_seq: int, pos: int, end: int,
                 payload: bytes) -> None:
        """Compare a segment's bytes with the first-sent bytes at the same stream offsets."""
        cap_end = pos + len(payload)
        first_diff = -1
        diff_frame = 0
        length_differs = False
        orig_frame_at_start = 0
        orig_len = 0
        for s, e, oframe, ooff, odata in self._originals(d, pos, end):
            if s == pos:
                orig_frame_at_start = oframe
            if s < end < e:
                # stops inside what an earlier segment carried: a shorter copy, if it started with it
                if s <= pos:
                    length_differs = True
                    orig_len = e - s
                    if first_diff < 0:
                        diff_frame = oframe
            a, b = max(s, pos), min(e, cap_end)
            if a >= b:
                continue
            if odata is None:
                raw = self.get_frame_bytes(oframe)
                odata = raw[ooff:ooff + (e - s)]
            mine = payload[a - pos:b - pos]
            theirs = odata[a - s:b - s]
            if mine != theirs:
                k = next(k for k in range(min(len(mine), len(theirs))) if mine[k] != theirs[k]) \
                    if len(mine) == len(theirs) else 0
                at = a + k
                if first_diff < 0 or at < first_diff:
                    first_diff, diff_frame = at, oframe
                    orig_len = e - s
        if first_diff < 0 and not length_differs:
            return
        if length_differs and orig_frame_at_start == 0:
            length_differs = False  # started inside an earlier segment: a partial retransmission
            if first_diff < 0:
                return
        off = (first_diff - pos) if first_diff >= 0 else (end - pos)
        self.conflicts.append(Conflict(frame, diff_frame, rel_seq, off, length_differs, end - pos, orig_len,
                                       first_diff >= 0, stream, direction))

    # --- answers ---------------------------------------------------------------------
    def locate(self, stream: int, direction: int, offset: int) -> tuple[int, int] | None:
        """(frame, offset in that frame) of a delivered stream byte; None in a gap or beyond."""
        d = self.dirs.get((stream, direction))
        if d is None:
            return None
        i = bisect_right(d.map_start, offset) - 1
        if i < 0 or offset >= d.map_start[i] + d.map_len[i] or not d.map_frame[i]:
            return None
        return d.map_frame[i], d.map_off[i] + (offset - d.map_start[i])

    def pieces(self, stream: int, direction: int) -> Iterator[tuple[int, int, int, int]]:
        """(stream offset, length, frame, frame offset) runs of the delivered stream; frame 0 is a gap."""
        d = self.dirs.get((stream, direction))
        if d is None:
            return
        for i in range(len(d.map_start)):
            yield d.map_start[i], d.map_len[i], d.map_frame[i], d.map_off[i]

    def stream_bytes(self, stream: int, direction: int, gap: bytes | None = None) -> bytes:
        """The delivered bytes of one direction.  Gaps raise ValueError unless ``gap`` (a filler
        byte for display only, e.g. b'?') is given."""
        out = bytearray()
        for _s, n, frame, off in self.pieces(stream, direction):
            if frame == 0:
                if gap is None:
                    raise ValueError("the stream has a gap")
                out += gap * n
            else:
                out += self.get_frame_bytes(frame)[off:off + n]
        return bytes(out)
