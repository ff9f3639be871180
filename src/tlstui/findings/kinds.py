"""Every kind a rule can report (DESIGN.md's table, plus tlstui.rule_error), and the kinds of `tlstui diff`."""
from __future__ import annotations

from ..diff.kinds import DIFF_KINDS
from .model import RULE_ERROR
from .rules import RULES

KNOWN_KINDS: frozenset[str] = frozenset(k for rule in RULES for k in rule.KINDS) | {RULE_ERROR} | DIFF_KINDS
