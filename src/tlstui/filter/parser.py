"""Recursive-descent parser: tokens -> a small AST whose nodes remember their columns.

Precedence (loosest first), as tshark 4.0 behaves (verified with real runs: ``a or b and c``
is ``a or (b and c)``): ``or ||``, ``xor ^^``, ``and &&``, ``not !``.  tshark 4.0 has no xor;
we place it between or and and, where later Wireshark versions put it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import FilterError
from .lexer import EOF, OP, SLICE, STRING, WORD, Token, tokenize

# Comparison operator spellings -> canonical names.  tshark 4.0: '!=' is "all not equal"
# (i.e. not any_eq), while '!==' and '~=' are "any not equal".
COMPARISONS = {
    "==": "any_eq", "eq": "any_eq", "any_eq": "any_eq",
    "!=": "all_ne", "ne": "all_ne", "all_ne": "all_ne",
    "===": "all_eq", "all_eq": "all_eq",
    "!==": "any_ne", "~=": "any_ne", "any_ne": "any_ne",
    ">": "gt", "gt": "gt", "<": "lt", "lt": "lt",
    ">=": "ge", "ge": "ge", "<=": "le", "le": "le",
    "contains": "contains", "matches": "matches", "~": "matches",
}
KEYWORDS = frozenset({"and", "or", "not", "xor", "in", "any", "all"}) | {
    k for k in COMPARISONS if k.isalpha() or "_" in k}
FUNCTIONS = ("len", "count", "lower", "upper", "string")


# --- AST -----------------------------------------------------------------------------------

@dataclass(slots=True)
class Node:
    pos: int
    end: int

    @property
    def length(self) -> int:
        return max(1, self.end - self.pos)


@dataclass(slots=True)
class Word(Node):
    """An unquoted word: a field or protocol name if the registry knows it, else a literal."""
    text: str = ""


@dataclass(slots=True)
class Str(Node):
    """A quoted string; ``value`` holds the decoded bytes."""
    value: bytes = b""
    text: str = ""


@dataclass(slots=True)
class Slice(Node):
    operand: Node | None = None
    ranges: list[tuple[int, int | None]] = field(default_factory=list)  # (start, length|None=to end)
    text: str = ""


@dataclass(slots=True)
class Call(Node):
    name: str = ""
    args: list[Node] = field(default_factory=list)


@dataclass(slots=True)
class BitAnd(Node):
    left: Node | None = None
    right: Node | None = None


@dataclass(slots=True)
class Exists(Node):
    operand: Node | None = None


@dataclass(slots=True)
class Compare(Node):
    op: str = ""
    op_text: str = ""
    op_pos: int = 0
    left: Node | None = None
    right: Node | None = None
    quantifier: str = ""  # '', 'any' or 'all'


@dataclass(slots=True)
class Range(Node):
    low: Node | None = None
    high: Node | None = None


@dataclass(slots=True)
class In(Node):
    operand: Node | None = None
    items: list[Node] = field(default_factory=list)  # values or Range
    negated: bool = False


@dataclass(slots=True)
class Not(Node):
    child: Node | None = None


@dataclass(slots=True)
class Logic(Node):
    op: str = ""  # 'and', 'or', 'xor'
    left: Node | None = None
    right: Node | None = None


# --- parser --------------------------------------------------------------------------------

_OR = {"or", "||"}
_XOR = {"xor", "^^"}
_AND = {"and", "&&"}
_NOT = {"not", "!"}


def parse(text: str) -> Node:
    """The AST of ``text``; FilterError (with the column) on a syntax error."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    # token helpers
    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != EOF:
            self.i += 1
        return tok

    def is_word(self, tok: Token, words: set[str] | frozenset[str]) -> bool:
        return (tok.kind == WORD and tok.text.lower() in words) or (tok.kind == OP and tok.text in words)

    def error(self, message: str, pos: int, length: int = 1) -> FilterError:
        return FilterError(message, pos, length, self.text)

    def unexpected(self, tok: Token) -> FilterError:
        if tok.kind == EOF:
            return self.error("Unexpected end of filter expression.", tok.pos, 1)
        return self.error(f'"{tok.text if tok.kind != SLICE else "[" + tok.text + "]"}" '
                          "was unexpected in this context.", tok.pos, tok.length)

    # grammar
    def parse(self) -> Node:
        if self.peek().kind == EOF:
            raise self.error("The filter is empty.", 0, 1)
        node = self.parse_or()
        tok = self.peek()
        if tok.kind != EOF:
            raise self.unexpected(tok)
        return node

    def _binary(self, words: set[str], op: str, sub) -> Node:
        left = sub()
        while self.is_word(self.peek(), words):
            self.next()
            right = sub()
            left = Logic(left.pos, right.end, op, left, right)
        return left

    def parse_or(self) -> Node:
        return self._binary(_OR, "or", self.parse_xor)

    def parse_xor(self) -> Node:
        return self._binary(_XOR, "xor", self.parse_and)

    def parse_and(self) -> Node:
        return self._binary(_AND, "and", self.parse_not)

    def parse_not(self) -> Node:
        tok = self.peek()
        if self.is_word(tok, _NOT):
            self.next()
            child = self.parse_not()
            return Not(tok.pos, child.end, child)
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.peek()
        if tok.kind == OP and tok.text == "(":
            self.next()
            if self.peek().kind == OP and self.peek().text == ")":
                raise self.unexpected(self.peek())
            node = self.parse_or()
            close = self.peek()
            if close.kind == EOF:
                raise self.error('Unexpected end of filter expression: this "(" is never closed.',
                                 tok.pos, 1)
            if not (close.kind == OP and close.text == ")"):
                raise self.unexpected(close)
            self.next()
            return node
        return self.parse_relation()

    def parse_relation(self) -> Node:
        quant = ""
        first = self.peek()
        if first.kind == WORD and first.text in ("any", "all"):
            nxt = self.peek(1)
            if nxt.kind in (WORD, STRING):
                quant = first.text
                self.next()
        left = self.parse_value()
        tok = self.peek()
        op = COMPARISONS.get(tok.text if tok.kind == OP else tok.text.lower() if tok.kind == WORD else "")
        if op is not None:
            self.next()
            right = self.parse_value()
            return Compare(first.pos, right.end, op, tok.text, tok.pos, left, right, quant)
        if tok.kind == WORD and tok.text == "in":
            self.next()
            return self.parse_set(first.pos, left, False)
        if tok.kind == WORD and tok.text == "not" and self.peek(1).kind == WORD and self.peek(1).text == "in":
            self.next()
            self.next()
            return self.parse_set(first.pos, left, True)
        if quant:
            raise self.error(f'"{quant}" needs a comparison after it.', first.pos, len(quant))
        return Exists(left.pos, left.end, left)

    def parse_set(self, start: int, operand: Node, negated: bool) -> Node:
        tok = self.next()
        if not (tok.kind == OP and tok.text == "{"):
            raise self.unexpected(tok)
        items: list[Node] = []
        while True:
            tok = self.peek()
            if tok.kind == OP and tok.text == "}":
                if not items:
                    raise self.unexpected(tok)
                self.next()
                return In(start, tok.end, operand, items, negated)
            if tok.kind == EOF:
                raise self.error('Unexpected end of filter expression: the set "{" is never closed.',
                                 tok.pos, 1)
            if tok.kind == OP and tok.text == ",":
                if not items:
                    raise self.unexpected(tok)
                self.next()
                after = self.peek()
                if after.kind == OP and after.text in ",}":
                    raise self.unexpected(after)
                continue
            items.append(self.parse_set_item())

    def parse_set_item(self) -> Node:
        tok = self.peek()
        # '442..444' scans as one word: split it at the '..'.
        if tok.kind == WORD and ".." in tok.text and tok.text != "..":
            k = tok.text.index("..")
            lo_text, hi_text = tok.text[:k], tok.text[k + 2:]
            self.next()
            if not lo_text:
                raise self.error(f'"{tok.text}" is not a valid range.', tok.pos, tok.length)
            low: Node = Word(tok.pos, tok.pos + k, lo_text)
            if hi_text:
                high: Node = Word(tok.pos + k + 2, tok.end, hi_text)
            else:
                high = self.parse_value()
            return Range(low.pos, high.end, low, high)
        low = self.parse_value()
        nxt = self.peek()
        if nxt.kind == WORD and nxt.text.startswith(".."):
            self.next()
            if nxt.text == "..":
                high = self.parse_value()
            else:
                high = Word(nxt.pos + 2, nxt.end, nxt.text[2:])
            return Range(low.pos, high.end, low, high)
        return low

    def parse_value(self) -> Node:
        left = self.parse_operand()
        tok = self.peek()
        if tok.kind == OP and tok.text == "&":
            self.next()
            right = self.parse_operand()
            return BitAnd(left.pos, right.end, left, right)
        return left

    def parse_operand(self) -> Node:
        tok = self.next()
        if tok.kind == STRING:
            node: Node = Str(tok.pos, tok.end, tok.value, tok.text)
        elif tok.kind == WORD:
            if tok.text.lower() in KEYWORDS or tok.text == "..":
                raise self.unexpected(tok)
            nxt = self.peek()
            if nxt.kind == OP and nxt.text == "(":
                node = self.parse_call(tok)
            else:
                node = Word(tok.pos, tok.end, tok.text)
        elif tok.kind == OP and tok.text == "$":
            raise self.error("Macros (${...}) are not supported.", tok.pos, 1)
        else:
            raise self.unexpected(tok)
        while True:
            nxt = self.peek()
            if nxt.kind == SLICE:
                self.next()
                node = Slice(node.pos, nxt.end + 1, node, self.parse_ranges(nxt), nxt.text)
            elif nxt.kind == OP and nxt.text == "#":
                raise self.error('The layer operator "#" is not supported.', nxt.pos, 1)
            else:
                return node

    def parse_call(self, name: Token) -> Node:
        fname = name.text.lower()
        if fname not in FUNCTIONS:
            raise self.error(f"Function '{name.text}' does not exist", name.pos, name.length)
        self.next()  # '('
        args: list[Node] = []
        while True:
            tok = self.peek()
            if tok.kind == OP and tok.text == ")":
                self.next()
                return Call(name.pos, tok.end, fname, args)
            if tok.kind == EOF:
                raise self.error(f'Unexpected end of filter expression: "{name.text}(" is never closed.',
                                 name.pos, name.length + 1)
            if args:
                if not (tok.kind == OP and tok.text == ","):
                    raise self.unexpected(tok)
                self.next()
            args.append(self.parse_value())

    def parse_ranges(self, tok: Token) -> list[tuple[int, int | None]]:
        """Wireshark's range list: 'i:j' (start, length), 'i-j' (first, last), 'i', ':j', 'i:'."""
        out: list[tuple[int, int | None]] = []
        pos = tok.pos
        for part in tok.text.split(","):
            here = pos
            pos += len(part) + 1
            p = part.strip()
            rng = _one_range(p)
            if rng is None:
                raise self.error(f'"{p}" is not a valid range.', here + (len(part) - len(part.lstrip())),
                                 max(1, len(p)))
            out.append(rng)
        return out


def _int(s: str) -> int | None:
    s = s.strip()
    neg = s.startswith("-")
    body = s[1:] if neg else s
    if not body.isdigit():
        return None
    v = int(body)
    return -v if neg else v


def _one_range(p: str) -> tuple[int, int | None] | None:
    if not p:
        return None
    if ":" in p:
        a, _, b = p.partition(":")
        if ":" in b:
            return None
        start = _int(a) if a.strip() else 0
        if start is None:
            return None
        if not b.strip():
            return (start, None)
        length = _int(b)
        if length is None or length <= 0:
            return None
        return (start, length)
    # 'i-j' (inclusive); careful with negative numbers: '-3' is a start, '-3--1' a range.
    body = p[1:] if p.startswith("-") else p
    if "-" in body:
        k = body.index("-") + (len(p) - len(body))
        first, last = _int(p[:k]), _int(p[k + 1:])
        if first is None or last is None:
            return None
        if (first >= 0) == (last >= 0) and last < first:
            return None
        if first >= 0 and last >= 0:
            return (first, last - first + 1)
        if first < 0 and last < 0:
            return (first, last - first + 1)
        return None
    v = _int(p)
    if v is None:
        return None
    return (v, 1)
