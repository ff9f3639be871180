"""The frame index: one compact row per frame, held in typed arrays.

A million frames cost about 34 bytes each here (offset 8, lengths 4+4, time 8, interface 2,
flags 1 + slack), against hundreds of bytes for one Python object per frame.
"""
from __future__ import annotations

from array import array
from dataclasses import dataclass, field


@dataclass(slots=True)
class Interface:
    """A capture interface: its link type, snapshot length and name."""

    linktype: int
    snaplen: int = 0
    name: str = ""
    # nanoseconds = units * ts_mul // ts_div (integers: a float loses nanoseconds at 1.7e18)
    ts_mul: int = 1000
    ts_div: int = 1
    tsoffset_s: int = 0


@dataclass(slots=True)
class FrameIndex:
    """Columns indexed by frame number - 1 (Wireshark numbers frames from 1)."""

    offset: array = field(default_factory=lambda: array("q"))  # start of the frame's bytes
    cap_len: array = field(default_factory=lambda: array("I"))
    orig_len: array = field(default_factory=lambda: array("I"))
    time_ns: array = field(default_factory=lambda: array("q"))  # nanoseconds since the epoch
    interface: array = field(default_factory=lambda: array("H"))

    def __len__(self) -> int:
        return len(self.offset)

    def append(self, offset: int, cap_len: int, orig_len: int, time_ns: int, interface: int) -> None:
        self.offset.append(offset)
        self.cap_len.append(cap_len)
        self.orig_len.append(orig_len)
        self.time_ns.append(time_ns)
        self.interface.append(interface)

    def nbytes(self) -> int:
        return sum(a.itemsize * len(a) for a in (self.offset, self.cap_len, self.orig_len,
                                                  self.time_ns, self.interface))
