"""A byte reader that emits Fields with their byte ranges.

Decoding runs on the bytes that are available; ``end`` is where the structure says it
ends.  Running past ``end`` is a malformed structure (:class:`Malformed`); running past the
available bytes while still inside ``end`` means the bytes were never captured
(:class:`Cut`: the snapshot length, or a gap).  Nothing else escapes a decoder.
"""
from __future__ import annotations

import struct


from ..field import FRAME, NULL_FIELD, Field


class Cut(Exception):
    """Needed bytes that were not captured."""


_VECTOR_FORMATS = {1: "B", 2: "H", 4: "I"}


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

    def limit(self, n: int) -> "_Limit":
        """``with r.limit(n) as stop:`` narrows ``end`` to the next ``n`` bytes (a vector); the
        position moves past them after."""
        if n < 0 or self.pos + n > self.end:
            raise Malformed(f"vector of {n} bytes, {self.end - self.pos} left")
        return _Limit(self, n)

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
        p = self.pos
        e = p + size
        if e > self.end:
            raise Malformed(f"needs {size} bytes, {self.end - p} left")
        if e > len(self.buf):
            raise Cut()
        v = int.from_bytes(self.buf[p:e], "big")
        if parent is not NULL_FIELD and parent is not None and suffix is not None:
            name = self.name(suffix) if not suffix.startswith(("x509", "tlstui")) else suffix
            parent.add(mk(name, v, self.off(), size, label, self.src, hidden))
        self.pos = e
        return v

    def uints(self, parent: Field | None, suffix: str | None, size: int) -> list[int]:
        """Integers of ``size`` bytes up to the current limit: the items of a vector."""
        if parent is NULL_FIELD and size in _VECTOR_FORMATS:  # the analysis pass: no Fields, one unpack
            n = (self.end - self.pos) // size
            if self.pos + n * size > len(self.buf):
                raise Cut()
            out = list(struct.unpack_from(f">{n}{_VECTOR_FORMATS[size]}", self.buf, self.pos))
            self.pos += n * size
            return out
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


class _Limit:
    """The context manager behind ``Reader.limit`` (a class: generator-based ones cost several
    microseconds each, and a ClientHello opens about twenty)."""

    __slots__ = ("r", "saved", "stop")

    def __init__(self, r: Reader, n: int) -> None:
        self.r = r
        self.saved = r.end
        self.stop = r.pos + n

    def __enter__(self) -> int:
        self.r.end = self.stop
        return self.stop

    def __exit__(self, exc_type, exc, tb) -> None:
        self.r.end = self.saved
        if exc_type is None:
            self.r.pos = self.stop
