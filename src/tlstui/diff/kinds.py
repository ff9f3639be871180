"""The finding kinds `tlstui diff A B` reports (registered in findings/kinds.py and docs/findings.md)."""
from __future__ import annotations

DROPPED = "diff.dropped"
INJECTED = "diff.injected"
REWRITTEN = "diff.rewritten"
HEADER_REWRITTEN = "diff.header_rewritten"
DELAY = "diff.delay"
REORDERED = "diff.reordered"
TLS_RECORDS = "diff.tls_records"
TLS_ALERT = "diff.tls_alert"

DIFF_KINDS: frozenset[str] = frozenset(
    (DROPPED, INJECTED, REWRITTEN, HEADER_REWRITTEN, DELAY, REORDERED, TLS_RECORDS, TLS_ALERT))
