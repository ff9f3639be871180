"""The unit of dissection: a Field with its name, label, typed value and byte range.

A Field's value is stored in the canonical Python type of its field type (see
``registry.FieldType``): ints for integers, booleans and IPv4 addresses, ``bytes`` for
IPv6/MAC addresses and byte strings, ``str`` for strings, ``float`` for times and doubles,
``None`` for protocols and text-only labels.

Byte ranges name their source: ``source`` is ``FRAME`` for the frame's own bytes, or the
name of a reassembled buffer that the frame tree carries beside the frame (see
``dissect.tree.FrameTree.sources``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

FRAME = "frame"


@dataclass(slots=True)
class Field:
    """One node of a protocol tree.

    ``name`` is the display-filter name ('' for text-only nodes such as expert notes);
    ``label`` is what the tree shows; ``value`` the typed value; ``offset``/``length``
    the bytes it covers in ``source``.
    """

    name: str
    label: str
    value: object = None
    offset: int = 0
    length: int = 0
    children: list["Field"] = field(default_factory=list)
    source: str = FRAME
    hidden: bool = False  # filterable but not shown (like Wireshark's hidden fields: ip.addr)

    def add(self, child: "Field") -> "Field":
        self.children.append(child)
        return child

    def walk(self) -> Iterator["Field"]:
        """This field and all its descendants, depth first, in tree order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find(self, name: str) -> "Field | None":
        for node in self.walk():
            if node.name == name:
                return node
        return None

    def covers(self, offset: int, source: str = FRAME) -> bool:
        return self.source == source and self.offset <= offset < self.offset + self.length
