"""Frames and bytes per interval, as ``tshark -q -z io,stat,INTERVAL[,FILTER]`` (tshark 4.0).

tshark works in microseconds: a frame's time is its time relative to frame 1 rounded to the
microsecond, and falls in interval ``floor(t / interval)``.  The table's length comes from the
capture's duration (the last frame's relative time), rounded to the interval's precision; an
interval of 0, or one longer than the capture, gives one row for the whole capture.  Like
tshark, a frame whose time goes back before the interval of the frame before it is counted in
that later interval.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .common import columns

MAX_INTERVAL = (1 << 64) - 1  # tshark's G_MAXUINT64: "the whole capture"
_NUMBER = re.compile(r"^(\d+)(?:\.(\d*))?$|^\.(\d+)$")


def parse_interval(text: str) -> tuple[int, int]:
    """(interval in microseconds, decimal precision) as tshark reads ``io,stat,TEXT``;
    0 means the whole capture.  Raises ValueError for what tshark rejects."""
    t = text.strip()
    m = _NUMBER.match(t)
    if not m:
        raise ValueError(f"invalid interval '{text}': give seconds, for example 1 or 0.01 (0: the whole capture)")
    value = float(t)
    if value == 0:
        return 0, 0
    us = int(value * 1_000_000.0 + 0.5)
    if us < 1:
        raise ValueError("the interval must be at least 0.000001 seconds, or 0 for the whole capture")
    prec = 6
    step = 10
    while step < 10_000_000:
        if us % step:
            break
        prec -= 1
        step *= 10
    if prec == 0:
        decimals = m.group(2) if m.group(1) is not None else m.group(3)
        if decimals:
            prec = min(len(decimals), 6)
    return us, prec


@dataclass(slots=True)
class IoStat:
    interval_us: int  # as given (0: the whole capture)
    precision: int  # decimals of the given interval
    duration_us: int  # the capture's duration, in microseconds
    filter: str | None
    frames: list[int]  # per interval, from the start of the capture
    bytes: list[int]

    def rows(self) -> list[tuple[int, int, int, int]]:
        """(start_us, end_us, frames, bytes) per printed row, with tshark's boundaries."""
        return [(s, e, f, b) for (s, e), f, b in zip(self._bounds()[3], self._padded(0), self._padded(1))]

    def _padded(self, which: int) -> list[int]:
        vals = self.frames if which == 0 else self.bytes
        n = len(self._bounds()[3])
        return (vals + [0] * n)[:n]

    def _bounds(self):  # noqa: ANN202
        """(interval, precision, rounded duration, [(start, end)]) as iostat_draw computes them."""
        duration = self.duration_us
        user = self.interval_us if self.interval_us else MAX_INTERVAL
        if user > duration or user == MAX_INTERVAL:
            interval, user = duration, MAX_INTERVAL
        else:
            interval = user
        dur_mag = magnitude(duration // 1_000_000, 5)
        if interval == duration:
            prec = 1 if dur_mag >= 2 else 3 if dur_mag == 1 else 6
        else:
            prec = self.precision
        dv = 1_000_000 // 10 ** prec
        if duration % dv > 5 * (dv // 10):
            duration = (duration // dv + 1) * dv
        if user == 0 or duration == 0:
            rows = 0
        else:
            rows = duration // user + (1 if duration % user else 0)
        bounds = []
        t = 0
        for r in range(rows):
            end = duration if r == rows - 1 else t + interval
            bounds.append((t, end))
            t += interval
        return interval, prec, duration, bounds

    def as_dict(self) -> dict:
        interval, prec, duration, _ = self._bounds()
        return {"interval": interval / 1e6, "duration": duration / 1e6, "filter": self.filter,
                "intervals": [{"start": s / 1e6, "end": e / 1e6, "frames": f, "bytes": b}
                              for s, e, f, b in self.rows()]}


def magnitude(val: int, max_w: int) -> int:
    mag = 0
    for _ in range(max_w):
        mag += 1
        val //= 10
        if val == 0:
            break
    return mag


def io_stat(session, interval_us: int, precision: int, mask: np.ndarray | None = None,
            filter_text: str | None = None) -> IoStat:  # noqa: ANN001
    """Frames and bytes per interval (``interval_us`` 0: one interval, the whole capture)."""
    orig, rel = columns(session)
    n = len(orig)
    # A frame's time in microseconds: secs * 1e6 + (nsecs + 500) / 1000, per nstime_t.
    if n:
        secs = rel // 1_000_000_000
        rel_us = secs * 1_000_000 + (rel - secs * 1_000_000_000 + 500) // 1000
        duration = int(rel_us.max()) if n else 0  # tshark's elapsed time
    else:
        rel_us = rel
        duration = 0
    step = interval_us if interval_us else MAX_INTERVAL
    frames: list[int] = []
    nbytes: list[int] = []
    if n:
        sel = np.ones(n, dtype=bool) if mask is None else mask[:n].copy()
        sel &= rel_us >= 0
        us = rel_us[sel]
        lens = orig[sel].astype(np.int64)
        bins = us // step if step != MAX_INTERVAL else np.zeros(len(us), dtype=np.int64)
        # tshark counts a frame whose time falls before the latest interval seen so far in that
        # latest interval (its rows only grow forward).
        if len(bins):
            bins = np.maximum.accumulate(bins)
            count = int(bins.max()) + 1 if len(bins) else 0
            frames = np.bincount(bins, minlength=count).astype(int).tolist()
            nbytes = np.bincount(bins, weights=lens, minlength=count).astype(np.int64).tolist()
            nbytes = [int(b) for b in nbytes]
    return IoStat(interval_us, precision, duration, filter_text, frames, nbytes)
