"""A compiled filter evaluated over whole columns: one boolean per frame, with NumPy.

    mask = select(display_filter, columns, n_frames, view)   # mask[f] for frame number f

``columns.get(name)`` gives a field's column (``tlstui.columns``: frames and values of every
occurrence).  Each relation is decided per occurrence by the very test the per-frame predicate
uses (``Compiler.relation_parts``), in NumPy when the test is a plain comparison of numbers,
then reduced per frame with its quantifier (any / all); ``and``/``or``/``xor``/``not`` combine
the frame masks.  What has no column form (slices, functions, two fields compared, protocol
bytes) is evaluated frame by frame with the compiled predicate, through ``view(n)``, and combined
like the rest, so Wireshark 4.0's semantics are the predicate's, exactly.
"""
from __future__ import annotations

import operator
from typing import Any, Callable, Protocol

import numpy as np

from .compiler import Compiler
from .literals import Masked
from .parser import Compare, Exists, In, Logic, Node, Not, Word

_NUMPY_OPS = {operator.eq, operator.ne, operator.gt, operator.lt, operator.ge, operator.le}


class ColumnSource(Protocol):
    def get(self, name: str) -> Any: ...  # a tlstui.columns.Column


ProgressFn = Callable[[int, int], None]


class _Reporting:
    """A column source whose builds report progress (and may raise to stop)."""

    def __init__(self, columns: ColumnSource, progress: ProgressFn) -> None:
        self.columns = columns
        self.progress = progress

    def get(self, name: str) -> Any:
        if hasattr(self.columns, "cached"):  # a ColumnStore: its builds take a progress callback
            return self.columns.get(name, self.progress)
        return self.columns.get(name)


class Vectorizer:
    def __init__(self, compiler: Compiler, columns: ColumnSource, n_frames: int,
                 view: Callable[[int], Any], progress: ProgressFn | None = None) -> None:
        self.c = compiler
        self.columns = columns if progress is None else _Reporting(columns, progress)
        self.n = n_frames
        self.view = view
        self.progress = progress
        self.per_frame_nodes = 0  # how many subtrees had no column form (for tests and benchmarks)

    def mask(self, node: Node) -> np.ndarray:
        if isinstance(node, Logic):
            a, b = self.mask(node.left), self.mask(node.right)  # type: ignore[arg-type]
            if node.op == "and":
                return a & b
            if node.op == "or":
                return a | b
            return a ^ b
        if isinstance(node, Not):
            out = ~self.mask(node.child)  # type: ignore[arg-type]
            out[0] = False
            return out
        if isinstance(node, Exists) and isinstance(node.operand, Word) and self.c.registry.get(node.operand.text):
            spec = self.c.registry.get(node.operand.text)
            self.c.names.add(spec.name)
            return self.columns.get(spec.name).present()
        if isinstance(node, Compare):
            parts = self.c.relation_parts(node)
            if parts is not None:
                return self._relation(*parts)
        if isinstance(node, In):
            parts = self.c.membership_parts(node)
            if parts is not None:
                got = self._membership(*parts)
                if node.negated:
                    got = ~got
                    got[0] = False
                return got
        return self._per_frame(node)

    def _occurrences(self, col, test: Callable[[Any], bool], opf, const) -> np.ndarray:
        vals = col.values
        if opf in _NUMPY_OPS and vals.dtype != object and isinstance(const, Masked) and const.bits == 32:
            return np.asarray(opf(vals & const.mask, const.value), dtype=bool)
        if opf in _NUMPY_OPS and vals.dtype != object and isinstance(const, (int, float)) \
                and not isinstance(const, bool):
            return np.asarray(opf(vals, const), dtype=bool)
        out = np.zeros(len(vals), dtype=bool)
        for i, x in enumerate(vals.tolist()):
            try:
                out[i] = bool(test(x))
            except (TypeError, AttributeError, ValueError, IndexError, OverflowError):
                out[i] = False  # a value not of its registered type: that occurrence does not match
        return out

    def _relation(self, name: str, test, quant: str, opf, const) -> np.ndarray:
        col = self.columns.get(name)
        occ = self._occurrences(col, test, opf, const)
        return col.all_frames(occ) if quant == "all" else col.any_frames(occ)

    def _membership(self, name: str, member, exact: frozenset) -> np.ndarray:
        col = self.columns.get(name)
        vals = col.values
        if exact and vals.dtype != object and all(isinstance(e, (int, float)) and not isinstance(e, bool)
                                                  for e in exact):
            occ = np.isin(vals, np.asarray(sorted(exact)))
        else:
            occ = self._occurrences(col, member, None, None)
        return col.any_frames(occ)

    def _per_frame(self, node: Node) -> np.ndarray:
        self.per_frame_nodes += 1
        pred = self.c.test(node)
        out = np.zeros(self.n + 1, dtype=bool)
        view = self.view
        progress = self.progress
        for f in range(1, self.n + 1):
            if progress is not None and not f & 4095:
                progress(f, self.n)
            try:
                out[f] = bool(pred(view(f)))
            except (TypeError, AttributeError, ValueError, IndexError, OverflowError):
                out[f] = False
        return out


def select(display_filter, columns: ColumnSource, n_frames: int, view: Callable[[int], Any],
           progress: ProgressFn | None = None) -> np.ndarray:
    """The frames ``display_filter`` matches, as a bool array indexed by frame number.
    ``progress(done, total)`` is called while columns are built or frames are read one by one
    (it may raise to stop the work)."""
    if display_filter.tree is None:  # the empty filter: every frame
        out = np.ones(n_frames + 1, dtype=bool)
        out[0] = False
        return out
    v = Vectorizer(Compiler(display_filter.text, display_filter.registry), columns, n_frames, view, progress)
    return v.mask(display_filter.tree)
