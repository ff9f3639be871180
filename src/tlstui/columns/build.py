"""How each field's column is built: from an array the pass already has, or from the field's own
per-frame code on the frames that can hold it.

``candidates(session, name)`` answers "which frames can hold this field?" from what the pass
knows (TCP/UDP stream arrays, the TCP analysis flags, the frames where TLS records complete);
``build(session, name)`` then asks each of those frames through ``FrameView.fields`` (the fast
extractors, the TCP analysis layer or the TLS layers: the code that builds the tree), so a column
and a tree cannot disagree.  A field with no known candidates is read on every frame.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .column import Column, as_array

ProgressFn = Callable[[int, int], None]

# Fields the frame index and the conversation pass hold as arrays already.
_INDEX_FIELDS = ("frame.number", "frame.len", "frame.cap_len", "frame.time_epoch", "frame.time_relative",
                 "frame.time_delta", "frame.interface_id")
_UPPER_PREFIXES = ("tls", "dtls", "x509", "pkcs1", "http", "http2", "pkix", "cms", "ocsp", "ber")
_SYN_ONLY = ("tcp.options.mss", "tcp.options.wscale", "tcp.options.sack_perm")


def _np(a, dtype) -> np.ndarray:
    return np.frombuffer(a, dtype=dtype) if len(a) else np.zeros(0, dtype=dtype)


def index_column(session, name: str) -> Column | None:
    """frame.* fields straight from the frame index (as the extractors compute them)."""
    if name not in _INDEX_FIELDS:
        return None
    idx = session.capture.index
    n = len(session)
    frames = np.arange(1, n + 1, dtype=np.int64)
    t = _np(idx.time_ns, np.int64)[:n]
    if name == "frame.number":
        vals = frames.copy()
    elif name == "frame.len":
        vals = _np(idx.orig_len, np.uint32)[:n].astype(np.int64)
    elif name == "frame.cap_len":
        vals = _np(idx.cap_len, np.uint32)[:n].astype(np.int64)
    elif name == "frame.interface_id":
        vals = np.asarray(idx.interface[:n], dtype=np.int64)
    elif name == "frame.time_epoch":
        vals = t / 1e9
    elif name == "frame.time_relative":
        vals = (t - session.first_time_ns()) / 1e9 if n else np.zeros(0)
    else:  # frame.time_delta: since the previous captured frame (0 for the first)
        d = np.zeros(n, dtype=np.int64)
        if n > 1:
            d[1:] = t[1:] - t[:-1]
        vals = d / 1e9
    return Column(name, n, frames, vals)


def stream_column(session, name: str) -> Column | None:
    """tcp.stream / udp.stream from the conversation arrays."""
    if name not in ("tcp.stream", "udp.stream"):
        return None
    conv = session.conv
    n = len(session)
    arr = _np(conv.tcp_stream if name == "tcp.stream" else conv.udp_stream, np.int32)[:n]
    if name == "tcp.stream":
        sel = arr >= 0
    else:
        sel = (arr >= 0) & (_np(conv.tcp_stream, np.int32)[:n] < 0)
    frames = np.nonzero(sel)[0].astype(np.int64) + 1
    return Column(name, n, frames, arr[sel].astype(np.int64))


def candidates(session, name: str) -> np.ndarray | None:
    """Frame numbers that can hold ``name`` (ascending), or None for "any frame"."""
    n = len(session)
    conv = session.conv
    head = name.split(".", 1)[0]
    if name.startswith(("tcp.analysis", "tlstui.tcp.", "tlstui.ip.middlebox")):
        tcp = getattr(session, "tcp_analyzer", None)
        if tcp is None:
            return np.zeros(0, dtype=np.int64)
        flags = _np(tcp.flags, np.uint32)[:n]
        return np.nonzero(flags & _analysis_bits(name))[0].astype(np.int64) + 1
    if head in _UPPER_PREFIXES:
        tls = session.tls
        if tls is None or not hasattr(tls, "frames_with_tls"):
            return None
        from ..tls.analyzer import APP_DATA_FIELDS

        return tls.frames_with_tls(app_data=name in APP_DATA_FIELDS)
    if head == "tcp":
        ts = _np(conv.tcp_stream, np.int32)[:n]
        frames = np.nonzero(ts >= 0)[0].astype(np.int64) + 1
        if name.startswith(_SYN_ONLY):
            flags = _column_values_for(session, "tcp.flags", frames)
            if flags is not None:
                frames = frames[(flags & 0x02) != 0]
        return frames
    if head == "udp":
        us = _np(conv.udp_stream, np.int32)[:n]
        ts = _np(conv.tcp_stream, np.int32)[:n]
        return np.nonzero((us >= 0) & (ts < 0))[0].astype(np.int64) + 1
    return None


def _analysis_bits(name: str) -> int:
    """The TCP analysis flag bits under which ``name`` can appear (analysis.TcpAnalyzer.fields)."""
    from ..tcp import analysis as A

    if name.startswith("tlstui.tcp.retransmission_mismatch"):
        return A.MISMATCH
    if name.startswith("tlstui.tcp.synack_without_options"):
        return A.SYNACK_NO_OPTIONS
    if name.startswith("tlstui.ip.middlebox"):
        return A.MIDDLEBOX
    flagged = {n for _b, n, *_ in A._EXPERTS} | {"tcp.analysis.flags", "tcp.analysis.rto", "tcp.analysis.rto_frame",
                                               "tcp.analysis.duplicate_ack_num", "tcp.analysis.duplicate_ack_frame"}
    if name in flagged:
        return A.WS_FLAGS
    return A.HAS_ANALYSIS | A.MISMATCH | A.SYNACK_NO_OPTIONS | A.MIDDLEBOX


def _column_values_for(session, name: str, frames: np.ndarray) -> np.ndarray | None:
    """The (single) value of ``name`` on each of ``frames`` from its column; None if not one each."""
    col = session.columns.get(name)
    if len(col) != len(frames) or not np.array_equal(col.frames, frames):
        return None
    return col.values.astype(np.int64) if col.values.dtype != object else None


def build(session, name: str, progress: ProgressFn | None = None, cancel=None) -> Column:
    """The column of ``name`` for an analysed session."""
    got = index_column(session, name) or stream_column(session, name)
    if got is not None:
        return got
    n = len(session)
    cands = candidates(session, name)
    frames_iter = range(1, n + 1) if cands is None else cands.tolist()
    total = n if cands is None else len(cands)
    view = session.view
    out_frames: list[int] = []
    out_values: list = []
    add_f, add_v = out_frames.append, out_values.append
    step = 1 << 14
    for k, f in enumerate(frames_iter):
        if k % step == 0:
            if cancel is not None and cancel.is_set():
                raise InterruptedError("column build cancelled")
            if progress is not None:
                progress(k, total)
        for fld in view(f).fields(name):
            add_f(f)
            add_v(fld.value)
    if progress is not None:
        progress(total, total)
    return Column(name, n, np.asarray(out_frames, dtype=np.int64), as_array(out_values))
