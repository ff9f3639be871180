"""A byte reader that emits Fields with their byte ranges.

Decoding runs on the bytes that are available; ``end`` is where the structure says it
ends.  Running past ``end`` is a malformed structure (:class:`Malformed`); running past the
available bytes while still inside ``end`` means the bytes were never captured
(:class:`Cut`: the snapshot length, or a gap).  Nothing else escapes a decoder.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from ..field import FRAME, NULL_FIELD, Field


class Cut(Exception):
    """Needed bytes that were not captured."""


class Malformed(Exception):
    """A length or count that does not fit the structure around it."""


def mk(name: str, value: object, offset: int, length: int, label: str | None = None,
       source: str = FRAME, hidden: bool = False) -> Field:
    return Field(name, label, value, offset, length, None, source, hidden)  # label: lazily, by label_for


class Reader:
    """Reads ``buf`` (available bytes) up to ``end``; field offsets are ``base + position``."""

    __slots__ = ("buf", "pos", "end", "base", "src", "P")

    def __init__(self, buf: bytes, base: int = 0, src: str = FRAME, prefix: str = "tls",
                 pos: int = 0, end: int | None = None) -> None:
        self.buf = buf
        self.pos = pos
        self.end = len(buf) if end is None else end
        self.base = base
        self.src = src
        self.P = prefix

    # -- plumbing --------------------------------------------------------------------------
    def need(self, n: int) -> None:
        if n < 0 or self.pos + n > self.end:
            raise Malformed(f"needs {n} bytes, {self.end - self.pos} left")
        if self.pos + n > len(self.buf):
            raise Cut()

    @property
    def left(self) -> int:
        return self.end - self.pos

    def off(self, pos: int | None = None) -> int:
        return self.base + (self.pos if pos is None else pos)

    @contextmanager
    def limit(self, n: int) -> Iterator[int]:
        """Narrow ``end`` to the next ``n`` bytes (a vector); the position moves past them after."""
        if n < 0 or self.pos + n > self.end:
            raise Malformed(f"vector of {n} bytes, {self.end - self.pos} left")
        saved, self.end = self.end, self.pos + n
        stop = self.end
        try:
            yield stop
        finally:
            self.end = saved
        self.pos = stop

    def name(self, suffix: str) -> str:
        return f"{self.P}.{suffix}"

    # -- reading ---------------------------------------------------------------------------
    def peek_uint(self, size: int, at: int = 0) -> int:
        p = self.pos + at
        if p + size > self.end:
            raise Malformed("peek")
        if p + size > len(self.buf):
            raise Cut()
        return int.from_bytes(self.buf[p:p + size], "big")

    def uint(self, parent: Field | None, suffix: str | None, size: int, label: str | None = None,
             hidden: bool = False) -> int:
        self.need(size)
        v = int.from_bytes(self.buf[self.pos:self.pos + size], "big")
        if parent is not None and suffix is not None and parent is not NULL_FIELD:
            name = self.name(suffix) if not suffix.startswith(("x509", "tlstui")) else suffix
            parent.add(mk(name, v, self.off(), size, label, self.src, hidden))
        self.pos += size
        return v

    def uints(self, parent: Field | None, suffix: str | None, size: int) -> list[int]:
        """Integers of ``size`` bytes up to the current limit: the items of a vector."""
        out = []
        while self.left >= size:
            out.append(self.uint(parent, suffix, size))
        return out

    def raw(self, parent: Field | None, suffix: str | None, n: int, label: str | None = None,
            as_text: bool = False) -> bytes:
        self.need(n)
        v = bytes(self.buf[self.pos:self.pos + n])
        if parent is not None and suffix is not None and parent is not NULL_FIELD:
            name = self.name(suffix)
            if as_text:
                s = v.decode("utf-8", "replace")
                parent.add(mk(name, s, self.off(), n, label, self.src))
            else:
                parent.add(mk(name, v, self.off(), n, label, self.src))
        self.pos += n
        return v

    def node(self, parent: Field | None, suffix: str | None, length: int, label: str,
             value: object = None) -> Field:
        """A subtree heading at the current position (does not move)."""
        if parent is NULL_FIELD:
            return NULL_FIELD
        name = self.name(suffix) if suffix else ""
        f = Field(name, label, value, self.off(), max(0, min(length, self.end - self.pos)), source=self.src)
        if parent is not None:
            parent.add(f)
        return f
