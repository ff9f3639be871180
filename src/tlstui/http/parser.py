"""HTTP/1.x message framing over a byte stream (decrypted TLS application data).

Like Wireshark with header and body desegmentation on: a message belongs to the frame in
which its last byte arrives; the body is delimited by Content-Length or chunked encoding,
and a response with neither (read until close) never completes, as in tshark over TLS.
HTTP/2 is recognised by its connection preface and then left alone.

The stream keeps references to the plaintext pieces it was fed (no copies), so a message
can be rebuilt lazily with the data sources its bytes came from.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .h2 import H2Direction, H2Frame

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
METHODS = frozenset(b"GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH PROPFIND PROPPATCH MKCOL COPY MOVE "
                    b"LOCK UNLOCK SEARCH REPORT M-SEARCH NOTIFY SUBSCRIBE UNSUBSCRIBE".split())
MAX_HEADER = 256 * 1024  # give up looking for the end of the headers after this much

Piece = tuple[str, bytes, int, int]  # (source name, data, start, end) within data


@dataclass
class HttpMessage:
    """One HTTP/1.x request or response (or an HTTP/2 preface), as complete as it got.

    ``frame`` is where it completed; ``parts`` the byte pieces (by data source) it is made of,
    in order; ``header_len`` the length of the start line and headers with the blank line.
    """

    frame: int
    kind: str  # "request", "response" or "h2_preface"
    start: tuple[str, ...]  # (method, uri, version) or (version, code, phrase)
    headers: list[tuple[str, str]]
    header_len: int
    body_len: int
    parts: tuple[Piece, ...]
    chunked: bool = False
    request_method: str = ""  # for a response: the method of the request it answers
    first_frame: int = 0
    h2: H2Frame | None = None  # kind "h2_frame": the HTTP/2 frame
    # Set as the fields are built (fields.message_fields): where the body's entity lies for the media layer,
    # (failed to decode, source, offset, length, the undecoded bytes until the media layer took them).
    entity: tuple[bool, str, int, int, bytes] | None = None

    @property
    def is_request(self) -> bool:
        return self.kind == "request"

    def data(self) -> bytes:
        return b"".join(d[s:e] for (_src, d, s, e) in self.parts)

    def header(self, name: str) -> str | None:
        low = name.lower()
        for k, v in self.headers:
            if k.lower() == low:
                return v
        return None


@dataclass
class _Stream:
    buf: bytearray = field(default_factory=bytearray)
    base: int = 0  # stream offset of buf[0]
    pieces: deque = field(default_factory=deque)  # (abs start, src, data, frame)
    mode: str = "http"  # "http", "h2", "other" (not HTTP), "until_close"
    end: int = 0  # stream offset after the last byte fed
    pending: tuple | None = None  # a message whose body (of known length) is still arriving; not buffered
    h2: H2Direction | None = None  # mode "h2": the frame reader of this direction


class HttpDirection:
    """One direction of one connection.  ``feed`` returns the messages completed by this data."""

    def __init__(self, peer_requests: deque | None = None, own_requests: deque | None = None) -> None:
        self.s = _Stream()
        self.peer_requests = peer_requests if peer_requests is not None else deque()  # methods awaiting answers
        self.own_requests = own_requests if own_requests is not None else deque()

    def start_h2(self) -> None:
        """Read this direction as HTTP/2 frames from now on (no preface: the server's side)."""
        self.s.mode = "h2"
        self.s.h2 = H2Direction()

    def _feed_h2(self, frame: int, data: bytes, source: str) -> list[HttpMessage]:
        s = self.s
        if not data:
            return []
        start = s.end
        s.end += len(data)
        s.pieces.append((start, source, data, frame))
        out = []
        for fr in s.h2.feed(data):
            out.append(self._emit(frame, "h2_frame", (fr.type_name,), [], len(fr.data), 0))
            out[-1].h2 = fr
        return out

    def feed(self, frame: int, data: bytes, source: str) -> list[HttpMessage]:
        s = self.s
        if s.mode == "h2":
            return self._feed_h2(frame, data, source)
        if s.mode in ("other", "until_close") or not data:
            return []
        start = s.end
        s.end += len(data)
        s.pieces.append((start, source, data, frame))
        out: list[HttpMessage] = []
        if s.pending is not None:
            kind, st, headers, hlen, body, method = s.pending
            msg_end = s.base + hlen + body
            if s.end < msg_end:
                return out  # body bytes are not copied: the pieces keep them
            s.pending = None
            msg = self._emit(frame, kind, st, headers, hlen, body)
            msg.request_method = method if kind == "response" else ""
            out.append(msg)
            s.buf = bytearray(data[msg_end - start:])
        else:
            s.buf += data
        while s.buf and s.mode == "http":
            msg = self._one(frame)
            if msg is None:
                break
            out.append(msg)
        if s.mode == "h2":  # after the preface: the rest of this data as frames
            rest = bytes(s.buf)
            s.buf.clear()
            s.h2 = H2Direction()
            for fr in s.h2.feed(rest):
                msg = self._emit(frame, "h2_frame", (fr.type_name,), [], len(fr.data), 0)
                msg.h2 = fr
                out.append(msg)
            return out
        if s.mode != "http":
            s.buf.clear()
            s.pieces.clear()
        return out

    # ------------------------------------------------------------------------------------
    def _one(self, frame: int) -> HttpMessage | None:
        s = self.s
        buf = s.buf
        if buf[:len(H2_PREFACE)] == H2_PREFACE[:len(buf)]:
            if len(buf) < len(H2_PREFACE):
                return None
            msg = self._emit(frame, "h2_preface", ("PRI", "*", "HTTP/2.0"), [], len(H2_PREFACE), 0)
            del buf[:len(H2_PREFACE)]
            s.mode = "h2"
            return msg
        if not _looks_like_start(buf):
            s.mode = "other"
            return None
        end = buf.find(b"\r\n\r\n", 0, MAX_HEADER)
        sep = 4
        if end < 0:
            end2 = buf.find(b"\n\n", 0, MAX_HEADER)
            if end2 < 0:
                if len(buf) > MAX_HEADER:
                    s.mode = "other"
                return None
            end, sep = end2, 2
        head = bytes(buf[:end]).decode("utf-8", "replace")
        lines = head.replace("\r\n", "\n").split("\n")
        start = lines[0]
        headers = []
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers.append((k.strip(), v.strip()))
        hlen = end + sep
        parts = start.split(" ", 2)
        if start.startswith("HTTP/"):
            kind = "response"
            version = parts[0]
            code = parts[1] if len(parts) > 1 else ""
            phrase = parts[2] if len(parts) > 2 else ""
            st = (version, code, phrase)
            method = self.peer_requests.popleft() if self.peer_requests else ""
        else:
            kind = "request"
            st = (parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
            method = st[0]
        hdr = {k.lower(): v for k, v in headers}
        chunked = "chunked" in hdr.get("transfer-encoding", "").lower()
        cl = hdr.get("content-length")
        body: int | None
        tunnel = kind == "response" and method == "CONNECT" and st[1][:1] == "2"
        if kind == "response" and (st[1][:1] == "1" or st[1] in ("204", "304") or method == "HEAD" or tunnel):
            body = 0
        elif chunked:
            body = _chunked_length(buf, hlen)
            if body is None:
                return None
        elif cl is not None:
            try:
                body = max(0, int(cl.strip()))
            except ValueError:
                body = 0
        elif kind == "request":
            body = 0
        else:
            s.mode = "until_close"  # tshark over TLS: never completes
            return None
        if kind == "request":
            self.own_requests.append(method)
        if len(buf) < hlen + body:
            if not chunked:  # wait for the body without buffering it
                s.pending = (kind, st, headers, hlen, body, method)
                buf.clear()
            elif kind == "request":
                self.own_requests.pop()
            return None
        msg = self._emit(frame, kind, st, headers, hlen, body, chunked)
        del buf[:hlen + body]
        msg.request_method = method if kind == "response" else ""
        if tunnel:
            s.mode = "other"  # a CONNECT tunnel: what follows is the tunnelled protocol, not HTTP
        elif kind == "response" and st[1] == "101" and "h2c" in hdr.get("upgrade", "").lower():
            s.mode = "h2"  # RFC 7540 3.2: the server's next bytes are HTTP/2 frames (its SETTINGS first, no preface)
        return msg

    def _emit(self, frame: int, kind: str, st: tuple, headers: list, hlen: int, body: int,
              chunked: bool = False) -> HttpMessage:
        s = self.s
        total = hlen + body
        a, b = s.base, s.base + total
        parts = []
        first = frame
        for (p0, src, data, f) in s.pieces:
            p1 = p0 + len(data)
            if p1 <= a or p0 >= b:
                continue
            if not parts:
                first = f
            parts.append((src, data, max(a, p0) - p0, min(b, p1) - p0))
        s.base = b
        while s.pieces and s.pieces[0][0] + len(s.pieces[0][2]) <= b:
            s.pieces.popleft()
        return HttpMessage(frame, kind, tuple(st), headers, hlen, body, tuple(parts), chunked, first_frame=first)


def _looks_like_start(buf: bytearray) -> bool:
    head = bytes(buf[:16])
    if head.startswith(b"HTTP/"[:len(head)]):
        return True
    sp = head.find(b" ")
    word = head if sp < 0 else head[:sp]
    if sp < 0:
        return any(m.startswith(word) for m in METHODS) and len(head) < 16
    return word in METHODS


def _chunked_length(buf: bytearray, pos: int) -> int | None:
    """Length of a complete chunked body starting at ``pos`` (with trailers), or None."""
    p = pos
    while True:
        eol = buf.find(b"\r\n", p)
        if eol < 0:
            return None
        size_txt = bytes(buf[p:eol]).split(b";", 1)[0].strip()
        try:
            size = int(size_txt, 16)
        except ValueError:
            return eol + 2 - pos  # not chunked after all: take what was read
        p = eol + 2
        if size == 0:
            while True:  # trailers, then a blank line
                eol = buf.find(b"\r\n", p)
                if eol < 0:
                    return None
                if eol == p:
                    return eol + 2 - pos
                p = eol + 2
        if len(buf) < p + size + 2:
            return None
        p += size + 2


class HttpTracker:
    """HTTP over every decrypted connection: messages by the frame they complete in."""

    def __init__(self) -> None:
        self._dirs: dict[tuple, HttpDirection] = {}
        self._pending: dict[tuple, tuple[deque, deque]] = {}
        self.by_frame: dict[int, list[HttpMessage]] = {}
        self.segment_frames: set[int] = set()  # frames whose data belongs to a message completed later
        self.blank = False  # the last feed went into a body read until close (tshark: empty Info)

    def _dir(self, conn: tuple, direction: int) -> HttpDirection:
        key = (conn, direction)
        d = self._dirs.get(key)
        if d is None:
            q = self._pending.setdefault(conn, (deque(), deque()))
            d = self._dirs[key] = HttpDirection(peer_requests=q[1 - direction], own_requests=q[direction])
        return d

    def feed(self, conn: tuple, direction: int, frame: int, data: bytes, source: str,
             h2_server: bool = False) -> list[HttpMessage]:
        """``h2_server``: this is the server's side of a connection that chose ALPN h2 (its
        frames come with no preface)."""
        fresh = (conn, direction) not in self._dirs
        d = self._dir(conn, direction)
        if fresh and h2_server:
            d.start_h2()
        msgs = d.feed(frame, data, source)
        if d.s.mode == "h2":  # the peer of a client that sent the preface speaks HTTP/2 too
            peer_key = (conn, 1 - direction)
            if peer_key not in self._dirs:
                self._dir(conn, 1 - direction).start_h2()
        self.blank = d.s.mode == "until_close"
        for m in msgs:
            self.by_frame.setdefault(frame, []).append(m)
        if d.s.mode == "http" and (d.s.buf or d.s.pending is not None):
            self.segment_frames.add(frame)
        return msgs

    def is_http(self, conn: tuple, direction: int) -> bool:
        """Is this direction still read as HTTP/1.x (not HTTP/2, not some other protocol)?"""
        d = self._dirs.get((conn, direction))
        return d is not None and d.s.mode in ("http", "until_close")

    def messages(self, frame: int) -> list[HttpMessage]:
        return self.by_frame.get(frame, [])
