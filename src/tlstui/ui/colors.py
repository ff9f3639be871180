"""Rich styles from the current theme's colours (for text built in Python, not in CSS)."""
from __future__ import annotations

from rich.color import Color, ColorParseError
from rich.style import Style

FALLBACK = {"error": "red", "warning": "yellow", "primary": "cyan", "success": "green",
            "direction-client": "red", "direction-server": "blue", "accent": "magenta"}


def theme_style(app, name: str, bold: bool = False) -> Style:
    """A Style whose colour is theme variable ``name`` (a plain colour name if it cannot be read)."""
    value = None
    try:
        value = app.theme_variables.get(name)
    except Exception:
        value = None
    color = None
    if value:
        try:
            color = Color.parse(value.split()[0])
        except ColorParseError:
            color = None
    return Style(color=color or FALLBACK.get(name), bold=bold)


def severity_style(app, severity: str, bold: bool = False) -> Style:
    return theme_style(app, {"error": "error", "warning": "warning"}.get(severity, "primary"), bold)
