"""Growing an opened session with what was appended to its file (issue 18, docs/incremental.md).

``grow(session)`` continues the analysis from where it stopped instead of opening the file again:
the frame index (``Capture.grow``), the conversation pass (the per-frame tracker goes on from what
the whole-column pass left, conversations_bulk.track), and the TCP analysis, reassembly and
TLS/DTLS/QUIC state, which the pass keeps running: its end-of-capture steps
(``Session._finish_pass``) are an overlay that ``Session._unfinish`` takes back before the new
frames are fed, and that is computed again after them.
"""
from __future__ import annotations

import gc

from .tcp.framepass import feed_frames


# What is cached on a session for the whole capture (columns/build.py, the column store, dissect/clear.py,
# the findings' views): made again on first use after growing.
_DERIVED = ("_transport_columns", "_stream_columns", "_columns", "_clear_facts", "_tls13_rejection")


def can_grow(session) -> bool:  # noqa: ANN001 - a Session
    """True when ``grow`` continues this session's analysis: its pass has finished (and the
    pcapng secrets it decrypts with are all it has: new ones mean analysing again)."""
    return session.finished and session._offload is None and not getattr(session, "final", False) and (
        session.tls is None or len(session.capture.secrets) <= session._secrets_used)


def drop_caches(session) -> None:  # noqa: ANN001 - a Session
    """Forget what was derived from the whole capture (columns, findings' views, trees)."""
    for key in list(session.__dict__):
        if key in _DERIVED or key.startswith("_tlstui"):
            del session.__dict__[key]
    with session._lock:
        session._trees.clear()


def grow(session) -> int | None:  # noqa: ANN001 - a Session
    """Index and analyse what was appended to the session's file since.  Returns the number of
    new frames (0: nothing new, or the file cannot grow), or None when this session's analysis
    cannot continue (open the file again: new pcapng decryption secrets came)."""
    if not can_grow(session):
        return None
    cap = session.capture
    before = len(cap.index)
    new = cap.grow()
    if not new:
        return new
    if session.tls is not None and len(cap.secrets) > session._secrets_used:
        return None  # the secrets came in the new part: the records before them decrypt with them too
    collecting = gc.isenabled()
    gc.disable()  # as Session.analyze: the pass makes long-lived objects
    try:
        session._unfinish()
        feed_frames(cap, before, len(cap.index), session.conv, session.tcp_analyzer, session.reassembler,
                    session.tls)
        session.analyzed = len(cap.index)
        session._finish_pass()
    finally:
        gc.freeze()
        if collecting:
            gc.enable()
    drop_caches(session)
    return new
