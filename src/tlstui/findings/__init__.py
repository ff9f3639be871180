"""Findings: rules that turn the analysis of a capture into diagnoses.

Public API (used by ``tlstui findings`` and the UI's findings pane)::

    find_all(session) -> list[Finding]     # after session.analyze(); sorted, most severe first
    render_text(findings) -> str           # the readable report
    render_json(findings) -> str           # the DESIGN.md JSON array
    exit_code(findings) -> int             # 0 none, 1 warnings, 3 errors

A rule is a module in ``findings/rules/`` with ``KINDS`` and ``check(ctx)``.  A rule that
raises does not take the others down: its failure becomes a note (kind
``tlstui.rule_error``) naming the rule.
"""
from __future__ import annotations

import traceback

from .context import Context
from .model import RULE_ERROR, SEVERITIES, SEVERITY_RANK, Finding, sort_key
from .render import exit_code, render_json, render_text

__all__ = ["Finding", "run_rules", "find_all", "render_json", "render_text", "exit_code", "SEVERITIES",
           "SEVERITY_RANK", "RULE_ERROR"]


def _rule_name(rule) -> str:
    return rule.__name__.rsplit(".", 1)[-1]


def run_rules(session, rules, between=None) -> list[Finding]:
    """Run ``rules`` over one session; every rule is isolated from the others' failures.
    ``between()`` is called before each rule (the UI pauses there while keys arrive)."""
    ctx = Context(session)
    found: list[Finding] = []
    for rule in rules:
        if between is not None:
            between()
        try:
            found.extend(rule.check(ctx))
        except Exception as e:  # a rule must never take the report down
            tb = traceback.extract_tb(e.__traceback__)
            where = f"{tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else "?"
            found.append(Finding(
                kind=RULE_ERROR, severity="note",
                summary=f"rule {_rule_name(rule)} failed on this capture; its findings are missing",
                explanation=f"{type(e).__name__}: {e} (at {where}). The other rules ran. "
                            "Please report this with the capture if you can share it.",
                frames=[], stream=None))
    found.sort(key=sort_key)
    return found


def find_all(session, between=None) -> list[Finding]:
    """Every finding for an analysed session, most severe first, then by first frame.

    Call after ``session.analyze()`` has finished.  While the pass is still running only the
    rules that need nothing but the frame index run (the others would read half-built state).
    ``between``: see ``run_rules``.
    """
    from .rules import CAPTURE_RULES, RULES

    finished = getattr(session, "finished", True)
    return run_rules(session, RULES if finished else CAPTURE_RULES, between)
