"""One opened capture: the analysis pass and the API that the CLI and the UI share.

Nothing here imports Textual.  ``Session.analyze`` walks the frames once, in file order:
conversations (tcp.stream, udp.stream, relative sequence numbers), TCP analysis and
reassembly, and TLS/DTLS decoding.  Frame trees are built lazily, one frame at a time.
"""
from __future__ import annotations

import gc
import mmap
import threading
from collections import OrderedDict
from typing import Callable

from .capture.reader import Capture, open_capture
from .dissect import fast
from .dissect.clear import HTTP_HEADS, TREE_PROTOCOLS, CaptureFacts, ClearStreams, Tee
from .dissect.starttls import LAYERS as LINE_LAYERS, clear_streams
from .dissect.extract import extract
from .dissect.frame import dissect_frame
from .dissect.transport import StreamContext
from .dissect.tunnel import PROTOCOLS as TUNNEL_PROTOCOLS
from .dissect.tree import FrameTree
from .field import Field
from .limits import Limits
from .tcp.conversations import ConversationTracker, client_side, window_shift
from .tcp.reassembly import Reassembler

from .tcp import offload
from .tcp.analysis import TcpAnalyzer
from .tcp.framepass import PassRows, feed_frames, feed_rows
from .tcp.offload import Offload
from .tls import TlsAnalyzer
from .tls.analyzer import APP_DATA_FIELDS
from .tls.decrypt import CaptureDecryption  # also registers the http fields

ProgressCallback = Callable[[int, int], None]
# Fields that the conversation pass alone can answer (no TCP analysis, reassembly or TLS).
_LOWER_PROTOCOLS = {"frame", "eth", "vlan", "sll", "null", "chdlc", "llc", "stp", "ip", "ipv6", "tcp", "udp",
                    "data"} | TUNNEL_PROTOCOLS
_UPPER_TCP = ("tcp.analysis", "tcp.segment", "tcp.reassembled", "tcp.pdu")
# Names any layer may produce; every other protocol comes only from the TLS/DTLS/HTTP layers.
_SHARED_PROTOCOLS = {"_ws", "tlstui"}


def needs_upper_layers(names) -> bool:  # noqa: ANN001 - any iterable of field names
    """True if any of these fields needs TCP analysis, reassembly or TLS/DTLS decoding."""
    for name in names:
        if name.split(".", 1)[0] not in _LOWER_PROTOCOLS or name.startswith(_UPPER_TCP) \
                or name == "frame.protocols":
            return True
    return False


_TCP_ANALYSIS_FIELDS = ("tcp.analysis", "tlstui.tcp.", "tlstui.ip.", "_ws.")


def needs_tcp_analysis(names) -> bool:  # noqa: ANN001 - any iterable of field names
    """True if any of these fields comes from the TCP analysis (or may: columns and expert info)."""
    return any(name.startswith(_TCP_ANALYSIS_FIELDS) for name in names)


_TCP_ANALYSIS_ONLY = ("tcp.analysis", "tlstui.tcp.", "tlstui.ip.middlebox")


def _lower_only(name: str) -> bool:
    """A field of the link, network or transport headers alone (what ``dissect_frame(upper=False)``
    builds): not TCP analysis or reassembly, not a protocol list, not a layer others may claim."""
    head = name.split(".", 1)[0]
    return (head in _LOWER_PROTOCOLS and head not in ("data", "tcp", "udp", "frame") or
            (head in ("tcp", "udp") and "." in name and not name.startswith(_UPPER_TCP)))


_NO_TRANSPORT = object()
_UPPER_SKIP = _SHARED_PROTOCOLS | _LOWER_PROTOCOLS


# The Protocol and Info columns: what the whole tree would say, without its TLS layers' Fields.
_COLUMN_FIELDS = frozenset(("_ws.col.Protocol", "_ws.col.Info"))


class FrameView:
    """One frame as filters and ``tlstui fields`` see it: fields on demand.

    Common fields come from the fast extractors (no tree); anything else builds the frame's
    full tree once.  Implements the filter's FrameView protocol (``fields``, ``field_bytes``).
    """

    __slots__ = ("session", "number", "_tree", "_transport", "_data", "_upper")

    def __init__(self, session: "Session", number: int) -> None:
        self.session = session
        self.number = number
        self._tree: FrameTree | None = None
        self._transport: object = None
        self._data: bytes | None = None
        self._upper: FrameTree | None = None  # the TLS/DTLS/HTTP layers alone

    def data(self) -> bytes:
        if self._data is None:
            self._data = self.session.frame_bytes(self.number)
        return self._data

    def transport(self):
        if self._transport is None:
            cap_len, orig_len, _, _, linktype = self.meta()
            t = fast.parse_transport(self.data(), 0, cap_len, linktype, orig_len)
            self._transport = _NO_TRANSPORT if t is None else t
        return None if self._transport is _NO_TRANSPORT else self._transport

    def meta(self) -> tuple[int, int, int, int, int]:
        return self.session.frame_meta(self.number)

    def rel_time(self) -> float:
        return (self.meta()[2] - self.session.first_time_ns()) / 1e9

    def stream(self) -> tuple[int, int, int]:
        conv = self.session.conv
        i = self.number - 1
        s = conv.tcp_stream[i]
        if s < 0:
            return conv.udp_stream[i], 0, 0
        return s, conv.rel_seq[i], conv.rel_ack[i]

    def window_shift(self) -> int:
        conv = self.session.conv
        s = conv.tcp_stream[self.number - 1]
        return window_shift(conv.tcp_streams[s], conv.direction[self.number - 1]) if s >= 0 else -1

    def completeness(self) -> int:
        conv = self.session.conv
        s = conv.tcp_stream[self.number - 1]
        return conv.tcp_streams[s].completeness(self.number) if s >= 0 else -1

    def tree(self) -> FrameTree:
        if self._tree is None:
            self._tree = self.session.tree(self.number)
        return self._tree

    def fields(self, name: str, alone: bool = False) -> list[Field]:
        """``alone``: this frame is asked for this one field only (a column build), so its TLS
        layers are decoded for it alone and not kept (``TlsAnalyzer.frame_layers``'s ``want``)."""
        if self._tree is None:
            if name in _COLUMN_FIELDS:
                t = dissect_frame(self.session, self.number, columns_only=True)
                return [Field(name, name[8:], t.protocol if name == "_ws.col.Protocol" else t.info)]
            got = extract(name, self)
            if got is not None:
                return got
            if _lower_only(name):
                if name.startswith(("tcp.", "udp.")) and self.transport() is None:
                    # An ICMP error's quoted header: its stream and completeness need the clear facts.
                    return self.tree().fields(name)
                # Link/IP/TCP/UDP header fields: those layers alone, without TCP analysis or TLS.
                return dissect_frame(self.session, self.number, upper=False).fields(name)
            if name.startswith(_TCP_ANALYSIS_ONLY):
                # The TCP analysis layer alone: the very Fields the tree puts under tcp.
                analysis, _prefix = self.session.tcp_analysis(self.number)
                return FrameTree(self.number, analysis, {}).fields(name) if analysis else []
            head = name.split(".", 1)[0]
            if head in TREE_PROTOCOLS or ((head in HTTP_HEADS or head in LINE_LAYERS) and self.session.clear is not None and (
                    self.session.clear.has_layers(self.number) or self.session.conv.udp_stream[self.number - 1] >= 0)):
                return self.tree().fields(name)  # ICMP, ARP, DNS, STUN, plain HTTP: dissect/clear.py
            if head not in _UPPER_SKIP:
                if self._upper is None:
                    # Most frames carry no record, or whole application-data records only: those
                    # cannot hold most fields, and need no tree to say so.
                    tls = self.session.tls
                    content = tls.frame_content(self.number) if tls is not None else 0
                    if content == 0 or (content == 1 and name not in APP_DATA_FIELDS):
                        return []
                    if alone and tls.has_tls(self.number):
                        layers, _sources = self.session.upper_layers(self.number, self.data(), want=name)
                        return [f for top in layers for f in top.walk() if f.name == name]
                return self.upper().fields(name)
        return self.tree().fields(name)

    def upper(self) -> FrameTree:
        """The frame's TLS/DTLS (and decrypted HTTP) layers without the rest of its tree."""
        if self._upper is None:
            tls = self.session.tls
            if tls is None or not tls.has_tls(self.number):
                self._upper = FrameTree(self.number, [], {})
            else:
                layers, sources = self.session.upper_layers(self.number, self.data())
                self._upper = FrameTree(self.number, layers, {"frame": self.data(), **sources})
        return self._upper

    def field_bytes(self, f: Field) -> bytes:
        if f.source == "frame":
            return self.data()[f.offset:f.offset + f.length]
        if self._upper is not None and f.source in self._upper.sources:
            return self._upper.field_bytes(f)
        return self.tree().field_bytes(f)



class Session:
    """An opened capture and everything learned about it."""

    TREE_CACHE = 256
    TARGETED_OVERLAY = True  # False: the end-of-capture overlay copies all upper state (as with decryption)

    def __init__(self, capture: Capture, keylog: str | None = None, upper_layers: bool = True,
                 tcp_analysis: bool = True, final: bool = False) -> None:
        """``upper_layers=False`` runs only the conversation pass (no TCP analysis, reassembly or
        TLS): enough for frame/link/IP/TCP/UDP header fields, and several times faster.
        ``tcp_analysis=False`` keeps reassembly and TLS but leaves out the tcp.analysis fields.
        ``final``: the file is read once and never grown (the headless commands): the TCP analysis
        keeps its results without the running state a growing capture would go on from."""
        self.capture = capture
        self.final = final
        self.keylog = keylog
        self.ca_file: str | None = None  # --ca-file: the trust store of the certificate findings (None: system)
        self.conv = ConversationTracker()
        self.limits = Limits()  # the resource bounds the pass hit (limits.py)
        self.decryption = CaptureDecryption.create(keylog, capture.secrets) if upper_layers else None
        self._secrets_used = len(capture.secrets)  # pcapng secrets known when decryption was set up
        self.tls = TlsAnalyzer(self.frame_bytes, self.decryption, self.limits) if upper_layers else None
        self.tcp_analyzer = TcpAnalyzer(self) if upper_layers and tcp_analysis else None
        self._offload: Offload | None = None  # the TCP analysis running in a child process
        self._pass_rows: PassRows | None = None  # the frames the upper half needs (set by _track_in_bulk)
        self.offload_heap_kb = 0  # that child's heap when it finished (0: no child)
        # DNS and HTTP/1.x over TCP read the same reassembled streams as TLS (dissect/clear.py)
        self.clear = clear_streams(lambda c: ClearStreams(self.frame_bytes, c), self._tls_holds) \
            if upper_layers else None  # and SMTP/IMAP/POP/FTP before STARTTLS (dissect/starttls.py)
        self.reassembler = Reassembler(Tee(self.tls, self.clear), self.frame_bytes, self.limits) \
            if upper_layers else None
        self.analyzed = 0  # frames the pass has finished
        self.finished = False
        self._trees: OrderedDict[int, FrameTree] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str, keylog: str | None = None, lazy: bool = False,
             upper_layers: bool = True, tcp_analysis: bool = True, final: bool = False) -> "Session":
        """Open a capture.  ``lazy``: index only the first batch now; ``analyze`` indexes the rest.
        ``final``: see ``__init__``."""
        session = cls(open_capture(path, lazy=True), keylog, upper_layers, tcp_analysis, final)
        if lazy:
            session.capture.index_more()
        else:
            session._start_offload()  # before indexing: the child indexes the file on its own meanwhile
            session.capture.index_all()
        return session

    # --- the frames -------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.capture.index)

    @property
    def warnings(self) -> list[str]:
        return self.capture.warnings

    def frame_bytes(self, number: int) -> bytes:
        return self.capture.frame_bytes(number)

    def frame_meta(self, number: int) -> tuple[int, int, int, int, int]:
        idx = self.capture.index
        i = number - 1
        iface = idx.interface[i]
        return (idx.cap_len[i], idx.orig_len[i], idx.time_ns[i], iface,
                self.capture.interfaces[iface].linktype)

    def first_time_ns(self) -> int:
        return self.capture.index.time_ns[0] if len(self) else 0

    def interface_name(self, iface: int) -> str:
        return self.capture.interfaces[iface].name if self.capture.format == "pcapng" else ""

    # --- the analysis pass --------------------------------------------------------------
    def analyze(self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None,
                batch: int = 50_000) -> None:
        """Run the whole-capture pass (once), indexing more of the file as it goes.

        ``progress(done, total)`` is called per batch (total grows while a lazily opened
        capture is still being indexed); setting ``cancel`` stops at the next batch, and a
        later call resumes where it stopped.
        """
        if self.finished:
            return
        # The pass allocates millions of long-lived objects: the cyclic collector would walk
        # them again and again for nothing (reference counting still frees the rest).  After
        # the pass they are frozen out of its generations, or its next run would walk them all.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self._analyze(progress, cancel, batch)
        finally:
            gc.freeze()
            if collecting:
                gc.enable()

    def _analyze(self, progress: ProgressCallback | None, cancel: threading.Event | None, batch: int) -> None:
        cap = self.capture
        lower_only = self.tls is None and self.tcp_analyzer is None
        if self.analyzed == 0:
            self._start_offload()  # before the bulk work: the child reads the file meanwhile
            self.track_conversations(keep_columns=lower_only)
            if lower_only and self.conv.filled >= len(cap.index):
                self.analyzed = len(cap.index)
                self._finish_pass()
                if progress:
                    progress(len(cap.index), len(cap.index))
                return
        self._start_offload()
        while True:
            if self.analyzed >= len(cap.index) and not cap.index_more():
                break
            total = len(cap.index)
            while self.analyzed < total:
                stop = min(total, self.analyzed + batch)
                self._analyze_range(self.analyzed, stop)
                self.analyzed = stop
                if progress:
                    progress(stop, total if cap.complete else max(total, stop + 1))
                if cancel is not None and cancel.is_set():
                    return
        self._pass_rows = None
        if self._offload is not None:
            self._collect_offload()
        self._finish_pass()
        if progress:
            progress(len(cap.index), len(cap.index))

    def track_conversations(self, keep_columns: bool = False) -> None:
        """The conversation pass alone (tcp.stream, udp.stream, directions, relative sequence numbers)
        over the whole capture, once; ``analyze`` goes on from it.  ``tlstui A B`` diffs the view's own
        sessions with it before their analysis (diff.side).  ``keep_columns``: as ``_track_in_bulk``."""
        if self.analyzed == 0 and self.conv.filled == 0:
            collecting = gc.isenabled()
            gc.disable()  # as in ``analyze``: millions of long-lived objects, nothing for the collector
            try:
                self._track_in_bulk(keep_columns)
                self._take_file_secrets()
            finally:
                gc.freeze()
                if collecting:
                    gc.enable()

    def _take_file_secrets(self) -> None:
        """A pcapng's Decryption Secrets Blocks are read while the file is indexed, after the
        session was made: before the pass starts, decrypt with them too (as tshark does)."""
        if self.tls is None or len(self.capture.secrets) <= self._secrets_used:
            return
        self._secrets_used = len(self.capture.secrets)
        self.decryption = CaptureDecryption.create(self.keylog, self.capture.secrets)
        self.tls = TlsAnalyzer(self.frame_bytes, self.decryption, self.limits)
        self.clear = clear_streams(lambda c: ClearStreams(self.frame_bytes, c), self._tls_holds)
        self.reassembler = Reassembler(Tee(self.tls, self.clear), self.frame_bytes, self.limits)

    def _track_in_bulk(self, keep_columns: bool) -> None:
        """The conversation pass over whole columns, before the frame-by-frame pass: the transport
        headers read with NumPy, then ``conversations_bulk.track``, which leaves what feeding the
        frames one by one would; the frame pass then looks streams up instead of tracking them.
        ``keep_columns``: keep the transport columns for the column store (else they are read
        again if a column needs them, to keep the analysis's memory down)."""
        import numpy as np

        from .columns.build import transport_columns
        from .tcp.conversations_bulk import track, trim_heap

        cap = self.capture
        cap.index_all()
        idx = cap.index
        n = len(idx)
        t, _ = transport_columns(self, with_streams=False)
        self.conv = track(cap.data, np.frombuffer(idx.offset, dtype=np.int64)[:n] if n else [],
                          np.frombuffer(idx.cap_len, dtype=np.uint32)[:n] if n else [],
                          np.frombuffer(idx.time_ns, dtype=np.int64)[:n] if n else [], t)
        if self.reassembler is not None and (self._offload is not None or self.tcp_analyzer is None or (
                self.analyzed == 0 and self._offload_wanted())):  # tracked ahead (track_conversations): the child comes
            self._pass_rows = PassRows(t, self.conv)  # the upper half alone: pure ACKs are left out
        if not keep_columns:
            del self.__dict__["_transport_columns"]
        trim_heap()

    def _analyze_range(self, start: int, stop: int) -> None:
        """The pass over frames start+1 .. stop (0-based indexes start .. stop-1)."""
        tcpa = self.tcp_analyzer if self._offload is None else None
        rows = self._pass_rows
        if tcpa is None and rows is not None and stop <= self.conv.filled:
            feed_rows(self.capture, rows, start, stop, self.conv, self.reassembler, self.tls)
        else:
            feed_frames(self.capture, start, stop, self.conv, tcpa, self.reassembler, self.tls)

    def _offload_wanted(self) -> bool:
        cap = self.capture
        return self.tcp_analyzer is not None and offload.wanted(cap.name, isinstance(cap.data, mmap.mmap))

    def _start_offload(self) -> None:
        if self.analyzed == 0 and self._offload is None and self._offload_wanted():
            self._offload = Offload(self.capture.name, final=self.final)

    def _collect_offload(self) -> None:
        """Take the TCP analysis from the child; analyse here whatever it did not cover."""
        result = self._offload.result()
        self.offload_heap_kb = self._offload.heap_kb
        self._offload = None
        idx = self.capture.index
        total = len(idx)
        start = 0
        # The child read the file on its own: take its work only if it saw these same frames (a
        # sealed analysis, see TcpAnalyzer.seal, only if it saw them all: it cannot go on).
        sealed = result is not None and result[2].get("_sealed") is not None
        if result is not None and (result[0] == total if sealed else result[0] <= total) and (
                result[0] == 0 or idx.offset[result[0] - 1] == result[1]):
            self.tcp_analyzer.load_state(result[2])
            start = result[0]
        else:
            self.tcp_analyzer = TcpAnalyzer(self)
        self._tcp_analysis_range(start, total)

    def _tcp_analysis_range(self, start: int, stop: int) -> None:
        """TCP analysis alone over frames start+1 .. stop, from the conversation pass's results."""
        cap = self.capture
        data, idx, conv, tcpa = cap.data, cap.index, self.conv, self.tcp_analyzer
        linktypes = [i.linktype for i in cap.interfaces]
        for i in range(start, stop):
            s = conv.tcp_stream[i]
            t = fast.parse_transport(data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]], idx.orig_len[i]) \
                if s >= 0 else None
            if t is None or t.proto != 6:
                tcpa.skip(i + 1)
                continue
            tcpa.feed(i + 1, idx.time_ns[i], t, conv.tcp_streams[s], conv.direction[i])

    def stop_helpers(self) -> None:
        """Stop the TCP-analysis child, if one runs (quitting while the pass runs)."""
        if self._offload is not None:
            self._offload.close()
            self._offload = None

    def close(self) -> None:
        """Stop any helper process and let go of the analysis.

        The analysers point back at the session (frame_bytes), a cycle that only the cyclic
        collector could free, and the pass freezes its objects out of that collector's reach
        (see ``analyze``): cutting the cycle here lets reference counting free it all."""
        self.stop_helpers()
        self.tls = self.reassembler = self.tcp_analyzer = self.decryption = self.clear = None
        self.__dict__.pop("_clear_facts", None)
        with self._lock:
            self._trees.clear()

    def _finish_pass(self) -> None:
        """The end-of-capture steps, as an overlay on the running state (issue 18): ``_unfinish``
        takes them back before a growing capture feeds more frames (incremental.grow)."""
        reasm, tls, tcpa = self.reassembler, self.tls, self.tcp_analyzer
        held = reasm.held() if reasm is not None else []
        if held:
            # Data still held behind holes is delivered after a gap: note what that changes in the
            # reassembler and its consumers, to feed on from the state before it.
            self._overlay_begin(held)
        if reasm:
            reasm.finish()
        if held and self.tls is not None:
            self.tls.overlay_end()
        if tcpa:
            tcpa.finish()
            if self.final:
                tcpa.release()  # nothing will be fed after this (incremental.can_grow)
        if tls and hasattr(tls, "finish"):
            tls.finish()
        if tls is not None:
            self._guess_clients()
        self.finished = True
        with self._lock:
            self._trees.clear()

    def _shared(self) -> dict:
        """A deepcopy memo that shares (never copies) the session, the capture and the clear streams
        (those are put back in place, see ``_unfinish``: closures point at them)."""
        return {id(x): x for x in (self, self.capture, self.clear, self.limits) if x is not None}

    def _overlay_begin(self, held: list[tuple[int, int]]) -> None:
        import copy

        clear = copy.deepcopy(self.clear, {id(x): x for x in (self, self.capture, self.limits)}) \
            if self.clear is not None else None
        limits = (len(self.limits.hits), dict(self.limits.counts))
        if self.tls is not None and self.tls.decrypt is None and self.TARGETED_OVERLAY:
            # Without decryption the held streams' own state is all that changes (and journaled writes).
            self.reassembler.overlay_begin(held, self._shared())
            self.tls.overlay_begin(sorted({sn for sn, _d in held}), self._shared())
            self._before_finish = (None, clear, limits)
        else:  # decryption state is shared between streams: a copy of it all
            from .tcp import reassembly

            memo = self._shared()
            memo.update({id(reassembly._NO_RUNS_Q): reassembly._NO_RUNS_Q, id(reassembly._NO_RUNS_I): reassembly._NO_RUNS_I})
            self._before_finish = (copy.deepcopy((self.reassembler, self.tls, self.decryption), memo), clear, limits)
            if self.tls is not None:
                self.tls._journal = None

    def _unfinish(self) -> None:
        """Undo ``_finish_pass``: the running state as the frame pass left it, to feed on."""
        from .tls.analyzer import _restore_into

        saved = self.__dict__.pop("_before_finish", None)
        if saved is not None:
            whole, clear, (nhits, counts) = saved
            if whole is not None:
                self.reassembler, self.tls, self.decryption = whole
            else:
                self.reassembler.overlay_undo()
                self.tls.overlay_undo()
            if clear is not None:  # in place: its closures point at these objects
                if "inner" in clear.__dict__:  # starttls.WithLines: ClearStreams and LineStreams
                    _restore_into(self.clear.inner, clear.inner)
                    _restore_into(self.clear.lines, clear.lines)
                else:
                    _restore_into(self.clear, clear)
            del self.limits.hits[nhits:]
            self.limits.counts.clear()
            self.limits.counts.update(counts)
        if self.reassembler is not None:  # consumers that stopped reading a stream may read it again
            self.reassembler.consumer.forget_routes()
        if self.tcp_analyzer is not None:
            self.tcp_analyzer.unfinish()
        if self.tls is not None:
            self.tls.unfinish()
        # ``finished`` stays: the frames the session had keep their answers while it grows (what a
        # reader sees of them meanwhile is the running state's; the new frames are not shown yet).

    def _guess_clients(self) -> None:
        """Streams whose hellos were not captured: which side is the client (tcp.conversations)."""
        conv = self.conv
        for (kind, number), info in self.tls.streams().items():
            if info.client_direction is not None:
                info.guessed_client_direction = 0  # known after all (a growth brought the hello)
                continue
            streams = conv.tcp_streams if kind == "tcp" else conv.udp_streams
            if 0 <= number < len(streams):
                info.guessed_client_direction = client_side(streams[number])

    # --- per-frame answers for the dissector (dissect.frame.FrameSource) -------------------
    def stream_context(self, number: int) -> StreamContext:
        i = number - 1
        conv = self.conv
        if i >= len(conv.tcp_stream):
            return StreamContext()
        s = conv.tcp_stream[i]
        if s >= 0:
            st = conv.tcp_streams[s]
            d = conv.direction[i]
            shift = window_shift(st, d)
            times = self.capture.index.time_ns
            prev = conv.prev_in_stream[i]
            return StreamContext(
                stream=s, rel_seq=conv.rel_seq[i], rel_ack=conv.rel_ack[i], win_shift=shift,
                time_relative=(times[i] - st.first_time_ns) / 1e9,
                time_delta=(times[i] - times[prev - 1]) / 1e9 if prev else 0.0,
                ack_base=st.base_seq[1 - d] if st.base_seq[1 - d] >= 0 else 0, completeness=st.completeness(number))
        return StreamContext(stream=conv.udp_stream[i])

    def outer_udp_streams(self, number: int) -> tuple[int, ...]:
        """udp.stream of the tunnels' UDP datagrams around the frame's own TCP/UDP, outermost first."""
        return self.conv.outer_udp.get(number - 1, ())

    def upper_layers(self, number: int, data: bytes, want: str | None = None) -> tuple[list[Field], dict[str, bytes]]:
        """The frame's TLS/DTLS/QUIC and clear-protocol layers (``want``: see ``TlsAnalyzer.frame_layers``)."""
        if self.tls is None or not self.finished:
            return [], {}
        layers, sources = self.tls.frame_layers(number, data, want)
        if self.clear is not None and self.clear.has_layers(number):
            more, extra, _proto, _info = self.clear.frame_layers(number, data, self.clear_facts)
            layers, sources = layers + more, {**sources, **extra}
        return layers, sources

    def upper_column(self, number: int) -> tuple[str, str] | None:
        """Protocol and Info when TLS/DTLS is the top layer; Info keeps the TCP analysis prefix."""
        if self.tls is None or not self.finished:
            return None
        col = self.tls.column(number)
        prefix = self.tcp_analyzer.info_prefix(number) if self.tcp_analyzer else ""
        if col is None and self.clear is not None:
            col = self.clear.column(number, self.frame_bytes(number))
            if col is not None:  # HTTP and DNS over TCP follow TCP's own prefix as it is
                return col[0], prefix + col[1]
        if col is None:
            return None
        return col[0], (prefix.rstrip() + " , " + col[1]) if prefix else col[1]

    def tcp_analysis(self, number: int) -> tuple[list[Field], str]:
        if self.tcp_analyzer is None or not self.finished:
            return [], ""
        return self.tcp_analyzer.fields(number), self.tcp_analyzer.info_prefix(number)

    def tcp_info_prefix(self, number: int) -> str:
        """The TCP analysis part of the Info column (``tcp_analysis``'s second half, without its Fields)."""
        if self.tcp_analyzer is None or not self.finished:
            return ""
        return self.tcp_analyzer.info_prefix(number)

    def info_suffix(self, number: int) -> str:
        if self.tls is not None and self.finished and (self.tls.segment_of_pdu(number) or (
                self.clear is not None and self.clear.segment_of_pdu(number))):
            return " [TCP segment of a reassembled PDU]"
        return ""

    def _tls_holds(self, stream: int) -> bool:
        return self.tls is not None and ("tcp", stream) in self.tls._streams

    @property
    def clear_facts(self) -> CaptureFacts | None:
        """ICMP echo pairs, ARP duplicates and quoted streams (dissect/clear.py), after ``analyze``."""
        if not self.finished:
            return None
        facts = self.__dict__.get("_clear_facts")
        if facts is None:
            facts = self.__dict__["_clear_facts"] = CaptureFacts(self)
        return facts

    @property
    def columns(self):
        """Every field as a column (``columns.ColumnStore``), built on first use; after ``analyze``."""
        store = self.__dict__.get("_columns")
        if store is None:
            from .columns import ColumnStore

            store = self.__dict__["_columns"] = ColumnStore(self)
        return store

    def view(self, number: int) -> FrameView:
        """Fields of one frame on demand (fast for common fields); use after ``analyze``."""
        return FrameView(self, number)

    # --- trees ------------------------------------------------------------------------
    def tree(self, number: int) -> FrameTree:
        """The full protocol tree of one frame (cached for the most recent frames)."""
        with self._lock:
            t = self._trees.get(number)
            if t is not None:
                self._trees.move_to_end(number)
                return t
        t = dissect_frame(self, number)
        with self._lock:
            self._trees[number] = t
            if len(self._trees) > self.TREE_CACHE:
                self._trees.popitem(last=False)
        return t
