"""AST -> one predicate ``view -> bool``, built once from nested closures.

All checking happens here, against the field registry: unknown names, type mismatches, literal
conversion, regex compilation.  What is left for each frame is the least work possible: fetch
the occurrences of the fields the filter names and compare them with values already in their
canonical Python type.  The most common shapes (a plain field against a constant) get closures
of their own that read ``Field.value`` directly, without building intermediate lists.
"""
from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

from ..registry import Base, FieldSpec, FieldType, Registry, format_value
from . import literals as L
from .errors import FilterError
from .parser import BitAnd, Call, Compare, Exists, In, Logic, Node, Not, Range, Slice, Str, Word

Pred = Callable[[Any], bool]
Getter = Callable[[Any], list]

# Field type -> comparison kind.  Values of one kind compare with Python's operators, after an
# optional key (bytes order by length first, then content, as tshark's cmp_bytes does).
_KIND = {
    FieldType.UINT: "int", FieldType.INT: "int", FieldType.FRAMENUM: "int", FieldType.BOOLEAN: "int",
    FieldType.DOUBLE: "float", FieldType.RELATIVE_TIME: "float", FieldType.ABSOLUTE_TIME: "float",
    FieldType.IPV4: "ipv4", FieldType.IPV6: "ipv6", FieldType.ETHER: "ether",
    FieldType.BYTES: "bytes", FieldType.PROTOCOL: "bytes", FieldType.STRING: "string",
    FieldType.NONE: "none",
}
_OPS = {"any_eq": operator.eq, "all_eq": operator.eq, "all_ne": operator.ne, "any_ne": operator.ne,
        "gt": operator.gt, "lt": operator.lt, "ge": operator.ge, "le": operator.le}
_ORDERING = frozenset({"gt", "lt", "ge", "le"})
_DEFAULT_ALL = frozenset({"all_eq", "all_ne"})  # tshark 4.0: '!=' means "no occurrence equals"
_NUMBER_SPEC = FieldSpec("number", FieldType.UINT, "a function result", Base.DEC, 64)
_STRING_SPEC = FieldSpec("string", FieldType.STRING, "a function result")
_BYTES_SPEC = FieldSpec("bytes", FieldType.BYTES, "a slice")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*\Z")


def _bytes_key(b: bytes) -> tuple[int, bytes]:
    return (len(b), b)


@dataclass(slots=True)
class Val:
    """A compiled value expression: what it yields per frame and of which kind."""

    get: Getter  # view -> list of values in canonical form for ``kind``
    kind: str
    spec: FieldSpec  # how a literal on the other side is converted
    label: str
    node: Node
    field: str | None = None  # a plain field whose .value is the value (fast paths)


class Compiler:
    def __init__(self, text: str, registry: Registry) -> None:
        self.text = text
        self.registry = registry
        self.names: set[str] = set()

    def error(self, message: str, node: Node | None = None, pos: int = 0, length: int = 1) -> FilterError:
        if node is not None:
            pos, length = node.pos, node.length
        return FilterError(message, pos, length, self.text)

    # --- tests ---------------------------------------------------------------------------

    def test(self, node: Node) -> Pred:
        if isinstance(node, Logic):
            a, b = self.test(node.left), self.test(node.right)  # type: ignore[arg-type]
            if node.op == "and":
                return lambda v: a(v) and b(v)
            if node.op == "or":
                return lambda v: a(v) or b(v)
            return lambda v: bool(a(v)) != bool(b(v))
        if isinstance(node, Not):
            c = self.test(node.child)  # type: ignore[arg-type]
            return lambda v: not c(v)
        if isinstance(node, Exists):
            return self.exists(node.operand)  # type: ignore[arg-type]
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, In):
            t = self.membership(node)
            if node.negated:
                return lambda v: not t(v)
            return t
        raise self.error("This is not a test.", node)  # pragma: no cover - parser never yields it

    def exists(self, node: Node) -> Pred:
        if isinstance(node, Word):
            spec = self.registry.get(node.text)
            if spec is None:
                raise self.error(f'"{node.text}" is neither a field nor a protocol name.', node)
            name = spec.name
            self.names.add(name)
            return lambda v: bool(v.fields(name))
        if isinstance(node, Str):
            raise self.error(f"{node.text} is a string, not a field: a test needs a field to look at.",
                             node)
        val = self.value(node)
        get = val.get
        if isinstance(node, BitAnd):
            return lambda v: any(get(v))
        return lambda v: bool(get(v))

    def compare(self, node: Compare) -> Pred:
        op = node.op
        left, right = node.left, node.right
        assert left is not None and right is not None
        if self.is_literal(left):
            if isinstance(left, Word) and self._looks_like_name(left.text):
                raise self.error(f'"{left.text}" is neither a field nor a protocol name.', left)
            shown = left.text
            raise self.error(f'Left side of "{node.op_text}" expression must be a field or function, '
                             f"not {shown}.", left)
        lv = self.value(left)
        self.check_op(lv, op, node)
        quant = node.quantifier or ("all" if op in _DEFAULT_ALL else "any")
        if self.is_literal(right):
            return self.compare_const(lv, op, quant, right)
        rv = self.value(right)
        self.check_compatible(lv, rv, node)
        return self.compare_values(lv, rv, op, quant, node)

    def check_op(self, val: Val, op: str, node: Compare) -> None:
        if val.kind == "none":
            raise self.error(f'{val.label} (type=Label) cannot participate in "{node.op_text}" comparison.',
                             val.node)
        if op in ("contains", "matches") and val.kind not in ("string", "bytes"):
            raise self.error(f"{val.label} (type={L.TYPE_NAMES[val.spec.ftype]}) cannot participate in "
                             f"{op} comparison.", val.node)

    def check_compatible(self, a: Val, b: Val, node: Compare) -> None:
        kinds = {a.kind, b.kind}
        if a.kind == b.kind or kinds == {"int", "float"}:
            if node.op == "matches":
                raise self.error('The right side of "matches" must be a string (a regular expression).',
                                 b.node)
            return
        raise self.error(f"{a.label} and {b.label} are not of compatible types.", b.node)

    # --- comparisons with a constant -------------------------------------------------------

    def compare_const(self, val: Val, op: str, quant: str, lit: Node) -> Pred:
        if op == "matches":
            elem = self.regex_elem(val, lit)
        elif op == "contains":
            c = self.constant(lit, val, allow_mask=False)

            def elem(x: Any, c: Any = c) -> bool:
                return c in x
        else:
            c = self.constant(lit, val, allow_mask=True)
            opf = _OPS[op]
            if isinstance(c, L.Masked):
                elem = _masked_elem(val.kind, c, opf)
            elif val.kind == "bytes" and op in _ORDERING:
                kc = _bytes_key(c)

                def elem(x: Any, kc: Any = kc, opf: Any = opf) -> bool:
                    return opf((len(x), x), kc)
            else:
                if val.field is not None:
                    return _fast_field_const(val.field, op, opf, c, quant)

                def elem(x: Any, c: Any = c, opf: Any = opf) -> bool:
                    return opf(x, c)
        return _quantify(val, elem, quant)

    def regex_elem(self, val: Val, lit: Node) -> Callable[[Any], bool]:
        if isinstance(lit, Str):
            raw = lit.value
        else:
            raw = lit.text.encode()  # type: ignore[union-attr]
        pattern = raw.decode("latin-1") if val.kind == "bytes" else L.decode_str(raw)
        flags = re.IGNORECASE | re.DOTALL
        if pattern.startswith("(?-i)"):
            pattern, flags = pattern[5:], re.DOTALL
        try:
            rx = re.compile(pattern, flags)
        except (re.error, OverflowError, RecursionError, ValueError) as e:
            raise self.error(f"Regex compilation error: {e}.", lit) from None
        search = rx.search
        if val.kind == "bytes":
            return lambda x: search(x.decode("latin-1")) is not None
        return lambda x: search(x) is not None

    # --- the same relations, in parts, for whole-column evaluation (filter.vector) --------------

    def relation_parts(self, node: Compare) -> tuple[str, Callable[[Any], bool], str, Any, Any] | None:
        """(field, per-value test, quantifier, operator function, constant) of a plain field
        compared with a literal; None for any other shape (functions, slices, two fields...).
        The test is the one ``compare`` applies to each occurrence, so the semantics are its own;
        the operator and constant are given (else None) when the test is just ``opf(x, c)``."""
        left, right = node.left, node.right
        if not isinstance(left, Word) or self.is_literal(left) or not self.is_literal(right):
            return None
        spec = self.registry.get(left.text)
        if spec is None or spec.ftype is FieldType.PROTOCOL:
            return None
        val = self.field_value(spec, left)
        self.check_op(val, node.op, node)
        op = node.op
        quant = node.quantifier or ("all" if op in _DEFAULT_ALL else "any")
        if op == "matches":
            return spec.name, self.regex_elem(val, right), quant, None, None
        if op == "contains":
            c = self.constant(right, val, allow_mask=False)
            return spec.name, (lambda x, c=c: c in x), quant, None, None
        c = self.constant(right, val, allow_mask=True)
        opf = _OPS[op]
        if isinstance(c, L.Masked):
            # An IPv4 column compares whole: ``opf(values & mask, net)``, the test below's own words.
            vector = (opf, c) if val.kind == "ipv4" else (None, None)
            return spec.name, _masked_elem(val.kind, c, opf), quant, *vector
        if val.kind == "bytes" and op in _ORDERING:
            kc = _bytes_key(c)
            return spec.name, (lambda x, kc=kc, opf=opf: opf((len(x), x), kc)), quant, None, None
        return spec.name, (lambda x, c=c, opf=opf: opf(x, c)), quant, opf, c

    def membership_parts(self, node: In) -> tuple[str, Callable[[Any], bool], frozenset] | None:
        """(field, per-value membership test, the exact constants) of a plain field in a set of
        constants; None when the set holds fields or the operand is not a plain field."""
        operand = node.operand
        if not isinstance(operand, Word) or self.is_literal(operand):
            return None
        if any(not isinstance(i, Range) and not self.is_literal(i) for i in node.items):
            return None
        spec = self.registry.get(operand.text)
        if spec is None or spec.ftype is FieldType.PROTOCOL:
            return None
        pred_any = self.membership(In(node.pos, node.end, operand, node.items, False))
        name = spec.name

        class _One:  # a one-occurrence view: the membership test of one value, as compiled
            __slots__ = ("value",)

        one, holder = _One(), [None]

        class _View:
            __slots__ = ()

            def fields(self, n: str) -> list:
                return holder

            def field_bytes(self, f: Any) -> bytes:  # pragma: no cover - not for plain fields
                raise TypeError

        view = _View()

        def member(x: Any) -> bool:
            one.value = x
            holder[0] = one
            return bool(pred_any(view))

        exact = frozenset(self.set_const(i, self.field_value(spec, operand)) for i in node.items
                          if not isinstance(i, Range))
        return name, member, exact if all(not isinstance(i, Range) for i in node.items) and not any(
            isinstance(e, L.Masked) for e in exact) else frozenset()

    # --- comparisons between two values ----------------------------------------------------

    def compare_values(self, a: Val, b: Val, op: str, quant: str, node: Compare) -> Pred:
        ga, gb = a.get, b.get
        if op == "contains":
            def elem2(x: Any, y: Any) -> bool:
                return y in x
        else:
            opf = _OPS[op]
            if a.kind == "bytes" and op in _ORDERING:
                def elem2(x: Any, y: Any) -> bool:
                    return opf((len(x), x), (len(y), y))
            else:
                elem2 = opf
        if quant == "all":
            def t(v: Any) -> bool:
                xs, ys = ga(v), gb(v)
                if not xs or not ys:
                    return False
                return all(elem2(x, y) for x in xs for y in ys)
        else:
            def t(v: Any) -> bool:
                ys = gb(v)
                if not ys:
                    return False
                return any(elem2(x, y) for x in ga(v) for y in ys)
        return t

    # --- sets ------------------------------------------------------------------------------

    def membership(self, node: In) -> Pred:
        val = self.value(node.operand)  # type: ignore[arg-type]
        if val.kind in ("none",):
            raise self.error(f"{val.label} (type=Label) cannot participate in a set membership test.",
                             val.node)
        key = _bytes_key if val.kind == "bytes" else None
        exact: set[Any] = set()
        ranges: list[tuple[Any, Any]] = []
        others: list[Callable[[Any], bool]] = []  # masked addresses
        dynamic: list[Getter] = []  # fields inside the set
        for item in node.items:
            if isinstance(item, Range):
                lo = self.set_const(item.low, val)  # type: ignore[arg-type]
                hi = self.set_const(item.high, val)  # type: ignore[arg-type]
                if isinstance(lo, L.Masked) or isinstance(hi, L.Masked):
                    raise self.error("A range in a set cannot use an address with a prefix.", item)
                if key is not None:
                    lo, hi = key(lo), key(hi)
                ranges.append((lo, hi))
            elif self.is_literal(item):
                c = self.set_const(item, val)
                if isinstance(c, L.Masked):
                    others.append(_masked_elem(val.kind, c, operator.eq))
                else:
                    exact.add(c)
            else:
                other = self.value(item)
                self.check_compatible(val, other, Compare(item.pos, item.end, "any_eq", "in", item.pos))
                dynamic.append(other.get)
        frozen = frozenset(exact)

        def member(x: Any) -> bool:
            if x in frozen:
                return True
            if ranges:
                kx = key(x) if key is not None else x
                for lo, hi in ranges:
                    if lo <= kx <= hi:
                        return True
            for o in others:
                if o(x):
                    return True
            return False

        get = val.get
        if not dynamic:
            if val.field is not None and not ranges and not others:
                name = val.field

                def t_fast(v: Any) -> bool:
                    for f in v.fields(name):
                        if f.value in frozen:
                            return True
                    return False
                return t_fast
            return lambda v: any(member(x) for x in get(v))

        def t(v: Any) -> bool:
            xs = get(v)
            if not xs:
                return False
            extra = {y for g in dynamic for y in g(v)}
            return any(x in extra or member(x) for x in xs)
        return t

    def set_const(self, node: Node, val: Val) -> Any:
        if not self.is_literal(node):
            raise self.error("A range in a set must be made of constants.", node)
        return self.constant(node, val, allow_mask=True)

    # --- values ----------------------------------------------------------------------------

    def is_literal(self, node: Node) -> bool:
        """A quoted string, or a word the registry does not know (a number, an address...)."""
        return isinstance(node, Str) or (isinstance(node, Word) and self.registry.get(node.text) is None)

    def value(self, node: Node) -> Val:
        if isinstance(node, Word):
            spec = self.registry.get(node.text)
            if spec is None:
                raise self.error(f'"{node.text}" is neither a field nor a protocol name.', node)
            return self.field_value(spec, node)
        if isinstance(node, Slice):
            return self.slice_value(node)
        if isinstance(node, Call):
            return self.call_value(node)
        if isinstance(node, BitAnd):
            return self.bitand_value(node)
        if isinstance(node, Str):
            raise self.error(f"A string ({node.text}) cannot be used here; a field is needed.", node)
        raise self.error("A value was expected here.", node)  # pragma: no cover

    def field_value(self, spec: FieldSpec, node: Node) -> Val:
        name = spec.name
        self.names.add(name)
        kind = _KIND[spec.ftype]
        if spec.ftype is FieldType.PROTOCOL:
            def get_proto(v: Any) -> list:
                fb = v.field_bytes
                return [fb(f) for f in v.fields(name)]
            return Val(get_proto, "bytes", spec, name, node)

        def get(v: Any) -> list:
            return [f.value for f in v.fields(name)]
        return Val(get, kind, spec, name, node, field=name)

    def field_objects(self, node: Node, fname: str) -> tuple[FieldSpec, Callable[[Any], list]]:
        if not isinstance(node, Word) or (self.registry.get(node.text) is None
                                          and not self._looks_like_name(node.text)):
            raise self.error(f"Only fields can be used as parameter for {fname}()", node)
        spec = self.registry.get(node.text)
        if spec is None:
            raise self.error(f'"{node.text}" is neither a field nor a protocol name.', node)
        name = spec.name
        self.names.add(name)
        return spec, lambda v: v.fields(name)

    def slice_value(self, node: Slice) -> Val:
        base = node.operand
        assert base is not None
        cut = _cutter(node.ranges)
        if isinstance(base, Word):
            spec = self.registry.get(base.text)
            if spec is None:
                raise self.error(f'"{base.text}" is neither a field nor a protocol name.', base)
            to_bytes = _as_bytes(spec.ftype)
            if to_bytes is None:
                raise self.error(f'"{spec.name}" is a {L.TYPE_NAMES[spec.ftype]} and cannot be sliced '
                                 "into a sequence of bytes.", base)
            name = spec.name
            self.names.add(name)
            if spec.ftype is FieldType.PROTOCOL:
                def get_p(v: Any) -> list:
                    out = []
                    for f in v.fields(name):
                        b = cut(v.field_bytes(f))
                        if b is not None:
                            out.append(b)
                    return out
                return Val(get_p, "bytes", _BYTES_SPEC, f"{name}[{node.text}]", node)

            def get(v: Any) -> list:
                out = []
                for f in v.fields(name):
                    b = cut(to_bytes(f.value))
                    if b is not None:
                        out.append(b)
                return out
            return Val(get, "bytes", _BYTES_SPEC, f"{name}[{node.text}]", node)
        if isinstance(base, Str):
            raise self.error("A string cannot be sliced; slice a field.", base)
        inner = self.value(base)
        if inner.kind not in ("bytes", "string"):
            raise self.error(f"{inner.label} cannot be sliced into a sequence of bytes.", base)
        iget = inner.get
        enc = (lambda x: x.encode("utf-8", "surrogateescape")) if inner.kind == "string" else (lambda x: x)

        def get2(v: Any) -> list:
            return [b for b in (cut(enc(x)) for x in iget(v)) if b is not None]
        return Val(get2, "bytes", _BYTES_SPEC, f"{inner.label}[{node.text}]", node)

    def call_value(self, node: Call) -> Val:
        fname = node.name
        if len(node.args) != 1:
            raise self.error(f"Function {fname} can only accept 1 arguments.", pos=node.pos,
                             length=len(fname))
        arg = node.args[0]
        label = f"{fname}(...)"
        if fname == "count":
            _, fields = self.field_objects(arg, fname)

            def get_count(v: Any) -> list:
                n = len(fields(v))
                return [n] if n else []
            return Val(get_count, "int", _NUMBER_SPEC, label, node)
        if fname == "len":
            if isinstance(arg, Word):
                spec, fields = self.field_objects(arg, fname)
                if spec.ftype is FieldType.STRING:
                    def get_len(v: Any) -> list:
                        return [len(f.value.encode("utf-8", "surrogateescape")) for f in fields(v)]
                elif spec.ftype is FieldType.BYTES:
                    def get_len(v: Any) -> list:
                        return [len(f.value) for f in fields(v)]
                else:
                    def get_len(v: Any) -> list:
                        return [f.length for f in fields(v)]
                return Val(get_len, "int", _NUMBER_SPEC, label, node)
            if self.is_literal(arg):
                raise self.error(f"Only fields can be used as parameter for {fname}()", arg)
            inner = self.value(arg)
            if inner.kind not in ("bytes", "string"):
                raise self.error(f"{inner.label} has no length.", arg)
            iget = inner.get
            if inner.kind == "string":
                return Val(lambda v: [len(x.encode("utf-8", "surrogateescape")) for x in iget(v)], "int",
                           _NUMBER_SPEC, label, node)
            return Val(lambda v: [len(x) for x in iget(v)], "int", _NUMBER_SPEC, label, node)
        if fname in ("lower", "upper"):
            if self.is_literal(arg):
                raise self.error(f"Only string type fields can be used as parameter for {fname}()", arg)
            inner = self.value(arg)
            if inner.kind != "string":
                raise self.error(f"Only string type fields can be used as parameter for {fname}()", arg)
            iget = inner.get
            if fname == "lower":
                return Val(lambda v: [x.lower() for x in iget(v)], "string", _STRING_SPEC, label, node)
            return Val(lambda v: [x.upper() for x in iget(v)], "string", _STRING_SPEC, label, node)
        # string(): a field's value as tshark prints it
        spec, fields = self.field_objects(arg, fname)
        if spec.ftype in (FieldType.PROTOCOL, FieldType.NONE):
            raise self.error(f"{spec.name} has no value to turn into a string.", arg)
        return Val(lambda v: [format_value(spec, f.value) for f in fields(v)], "string", _STRING_SPEC,
                   label, node)

    def bitand_value(self, node: BitAnd) -> Val:
        left, right = node.left, node.right
        assert left is not None and right is not None
        if self.is_literal(left):
            raise self.error('Left side of "&" must be a field or function.', left)
        lv = self.value(left)
        if lv.kind not in ("int", "bytes"):
            raise self.error(f'{lv.label} (type={L.TYPE_NAMES[lv.spec.ftype]}) cannot participate in "&".',
                             left)
        lget = lv.get
        if self.is_literal(right):
            c = self.constant(right, lv, allow_mask=False, value_names=False)
            if lv.kind == "int":
                return Val(lambda v: [x & c for x in lget(v)], "int", lv.spec, f"{lv.label} & ...", node)
            return Val(lambda v: [bytes(a & b for a, b in zip(x, c)) for x in lget(v)], "bytes",
                       _BYTES_SPEC, f"{lv.label} & ...", node)
        rv = self.value(right)
        if rv.kind != lv.kind:
            raise self.error(f"{lv.label} and {rv.label} are not of compatible types.", right)
        rget = rv.get
        if lv.kind == "int":
            return Val(lambda v: [x & y for x in lget(v) for y in rget(v)], "int", lv.spec,
                       f"{lv.label} & ...", node)
        return Val(lambda v: [bytes(a & b for a, b in zip(x, y)) for x in lget(v) for y in rget(v)],
                   "bytes", _BYTES_SPEC, f"{lv.label} & ...", node)

    # --- literals --------------------------------------------------------------------------

    def constant(self, lit: Node, val: Val, allow_mask: bool, value_names: bool = True) -> Any:
        """The literal converted, at compile time, to ``val``'s canonical value type."""
        quoted = isinstance(lit, Str)
        if quoted:
            raw = lit.value  # type: ignore[union-attr]
            s = L.decode_str(raw)
        else:
            s = lit.text  # type: ignore[union-attr]
            raw = s.encode()
        pos, length = lit.pos, lit.length
        spec = val.spec
        kind = val.kind
        text = self.text
        if kind == "int":
            if not value_names and spec.value_names:
                spec = FieldSpec(spec.name, spec.ftype, spec.description, spec.base, spec.bits)
            return L.to_int(spec, s, quoted, pos, length, text)
        if kind == "float":
            return L.to_float(spec, s, pos, length, text)
        if kind == "string":
            return s
        if kind == "bytes":
            return raw if quoted else L.to_bytes(s, pos, length, text)
        if kind == "ipv4":
            c = L.to_ipv4(s, pos, length, text)
            if isinstance(c, L.Masked) and not allow_mask:
                raise self.error("An address with a prefix cannot be used here.", lit)
            return c
        if kind == "ipv6":
            c6 = L.to_ipv6(s, pos, length, text)
            if isinstance(c6, L.Masked) and not allow_mask:
                raise self.error("An address with a prefix cannot be used here.", lit)
            return c6
        if kind == "ether":
            return L.to_ether(s, pos, length, text)
        raise self.error(f"{val.label} cannot be compared with a value.", val.node)

    def _looks_like_name(self, s: str) -> bool:
        if not _NAME_RE.match(s):
            return False
        return any(c.isalpha() and c.lower() not in "abcdef" for c in s) or "_" in s


# --- closure builders ----------------------------------------------------------------------

def _fast_field_const(name: str, op: str, opf: Callable[[Any, Any], bool], c: Any, quant: str) -> Pred:
    """A plain field against a constant, with no key and no intermediate list."""
    if quant == "all":
        def t_all(v: Any) -> bool:
            fs = v.fields(name)
            if not fs:
                return False
            for f in fs:
                if not opf(f.value, c):
                    return False
            return True
        return t_all
    if op == "any_eq":
        def t_eq(v: Any) -> bool:
            for f in v.fields(name):
                if f.value == c:
                    return True
            return False
        return t_eq

    def t_any(v: Any) -> bool:
        for f in v.fields(name):
            if opf(f.value, c):
                return True
        return False
    return t_any


def _quantify(val: Val, elem: Callable[[Any], bool], quant: str) -> Pred:
    get = val.get
    if quant == "all":
        def t_all(v: Any) -> bool:
            xs = get(v)
            if not xs:
                return False
            for x in xs:
                if not elem(x):
                    return False
            return True
        return t_all
    if val.field is not None:
        name = val.field

        def t_field(v: Any) -> bool:
            for f in v.fields(name):
                if elem(f.value):
                    return True
            return False
        return t_field

    def t_any(v: Any) -> bool:
        for x in get(v):
            if elem(x):
                return True
        return False
    return t_any


def _masked_elem(kind: str, m: L.Masked, opf: Callable[[Any, Any], bool]) -> Callable[[Any], bool]:
    mask, net = m.mask, m.value
    if kind == "ipv4":
        return lambda x: opf(x & mask, net)
    return lambda x: opf(int.from_bytes(x, "big") & mask, net)


def _as_bytes(ftype: FieldType) -> Callable[[Any], bytes] | None:
    if ftype in (FieldType.BYTES, FieldType.IPV6, FieldType.ETHER, FieldType.PROTOCOL):
        return lambda x: x
    if ftype is FieldType.STRING:
        return lambda x: x.encode("utf-8", "surrogateescape")
    if ftype is FieldType.IPV4:
        return lambda x: x.to_bytes(4, "big")
    return None


def _cutter(ranges: list[tuple[int, int | None]]) -> Callable[[bytes], bytes | None]:
    """Bytes -> the slice Wireshark's range list selects, or None where it falls outside them."""
    def one(b: bytes, start: int, length: int | None) -> bytes | None:
        n = len(b)
        s = start + n if start < 0 else start
        if s < 0 or s > n:
            return None
        e = n if length is None else s + length
        if e > n or (length is not None and s >= n):
            return None
        return b[s:e]

    if len(ranges) == 1:
        start, length = ranges[0]
        if start >= 0 and length is not None:
            end = start + length

            def cut_fast(b: bytes) -> bytes | None:
                return b[start:end] if len(b) >= end else None
            return cut_fast
        return lambda b: one(b, start, length)

    def cut(b: bytes) -> bytes | None:
        parts = []
        for start, length in ranges:
            p = one(b, start, length)
            if p is None:
                return None
            parts.append(p)
        return b"".join(parts)
    return cut
