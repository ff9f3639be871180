"""Growing an opened session with what was appended to its file (issue 18, docs/incremental.md).

``grow(session)`` continues the analysis from where it stopped instead of opening the file again:
the frame index (``Capture.grow``) and the conversation pass (``ConversationTracker``: the per-frame
tracker goes on from what the whole-column pass left, conversations_bulk.track) are incremental
today.  The TCP analysis, reassembly and TLS/DTLS/QUIC state are not: their end-of-capture step
(``Session._finish_pass``) closes them for good, so a session with those layers is opened again.
"""
from __future__ import annotations

from .tcp.framepass import feed_frames


# What is cached on a session for the whole capture (columns/build.py, the column store, dissect/clear.py,
# the clock finding's view): made again on first use after growing.
_DERIVED = ("_transport_columns", "_stream_columns", "_columns", "_clear_facts", "_tlstui_clock_view")


def can_grow(session) -> bool:  # noqa: ANN001 - a Session
    """True when ``grow`` continues this session's analysis (the conversation pass alone)."""
    return session.finished and session.tls is None and session.tcp_analyzer is None


def grow(session) -> int | None:  # noqa: ANN001 - a Session
    """Index and analyse what was appended to the session's file since.  Returns the number of
    new frames (0: nothing new, or the file cannot grow), or None when this session's analysis
    cannot continue yet (open the file again)."""
    if not can_grow(session):
        return None
    cap = session.capture
    before = len(cap.index)
    new = cap.grow()
    if new:
        feed_frames(cap, before, len(cap.index), session.conv)  # the tracker goes on per frame
        session.analyzed = len(cap.index)
        for key in _DERIVED:  # whole-capture caches: built again on use (not incremental yet)
            session.__dict__.pop(key, None)
        with session._lock:
            session._trees.clear()
    return new
