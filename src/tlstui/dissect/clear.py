"""Clear-text protocols above UDP and TCP: DNS, mDNS, LLMNR, STUN, and over reassembled TCP DNS and
HTTP/1.x, chosen by port and heuristics as tshark 4.0 chooses them.

Two halves:

* ``udp_layers(...)``: a UDP payload (a real datagram or one quoted by an ICMP error) -> its
  layers, Protocol and Info.  Stateless: the frame tree calls it.
* ``ClearStreams``: the reassembled TCP byte streams (fed by the TCP reassembly beside the TLS
  analyzer, through ``tcp.reassembly.Tee``), framed into DNS messages (2-byte length) and HTTP/1.x
  messages (``http.parser``); each message belongs to the frame where its last byte arrives.  Only
  where each message lies is kept ((frame, offset, length) chunks and its header facts); its Fields
  are rebuilt from the frames' bytes when a tree is asked for (``frame_layers``, ``column``).

Hostile bytes never raise: every decoder here degrades to ``_ws.malformed``.
"""
from __future__ import annotations

from collections import deque
from typing import Callable

from ..field import FRAME, PROTOCOL_AGAIN, Field
from ..tcp.reassembly import DONE
from . import dns as dnsmod
from . import stun as stunmod

SSDP_PORT = 1900
HTTP_TCP_PORTS = frozenset({80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710})
DNS_TCP_PORTS = frozenset({53})
MAX_DNS_BUFFER = 70_000  # a DNS message over TCP is at most 65535 bytes with its length
SEGMENT_NOTE = " [TCP segment of a reassembled PDU]"

Chunk = tuple[int, int, int]  # (frame, offset in the frame's bytes, length)


# ------------------------------------------------------------------------------ UDP
def udp_layers(data: bytes, off: int, end: int, sport: int, dport: int, protos: list[str],
               source: str = FRAME, facts=None, number: int = 0) -> tuple[list[Field], str, str] | None:
    """The layers tshark puts above this UDP payload, with Protocol and Info; None when none of
    ours claims it.  Ports are tried low first, as tshark's UDP does."""
    end = min(end, len(data))
    if end <= off:
        return None
    for port in sorted((sport, dport)):
        if port in (dnsmod.DNS_PORT, dnsmod.MDNS_PORT, dnsmod.LLMNR_PORT):
            if port == dnsmod.DNS_PORT and not dnsmod.looks_like_dns(data, off, end):
                continue
            proto = {dnsmod.DNS_PORT: "dns", dnsmod.MDNS_PORT: "mdns", dnsmod.LLMNR_PORT: "llmnr"}[port]
            top, info = dnsmod.dissect_dns(data, off, end, source, mdns=proto == "mdns", proto=proto)
            if facts is not None:
                _dns_links(top, facts.dns_link(number))
            protos.append(proto)
            return [top], proto.upper(), info
        if port in stunmod.STUN_PORTS and stunmod.is_stun(data, off, end, True):
            return _stun(data, off, end, protos, source)
        if port == SSDP_PORT:
            got = _ssdp(data, off, end, protos, source)
            if got is not None:
                return got
    if stunmod.is_stun(data, off, end, False):
        return _stun(data, off, end, protos, source)
    if facts is not None and data[off] >> 6 == 1 and stunmod.is_stun(data, off, end, True) \
            and facts.stun_conversation(number):
        return _stun(data, off, end, protos, source)  # ChannelData where STUN was seen before
    return None


def _ssdp(data: bytes, off: int, end: int, protos: list[str], source: str):
    """SSDP: one HTTP/1.x message per datagram (tshark's HTTP dissector, named ssdp)."""
    from ..http.fields import message_fields, message_info
    from ..http.parser import HttpDirection

    raw = bytes(data[off:end])
    if not _http_heuristic(raw):
        return None
    # a response ends with its datagram: read as if it answered a HEAD (no body expected)
    msgs = HttpDirection(peer_requests=deque(["HEAD"])).feed(
        0, raw + (b"" if b"\r\n\r\n" in raw or b"\n\n" in raw else b"\r\n\r\n"), "ssdp")
    if not msgs:
        return None
    m = msgs[0]
    m.parts = ((source, data, off, off + min(m.header_len + m.body_len, end - off)),)
    top, _extra = message_fields(m, scheme="http")
    top.name, top.label = "ssdp", "Simple Service Discovery Protocol"
    protos.append("ssdp")
    return [top], "SSDP", message_info(m)


def _dns_links(top: Field, link) -> None:  # noqa: ANN001 - ("in"|"to", frame, seconds) or None
    if link is None:
        return
    kind, other, dt = link
    if kind == "in":
        top.add(Field("dns.response_in", f"[Response In: {other}]", other, top.offset, 0, source=top.source))
    else:
        top.add(Field("dns.response_to", f"[Request In: {other}]", other, top.offset, 0, source=top.source))
        top.add(Field("dns.time", f"[Time: {dt:.9f} seconds]", dt, top.offset, 0, source=top.source))


def _stun(data: bytes, off: int, end: int, protos: list[str], source: str) -> tuple[list[Field], str, str]:
    top, info = stunmod.dissect_stun(data, off, end, source)
    protos.append("stun")
    layers = [top]
    # what a TURN relay carries (ChannelData's payload, the DATA attribute) goes to "data"
    carried = None
    if top.find("stun.channel") is not None and end - off > 4:
        carried = (off + 4, min(end, off + 4 + int.from_bytes(data[off + 2:off + 4], "big")))
    else:
        for a in top.walk():
            if a.name == "stun.attribute" and a.value == 0x0013 and a.length > 4:
                carried = (a.offset + 4, a.offset + 4 + int.from_bytes(data[a.offset + 2:a.offset + 4], "big"))
    if carried and carried[1] > carried[0]:
        lo, hi = carried[0], min(carried[1], end)
        d = Field("data", f"Data ({hi - lo} bytes)", None, lo, hi - lo, source=source)
        d.add(Field("data.data", None, bytes(data[lo:hi]), lo, hi - lo, source=source))
        d.add(Field("data.len", f"[Length: {hi - lo}]", hi - lo, lo, 0, source=source))
        layers.append(d)
        protos.append("data")
    return layers, "STUN", info


# ------------------------------------------------------------------------------ TCP
class _DnsDir:
    __slots__ = ("buf", "chunks")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.chunks: list[list[int]] = []


class _Msg:
    """One message completed in a frame: its kind, where its bytes lie, and (HTTP) its facts."""

    __slots__ = ("kind", "chunks", "http", "stream", "direction")

    def __init__(self, kind: str, chunks: tuple[Chunk, ...], stream: int, direction: int, http=None) -> None:
        self.kind = kind  # "dns" or "http"
        self.chunks = chunks
        self.http = http  # http.parser.HttpMessage without its data (parts emptied)
        self.stream = stream
        self.direction = direction


def _take(chunks: list[list[int]], n: int) -> tuple[Chunk, ...]:
    out = []
    k = 0
    while n > 0 and k < len(chunks):
        c = chunks[k]
        if c[2] <= n:
            out.append((c[0], c[1], c[2]))
            n -= c[2]
            k += 1
        else:
            out.append((c[0], c[1], n))
            c[1] += n
            c[2] -= n
            n = 0
    del chunks[:k]
    return tuple(out)


class ClearStreams:
    """The TCP consumer for DNS and HTTP/1.x (see the module docstring)."""

    def __init__(self, get_frame_bytes: Callable[[int], bytes] | None = None,
                 claimed: Callable[[int], bool] | None = None) -> None:
        """``claimed(stream)``: whether another dissector (TLS) holds a TCP stream."""
        self._get = get_frame_bytes
        self.claimed = claimed
        self._kind: dict[int, str] = {}  # stream -> "dns" | "http" | "" (none of ours)
        self._dns: dict[tuple[int, int], _DnsDir] = {}
        self._http: dict[tuple[int, int], object] = {}
        self._http_q: dict[int, tuple[deque, deque]] = {}
        self._http_offsets: dict[tuple[int, int], int] = {}
        self.by_frame: dict[int, list[_Msg]] = {}
        self.segment: dict[int, str] = {}  # frame -> Info of a message not complete yet ('' for TCP's own)
        self.continuation: set[int] = set()  # frames of HTTP streams whose bytes start no message

    # --- feeding (tcp.reassembly.StreamConsumer) -------------------------------------------
    def _classify(self, stream: int, sport: int, dport: int, data: bytes) -> str:
        kind = self._kind.get(stream)
        if kind is not None:
            return kind
        low, high = sorted((sport, dport))
        kind = ""
        for port in (low, high):
            if port in DNS_TCP_PORTS:
                kind = "dns"
                break
            if port in HTTP_TCP_PORTS:
                kind = "http"
                break
        if not kind:
            # tshark tries its HTTP heuristic on every segment of a stream no dissector holds
            # (a TLS stream is TLS's) until one starts with a whole request or status line.
            if self.claimed is not None and self.claimed(stream):
                self._kind[stream] = ""
                return ""
            if _http_heuristic(data):
                kind = "http"
            elif len(data) >= 26 and data[6:10] == b"\x21\x12\xa4\x42" and data[2] <= 3:
                kind = "stun4571"  # ICE-TCP (RFC 4571): each STUN message after a 2-byte length
            elif len(data) >= 20 and data[4:8] == b"\x21\x12\xa4\x42" and data[0] <= 3:
                kind = "stun"
            else:
                return ""
        self._kind[stream] = kind
        return kind

    def on_tcp_data(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
                    stream_offset: int = 0, sport: int = 0, dport: int = 0,
                    deliver_frame: int | None = None) -> None:
        if not data:
            return None
        kind = self._classify(stream, sport, dport, data)
        completing = frame if deliver_frame is None else deliver_frame
        try:
            if kind in ("dns", "stun", "stun4571"):
                self._feed_dns(stream, direction, frame, completing, data, frame_offset, kind)
            elif kind == "http":
                self._feed_http(stream, direction, frame, completing, data, frame_offset)
        except Exception:  # noqa: BLE001 - a decoder fault must not stop the capture's pass
            self._kind[stream] = ""
        return DONE if self._kind.get(stream) == "" else None

    def on_tcp_gap(self, stream: int, direction: int, frame: int, length: int) -> None:
        # Bytes lost: the framing cannot be trusted any more on this direction.
        key = (stream, direction)
        self._dns.pop(key, None)
        d = self._http.get(key)
        if d is not None:
            d.s.mode = "other"

    def on_tcp_close(self, stream: int, direction: int, frame: int, kind: str) -> None:
        d = self._http.get((stream, direction))
        if d is not None and d.s.mode == "until_close" and getattr(d, "held", None):
            self._close_http(stream, direction, frame, d)

    # --- DNS over TCP -------------------------------------------------------------------------
    def _feed_dns(self, stream: int, direction: int, frame: int, completing: int, data: bytes, foff: int,
                  kind: str = "dns") -> None:
        """Messages framed by a length: DNS and RFC 4571 STUN (2-byte length first), STUN (its header's)."""
        d = self._dns.get((stream, direction))
        if d is None:
            d = self._dns[(stream, direction)] = _DnsDir()
        d.buf += data
        d.chunks.append([frame, foff, len(data)])
        done = False
        while len(d.buf) >= 4:
            if kind == "stun":
                ln = int.from_bytes(d.buf[2:4], "big")
                total = 4 + ln + (-ln % 4) if d.buf[0] >> 6 == 1 else 20 + ln
            else:
                total = 2 + int.from_bytes(d.buf[:2], "big")
            if len(d.buf) < total:
                break
            chunks = _take(d.chunks, total)
            del d.buf[:total]
            self.by_frame.setdefault(completing, []).append(_Msg(kind, chunks, stream, direction))
            done = True
        if d.buf:
            for c in d.chunks:
                if c[0] != completing or not done:
                    self.segment.setdefault(c[0], "")
        if len(d.buf) > MAX_DNS_BUFFER:
            self._dns.pop((stream, direction), None)

    # --- HTTP over TCP ------------------------------------------------------------------------
    def _feed_http(self, stream: int, direction: int, frame: int, completing: int, data: bytes, foff: int) -> None:
        d = self._http_dir(stream, direction)
        if d.s.mode == "other" and not d.held:  # no more messages: keep nothing of these bytes
            if d.s.mode == "other" and not (self.claimed is not None and self.claimed(stream)):
                self.continuation.add(frame)  # tshark: "Continuation" (a CONNECT tunnel's TLS is TLS's)
            d.chunks.clear()
            return
        d.chunks.append([d.fed, frame, foff, len(data)])
        d.fed += len(data)
        if d.s.mode == "until_close":
            d.held[1] += len(data)
            self.segment[frame] = ""
            return
        msgs = d.feed(completing, data, f"tcp:{frame}:{foff}")
        for m in msgs:
            self._store_http(stream, direction, completing, d, m)
        if d.s.mode == "h2" and any(m.kind == "h2_preface" for m in msgs):
            # h2c with prior knowledge (RFC 9113 3.3): the server answers with frames, no preface (after an
            # Upgrade the server switched on its own 101, parser.py)
            peer = self._http_dir(stream, 1 - direction)
            if peer.s.mode == "http" and not peer.s.buf and peer.s.pending is None:
                peer.start_h2()
        if d.s.mode == "h2" and d.s.h2 is not None and d.s.h2.buf:
            self.segment[frame] = ""  # an HTTP/2 frame not complete yet
        if d.s.mode == "until_close":
            # tshark reads a response without a length until the connection closes
            d.held = [d.consumed, d.fed - d.consumed]
            self.segment[frame] = ""
        elif d.s.mode == "http" and (d.s.buf or d.s.pending is not None):
            self.segment[frame] = ""  # tshark (two passes): TCP's own Info, marked as a segment
        self._forget_before(d)

    def _http_dir(self, stream: int, direction: int):
        from ..http.parser import HttpDirection

        key = (stream, direction)
        d = self._http.get(key)
        if d is None:
            q = self._http_q.setdefault(stream, (deque(), deque()))
            d = self._http[key] = HttpDirection(peer_requests=q[1 - direction], own_requests=q[direction])
            d.chunks = []  # (stream offset, frame, frame offset, length) of what was fed
            d.fed = 0
            d.consumed = 0  # stream offset after the last message stored
            d.held = None
        return d

    def _close_http(self, stream: int, direction: int, frame: int, d) -> None:
        from ..http.parser import HttpMessage

        start, length = d.held
        chunks = self._chunks_of(d, start, start + length)
        raw = b"".join(self._get(fr)[o:o + n] for fr, o, n in chunks) if self._get else b""
        head_end, sep = raw.find(b"\r\n\r\n"), 4
        if head_end < 0:
            head_end, sep = raw.find(b"\n\n"), 2
        head = raw[:head_end] if head_end >= 0 else raw
        hlen = head_end + sep if head_end >= 0 else len(raw)
        text = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
        parts = text[0].split(" ", 2)
        headers = []
        for ln in text[1:]:
            k, _, v = ln.partition(":")
            headers.append((k.strip(), v.strip()))
        st = (parts[0], parts[1] if len(parts) > 1 else "", parts[2] if len(parts) > 2 else "")
        msg = HttpMessage(frame, "response", st, headers, min(hlen, length), max(0, length - hlen), ())
        self.by_frame.setdefault(frame, []).append(_Msg("http", chunks, stream, direction, msg))
        d.held = None
        d.s.mode = "other"

    def _chunks_of(self, d, a: int, b: int) -> tuple[Chunk, ...]:
        out = []
        for s0, fr, fo, n in d.chunks:
            s1 = s0 + n
            if s1 <= a or s0 >= b:
                continue
            lo, hi = max(a, s0), min(b, s1)
            out.append((fr, fo + (lo - s0), hi - lo))
        return tuple(out)

    def _store_http(self, stream: int, direction: int, frame: int, d, m) -> None:
        # message bytes: the stream range that the parser consumed for it
        total = m.header_len + m.body_len
        start = d.consumed
        d.consumed = start + total
        chunks = self._chunks_of(d, start, start + total)
        m.parts = ()  # keep no packet bytes: the tree rebuilds them from the frames
        self.by_frame.setdefault(frame, []).append(_Msg("http", chunks, stream, direction, m))
        for fr, _o, _n in chunks[:-1]:
            if fr != frame:
                self.segment.setdefault(fr, "")

    def _forget_before(self, d) -> None:
        """Drop the chunk records of bytes that no message can need any more."""
        keep_from = d.consumed
        k = 0
        while k < len(d.chunks) and d.chunks[k][0] + d.chunks[k][3] <= keep_from:
            k += 1
        if k:
            del d.chunks[:k]

    def finish(self) -> None:
        """End of capture: a response read until close that never closed stays incomplete (as tshark)."""

    # --- answers ------------------------------------------------------------------------------
    def has_layers(self, frame: int) -> bool:
        return frame in self.by_frame or frame in self.continuation

    def frames(self) -> list[int]:
        """Frames where a DNS-over-TCP or HTTP message completes (ascending)."""
        return sorted(set(self.by_frame) | self.continuation)

    def segment_of_pdu(self, frame: int) -> bool:
        return frame in self.segment and frame not in self.by_frame

    def _bytes(self, chunks: tuple[Chunk, ...], frame: int, frame_bytes: bytes) -> tuple[bytes, str, int, dict]:
        """(data, source, offset of the message in it, extra sources) of a message's chunks."""
        if len(chunks) == 1 and chunks[0][0] == frame:
            return frame_bytes, FRAME, chunks[0][1], {}
        parts = []
        for fr, o, n in chunks:
            raw = frame_bytes if fr == frame else (self._get(fr) if self._get else b"")
            parts.append(raw[o:o + n])
        data = b"".join(parts)
        name = f"Reassembled TCP ({len(data)} bytes)"
        return data, name, 0, {name: data}

    def frame_layers(self, frame: int, frame_bytes: bytes, facts=None) -> tuple[list[Field], dict[str, bytes], str, str]:
        """(layers, extra sources, Protocol, Info) of the messages completing in ``frame``."""
        msgs = self.by_frame.get(frame, [])
        if not msgs and frame in self.continuation:
            return [Field("http", "Hypertext Transfer Protocol", None, 0, 0)], {}, "HTTP", "Continuation"
        layers: list[Field] = []
        sources: dict[str, bytes] = {}
        protocol, infos = "", []
        for m in msgs:
            try:
                data, src, off, extra = self._bytes(m.chunks, frame, frame_bytes)
                sources.update(extra)
                total = sum(c[2] for c in m.chunks)
                if m.kind in ("stun", "stun4571"):
                    framed = m.kind == "stun4571"
                    top, info = stunmod.dissect_stun(data, off + 2 if framed else off, off + total, src)
                    if framed:
                        top.children.insert(0, Field("stun.tcp_frame_length", None, total - 2, off, 2, source=src))
                    layers.append(top)
                    protocol, infos = "STUN", [info]
                elif m.kind == "dns":
                    top, info = dnsmod.dissect_dns(data, off, off + total, src, tcp=True)
                    if facts is not None:
                        _dns_links(top, facts.dns_link(frame, (m.stream, m.direction, m.chunks)))
                    layers.append(top)
                    protocol, infos = "DNS", [info]  # tshark's Info keeps the last message of a segment
                else:
                    from ..http import message_info, message_protocol
                    from ..http.fields import media_for, message_fields

                    h = m.http
                    h.parts = ((src, data, off, off + total),)
                    top, more = message_fields(h, scheme="http")
                    h.parts = ()
                    _rename_sources(top, more, sources)
                    if h.kind in ("h2_frame", "h2_preface"):  # h2c: tshark's HTTP hands the bytes to HTTP/2
                        if not any(x.name == "http" or (x.hidden and x.label is PROTOCOL_AGAIN and x.value == "http")
                                   for x in layers):
                            layers.append(Field("", PROTOCOL_AGAIN, "http", 0, 0, hidden=True))  # frame.protocols
                        layers.append(top)
                        fr = h.h2
                        media = media_for(fr.media, src, off + 9, total - 9) \
                            if fr is not None and fr.type == 0 and fr.media else None
                        if media is not None:
                            layers.append(media)
                        protocol = "HTTP2"
                        infos.append((", " if infos else "") + message_info(h))  # tshark: frames after ', '
                        continue
                    layers.append(top)
                    media = _media_layer(h, src, off, total)
                    if media is not None:
                        layers.append(media)
                    if media is not None and media.name == "ocsp":  # tshark's OCSP names the column
                        protocol = "OCSP"
                        infos.append("Request" if h.is_request else "Response")
                    else:
                        protocol = message_protocol(h)
                        infos.append(message_info(h))
            except Exception as e:  # noqa: BLE001 - a decoder fault shows as malformed, never raises
                bad = Field("_ws.malformed", f"[Malformed Packet: {type(e).__name__}]", None, 0, 0)
                layers.append(bad)
        # HTTP texts follow one another as tshark appends them; DNS keeps the last message's
        return layers, sources, protocol, "".join(infos) if protocol.startswith("HTTP") else (infos[-1] if infos else "")

    def column(self, frame: int, frame_bytes: bytes) -> tuple[str, str] | None:
        if frame in self.by_frame or frame in self.continuation:
            _l, _s, proto, info = self.frame_layers(frame, frame_bytes)
            return (proto, info) if proto else None
        seg = self.segment.get(frame)
        if seg:
            return "TCP", seg + SEGMENT_NOTE
        return None


def _media_layer(h, src: str, off: int, total: int) -> Field | None:  # noqa: ANN001 - an HttpMessage
    """The layer tshark hands an HTTP body to (http/fields.py: by its media type, over the decoded entity)."""
    from ..http.fields import media_layer

    return media_layer(h, src, off, total)


def _rename_sources(top: Field, extra: dict[str, bytes], sources: dict[str, bytes]) -> None:
    """message_fields names a multi-part message's buffer after TLS: over TCP it is TCP's."""
    for name, data in extra.items():
        new = name.replace("Reassembled TLS", "Reassembled TCP")
        sources[new] = data
        for f in top.walk():
            if f.source == name:
                f.source = new


def _first_line(buf: bytes) -> str:
    eol = buf.find(b"\n")
    if eol < 0:
        return ""
    return buf[:eol].rstrip(b"\r").decode("utf-8", "replace")


_METHODS = (b"GET ", b"POST ", b"HEAD ", b"PUT ", b"DELETE ", b"OPTIONS ", b"CONNECT ", b"TRACE ", b"PATCH ",
            b"PROPFIND ", b"PROPPATCH ", b"MKCOL ", b"COPY ", b"MOVE ", b"LOCK ", b"UNLOCK ", b"NOTIFY ",
            b"SUBSCRIBE ", b"M-SEARCH ", b"REPORT ", b"SEARCH ")


def _http_heuristic(data: bytes) -> bool:
    """tshark's "HTTP over TCP" heuristic: the segment's first line is complete and reads as a
    request line (method, URI, HTTP version) or a status line."""
    eol = data.find(b"\n", 0, 4096)
    if eol < 0:
        return False
    line = data[:eol].rstrip(b"\r")
    if line.startswith(b"HTTP/1.") and len(line) >= 12 and line[8:9] == b" " and line[9:12].isdigit():
        return True
    if line.startswith(_METHODS):
        parts = line.split(b" ")
        return len(parts) >= 3 and parts[-1].startswith(b"HTTP/1.")
    return False


class Tee:
    """Hands the reassembled TCP stream to several consumers (the TLS analyzer and ``ClearStreams``).

    A consumer whose ``on_tcp_data`` returns ``DONE`` ignores the rest of that stream's bytes
    (a TLS stream is no HTTP's): its later segments are not handed to it.  ``forget_routes``
    starts over (after the consumers' state was put back, session._unfinish)."""

    def __init__(self, *consumers) -> None:
        self.__setstate__({"consumers": [c for c in consumers if c is not None]})

    # A copy (the incremental pass's overlay) holds the consumers alone: the readers are theirs
    # (copied with them or shared with them) and the routes a cache.
    def __getstate__(self) -> dict:
        return {"consumers": self.consumers}

    def __setstate__(self, state: dict) -> None:
        self.consumers = state["consumers"]
        # starttls.WithLines holds two consumers of the data: each is routed on its own.
        self._readers = [part for c in self.consumers for part in getattr(c, "data_readers", lambda c=c: (c,))()]
        self._routes: dict[int, list] = {}  # stream -> the readers still reading it

    def on_tcp_data(self, stream: int, *rest) -> None:
        route = self._routes.get(stream)
        if route is None:
            route = self._routes[stream] = self._readers
        done = None
        for c in route:
            if c.on_tcp_data(stream, *rest) is DONE:
                done = [c] if done is None else done + [c]
        if done is not None:
            self._routes[stream] = [c for c in route if c not in done]

    def forget_routes(self) -> None:
        self._routes.clear()

    def on_tcp_gap(self, *a, **kw) -> None:
        for c in self.consumers:
            c.on_tcp_gap(*a, **kw)

    def on_tcp_close(self, *a, **kw) -> None:
        for c in self.consumers:
            c.on_tcp_close(*a, **kw)

    def __getattr__(self, name: str):
        if name.startswith("__") or name in ("consumers", "_readers", "_routes"):  # copy.deepcopy asks before they are set
            raise AttributeError(name)
        return getattr(self.consumers[0], name)


# ------------------------------------------------------------------------------ per capture
# Protocols whose fields only a frame's full tree holds (filters and `tlstui fields` build it).
TREE_PROTOCOLS = frozenset({"icmp", "icmpv6", "arp", "dns", "mdns", "llmnr", "stun", "ssdp"})
# Protocols of plain HTTP's messages: HTTP/1.x, h2c, the media layers of their bodies.
HTTP_HEADS = frozenset({"http", "http2", "data-text-lines", "json"})


class CaptureFacts:
    """What the ICMP and ARP trees need from the whole capture, found once on first use: echo
    request/reply pairs, ARP duplicate-address claims, the streams an ICMP error quotes.  Only
    frames outside every TCP/UDP stream are read for the first two."""

    def __init__(self, session) -> None:  # noqa: ANN001 - a Session
        self.s = session
        self._echo = None
        self._arp = None
        self._dns = None
        self._stun = None
        self._by_stream = None
        self._quoted: dict[int, tuple[int, int]] | None = None  # frame -> (6|17, stream)

    def _other_frames(self):
        import numpy as np

        conv = self.s.conv
        n = min(len(self.s), len(conv.tcp_stream))
        ts = np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        us = np.frombuffer(conv.udp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        sel = (ts < 0) & (us < 0)
        # A tunnel's UDP (VXLAN, GTP-U...) may carry ICMP or ARP: its frames are read too.
        from .encap import udp_tunnel_port

        tunnels = [st.number for st in conv.udp_streams if udp_tunnel_port(st.addr[1], st.peer[1])]
        if tunnels:
            sel |= (ts < 0) & np.isin(us, tunnels)
        return (np.nonzero(sel)[0] + 1).tolist()

    def _scan(self) -> None:
        from . import arp as arpmod
        from . import fast, icmp, tunnel

        echoes, arps, echoes_all = [], [], []
        cap = self.s.capture
        idx = cap.index
        linktypes = [i.linktype for i in cap.interfaces]
        for number in self._other_frames():
            i = number - 1
            data = cap.data
            off, n, lt = idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]]
            try:
                etype, pos = fast.network_offset(data, off, off + n, lt)
                if pos < 0:
                    continue
                if etype == 0x0806:
                    p = arpmod.parse(bytes(data[pos:off + n]), 0)
                    if p is not None:
                        arps.append((number, p))
                    continue
                got = icmp.locate(data, off, n, lt)  # inside tunnels too: at the innermost IP header
                if got is not None and got.tunnelled and tunnel.teredo_test(fast.parse_transport(data, off, n, lt),
                                                                              got.message):
                    continue  # a Teredo connectivity test: tshark pairs it with nothing
                if got is not None:
                    raw = self._icmp_bytes(data, got.ip_off, off + n, fast.ETH_IPV4 if got.version == 4 else fast.ETH_IPV6)
                    if raw is not None:
                        echoes.append((number, idx.time_ns[i], got.version, got.src, got.dst, raw))
                        if got.message.quoted is not None:
                            echoes_all.append(echoes[-1])
            except (IndexError, ValueError):
                continue
        self._echo = icmp.pair_echoes(echoes)
        self._arp = arpmod.duplicates(arps)
        self._quoted = {}
        for number, _t, _v, src, dst, raw in echoes_all:
            m = icmp.parse_icmp(raw) if _v == 4 else icmp.parse_icmpv6(raw)
            q = m.quoted if m is not None else None
            if q is None or q.sport is None or q.proto not in (6, 17):
                continue
            if q.proto == 6 and len(raw) - 8 < (20 if q.version == 4 else 40) + 20:
                continue  # tshark numbers the stream only when the whole TCP header was quoted
            got = self.quoted_stream(number, q.proto, q.src, q.sport, q.dst, q.dport)
            if got is not None:
                self._quoted[number] = (q.proto, got[0])

    @staticmethod
    def _icmp_bytes(data, pos: int, end: int, etype: int) -> bytes | None:
        if etype == 0x0800:
            ihl = (data[pos] & 15) * 4
            total = int.from_bytes(data[pos + 2:pos + 4], "big")
            stop = min(end, pos + total) if total >= ihl else end
            return bytes(data[pos + ihl:stop])
        if etype == 0x86DD:
            plen = int.from_bytes(data[pos + 4:pos + 6], "big")
            nxt, l4 = data[pos + 6], pos + 40
            stop = min(end, l4 + plen) if plen else end
            hops = 0
            while nxt in (0, 43, 60) and l4 + 2 <= stop and hops < 8:
                nxt, l4 = data[l4], l4 + (data[l4 + 1] + 1) * 8
                hops += 1
            return bytes(data[l4:stop]) if nxt == 58 else None
        return None

    # --- icmp.Helper ---------------------------------------------------------------------
    def echo_link(self, number: int):
        if self._echo is None:
            self._scan()
        return self._echo.get(number)

    def _previous_in_stream(self, stream: int, number: int) -> int:
        """The last frame of TCP stream ``stream`` before frame ``number`` (0: none)."""
        import numpy as np

        if self._by_stream is None:
            conv = self.s.conv
            n = min(len(self.s), len(conv.tcp_stream))
            ts = np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
            order = np.argsort(ts, kind="stable")  # frames of each stream together, in capture order
            self._by_stream = (ts[order], order + 1)
        keys, frames = self._by_stream
        lo, hi = np.searchsorted(keys, stream, "left"), np.searchsorted(keys, stream, "right")
        k = int(np.searchsorted(frames[lo:hi], number, "left"))
        return int(frames[lo + k - 1]) if k > 0 else 0

    def stun_conversation(self, number: int) -> bool:
        """Whether frame ``number``'s UDP conversation carried a STUN message before it: tshark then
        hands the conversation to STUN, which reads TURN ChannelData on it too."""
        if self._stun is None:
            self._stun = self._find_stun()
        conv = self.s.conv
        st = conv.udp_stream[number - 1] if number - 1 < len(conv.udp_stream) else -1
        first = self._stun.get(st)
        return first is not None and first < number

    def _find_stun(self) -> dict[int, int]:
        import numpy as np

        s = self.s
        conv = s.conv
        cap = s.capture
        idx = cap.index
        n = min(len(s), len(conv.udp_stream))
        us = np.frombuffer(conv.udp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        ts = np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        out: dict[int, int] = {}
        try:
            from ..columns.build import transport_columns

            t, _ = transport_columns(s, with_streams=False)
            poff, plen = np.asarray(t.payload_off)[:n], np.asarray(t.payload_len)[:n]
        except (ImportError, AttributeError, ValueError, TypeError):
            return out
        data = cap.data
        for i in (np.nonzero((us >= 0) & (ts < 0))[0]).tolist():
            st = int(us[i])
            if st in out:
                continue
            p, ln = idx.offset[i] + int(poff[i]), int(plen[i])  # payload_off counts from the frame's start
            end = min(p + ln, idx.offset[i] + idx.cap_len[i])
            if end - p >= 20 and bytes(data[p + 4:p + 8]) == b"\x21\x12\xa4\x42" and data[p] <= 3:
                out[st] = i + 1
        return out

    def quoted_streams(self, proto: int) -> list[tuple[int, int]]:
        """(frame, stream) of the ICMP errors whose quoted TCP (6) or UDP (17) header tshark numbers."""
        if self._quoted is None:
            self._scan()
        return [(f, st) for f, (p, st) in sorted(self._quoted.items()) if p == proto]

    def dns_link(self, number: int, tcp_msg=None):  # noqa: ANN001
        """("in", response frame, 0) for a query, ("to", query frame, seconds) for its response."""
        if self._dns is None:
            self._dns = self._pair_dns()
        return self._dns.get(number)

    def _pair_dns(self) -> dict[int, tuple[str, int, float]]:
        import numpy as np

        from . import fast

        s = self.s
        conv = s.conv
        cap = s.capture
        idx = cap.index
        linktypes = [i.linktype for i in cap.interfaces]
        n = min(len(s), len(conv.udp_stream))
        us = np.frombuffer(conv.udp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        ts = np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
        msgs: list[tuple[int, tuple, int, int]] = []  # (frame, conversation, id, flags)
        for number in (np.nonzero((us >= 0) & (ts < 0))[0] + 1).tolist():
            i = number - 1
            t = fast.parse_transport(cap.data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]])
            if t is None or t.proto != 17 or not ({t.sport, t.dport} & {53, 5353, 5355}):
                continue
            p = t.payload_off
            if p + 4 > idx.offset[i] + idx.cap_len[i]:
                continue
            raw = bytes(cap.data[p:p + 4])
            msgs.append((number, ("udp", int(us[i])), int.from_bytes(raw[:2], "big"), int.from_bytes(raw[2:4], "big")))
        clear = getattr(s, "clear", None)
        if clear is not None:
            for number, ms in clear.by_frame.items():
                for m in ms:
                    if m.kind == "dns":
                        head = b"".join(s.frame_bytes(fr)[o:o + ln] for fr, o, ln in m.chunks)[:6]
                        if len(head) >= 6:
                            msgs.append((number, ("tcp", m.stream), int.from_bytes(head[2:4], "big"),
                                         int.from_bytes(head[4:6], "big")))
        msgs.sort(key=lambda x: x[0])
        times = idx.time_ns
        pending: dict[tuple, int] = {}
        out: dict[int, tuple[str, int, float]] = {}
        for number, key, ident, flags in msgs:
            k = (key, ident)
            if not flags & 0x8000:
                pending.setdefault(k, number)
            elif k in pending:
                q = pending.pop(k)
                out[q] = ("in", number, 0.0)
                out[number] = ("to", q, (times[number - 1] - times[q - 1]) / 1e9)
        return out

    def arp_duplicate(self, number: int):
        if self._arp is None:
            self._scan()
        return self._arp.get(number)

    def quoted_stream(self, number: int, proto: int, src: bytes, sport: int, dst: bytes, dport: int):
        conv = self.s.conv
        a, b = (src, sport), (dst, dport)
        key = (a, b) if a <= b else (b, a)
        if proto == 17:
            st = getattr(conv, "_udp_by_key", {}).get(key)
            return (st.number,) if st is not None else None
        st = getattr(conv, "_tcp_by_key", {}).get(key)
        if st is None:
            return None
        times = self.s.capture.index.time_ns
        t = times[number - 1]
        prev = self._previous_in_stream(st.number, number)
        from ..tcp.conversations import window_shift

        d = 0 if a == st.addr else 1
        return (st.number, (t - st.first_time_ns) / 1e9, (t - times[prev - 1]) / 1e9 if prev else 0.0,
                st.wscale[d] if st.wscale[d] >= 0 else window_shift(st, d), st.completeness(number))

    def quoted_payload(self, data: bytes, off: int, end: int, sport: int, dport: int,
                       protos: list[str]) -> list[Field]:
        got = udp_layers(data, off, end, sport, dport, protos)
        if got:
            return got[0]
        d = Field("data", f"Data ({end - off} bytes)", None, off, end - off)
        d.add(Field("data.data", None, bytes(data[off:end]), off, end - off))
        d.add(Field("data.len", f"[Length: {end - off}]", end - off, off, 0))
        protos.append("data")
        return [d]


def candidate_frames(session, head: str):  # noqa: ANN001 - a Session
    """The frames that can hold fields of protocol ``head`` among ours (a NumPy array, ascending),
    or None when ``head`` is not ours: ICMP and ARP outside every stream, DNS and STUN on UDP (or
    quoted by ICMP, or DNS over TCP), plain HTTP where its messages complete."""
    import numpy as np

    if head not in TREE_PROTOCOLS and head not in HTTP_HEADS:
        return None
    conv = session.conv
    n = min(len(session), len(conv.tcp_stream))
    ts = np.frombuffer(conv.tcp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
    us = np.frombuffer(conv.udp_stream, dtype=np.int32)[:n] if n else np.zeros(0, np.int32)
    none = (ts < 0) & (us < 0)
    clear = getattr(session, "clear", None)
    tcp_frames = np.asarray(clear.frames() if clear is not None else [], dtype=np.int64)
    udp = np.nonzero((us >= 0) & (ts < 0))[0].astype(np.int64) + 1
    if head in HTTP_HEADS:  # plain HTTP (and h2c) over TCP, SSDP over UDP
        return np.union1d(tcp_frames, udp).astype(np.int64)
    if head in ("icmp", "icmpv6", "arp"):
        from ..columns.build import transport_columns
        from .fast import CARRIER

        # and inside a tunnel whose UDP is the frame's only transport (VXLAN carrying ARP...)
        t, _ = transport_columns(session, with_streams=False)
        return np.nonzero(none | ((np.asarray(t.tunnel)[:n] & CARRIER) != 0))[0].astype(np.int64) + 1
    on_udp = (us >= 0) & (ts < 0)
    if head in ("dns", "mdns", "llmnr"):
        try:
            from ..columns.build import transport_columns

            t, _ = transport_columns(session, with_streams=False)
            sp, dp = np.asarray(t.sport)[:n], np.asarray(t.dport)[:n]
            ports = {"dns": (53, 5353, 5355), "mdns": (5353,), "llmnr": (5355,)}[head]
            on_udp &= np.isin(sp, ports) | np.isin(dp, ports)
        except (ImportError, AttributeError, ValueError, TypeError):
            pass  # every UDP frame, then
    mask = none | on_udp
    frames = np.nonzero(mask)[0].astype(np.int64) + 1
    return np.union1d(frames, tcp_frames).astype(np.int64) if head in ("dns", "stun") else frames
