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
    skew: float = 0.0  # B's clock rate minus A's (1e-6 = B gains 1 us per second); 0 unless measured
    t_ref_ns: int = 0  # A's time at which ``offset_ns`` holds when there is a skew


def _low(x: np.ndarray) -> int:
    """A robust minimum: the smallest value, or the 0.1th percentile of many."""
    if len(x) > 2000:
        return int(np.partition(x, len(x) // 1000)[len(x) // 1000])
    return int(x.min())


def _high(x: np.ndarray) -> int:
    return -_low(-x)


SKEW_SPAN_NS = 60 * 10**9  # halves this far apart (medians) before a drift is measured
SKEW_MIN, SKEW_MAX = 1e-6, 1e-3  # drifts below are noise, above are not a clock


def _offset(dt: np.ndarray, sel_ab: np.ndarray, sel_ba: np.ndarray) -> int | None:
    if sel_ab.any() and sel_ba.any():
        return (_low(dt[sel_ab]) + _high(dt[sel_ba])) // 2
    return None


def estimate(dt: np.ndarray, group: np.ndarray, ngroups: int, ta: np.ndarray | None = None) -> Clock:
    """``dt``: t_B - t_A per pair (ns), ``group``: 2*cid + adir per pair, ``ta``: A's time per pair.
    With ``ta`` over a long enough capture the two clocks' drift is measured too (the offset of the
    first half against the second's) and taken out before the delays are computed."""
    counts = np.bincount(group, minlength=ngroups) if len(group) else np.zeros(ngroups, np.int64)
    both = (counts[0::2] > 0) & (counts[1::2] > 0)
    two = np.repeat(both, 2)[group] if len(group) else np.zeros(0, bool)

    def classify(dt):  # noqa: ANN001, ANN202 - per group: median dt, which way it travels
        med = np.zeros(ngroups, dtype=np.int64)
        if len(dt):
            order = np.lexsort((dt, group))
            starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
            have = counts > 0
            med[have] = dt[order][starts[have] + counts[have] // 2]
        ab = np.zeros(ngroups, dtype=bool)
        ab[0::2] = both & (med[0::2] >= med[1::2])  # a tie (no delay at all): direction 0 goes A->B
        ab[1::2] = both & (med[1::2] > med[0::2])
        gab = ab[group] if len(group) else np.zeros(0, bool)
        return med, ab, gab, two & gab, two & ~gab

    med, ab, gab, sel_ab, sel_ba = classify(dt)
    skew, t_ref = 0.0, 0
    if sel_ab.any() and sel_ba.any() and ta is not None and len(ta) >= 20:
        # The drift: the offset of the first half of the pairs against the second's.  A drift
        # larger than the delays can flip which way a direction seems to travel: classified again.
        t_ref = int(np.median(ta))
        early = ta < t_ref
        m1, m2 = (float(np.median(ta[early])) if early.any() else 0.0), float(np.median(ta[~early]))
        o1 = o2 = None
        if m2 - m1 >= SKEW_SPAN_NS:
            o1, o2 = _offset(dt, sel_ab & early, sel_ba & early), _offset(dt, sel_ab & ~early, sel_ba & ~early)
        if o1 is not None and o2 is not None:
            s = (o2 - o1) / (m2 - m1)
            if SKEW_MIN <= abs(s) <= SKEW_MAX:
                skew = s
                dt = dt - np.round((ta - t_ref) * skew).astype(np.int64)
                med, ab, gab, sel_ab, sel_ba = classify(dt)
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
    return Clock(offset, separable, len(dt), ab, med, delay, counts, skew, t_ref)
