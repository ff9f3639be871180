"""The clock offset between the two captures and the one-way delay of the path, from paired segments.

For a segment captured at both points, dt = t_B - t_A is the clock offset plus the delay when it
travels from A's point to B's, the offset minus the delay when it travels back.  Per connection,
the direction with the larger median dt travels A->B.  Assuming the shortest delay is the same both
ways (what NTP assumes too), offset = (min dt over A->B + max dt over B->A) / 2; the one-way delay
of each segment follows from it.  With traffic in one direction only, delay and offset cannot be
told apart: the offset is then the smallest dt and the delay is measured above that minimum.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Clock:
    offset_ns: int  # B's clock minus A's
    separable: bool  # both directions of travel seen: offset and delay told apart
    samples: int
    ab: np.ndarray  # per (cid, adir) group: True when it travels A -> B
    med: np.ndarray  # per group: median dt (ns), 0 where none
    delay_ns: np.ndarray  # per pair: one-way delay

    def expect(self, cid: int, adir: int) -> int:
        """B's time minus A's to expect for a segment of this connection direction."""
        g = 2 * cid + adir
        if self.counts is not None and g < len(self.counts) and self.counts[g]:
            return int(self.med[g])
        return self.offset_ns

    counts: np.ndarray | None = None


def _low(x: np.ndarray) -> int:
    """A robust minimum: the smallest value, or the 0.1th percentile of many."""
    if len(x) > 2000:
        return int(np.partition(x, len(x) // 1000)[len(x) // 1000])
    return int(x.min())


def _high(x: np.ndarray) -> int:
    return -_low(-x)


def estimate(dt: np.ndarray, group: np.ndarray, ngroups: int) -> Clock:
    """``dt``: t_B - t_A per pair (ns), ``group``: 2*cid + adir per pair."""
    counts = np.bincount(group, minlength=ngroups) if len(group) else np.zeros(ngroups, np.int64)
    med = np.zeros(ngroups, dtype=np.int64)
    if len(dt):
        order = np.lexsort((dt, group))
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        have = counts > 0
        med[have] = dt[order][starts[have] + counts[have] // 2]
    ab = np.zeros(ngroups, dtype=bool)
    both = (counts[0::2] > 0) & (counts[1::2] > 0)
    ab[0::2] = both & (med[0::2] > med[1::2])
    ab[1::2] = both & (med[1::2] > med[0::2])
    gab = ab[group] if len(group) else np.zeros(0, bool)
    two = np.repeat(both, 2)[group] if len(group) else np.zeros(0, bool)
    sel_ab, sel_ba = two & gab, two & ~gab
    if sel_ab.any() and sel_ba.any():
        offset = (_low(dt[sel_ab]) + _high(dt[sel_ba])) // 2
        separable = True
    elif len(dt):
        offset, separable = _low(dt), False
    else:
        offset, separable = 0, False
    # Connections with pairs in one direction only: which way they travel, from the offset.
    one = ~np.repeat(both, 2) & (counts > 0)
    ab[one] = med[one] >= offset
    # A direction with no pair at all travels against its connection's other direction.
    none = counts == 0
    partner = np.arange(ngroups) ^ 1
    ab[none] = ~ab[partner[none]] & (counts[partner[none]] > 0)
    gab = ab[group] if len(group) else gab
    delay = np.where(gab, dt - offset, offset - dt)
    return Clock(offset, separable, len(dt), ab, med, delay, counts)
