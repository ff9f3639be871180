"""Connections: one record per TLS, DTLS and QUIC connection of a capture (``tlstui connections``).

Public API (used by ``tlstui connections``, ``tlstui stats conv`` and the UI's connections view)::

    connections(session) -> ConnectionTable   # after session.analyze() (else RuntimeError); once per session
    build(session, mask) -> ConnectionTable    # uncached, only connections with a frame in ``mask``
    render_text(table) -> str                  # the table a person reads
    render_json_lines(table) -> str            # one JSON object per line (stable keys: README.md)

``Connection`` says what each field means and how the outcome is decided; ``ConnectionTable``
is immutable (a tuple in capture order, lookups by key and stream, sorting and text search), so a
worker can hand it to the UI as it is.  Nothing here imports Textual.
"""
from __future__ import annotations

from .build import build, connections
from .model import HANDSHAKE_ENDS, HANDSHAKE_STATES, OUTCOME_RANK, OUTCOMES, SORT_KEYS, Connection, \
    ConnectionTable, iso_time
from .render import render_json_lines, render_text

__all__ = ["Connection", "ConnectionTable", "HANDSHAKE_ENDS", "HANDSHAKE_STATES", "OUTCOMES", "OUTCOME_RANK",
           "SORT_KEYS", "build", "connections", "iso_time", "render_json_lines", "render_text"]
