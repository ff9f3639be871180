"""Settings and filter history, where platformdirs says they belong.

Settings are a small JSON file in the user config dir; the filter history is one filter per
line in the user data dir.  Neither is required: a read-only home or a corrupt file gives
the defaults, never a crash.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

APP_NAME = "tlstui"
HISTORY_MAX = 200


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


@dataclass
class Settings:
    """What tlstui remembers between runs."""

    theme: str = "tlstui-dark"
    """The theme last chosen (a file in themes/ or one of Textual's own)."""

    show_findings: bool = True
    """Whether the findings pane is open at start."""

    custom_columns: list = field(default_factory=list)
    """Fields shown as frame-list columns ("Apply as Column", A on a tree field), left to right."""

    @classmethod
    def path(cls) -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls) -> "Settings":
        try:
            raw = json.loads(cls.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        if not isinstance(raw, dict):
            return cls()
        known = {f.name: f.type for f in fields(cls)}
        s = cls()
        for k, v in raw.items():
            if k in known and isinstance(v, type(getattr(s, k))):
                setattr(s, k, v)
        s.custom_columns = list(dict.fromkeys(c for c in s.custom_columns if isinstance(c, str) and c))
        return s

    def save(self) -> None:
        try:
            p = self.path()
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        except OSError:
            pass  # settings are a convenience; an unwritable home must not break the app


class FilterHistory:
    """Applied filters, most recent last, kept across runs without duplicates."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / "filter_history"
        self.items: list[str] = []
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, ValueError):
            lines = []
        for line in lines:
            if line.strip():
                self._push(line)

    def _push(self, text: str) -> None:
        if text in self.items:
            self.items.remove(text)
        self.items.append(text)
        del self.items[:-HISTORY_MAX]

    def add(self, text: str) -> None:
        text = text.strip().replace("\n", " ")
        if not text:
            return
        self._push(text)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text("\n".join(self.items) + "\n", encoding="utf-8")
        except OSError:
            pass
