"""The finding rules, one per module.  Each module has ``KINDS`` (the kinds it can report) and
``check(ctx) -> list[Finding]``; ``RULES`` is every module of this package (found by name, so
adding a rule is adding its module).  Order does not matter for the result, which is sorted.
"""
from __future__ import annotations

import importlib
import pkgutil

from . import capture_file_damaged, capture_file_truncated, capture_snaplen_truncated

# Rules that read only the frame index: safe while the analysis pass is still running.
CAPTURE_RULES = [capture_file_damaged, capture_file_truncated, capture_snaplen_truncated]


def _discover() -> list:
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    mods = [importlib.import_module(f"{__name__}.{n}") for n in names]
    return [m for m in mods if hasattr(m, "check") and hasattr(m, "KINDS")]


RULES = CAPTURE_RULES + [m for m in _discover() if m not in CAPTURE_RULES]
