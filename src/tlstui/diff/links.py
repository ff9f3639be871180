"""Frame-to-frame links of a diff, for the side-by-side view: which frame of B is which frame of A.

Built from the settled alignment (align.py): the paired segments as two frame-number columns,
and the segments of matched connections that have no counterpart on the other side; the UDP
datagrams of matched flows likewise (udp.py).  Plain NumPy
arrays (a million-frame pair costs a few arrays), looked up by binary search.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Links:
    a_frames: np.ndarray  # paired A frame numbers, sorted
    a_to_b: np.ndarray  # B's frame for each of a_frames
    b_frames: np.ndarray  # paired B frame numbers, sorted
    b_to_a: np.ndarray
    alone_a: np.ndarray  # A frames of matched connections with no counterpart in B, sorted
    alone_b: np.ndarray

    @classmethod
    def build(cls, A, B, al, udp=None) -> "Links":  # noqa: ANN001 - side.Side x2, align.Alignment, udp.UdpPairs
        fa = A.frame[al.ra.row[al.pa]].astype(np.int64)
        fb = B.frame[al.rb.row[al.pb]].astype(np.int64)
        alone_a = A.frame[al.ra.row[al.ua]].astype(np.int64)
        alone_b = B.frame[al.rb.row[al.ub]].astype(np.int64)
        if udp is not None:  # datagrams: the same payload, or the same datagram rewritten
            UA, UB = A.udp, B.udp
            fa = np.concatenate([fa, UA.frame[udp.pa], UA.frame[udp.ra]]).astype(np.int64)
            fb = np.concatenate([fb, UB.frame[udp.pb], UB.frame[udp.rb]]).astype(np.int64)
            alone_a = np.concatenate([alone_a, UA.frame[udp.ua]]).astype(np.int64)
            alone_b = np.concatenate([alone_b, UB.frame[udp.ub]]).astype(np.int64)
        oa, ob = np.argsort(fa, kind="stable"), np.argsort(fb, kind="stable")
        return cls(fa[oa], fb[oa], fb[ob], fa[ob], np.sort(alone_a), np.sort(alone_b))

    @staticmethod
    def _find(keys: np.ndarray, number: int) -> int | None:
        i = int(np.searchsorted(keys, number))
        return i if i < len(keys) and int(keys[i]) == number else None

    def counterpart(self, side: int, number: int) -> int | None:
        """The other capture's frame for frame ``number`` of side 0 (A) or 1 (B), None if it has none."""
        keys, other = (self.b_frames, self.b_to_a) if side else (self.a_frames, self.a_to_b)
        i = self._find(keys, number)
        return None if i is None else int(other[i])

    def alone(self, side: int, number: int) -> bool:
        """True for a segment of a matched connection that the other capture does not have."""
        return self._find(self.alone_b if side else self.alone_a, number) is not None

    def nearest(self, side: int, number: int) -> int | None:
        """The other capture's frame for the last paired frame at or before ``number`` (or the first
        after it): where the other side stands for a segment it does not have."""
        keys, other = (self.b_frames, self.b_to_a) if side else (self.a_frames, self.a_to_b)
        if not len(keys):
            return None
        i = int(np.searchsorted(keys, number, side="right")) - 1
        return int(other[max(i, 0)])
