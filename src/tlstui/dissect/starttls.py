"""Line-based clear-text mail and file-transfer protocols, and their STARTTLS hand-off to TLS.

SMTP (25, 587), IMAP (143), POP3 (110) and FTP (21) as tshark 4.0 decodes them: each TCP
segment's lines are commands (client) or replies (server), with their byte ranges.  The
protocols are declared in ``PROTOCOLS`` (ports, the upgrade command, the positive answer); the
hand-off point is the first byte after the server's positive answer to STARTTLS / STLS /
AUTH TLS: the stream's bytes before it are the clear protocol's, the bytes after it TLS's (the
TLS analyzer synchronises on its first record header by itself).  ``LineStreams`` is the TCP
consumer; ``WithLines`` puts it beside dissect/clear.py's ClearStreams behind one interface.

Never raises on packet bytes: a line that does not parse is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dfield
from typing import Callable

from ..field import FRAME, Field
from ..registry import FieldType as T, register
from ..tcp.reassembly import DONE

P, S, U, N, B = T.PROTOCOL, T.STRING, T.UINT, T.NONE, T.BOOLEAN

register("smtp", P, "Simple Mail Transfer Protocol")
register("smtp.req", B, "Request")
register("smtp.rsp", B, "Response")
register("smtp.command_line", S, "Command Line")
register("smtp.req.command", S, "Command")
register("smtp.req.parameter", S, "Request parameter")
register("smtp.response", S, "Response")
register("smtp.response.code", U, "Response code")
register("smtp.rsp.parameter", S, "Response parameter")
register("smtp.data.fragment", N, "DATA fragment")
register("pop", P, "Post Office Protocol")
register("pop.request", S, "Request")  # tshark 4.0 prints it empty
register("pop.request.command", S, "Request command")
register("pop.request.parameter", S, "Request parameter")
register("pop.response", S, "Response")
register("pop.response.indicator", S, "Response indicator")
register("pop.response.description", S, "Response description")
register("pop.response.data", S, "Data")
register("imap", P, "Internet Message Access Protocol")
register("imap.isrequest", B, "Request")
register("imap.line", S, "Line")
register("imap.request", S, "Request")
register("imap.response", S, "Response")
register("imap.request_tag", S, "Request Tag")
register("imap.response_tag", S, "Response Tag")
register("imap.tag", S, "Tag")
register("imap.request.command", S, "Request Command")
register("imap.response.command", S, "Response Command")
register("imap.command", S, "Command")
register("imap.response.status", S, "Response Status")
register("ftp", P, "File Transfer Protocol (FTP)")
register("ftp.request", B, "Request")
register("ftp.response", B, "Response")
register("ftp.request.command", S, "Request command")
register("ftp.request.arg", S, "Request arg")
register("ftp.response.code", U, "Response code")
register("ftp.response.arg", S, "Response arg")

MAX_LINES = 200  # lines dissected per segment (a hostile segment of empty lines stays cheap)


@dataclass(frozen=True)
class LineProtocol:
    name: str  # the layer's filter name
    column: str  # Protocol column
    ports: frozenset[int]
    upgrade: Callable[[bytes], bool]  # is this client line the upgrade command
    accepted: Callable[[bytes, bytes], bool]  # (upgrade line, server line): the positive answer


def _word(line: bytes, i: int = 0) -> bytes:
    parts = line.split()
    return parts[i].upper() if len(parts) > i else b""


def _imap_ok(cmd: bytes, line: bytes) -> bool:
    tag = cmd.split()[0] if cmd.split() else b""
    return bool(tag) and line.split()[:2] == [tag, b"OK"] or (line.split()[:1] == [tag] and _word(line, 1) == b"OK")


PROTOCOLS = (
    LineProtocol("smtp", "SMTP", frozenset({25, 587}), lambda ln: ln.strip().upper() == b"STARTTLS",
                 lambda _c, ln: ln[:3] == b"220"),
    LineProtocol("imap", "IMAP", frozenset({143}), lambda ln: _word(ln, 1) == b"STARTTLS", _imap_ok),
    LineProtocol("pop", "POP", frozenset({110}), lambda ln: ln.strip().upper() == b"STLS",
                 lambda _c, ln: ln[:3] == b"+OK"),
    LineProtocol("ftp", "FTP", frozenset({21}), lambda ln: _word(ln) == b"AUTH" and _word(ln, 1) in (b"TLS", b"SSL"),
                 lambda _c, ln: ln[:3] == b"234"),
)
BY_PORT = {p: proto for proto in PROTOCOLS for p in proto.ports}
LAYERS = frozenset(p.name for p in PROTOCOLS)


def _text(b: bytes) -> str:
    return b.decode("ascii", "replace")  # tshark 4.0's ENC_ASCII: a byte above 0x7f is U+FFFD


def _lines(data: bytes, off: int, end: int) -> list[tuple[int, int, int]]:
    """(start, end without the line ending, end with it) of each line of data[off:end]."""
    out = []
    p = off
    while p < end and len(out) < MAX_LINES:
        nl = data.find(b"\n", p, end)
        stop = end if nl < 0 else nl + 1
        bare = stop
        while bare > p and data[bare - 1] in (10, 13):
            bare -= 1
        out.append((p, bare, stop))
        p = stop
    return out


def _f(name: str, value, off: int, length: int, src: str, children=None) -> Field:  # noqa: ANN001
    return Field(name, None, value, off, length, children, source=src)


def dissect_smtp(data: bytes, off: int, end: int, src: str, from_client: bool, data_phase: bool = False):
    """(layer, Info) of one segment of SMTP."""
    top = _f("smtp", None, off, end - off, src)
    if data_phase:
        top.children.append(Field("smtp.data.fragment", f"DATA fragment, {end - off} bytes", None, off,
                                  end - off, source=src))
        return top, f"C: DATA fragment, {end - off} bytes"
    lines = _lines(data, off, end)
    infos = []
    if from_client:
        top.children.append(_f("smtp.req", 1, off, 0, src))
        for a, b, c in lines:
            line = _f("smtp.command_line", _text(data[a:c]), a, c - a, src)
            if b - a >= 4:
                line.children.append(_f("smtp.req.command", _text(data[a:a + 4]), a, 4, src))
                if b - a > 5:
                    line.children.append(_f("smtp.req.parameter", _text(data[a + 5:b]), a + 5, b - a - 5, src))
            top.children.append(line)
            infos.append(_text(data[a:b]))
        return top, "C: " + " | ".join(infos)
    top.children.append(_f("smtp.rsp", 1, off, 0, src))
    for i, (a, b, c) in enumerate(lines):
        if i == 0:
            resp = _f("smtp.response", _text(data[a:c]), a, c - a, src)
            code = data[a:a + 3]
            if len(code) == 3 and code.isdigit():
                resp.children.append(_f("smtp.response.code", int(code), a, 3, src))
            top.children.append(resp)
            infos.append(_text(data[a:b]))
        else:
            infos.append(_text(data[a + 4:b]) if b - a >= 4 else "")
        if b - a > 4:
            top.children.append(_f("smtp.rsp.parameter", _text(data[a + 4:b]), a + 4, b - a - 4, src))
    return top, "S: " + " | ".join(infos)


def dissect_pop(data: bytes, off: int, end: int, src: str, from_client: bool):
    top = _f("pop", None, off, end - off, src)
    lines = _lines(data, off, end)
    if not lines:
        return top, ""
    a, b, c = lines[0]
    first = data[a:b]
    sp = first.find(b" ")
    w_end = a + (sp if sp >= 0 else b - a)
    if from_client:
        req = Field("pop.request", "Request: " + _text(data[a:b]), "", a, c - a, source=src)
        req.children.append(_f("pop.request.command", _text(data[a:w_end]), a, w_end - a, src))
        if sp >= 0 and w_end + 1 < b:
            req.children.append(_f("pop.request.parameter", _text(data[w_end + 1:b]), w_end + 1, b - w_end - 1, src))
        top.children.append(req)
        return top, "C: " + _text(first)
    rsp = Field("pop.response", "Response: " + _text(data[a:b]), "", a, c - a, source=src)
    if first[:1] in (b"+", b"-"):
        rsp.children.append(_f("pop.response.indicator", _text(data[a:w_end]), a, w_end - a, src))
        if sp >= 0 and w_end + 1 < b:
            rsp.children.append(_f("pop.response.description", _text(data[w_end + 1:b]), w_end + 1,
                                   b - w_end - 1, src))
    top.children.append(rsp)
    return top, "S: " + _text(first)


def dissect_ftp(data: bytes, off: int, end: int, src: str, from_client: bool):
    top = _f("ftp", None, off, end - off, src)
    top.children.append(_f("ftp.response", 0 if from_client else 1, off, 0, src))
    top.children.append(_f("ftp.request", 1 if from_client else 0, off, 0, src))
    lines = _lines(data, off, end)
    if not lines:
        return top, ""
    a, b, c = lines[0]
    first = data[a:b]
    if from_client:
        sp = first.find(b" ")
        w_end = a + (sp if sp >= 0 else b - a)
        top.children.append(_f("ftp.request.command", _text(data[a:w_end]), a, w_end - a, src))
        if sp >= 0 and w_end + 1 < b:
            top.children.append(_f("ftp.request.arg", _text(data[w_end + 1:b]), w_end + 1, b - w_end - 1, src))
        return top, "Request: " + _text(first)
    code = first[:3]
    if len(code) == 3 and code.isdigit():
        top.children.append(_f("ftp.response.code", int(code), a, 3, src))
        if b - a > 4:
            top.children.append(_f("ftp.response.arg", _text(data[a + 4:b]), a + 4, b - a - 4, src))
    return top, "Response: " + _text(first)


def _tokens(data: bytes, a: int, b: int, n: int) -> list[tuple[int, int]]:
    """(start, end) of the first ``n`` space-separated words of data[a:b]."""
    out, p = [], a
    while p < b and len(out) < n:
        while p < b and data[p] == 32:
            p += 1
        q = data.find(b" ", p, b)
        q = b if q < 0 else q
        if q > p:
            out.append((p, q))
        p = q
    return out


def dissect_imap(data: bytes, off: int, end: int, src: str, from_client: bool):
    top = _f("imap", None, off, end - off, src)
    top.children.append(_f("imap.isrequest", 1 if from_client else 0, off, 0, src))
    info = ""
    for a, b, c in _lines(data, off, end):
        line = _f("imap.line", _text(data[a:c]), a, c - a, src)
        top.children.append(line)
        info = ("Request: " if from_client else "Response: ") + _text(data[a:b])
        if data[a:a + 1] == b"*" and not from_client:
            continue  # tshark 4.0 leaves an untagged response as a line
        words = _tokens(data, a, b, 3)
        if not words:
            continue
        kind = "request" if from_client else "response"
        item = _f(f"imap.{kind}", _text(data[a:b]), a, b - a, src)
        line.children.append(item)
        (t0, t1) = words[0]
        item.children.append(_f(f"imap.{kind}_tag", _text(data[t0:t1]), t0, t1 - t0, src))
        item.children.append(_f("imap.tag", _text(data[t0:t1]), t0, t1 - t0, src))
        rest = words[1:]
        if not from_client and rest:
            (s0, s1) = rest[0]
            item.children.append(_f("imap.response.status", _text(data[s0:s1]), s0, s1 - s0, src))
            rest = rest[1:]
        if rest:
            (k0, k1) = rest[0]
            item.children.append(_f(f"imap.{kind}.command", _text(data[k0:k1]), k0, k1 - k0, src))
            item.children.append(_f("imap.command", _text(data[k0:k1]), k0, k1 - k0, src))
    return top, info


DISSECTORS = {"imap": dissect_imap, "smtp": dissect_smtp, "pop": dissect_pop, "ftp": dissect_ftp}


@dataclass
class _Stream:
    proto: LineProtocol
    client_port: int
    upgrade: bytes | None = None  # the client's upgrade line, waiting for its answer
    done: bool = False  # handed off to TLS (or given up)
    data_phase: bool = False  # SMTP: after 354, the client's bytes are the message
    wants_data: bool = False  # SMTP: the client sent DATA
    frames: dict = dfield(default_factory=dict)


class LineStreams:
    """The TCP consumer for the protocols of ``PROTOCOLS`` (see the module docstring)."""

    def __init__(self, claimed: Callable[[int], bool] | None = None) -> None:
        self.claimed = claimed
        self._streams: dict[int, _Stream | None] = {}
        self.by_frame: dict[int, tuple[str, bool, int, int, bool]] = {}  # frame -> (proto, client, off, len, data)

    def holds(self, stream: int) -> bool:
        return self._streams.get(stream) is not None

    def on_tcp_data(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
                    stream_offset: int = 0, sport: int = 0, dport: int = 0, deliver_frame: int | None = None) -> None:
        if not data:
            return None
        try:
            self._feed(stream, frame, data, frame_offset, sport, dport)
        except Exception:  # noqa: BLE001 - a decoder fault must not stop the capture's pass
            self._streams[stream] = None
        st = self._streams.get(stream)
        return DONE if st is None or st.done else None

    def _feed(self, stream: int, frame: int, data: bytes, foff: int, sport: int, dport: int) -> None:
        st = self._streams.get(stream, False)
        if st is False:
            proto = BY_PORT.get(dport) or BY_PORT.get(sport)
            if proto is None or (self.claimed is not None and self.claimed(stream)) or data[:1] == b"\x16":
                self._streams[stream] = None
                return
            st = self._streams[stream] = _Stream(proto, sport if proto.ports & {dport} else dport)
        if st is None or st.done:
            return
        from_client = sport == st.client_port
        if frame in self.by_frame:  # a second piece of the same frame: keep the first
            return
        phase = from_client and st.data_phase
        self.by_frame[frame] = (st.proto.name, from_client, foff, len(data), phase)
        if phase:
            if data.endswith(b"\r\n.\r\n") or data == b".\r\n":
                st.data_phase = False
            return
        for a, b, _c in _lines(data, 0, len(data)):
            line = data[a:b]
            if from_client:
                if st.proto.upgrade(line):
                    st.upgrade = line
                elif st.proto.name == "smtp" and line.strip().upper() == b"DATA":
                    st.wants_data = True
            else:
                if st.upgrade is not None:
                    if st.proto.accepted(st.upgrade, line):
                        st.done = True  # the next byte of the stream is TLS's
                        return
                    if st.proto.name != "imap" or line[:1] != b"*":
                        st.upgrade = None  # refused: the stream stays clear
                if st.wants_data and line[:3] == b"354":
                    st.data_phase = True
                    st.wants_data = False

    def on_tcp_gap(self, stream: int, direction: int, frame: int, length: int) -> None:
        pass

    def on_tcp_close(self, stream: int, direction: int, frame: int, kind: str) -> None:
        pass

    def frame_layers(self, frame: int, frame_bytes: bytes) -> tuple[list[Field], str, str]:
        got = self.by_frame.get(frame)
        if got is None:
            return [], "", ""
        name, client, off, n, phase = got
        proto = next(p for p in PROTOCOLS if p.name == name)
        fn = DISSECTORS.get(name)
        if fn is None:
            return [Field(name, None, None, off, n)], proto.column, ""
        try:
            end = min(len(frame_bytes), off + n)
            top, info = fn(frame_bytes, off, end, FRAME, client, phase) if name == "smtp" else \
                fn(frame_bytes, off, end, FRAME, client)
        except Exception as e:  # noqa: BLE001 - shows as malformed, never raises
            return [Field("_ws.malformed", f"[Malformed Packet: {type(e).__name__}]", None, 0, 0)], proto.column, ""
        layers = [top]
        if phase and not frame_bytes[off:end].endswith(b"\r\n.\r\n"):  # tshark's text lines of the message
            layers.append(Field("data-text-lines", "Line-based text data", None, off, end - off))
        return layers, proto.column, info


class WithLines:
    """ClearStreams and LineStreams behind ClearStreams's interface (session.py holds one)."""

    def __init__(self, clear, lines: LineStreams) -> None:  # noqa: ANN001 - a ClearStreams
        self.inner = clear
        self.lines = lines

    def on_tcp_data(self, *a, **kw) -> None:
        self.lines.on_tcp_data(*a, **kw)
        self.inner.on_tcp_data(*a, **kw)

    def data_readers(self) -> tuple:
        """The two consumers of the data, in the order ``on_tcp_data`` feeds them (clear.Tee routes each)."""
        return self.lines, self.inner

    def on_tcp_gap(self, *a, **kw) -> None:
        self.inner.on_tcp_gap(*a, **kw)

    def on_tcp_close(self, *a, **kw) -> None:
        self.inner.on_tcp_close(*a, **kw)

    def has_layers(self, frame: int) -> bool:
        return frame in self.lines.by_frame or self.inner.has_layers(frame)

    def frames(self) -> list[int]:
        return sorted(set(self.inner.frames()) | set(self.lines.by_frame))

    def frame_layers(self, frame: int, frame_bytes: bytes, facts=None):  # noqa: ANN001
        if frame in self.lines.by_frame:
            layers, _proto, _info = self.lines.frame_layers(frame, frame_bytes)
            return layers, {}, _proto, _info
        return self.inner.frame_layers(frame, frame_bytes, facts)

    def column(self, frame: int, frame_bytes: bytes):
        if frame in self.lines.by_frame:
            _l, proto, info = self.lines.frame_layers(frame, frame_bytes)
            return (proto, info) if proto else None
        return self.inner.column(frame, frame_bytes)

    def __getattr__(self, name: str):
        if name.startswith("__") or name == "inner":  # copy.deepcopy asks before inner is set
            raise AttributeError(name)
        return getattr(self.inner, name)


def clear_streams(make_clear, tls_holds: Callable[[int], bool]) -> WithLines:  # noqa: ANN001
    """ClearStreams (made by ``make_clear(claimed)``) beside LineStreams: neither takes the other's streams."""
    lines = LineStreams(tls_holds)
    return WithLines(make_clear(lambda s: tls_holds(s) or lines.holds(s)), lines)
