"""The frame list's rows: one summary per frame, computed when it scrolls into view.

Nothing here imports Textual: the row model is plain data so that tests and the benchmark can
exercise it without a terminal.
"""
from __future__ import annotations

from bisect import bisect_left
from array import array
from dataclasses import dataclass

from ..safe_text import escape_text

# tcp.analysis fields that make a frame "Bad TCP" in Wireshark's colouring rules.
BAD_TCP = (
    "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
    "tcp.analysis.out_of_order", "tcp.analysis.lost_segment", "tcp.analysis.ack_lost_segment",
    "tcp.analysis.duplicate_ack", "tcp.analysis.zero_window", "tlstui.tcp.retransmission_mismatch",
    "_ws.malformed",
)
ALERTS = ("tls.alert_message", "dtls.alert_message")
CATEGORIES = ("tcp", "udp", "tls", "dtls", "synfin", "rst", "bad", "alert", "other")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the frame list, every text already escaped for the terminal."""

    number: int
    time: str
    source: str
    destination: str
    protocol: str
    length: int
    info: str
    category: str


def _first_value(tree, name: str):
    fs = tree.fields(name)
    return fs[0].value if fs else None


def categorize(tree) -> str:
    """The colouring rule a frame falls under (Wireshark's defaults, most specific first)."""
    for name in BAD_TCP:
        if tree.fields(name):
            return "bad"
    for name in ALERTS:
        if tree.fields(name):
            return "alert"
    if _first_value(tree, "tcp.flags.reset"):
        return "rst"
    if _first_value(tree, "tcp.flags.syn") or _first_value(tree, "tcp.flags.fin"):
        return "synfin"
    proto = tree.protocol.upper()
    if proto.startswith("DTLS"):
        return "dtls"
    if proto.startswith(("TLS", "SSL", "HTTP")):
        return "tls"
    if proto == "TCP":
        return "tcp"
    if proto == "UDP":
        return "udp"
    return "other"


def make_row(session, number: int) -> Row:
    """The summary of one frame (dissects it: call only for rows on screen)."""
    cap_len, orig_len, time_ns, _iface, _lt = session.frame_meta(number)
    try:
        tree = session.tree(number)
    except Exception as e:  # a dissector bug shows as a row, never as a crash of the list
        return Row(number, _rel(session, time_ns), "", "", "?", orig_len,
                   escape_text(f"[dissection failed: {type(e).__name__}: {e}]"), "bad")
    return Row(number, _rel(session, time_ns), escape_text(tree.source_addr), escape_text(tree.dest_addr),
               escape_text(tree.protocol), orig_len, escape_text(tree.info), categorize(tree))


def _rel(session, time_ns: int) -> str:
    return f"{(time_ns - session.first_time_ns()) / 1e9:.6f}"


class RowView:
    """Which frames the list shows: all of them, or the ones a filter matched (ascending)."""

    def __init__(self, total: int, frames: array | None = None) -> None:
        self.total = total
        self.frames = frames  # None: every frame 1..total

    def __len__(self) -> int:
        return self.total if self.frames is None else len(self.frames)

    def number_at(self, i: int) -> int:
        return i + 1 if self.frames is None else self.frames[i]

    def index_of(self, number: int) -> int | None:
        """The row of a frame, or None if the view does not show it."""
        if self.frames is None:
            return number - 1 if 1 <= number <= self.total else None
        i = bisect_left(self.frames, number)
        if i < len(self.frames) and self.frames[i] == number:
            return i
        return None

    def nearest_index(self, number: int) -> int:
        """The row of the frame, or of the first shown frame after it (the last if none)."""
        if self.frames is None:
            return max(0, min(self.total - 1, number - 1))
        i = bisect_left(self.frames, number)
        return max(0, min(len(self.frames) - 1, i))


class SortedRowView(RowView):
    """The frames of a view in another order (a sort): ``order`` holds their numbers as shown."""

    def __init__(self, total: int, order, key: str, descending: bool) -> None:  # noqa: ANN001 - NumPy
        import numpy as np

        super().__init__(total, order)  # frames is not None: "every frame in capture order" is not this
        self.order = order
        self.key, self.descending = key, descending
        self._pos = np.full(total + 1, -1, dtype=np.int64)
        self._pos[order] = np.arange(len(order), dtype=np.int64)
        self._ascending = None  # the shown frames in capture order, for nearest_index

    def __len__(self) -> int:
        return len(self.order)

    def number_at(self, i: int) -> int:
        return int(self.order[i])

    def index_of(self, number: int) -> int | None:
        if not 1 <= number <= self.total:
            return None
        i = int(self._pos[number])
        return i if i >= 0 else None

    def nearest_index(self, number: int) -> int:
        """The row of the frame, or of the first shown frame after it in capture order."""
        import numpy as np

        if not len(self.order):
            return 0
        got = self.index_of(number)
        if got is not None:
            return got
        if self._ascending is None:
            self._ascending = np.sort(self.order)
        j = int(np.searchsorted(self._ascending, number))
        j = min(j, len(self._ascending) - 1)
        return int(self._pos[self._ascending[j]])
