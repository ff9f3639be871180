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

from typing import Iterator

FRAME = "frame"
# The label of a hidden, nameless top-level Field whose value is a protocol that frame.protocols names
# once more, even when it is there already (not a field occurrence of that protocol) (tshark names a protocol per call of its dissector: the x509sat, x509ce... of each
# certificate attribute and extension, TLS again for an SCT list).
PROTOCOL_AGAIN = "[protocol named again]"


class Field:
    """One node of a protocol tree.

    ``name`` is the display-filter name ('' for text-only nodes such as expert notes);
    ``label`` is what the tree shows (when built with ``label=None`` it is derived on first
    use from the registry: '<description>: <value>', so hot paths never format text);
    ``value`` the typed value; ``offset``/``length`` the bytes it covers in ``source``.
    """

    __slots__ = ("name", "_label", "value", "offset", "length", "children", "source", "hidden")

    def __init__(self, name: str, label: str | None = None, value: object = None, offset: int = 0,
                 length: int = 0, children: list["Field"] | None = None, source: str = FRAME,
                 hidden: bool = False) -> None:
        self.name = name
        self._label = label
        self.value = value
        self.offset = offset
        self.length = length
        self.children = children if children is not None else []
        self.source = source
        self.hidden = hidden  # filterable but not shown (like Wireshark's hidden fields: ip.addr)

    @property
    def label(self) -> str:
        if self._label is None:
            from .registry import default_label

            self._label = default_label(self.name, self.value)
        return self._label

    @label.setter
    def label(self, text: str) -> None:
        self._label = text

    def __repr__(self) -> str:
        return f"Field({self.name!r}, value={self.value!r}, offset={self.offset}, length={self.length})"

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


class _Discard(list):
    """A list that stays empty, whatever is put in it."""

    def append(self, item: object) -> None:
        pass

    def insert(self, index: int, item: object) -> None:
        pass

    def extend(self, items: object) -> None:
        pass

    def __iadd__(self, items: object) -> "_Discard":
        return self

    def __setitem__(self, index: object, value: object) -> None:
        pass


class _NullField(Field):
    """A parent that keeps nothing: decoding for a summary (the analysis pass) builds no tree."""

    __slots__ = ()

    def __init__(self) -> None:
        for slot, value in (("name", ""), ("_label", ""), ("value", None), ("offset", 0), ("length", 0),
                            ("children", _Discard()), ("source", FRAME), ("hidden", True)):
            object.__setattr__(self, slot, value)

    def __setattr__(self, name: str, value: object) -> None:
        pass  # shared by every summary decode: nothing may stick to it

    def add(self, child: Field) -> Field:
        return child

    @property
    def label(self) -> str:
        return ""

    @label.setter
    def label(self, text: str) -> None:
        pass


NULL_FIELD = _NullField()
