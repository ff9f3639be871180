"""Copy to the system clipboard (pyperclip) where there is one, and always through the
terminal (OSC 52, ``App.copy_to_clipboard``) so that copying works over SSH."""
from __future__ import annotations

import os
import sys

from ..field import Field
from ..registry import REGISTRY, FieldType, format_value


def system_clipboard_available() -> bool:
    if sys.platform in ("darwin", "win32", "cygwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def pyperclip_copy(text: str) -> bool:
    """True if the system clipboard took the text."""
    if not system_clipboard_available():
        return False
    try:
        import pyperclip

        pyperclip.copy(text)
        return True
    except Exception:  # pyperclip raises its own exception types when no mechanism works
        return False


def copy_text(app, text: str) -> str:
    """Copy through both channels; returns where it went (for the notification)."""
    system = pyperclip_copy(text)
    app.copy_to_clipboard(text)
    return "clipboard and terminal (OSC 52)" if system else "terminal clipboard (OSC 52)"


def field_value_text(f: Field) -> str:
    """A field's value as tshark prints it (its label for text-only nodes)."""
    if f.name and f.value is not None:
        return format_value(REGISTRY.get(f.name), f.value)
    return f.label


def _quote(s: str) -> str:
    out = []
    for ch in s:
        c = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif c < 0x20 or 0x7F <= c < 0xA0:
            out.append(f"\\x{c:02x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def field_filter_text(f: Field) -> str | None:
    """``name == value`` for a field (``name`` alone for protocols and flags); None for labels."""
    spec = REGISTRY.get(f.name) if f.name else None
    if spec is None:
        return None
    if f.value is None or spec.ftype in (FieldType.PROTOCOL, FieldType.NONE):
        return f.name
    t = spec.ftype
    if t is FieldType.STRING:
        return f"{f.name} == {_quote(str(f.value))}"
    if t is FieldType.BYTES:
        b = bytes(f.value)  # type: ignore[arg-type]
        return f"{f.name} == {b.hex(':')}" if b else f.name
    if t is FieldType.ABSOLUTE_TIME:
        return f"{f.name} == {_quote(format_value(spec, f.value))}"
    return f"{f.name} == {format_value(spec, f.value)}"
