"""What every statistic shares: the frames a display filter keeps, and the capture's time base."""
from __future__ import annotations

import numpy as np


def frame_mask(session, display_filter=None) -> np.ndarray | None:  # noqa: ANN001
    """A boolean array over frames (index = number - 1) of those ``display_filter`` keeps, or
    None for no filter (every frame).  The filter is evaluated on each frame's FrameView: fields
    the fast extractors know need no tree."""
    if display_filter is None or not display_filter.fields and not display_filter.text.strip():
        return None
    n = len(session)
    mask = np.zeros(n, dtype=bool)
    matches = display_filter.matches
    view = session.view
    for i in range(n):
        if matches(view(i + 1)):
            mask[i] = True
    return mask


def columns(session):  # noqa: ANN001, ANN201
    """NumPy views of the frame index (no copies): orig_len, time_ns relative to frame 1."""
    idx = session.capture.index
    n = len(idx)
    orig = np.frombuffer(idx.orig_len, dtype=np.uint32, count=n) if n else np.zeros(0, np.uint32)
    times = np.frombuffer(idx.time_ns, dtype=np.int64, count=n) if n else np.zeros(0, np.int64)
    rel = times - times[0] if n else times
    return orig, rel


def ns_to_sec(ns: int) -> float:
    """nstime_to_sec(): secs + nsecs / 1e9, as C computes it (nsecs has the sign of secs)."""
    secs = int(ns / 1_000_000_000)  # truncation toward zero, like nstime_t
    return secs + (ns - secs * 1_000_000_000) / 1e9
