"""Sorting the frame list by a column: whole-column values ranked once, then one stable argsort.

Plain NumPy over ``session.columns``; nothing here imports Textual (the app runs it in a thread
worker and hands the result to the list).

A column's key for a frame is the value of its first occurrence (``Column.frames`` is
ascending, within a frame in tree order).  Values are turned into dense ranks (0..k-1, in
value order: numbers numerically, addresses by their bytes, strings by code point), so that
ascending and descending are the same integer sort.  Frames without the field sort last in
both directions; ties keep capture order (the sort is stable).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

ProgressFn = Callable[[str, int, int], None]

# The built-in columns and the fields they sort by (the Source/Destination text is the IPv4 or
# IPv6 address when the frame has one, else the Ethernet address: dissect/frame.py).
BUILTIN_SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "no": ("frame.number",),
    "time": ("frame.time_relative",),
    "source": ("ip.src", "ipv6.src", "eth.src"),
    "destination": ("ip.dst", "ipv6.dst", "eth.dst"),
    "protocol": ("_ws.col.Protocol",),
    "length": ("frame.len",),
    "info": ("_ws.col.Info",),
}
CUSTOM_PREFIX = "custom:"
# An address fallback (eth.src for frames with no IP address) is read frame by frame, through
# the field's own code, on the frames that need it; above this many it is left out (those
# frames sort last) rather than reading the whole capture's Ethernet headers in Python.
FALLBACK_MAX = 200_000
DIRECT_RANGE = 1 << 22  # integer columns whose values span at most this many are ranked without a sort


def sort_fields(key: str) -> tuple[str, ...]:
    """The fields a sort key ("time", "custom:tcp.window_size") reads, most significant first."""
    if key.startswith(CUSTOM_PREFIX):
        return (key[len(CUSTOM_PREFIX):],)
    return BUILTIN_SORT_FIELDS[key]


def first_values(col) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001 - a columns.Column
    """(frames, values) of each frame's first occurrence."""
    frames = col.frames
    if len(frames) == 0:
        return frames, col.values[:0]
    first = np.empty(len(frames), dtype=bool)
    first[0] = True
    np.not_equal(frames[1:], frames[:-1], out=first[1:])
    return frames[first], col.values[first]


def dense_ranks(values: np.ndarray) -> tuple[np.ndarray, int]:
    """(rank of each value, number of distinct values): equal values share a rank, ranks follow
    value order."""
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    if values.dtype.kind in "iub":
        lo, hi = int(values.min()), int(values.max())
        if hi - lo <= DIRECT_RANGE:  # lengths, ports, flags, windows: a table of the values seen, no sort
            seen = np.zeros(hi - lo + 1, dtype=bool)
            off = values.astype(np.int64) - lo
            seen[off] = True
            rank_of = np.cumsum(seen, dtype=np.int64) - 1
            return rank_of[off], int(rank_of[-1]) + 1
    if values.dtype != object:  # one stable sort; equal neighbours share a rank
        order = np.argsort(values, kind="stable")
        ordered = values[order]
        new = np.empty(n, dtype=bool)
        new[0] = True
        np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
        ranks = np.empty(n, dtype=np.int64)
        ranks[order] = np.cumsum(new, dtype=np.int64) - 1
        return ranks, int(ranks[order[-1]]) + 1
    seen: dict = {}
    setdefault = seen.setdefault
    try:
        codes = np.fromiter((setdefault(v, len(seen)) for v in values), dtype=np.int64, count=n)
    except TypeError:  # an unhashable value: rank by its text
        seen.clear()
        codes = np.fromiter((setdefault(repr(v), len(seen)) for v in values), dtype=np.int64, count=n)
    distinct = list(seen)
    try:
        order = sorted(range(len(distinct)), key=distinct.__getitem__)
    except TypeError:  # values of several types (None beside strings): group by type first
        order = sorted(range(len(distinct)), key=lambda i: _mixed_key(distinct[i]))
    rank_of = np.empty(len(distinct), dtype=np.int64)
    rank_of[np.asarray(order, dtype=np.int64)] = np.arange(len(distinct), dtype=np.int64)
    return rank_of[codes], len(distinct)


def _mixed_key(v: object) -> tuple:
    if v is None:
        return (0, "")
    if isinstance(v, (int, float, np.integer, np.floating)):
        return (1, float(v), "")
    if isinstance(v, (bytes, bytearray)):
        return (2, 0.0, bytes(v).hex())
    return (3, 0.0, str(v))


@dataclass(frozen=True, slots=True)
class FrameKeys:
    """Per frame number (index 0 unused) a rank; ``missing`` (== number of ranks) for frames
    that have none of the key's fields."""

    ranks: np.ndarray
    missing: int

    def order(self, descending: bool = False) -> np.ndarray:
        """Every frame number, sorted (stable: ties in capture order; missing last)."""
        key = self.ranks[1:]
        if descending:
            key = np.where(key == self.missing, self.missing, self.missing - 1 - key)
        # The narrowest type: NumPy's stable sort is a radix sort up to 16 bits.
        for dt in (np.uint8, np.uint16, np.uint32):
            if self.missing <= np.iinfo(dt).max:
                key = key.astype(dt)
                break
        return np.argsort(key, kind="stable").astype(np.int64) + 1


def frame_keys(session, key: str, progress: ProgressFn | None = None, cancel=None,  # noqa: ANN001
               get=None) -> FrameKeys:  # noqa: ANN001
    """Ranks per frame for sort ``key``, from the session's columns (built here if needed).
    ``get(name, progress, cancel)`` fetches a column (default: ``session.columns.get``)."""
    if get is None:
        get = session.columns.get
    n = len(session)
    if key == "no":  # capture order: no column needed
        return FrameKeys(np.arange(-1, n, dtype=np.int64), n)
    names = sort_fields(key)
    ranks = np.full(n + 1, -1, dtype=np.int64)
    offset = 0
    for i, name in enumerate(names):
        if i == 2 and key in ("source", "destination"):
            frames, vals = _fallback_values(session, name, ranks, cancel)
        else:
            cb = None if progress is None else (lambda done, total, _n=name: progress(_n, done, total))
            col = get(name, cb, cancel)
            frames, vals = first_values(col)
        r, k = dense_ranks(vals)
        if len(frames):
            free = ranks[frames] < 0  # a more significant field already ranked this frame
            ranks[frames[free]] = r[free] + offset
        offset += k
    ranks[ranks < 0] = offset
    return FrameKeys(ranks, offset)


def _fallback_values(session, name: str, ranks: np.ndarray, cancel) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """The first ``name`` value of each frame not ranked yet (frames without an IP address)."""
    todo = np.nonzero(ranks[1:] < 0)[0] + 1
    if len(todo) == 0 or len(todo) > FALLBACK_MAX:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    frames, vals = [], []
    view = session.view
    for j, f in enumerate(todo.tolist()):
        if cancel is not None and not j & 4095 and cancel.is_set():
            raise InterruptedError("sort cancelled")
        got = view(f).fields(name)
        if got:
            frames.append(f)
            vals.append(got[0].value)
    arr = np.empty(len(vals), dtype=object)
    arr[:] = vals
    return np.asarray(frames, dtype=np.int64), arr


def restrict(order: np.ndarray, frames, total: int) -> np.ndarray:  # noqa: ANN001
    """The frames of ``order`` that are in ``frames`` (None: all), keeping ``order``'s order."""
    if frames is None:
        return order
    shown = np.zeros(total + 1, dtype=bool)
    f = np.frombuffer(frames, dtype=np.uint32) if not isinstance(frames, np.ndarray) else frames
    if len(f):
        shown[f] = True
    return order[shown[order]]
