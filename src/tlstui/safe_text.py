"""Make text from packets safe for a terminal: no control sequences, no bidi overrides.

Every string that comes from a capture (SNI, certificate names, HTTP lines, file names) goes
through ``escape_text`` before it is printed or drawn.
"""
from __future__ import annotations

import re

# C0 controls, DEL, C1 controls, and the Unicode bidi/format characters that can reorder text.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _escape(m: re.Match) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape_text(s: str) -> str:
    """``s`` with every control or bidi character written as a visible escape (\\x1b, \\u202e)."""
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s
