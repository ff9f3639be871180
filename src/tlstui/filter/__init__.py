"""Wireshark display filters: parse, check against the field registry, compile to a predicate.

    >>> df = compile_filter("tcp.stream eq 3 and tls.handshake.type == 1")
    >>> df.fields                      # what the caller must compute for each frame
    frozenset({'tcp.stream', 'tls.handshake.type'})
    >>> df.matches(view)               # view: a FrameView of one frame

Pipeline, as in Wireshark's own (scan -> parse -> check -> compile): ``lexer`` -> ``parser``
(an AST with columns) -> ``compiler`` (registry checks, literal conversion, closures).

Why a hand-written recursive-descent parser and not lark: the language is small (four
precedence levels, one relation form), and what matters most is the error message — the exact
column of the literal that is not an IPv4 address, the ``(`` that is never closed — which a
hand-written parser gives for free and a generated one makes us reconstruct from its
exceptions.  It also keeps ``import tlstui.filter`` cheap for the headless ``fields`` command.

Semantics follow tshark 4.0 as observed on real runs (see tests/unit/filter): ``==`` is "any
occurrence equals", ``!=``/``ne`` is "no occurrence equals" (and the field must be present),
``!==``/``~=`` is "any occurrence differs", ``===`` "all equal"; ``and`` binds tighter than
``or``; ``matches`` is case-insensitive; bytes order by length before content.  Beyond tshark
4.0 we also accept whitespace-separated set members (``{80 443}``), which 4.0 rejects but the
Wireshark documentation long showed, and ``xor``/``^^`` (from later Wireshark versions).
"""
from __future__ import annotations

from typing import Protocol

from ..field import Field
from ..registry import REGISTRY, Registry
from .compiler import Compiler
from .errors import FilterError
from .parser import FUNCTIONS, parse

__all__ = ["DisplayFilter", "FilterError", "FrameView", "check_filter", "compile_filter", "complete_field"]


class FrameView(Protocol):
    """What a filter reads from one frame.  The caller builds only the fields it is asked for."""

    def fields(self, name: str) -> list[Field]:
        """Every occurrence of ``name`` in the frame, in tree order, hidden ones included; for a
        protocol name (``tcp``) the protocol's own Field."""
        ...

    def field_bytes(self, field: Field) -> bytes:
        """The bytes ``field`` covers in its source (for slices and ``contains`` on protocols)."""
        ...


class DisplayFilter:
    """A compiled filter.  ``matches(view)`` is the predicate itself (no per-call dispatch)."""

    __slots__ = ("text", "fields", "matches", "tree", "registry")

    def __init__(self, text: str, fields: frozenset[str], predicate, tree=None,  # noqa: ANN001
                 registry: Registry = REGISTRY) -> None:
        self.text = text
        self.fields = fields
        self.matches = predicate
        self.tree = tree  # the parsed filter (None: the empty filter), for whole-column evaluation
        self.registry = registry

    def select(self, columns, n_frames: int, view, progress=None):  # noqa: ANN001
        """The matching frames as a NumPy bool array indexed by frame number (``filter.vector``);
        ``progress(done, total)`` while columns are built (it may raise to stop)."""
        from .vector import select

        return select(self, columns, n_frames, view, progress)

    def __call__(self, view: FrameView) -> bool:
        return bool(self.matches(view))

    def __repr__(self) -> str:
        return f"DisplayFilter({self.text!r})"


def compile_filter(text: str, registry: Registry = REGISTRY) -> DisplayFilter:
    """Compile ``text`` once; raise FilterError (with the column) for any problem in it."""
    if not isinstance(text, str):
        raise FilterError("A display filter must be text.", 0, 1, "")
    if not text.strip():
        return DisplayFilter(text, frozenset(), _everything)  # like tshark -Y '': every frame
    try:
        tree = parse(text)
        compiler = Compiler(text, registry)
        predicate = compiler.test(tree)
    except FilterError:
        raise
    except RecursionError:
        raise FilterError("The filter is nested too deeply.", 0, len(text), text) from None
    except Exception as e:  # a bug must still reach the user as a filter error, not a traceback
        raise FilterError(f"Internal error compiling the filter: {type(e).__name__}: {e}", 0,
                          len(text), text) from e
    return DisplayFilter(text, frozenset(compiler.names), _guarded(predicate), tree, registry)


def _guarded(predicate):  # noqa: ANN001, ANN202
    """A field whose value is not of its registered type (a dissector bug) makes the frame not
    match instead of ending the run; a try block costs nothing until it catches."""
    def matches(view: FrameView) -> bool:
        try:
            return predicate(view)
        except (TypeError, AttributeError, ValueError, IndexError, OverflowError):
            return False
    return matches


def _everything(view: FrameView) -> bool:
    return True


def check_filter(text: str, registry: Registry = REGISTRY) -> FilterError | None:
    """None if ``text`` compiles, else the error (for the filter bar's as-you-type check).
    An empty filter is valid: it shows every frame."""
    if not text.strip():
        return None
    try:
        compile_filter(text, registry)
    except FilterError as e:
        return e
    return None


def complete_field(prefix: str, registry: Registry = REGISTRY, limit: int | None = None) -> list[str]:
    """Field and protocol names (and function names) starting with ``prefix``, sorted."""
    names = [spec.name for spec in registry.with_prefix(prefix)]
    if prefix and "." not in prefix:
        names.extend(f"{f}(" for f in FUNCTIONS if f.startswith(prefix))
        names.sort()
    return names[:limit] if limit is not None else names
