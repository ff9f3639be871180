"""A frame's protocol tree and the small helpers the layer dissectors build it with."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..field import FRAME, Field


def make(name: str, value: object, offset: int, length: int, label: str | None = None,
         source: str = FRAME, hidden: bool = False) -> Field:
    """A Field whose label defaults (lazily) to '<registered description>: <value as tshark shows it>'."""
    return Field(name, label, value, offset, length, None, source, hidden)


def text(label: str, offset: int = 0, length: int = 0, source: str = FRAME) -> Field:
    """A label with no filter name (a subtree heading or a note)."""
    return Field("", label, None, offset, length, source=source)


@dataclass
class FrameTree:
    """All layers of one frame, the data sources their byte ranges refer to, and its columns."""

    number: int
    layers: list[Field]
    sources: dict[str, bytes]
    protocol: str = ""
    info: str = ""
    source_addr: str = ""  # the Source and Destination columns
    dest_addr: str = ""
    _by_name: dict[str, list[Field]] | None = field(default=None, repr=False)

    def _index(self) -> dict[str, list[Field]]:
        if self._by_name is None:
            by: dict[str, list[Field]] = {}
            for top in self.layers:
                for f in top.walk():
                    if f.name:
                        by.setdefault(f.name, []).append(f)
            by["_ws.col.Protocol"] = [Field("_ws.col.Protocol", "Protocol", self.protocol)]
            by["_ws.col.Info"] = [Field("_ws.col.Info", "Info", self.info)]
            self._by_name = by
        return self._by_name

    def fields(self, name: str) -> list[Field]:
        """Every occurrence of a field, in tree order (the filter's FrameView protocol)."""
        return self._index().get(name, [])

    def field_bytes(self, f: Field) -> bytes:
        data = self.sources.get(f.source, b"")
        return data[f.offset:f.offset + f.length]

    def values(self, name: str) -> list[object]:
        return [f.value for f in self.fields(name)]

    def names(self) -> Iterable[str]:
        return self._index().keys()

    def field_at(self, offset: int, source: str = FRAME) -> Field | None:
        """The innermost field covering a byte (for the hex pane's cursor)."""
        best = None
        for top in self.layers:
            for f in top.walk():
                if f.length and f.covers(offset, source) and not f.hidden:
                    if best is None or f.length <= best.length:
                        best = f
        return best
