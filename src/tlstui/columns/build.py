"""How each field's column is built: from an array the pass already has, or from the field's own
per-frame code on the frames that can hold it.

``candidates(session, name)`` answers "which frames can hold this field?" from what the pass
knows (TCP/UDP stream arrays, the TCP analysis flags, the frames where TLS records complete);
``build(session, name)`` then asks each of those frames through ``FrameView.fields`` (the fast
extractors, the TCP analysis layer or the TLS layers: the code that builds the tree), so a column
and a tree cannot disagree.  A field with no known candidates is read on every frame.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np

from ..dissect.fast import TUNNELLED
from ..dissect.tunnel import PROTOCOLS as TUNNEL_PROTOCOLS
from . import halves
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
    values = arr[sel].astype(np.int64)
    keys = np.full(len(frames), 16, dtype=np.int64)  # the order of a frame's occurrences: its tree's
    facts = getattr(session, "clear_facts", None)
    quoted = facts.quoted_streams(6 if name == "tcp.stream" else 17) if facts is not None else []
    extra = [(f, 32, v) for f, v in quoted]  # the stream an ICMP error quotes (dissect/clear.py), as tshark numbers it
    if name == "udp.stream":  # the UDP datagrams of tunnels around the frame's own transport, before it
        outer = getattr(conv, "outer_udp", {})
        extra += [(i + 1, k, v) for i in sorted(outer) if i < n for k, v in enumerate(outer[i])]
    if extra:
        ef, ek, ev = np.asarray(extra, dtype=np.int64).reshape(-1, 3).T
        frames, keys, values = np.concatenate((frames, ef)), np.concatenate((keys, ek)), np.concatenate((values, ev))
        order = np.lexsort((keys, frames))
        frames, values = frames[order], values[order]
    return Column(name, n, frames, values)


class StreamColumns:
    """The facts of every frame beyond its transport header, as arrays: its stream (what
    ``FrameView.stream``/``window_shift`` give one frame), link type and Ethernet addresses, for
    the header rules of ``dissect.extract``."""

    def __init__(self, session) -> None:
        from ..tcp.conversations import SYN_SENT, window_shift

        conv = session.conv
        n = len(session)
        tcp = _np(conv.tcp_stream, np.int32)[:n].astype(np.int64)
        udp = _np(conv.udp_stream, np.int32)[:n].astype(np.int64)
        self.stream = np.where(tcp >= 0, tcp, udp)
        self.rel_seq = _np(conv.rel_seq, np.uint32)[:n].astype(np.int64)
        self.rel_ack = _np(conv.rel_ack, np.uint32)[:n].astype(np.int64)
        shifts = np.array([[window_shift(st, 0), window_shift(st, 1)] for st in conv.tcp_streams] or [[-1, -1]],
                          dtype=np.int64)
        direction = np.maximum(_np(conv.direction, np.int8)[:n].astype(np.int64), 0)
        self.win_shift = np.where(tcp >= 0, shifts[np.maximum(tcp, 0), direction], -1)
        # tcp.completeness (TcpStream.completeness): a first frame that is not a SYN leaves its own bits out
        bits = np.array([[st.first_bits, st.later_bits, st.first_frame] for st in conv.tcp_streams]
                        or [[-1, -1, 0]], dtype=np.int64)
        of = bits[np.maximum(tcp, 0)]
        alone = (of[:, 2] == np.arange(1, n + 1)) & ((of[:, 0] & SYN_SENT) == 0)
        self.completeness = np.where(tcp >= 0, np.where(alone, of[:, 1], of[:, 0] | of[:, 1]), -1)
        cap = session.capture
        idx = cap.index
        linktypes = np.array([i.linktype for i in cap.interfaces] or [0], dtype=np.int64)
        self.linktype = linktypes[np.asarray(idx.interface[:n], dtype=np.int64)] if n else np.zeros(0, np.int64)
        macs = np.zeros((n, 12), dtype=np.uint8)
        eth = np.nonzero((self.linktype == 1) & (_np(idx.cap_len, np.uint32)[:n] >= 14))[0]
        if len(eth):
            buf = np.frombuffer(cap.data, dtype=np.uint8)
            macs[eth] = buf[_np(idx.offset, np.int64)[eth][:, None] + np.arange(12)]
        self.eth_dst, self.eth_src = macs[:, :6], macs[:, 6:]


def transport_columns(session, with_streams: bool = True):
    """(``fast.TransportColumns``, ``StreamColumns`` or None) of every frame, read once per session
    (NumPy over the memory map); the stream facts need the conversation pass to have run."""
    got = session.__dict__.get("_transport_columns")
    if got is None:
        from ..tcp.framepass import transport_columns as read_columns

        got = session.__dict__["_transport_columns"] = read_columns(session.capture)
    if not with_streams:
        return got, None
    streams = session.__dict__.get("_stream_columns")
    if streams is None:
        streams = session.__dict__["_stream_columns"] = StreamColumns(session)
    return got, streams


_LAYER_TEST = {"tcp": lambda t, s: t.proto == 6, "udp": lambda t, s: t.proto == 17,
               "ip4": lambda t, s: (t.proto > 0) & (t.ip_version == 4),
               "ip6": lambda t, s: (t.proto > 0) & (t.ip_version == 6),
               "eth": lambda t, s: (t.proto > 0) & (s.linktype == 1)}


def header_column(session, name: str, progress: ProgressFn | None = None) -> Column | None:
    """A header field of ``dissect.extract.RULES`` for every frame at once: the rule's own
    expressions over the transport columns; frames the transport reader gives up on (not TCP or
    UDP: ICMP, ARP, fragments...) are read one by one as the extractor would (their tree)."""
    from ..dissect.extract import RULES

    rule = RULES.get(name)
    if rule is None:
        return None
    t, s = transport_columns(session)
    n = len(session)
    sel = _LAYER_TEST[rule.layer](t, s) & ((t.tunnel & TUNNELLED) == 0)
    if rule.when is not None:
        sel &= np.asarray(rule.when(t, s), dtype=bool)
    rows = np.nonzero(sel)[0]
    frames_parts, values_parts, order_parts = [], [], []
    for k, occ in enumerate(rule.parts):
        vals = occ.value(t, s)
        if vals is None:
            vals = np.full(len(rows), None, dtype=object)
        else:
            vals = np.asarray(vals)
            vals = vals[rows] if vals.ndim else np.full(len(rows), vals)
            if vals.ndim == 2:  # addresses as rows of bytes: one bytes value each, made once per distinct one
                rows_v = np.ascontiguousarray(vals).view(f"V{vals.shape[1]}").ravel()
                uniq, inverse = np.unique(rows_v, return_inverse=True)
                vals = np.array([u.tobytes() for u in uniq] + [b""], dtype=object)[inverse.ravel()]
            elif vals.dtype != object:
                vals = vals.astype(np.int64)
        frames_parts.append(rows + 1)
        values_parts.append(vals)
        order_parts.append(np.full(len(rows), k, dtype=np.int64))
    # No transport, or inside a tunnel (outer headers' occurrences too): the extractor sends these to the tree.
    other = np.nonzero((t.proto == 0) | ((t.tunnel & TUNNELLED) != 0))[0] + 1
    if len(other):
        view = session.view
        of, ov = [], []
        next_check = 0.0
        for k, f in enumerate(other.tolist()):
            if progress is not None and not k & 63 and time.monotonic() >= next_check:
                next_check = time.monotonic() + 0.05
                progress(k, len(other))
            for fld in view(f).fields(name):
                of.append(f)
                ov.append(fld.value)
        frames_parts.append(np.asarray(of, dtype=np.int64))
        values_parts.append(as_array(ov) if ov else np.zeros(0, dtype=np.int64))
        order_parts.append(np.arange(len(of), dtype=np.int64))
    frames = np.concatenate(frames_parts) if frames_parts else np.zeros(0, dtype=np.int64)
    kinds = {v.dtype.kind for v in values_parts if len(v)}
    if len(kinds) > 1 or "O" in kinds:
        values = np.concatenate([v.astype(object) for v in values_parts]) if values_parts else np.zeros(0, object)
    else:
        values = np.concatenate(values_parts) if values_parts else np.zeros(0, dtype=np.int64)
    order = np.lexsort((np.concatenate(order_parts), frames)) if len(frames) else np.zeros(0, dtype=np.int64)
    return Column(name, n, frames[order], values[order])


def has_bulk_column(name: str) -> bool:
    """True if ``name``'s column comes from whole-column work (the index, the conversation
    arrays, the header rules), so that building it costs little whatever the capture's size."""
    from ..dissect.extract import RULES

    return name in _INDEX_FIELDS or name in ("tcp.stream", "udp.stream") or name in RULES


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
    from ..dissect.clear import candidate_frames

    clear = candidate_frames(session, head)  # ICMP, ARP, DNS, STUN, plain HTTP (dissect/clear.py)
    if clear is not None and head not in ("http", "http2"):  # those two are TLS's (decrypted) too
        return clear
    if head in _UPPER_PREFIXES:
        tls = session.tls
        if tls is None or not hasattr(tls, "frames_for"):
            return None
        frames = tls.frames_for(name)
        return np.union1d(frames, clear).astype(np.int64) if clear is not None else frames
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
        sel = (us >= 0) & (ts < 0)
        outer = [i for i in getattr(conv, "outer_udp", {}) if i < n]  # a tunnel's UDP around the frame's TCP/UDP
        sel[outer] = True
        return np.nonzero(sel)[0].astype(np.int64) + 1
    if head in TUNNEL_PROTOCOLS:  # frames inside tunnels, and those with no transport a tunnel may carry
        t, _ = transport_columns(session, with_streams=False)
        return np.nonzero((t.tunnel != 0) | (t.proto == 0))[0].astype(np.int64) + 1
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


class _Pacer:
    """Progress and cancel about every 50 ms, whatever a frame costs (a tree is about 1 ms, a fast
    extractor a few microseconds): the UI's pause-for-keys runs in the progress callback."""

    def __init__(self, total: int, progress: ProgressFn | None, cancel) -> None:
        self.total, self.progress, self.cancel, self.next_check = total, progress, cancel, 0.0

    def __call__(self, k: int) -> None:
        now = time.monotonic()
        if now >= self.next_check:
            self.next_check = now + 0.05
            if self.cancel is not None and self.cancel.is_set():
                raise InterruptedError("column build cancelled")
            if self.progress is not None:
                self.progress(k, self.total)

    def done(self) -> None:
        if self.progress is not None:
            self.progress(self.total, self.total)


_COLUMN_FIELDS = ("_ws.col.Protocol", "_ws.col.Info")


def summary_column(session, name: str, progress: ProgressFn | None = None, cancel=None) -> Column | None:
    """The Protocol or Info column of every frame, as the frame's tree gives it (dissect/frame.py).
    A TCP frame outside tunnels takes the tree's TCP branch: its Protocol is TLS's (or a clear
    protocol's) from the pass's summaries (``Session.upper_column``), else "TCP", and so is its
    Info when TLS gives one; the other frames' columns come from ``dissect_frame(columns_only)``,
    the tree without its TLS layers' Fields."""
    if name not in _COLUMN_FIELDS:
        return None
    from ..dissect.frame import dissect_frame
    from ..dissect.transport import tcp_info

    n = len(session)
    t, _ = transport_columns(session, with_streams=False)
    plain_tcp = ((t.proto == 6) & (t.tunnel == 0)).tolist()
    l4_off, tcp_end = t.l4_off.tolist(), (t.payload_off + t.payload_len).tolist()
    protocol = name == _COLUMN_FIELDS[0]
    upper_column, frame_bytes, context = session.upper_column, session.frame_bytes, session.stream_context
    prefix, suffix = session.tcp_info_prefix, session.info_suffix
    values: list[str] = []
    add = values.append
    pace = _Pacer(n, progress, cancel)
    for i in range(n):
        if not i & 1023:
            pace(i)
        f = i + 1
        if plain_tcp[i]:
            col = upper_column(f)
            if col is not None:
                add(col[0] if protocol else col[1])
            elif protocol:
                add("TCP")
            else:  # the tree's TCP branch: the analysis prefix, TCP's own Info, the reassembly note
                add(prefix(f) + tcp_info(frame_bytes(f), l4_off[i], tcp_end[i], context(f)) + suffix(f))
            continue
        tree = dissect_frame(session, f, columns_only=True)
        add(tree.protocol if protocol else tree.info)
    pace.done()
    return Column(name, n, np.arange(1, n + 1, dtype=np.int64), as_array(values))


def build(session, name: str, progress: ProgressFn | None = None, cancel=None) -> Column:
    """The column of ``name`` for an analysed session."""
    got = index_column(session, name) or stream_column(session, name) or header_column(session, name, progress) \
        or summary_column(session, name, progress, cancel)
    if got is not None:
        return got
    n = len(session)
    cands = candidates(session, name)
    frames = list(range(1, n + 1)) if cands is None else cands.tolist()
    view = session.view
    pace = _Pacer(len(frames), progress, cancel)

    def read(part: list[int], in_child: bool) -> tuple[list, list]:
        out_frames: list[int] = []
        out_values: list = []
        add_f, add_v = out_frames.append, out_values.append
        scale = 1 if len(part) == len(frames) else 2  # progress: this half stands for the whole
        for k, f in enumerate(part):
            if not k & 63 and not in_child:
                pace(k * scale)
            for fld in view(f).fields(name, alone=True):
                add_f(f)
                add_v(fld.value)
        return out_frames, out_values

    out_frames, out_values = halves.run(frames, read)
    pace.done()
    return Column(name, n, np.asarray(out_frames, dtype=np.int64), as_array(out_values))
