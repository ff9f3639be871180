"""Scanner: filter text -> tokens, each with the span it came from (for error carets).

Unquoted literals (numbers, addresses, byte strings, field names, keywords) are one kind of
token, ``WORD``, as in Wireshark's scanner: whether ``16:03:01`` is a MAC, a byte string or an
IPv6 address is decided later, by the type of the field it is compared with.  The text between
``[`` and ``]`` is kept raw (``SLICE``) because ``1-2`` and ``-1`` mean ranges there.
"""
from __future__ import annotations

from dataclasses import dataclass

from .errors import FilterError

WORD = "WORD"
STRING = "STRING"
SLICE = "SLICE"
OP = "OP"
EOF = "EOF"

_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/-")
# Longest first, so '===' wins over '==' and '!=' over '!'.
_OPERATORS = ("===", "!==", "==", "!=", "~=", ">=", "<=", "&&", "||", "^^",
              ">", "<", "!", "&", "(", ")", "{", "}", ",", "#", "$", "=", "~", "|", "^")
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11,
                   "\\": 92, '"': 34, "'": 39}
_OCTAL = frozenset("01234567")
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str  # the source text (for STRING: with quotes; for SLICE: between the brackets)
    pos: int  # 0-based column of the first character
    end: int  # one past the last character
    value: bytes = b""  # STRING only: the decoded bytes

    @property
    def length(self) -> int:
        return max(1, self.end - self.pos)


def tokenize(text: str) -> list[Token]:
    """All tokens of ``text``, ending with an EOF token; FilterError on a bad string or bracket."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n\f\v":
            i += 1
            continue
        if c == '"' or (c == "r" and i + 1 < n and text[i + 1] == '"'
                        and (i == 0 or text[i - 1] not in _WORD_CHARS)):
            tok = _string(text, i)
            tokens.append(tok)
            i = tok.end
            continue
        if c in _WORD_CHARS:
            j = i + 1
            while j < n and text[j] in _WORD_CHARS:
                j += 1
            tokens.append(Token(WORD, text[i:j], i, j))
            i = j
            continue
        if c == "[":
            j = text.find("]", i + 1)
            if j < 0:
                raise FilterError('The closing "]" of a slice is missing.', i, 1, text)
            tokens.append(Token(SLICE, text[i + 1:j], i + 1, j))
            i = j + 1
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                tokens.append(Token(OP, op, i, i + len(op)))
                i += len(op)
                break
        else:
            raise FilterError(f'"{c}" was unexpected in this context.', i, 1, text)
    tokens.append(Token(EOF, "", n, n))
    return tokens


def _string(text: str, start: int) -> Token:
    raw = text[start] == "r"
    i = start + (2 if raw else 1)
    n = len(text)
    out = bytearray()
    while i < n:
        c = text[i]
        if c == '"':
            return Token(STRING, text[start:i + 1], start, i + 1, bytes(out))
        if c == "\\" and raw:
            # A raw string keeps the backslash; it only stops \" from ending the string.
            out += b"\\"
            if i + 1 < n and text[i + 1] in '"\\':
                out += text[i + 1].encode()
                i += 2
            else:
                i += 1
            continue
        if c == "\\":
            i = _escape(text, i, out)
            continue
        out += c.encode("utf-8", "surrogatepass")
        i += 1
    raise FilterError("The final quote was missing from a quoted string.", n, 1, text)


def _escape(text: str, i: int, out: bytearray) -> int:
    """Decode the escape at text[i] == '\\' into out; return the index after it."""
    n = len(text)
    if i + 1 >= n:
        raise FilterError("The final quote was missing from a quoted string.", n, 1, text)
    e = text[i + 1]
    if e in _SIMPLE_ESCAPES:
        out.append(_SIMPLE_ESCAPES[e])
        return i + 2
    if e == "x":
        j = i + 2
        while j < n and j < i + 4 and text[j] in _HEX:
            j += 1
        if j == i + 2:
            raise FilterError(f"\\{e} is not a valid character escape sequence", i, 2, text)
        out.append(int(text[i + 2:j], 16))
        return j
    if e in _OCTAL:
        j = i + 1
        while j < n and j < i + 4 and text[j] in _OCTAL:
            j += 1
        v = int(text[i + 1:j], 8)
        if v > 255:
            raise FilterError(f"\\{text[i + 1:j]} is not a valid octal escape", i, j - i, text)
        out.append(v)
        return j
    if e in "uU":
        width = 4 if e == "u" else 8
        digits = text[i + 2:i + 2 + width]
        if len(digits) != width or any(d not in _HEX for d in digits):
            raise FilterError(f"\\{e} needs {width} hex digits", i, 2 + len(digits), text)
        cp = int(digits, 16)
        if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            raise FilterError(f"\\{e}{digits} is not a valid code point", i, 2 + width, text)
        out += chr(cp).encode("utf-8")
        return i + 2 + width
    raise FilterError(f"\\{e} is not a valid character escape sequence", i, 2, text)
