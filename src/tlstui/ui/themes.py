"""Themes from the `themes/` folder: TOML files of Textual theme colours plus tlstui variables.

An installed wheel carries the folder as ``tlstui/themes`` (hatch force-include); a source
checkout has it at the repository's top.  Both are searched, the package first.
"""
from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from textual.theme import Theme

# Defaults for tlstui's own CSS variables, used when a theme (one of Textual's) lacks them.
VARIABLE_DEFAULTS: dict[str, str] = {
    "row-tcp-fg": "#c3b8ff", "row-tcp-bg": "#1c2028", "row-udp-fg": "#8cc8ff", "row-udp-bg": "#1c2028",
    "row-tls-fg": "#a6dd84", "row-tls-bg": "#1c2028", "row-dtls-fg": "#7fdbca", "row-dtls-bg": "#1c2028",
    "row-synfin-fg": "#8a919e", "row-synfin-bg": "#1c2028", "row-rst-fg": "#ffe08a", "row-rst-bg": "#6b1d1d",
    "row-bad-fg": "#ff6b6b", "row-bad-bg": "#000000", "row-alert-fg": "#ffffff", "row-alert-bg": "#7a2e3a",
    "row-other-fg": "#d8dee9", "row-other-bg": "#1c2028", "row-marked-fg": "#ffffff",
    "row-marked-bg": "#3a3f4b", "hex-field-bg": "#2f5d86", "hex-cursor-bg": "#e0a040",
    "direction-client": "#ff8a8a", "direction-server": "#8ab4ff",
}

_THEME_KEYS = ("primary", "secondary", "warning", "error", "success", "accent", "foreground",
               "background", "surface", "panel", "boost")


def theme_dirs() -> list[Path]:
    dirs: list[Path] = []
    try:
        p = Path(str(resources.files("tlstui") / "themes"))
        if p.is_dir():
            dirs.append(p)
    except (ModuleNotFoundError, TypeError):
        pass
    src = Path(__file__).resolve().parents[3] / "themes"
    if src.is_dir() and src not in dirs:
        dirs.append(src)
    return dirs


def theme_from_toml(text: str, fallback_name: str) -> Theme:
    raw = tomllib.loads(text)
    kwargs = {k: str(raw[k]) for k in _THEME_KEYS if k in raw}
    if "primary" not in kwargs:
        raise ValueError("a theme needs at least 'primary'")
    variables = {str(k): str(v) for k, v in (raw.get("variables") or {}).items()}
    return Theme(name=str(raw.get("name", fallback_name)), dark=bool(raw.get("dark", True)),
                 variables=variables, **kwargs)


def load_themes() -> tuple[list[Theme], list[str]]:
    """Every theme file found, and a message for each file that could not be read."""
    themes: dict[str, Theme] = {}
    problems: list[str] = []
    for d in theme_dirs():
        for f in sorted(d.glob("*.toml")):
            try:
                t = theme_from_toml(f.read_text(encoding="utf-8"), f.stem)
            except (OSError, ValueError, tomllib.TOMLDecodeError) as e:
                problems.append(f"theme {f.name}: {e}")
                continue
            themes.setdefault(t.name, t)
    return list(themes.values()), problems
