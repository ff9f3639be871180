"""Every kind a rule can report (DESIGN.md's table, plus tlstui.rule_error)."""
from __future__ import annotations

from .model import RULE_ERROR
from .rules import RULES

KNOWN_KINDS: frozenset[str] = frozenset(k for rule in RULES for k in rule.KINDS) | {RULE_ERROR}
