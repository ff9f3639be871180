"""One field's occurrences across a capture."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(slots=True)
class Column:
    """``frames[i]`` is the frame number of occurrence ``i`` (ascending; within a frame, tree
    order) and ``values[i]`` its value as the tree holds it (``Field.value``): a NumPy array for
    numbers, an object array otherwise (None for labels and protocols)."""

    name: str
    n_frames: int
    frames: np.ndarray  # int64
    values: np.ndarray  # numeric dtype or object

    def __len__(self) -> int:
        return len(self.frames)

    def present(self) -> np.ndarray:
        """bool per frame number (length n_frames + 1; index 0 is never set)."""
        out = np.zeros(self.n_frames + 1, dtype=bool)
        out[self.frames] = True
        return out

    def any_frames(self, occurrence_mask: np.ndarray) -> np.ndarray:
        """Frames (as a per-frame bool array) where at least one occurrence is selected."""
        out = np.zeros(self.n_frames + 1, dtype=bool)
        out[self.frames[occurrence_mask]] = True
        return out

    def all_frames(self, occurrence_mask: np.ndarray) -> np.ndarray:
        """Frames that have occurrences and where every one is selected."""
        return self.present() & ~self.any_frames(~occurrence_mask)

    def values_of(self, frame: int) -> list:
        lo = int(np.searchsorted(self.frames, frame, "left"))
        hi = int(np.searchsorted(self.frames, frame, "right"))
        return list(self.values[lo:hi])

    def nbytes(self) -> int:
        extra = 0
        if self.values.dtype == object:
            extra = 48 * len(self.values)  # rough: a small Python object per value
        return int(self.frames.nbytes + self.values.nbytes + extra)

    def starts(self) -> np.ndarray:
        """Index of each frame's first occurrence, per frame number (length n_frames + 2), so that
        occurrences of frame f are ``starts[f]:starts[f + 1]``."""
        counts = np.bincount(self.frames, minlength=self.n_frames + 1)
        return np.concatenate(([0], np.cumsum(counts))).astype(np.int64)


def from_lists(name: str, n_frames: int, frames: list[int], values: list) -> Column:
    """A column from parallel lists; numbers become a NumPy array when they all fit one."""
    f = np.asarray(frames, dtype=np.int64)
    return Column(name, n_frames, f, as_array(values))


def as_array(values: list) -> np.ndarray:
    if values and all(type(v) is int for v in values):
        try:
            return np.asarray(values, dtype=np.int64)
        except OverflowError:
            pass
    elif values and all(type(v) is float for v in values):
        return np.asarray(values, dtype=np.float64)
    return np.fromiter(values, dtype=object, count=len(values))  # tuples and bytes stay whole
