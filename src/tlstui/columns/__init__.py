"""Columns: every field's values across the whole capture, the way bulk questions are answered.

    store = session.columns                 # one per analysed session
    col = store.get("tcp.analysis.retransmission")
    col.frames, col.values                  # one entry per occurrence, frames ascending (1-based)
    col.present()                           # bool per frame number (index 0 unused)

A column is built on first use and cached for the session (under a memory bound).  How it is
built depends on where the field comes from, never on a second definition of the field:

* the frame index and the conversation pass already hold some fields as arrays (frame.number,
  frame.len, frame.time_*, tcp.stream, udp.stream): read as NumPy arrays, no per-frame Python;
* every other field is read from the same per-frame code that builds the tree (the fast
  extractors of ``dissect.extract``, the TCP analysis layer, the TLS/DTLS layers), but only on the
  frames that can hold it: tcp.analysis.* on the frames the analysis flagged, tls.* on the frames
  where TLS records complete, tcp.options.mss* on SYNs, TCP header fields on TCP frames.

Filters compile to whole-column operations over these (``filter.vector``); ``tlstui fields``
writes its cells from them.
"""
from __future__ import annotations

from .column import Column
from .store import ColumnStore

__all__ = ["Column", "ColumnStore"]
