"""HTTP fields (Wireshark's names) and the Field tree of one message."""
from __future__ import annotations

from ..field import Field
from ..registry import Base, FieldType, register
from .body import DECHUNKED, UNCOMPRESSED, message_body
from .parser import HttpMessage

S, U, B, P = FieldType.STRING, FieldType.UINT, FieldType.BOOLEAN, FieldType.PROTOCOL
register("http", P, "Hypertext Transfer Protocol")
register("http.request", B, "Request")
register("http.response", B, "Response")
register("http.request.method", S, "Request Method")
register("http.request.uri", S, "Request URI")
register("http.request.uri.path", S, "Request URI Path")
register("http.request.uri.query", S, "Request URI Query")
register("http.request.version", S, "Request Version")
register("http.request.line", S, "Request line")
register("http.request.full_uri", S, "Full request URI")
register("http.response.version", S, "Response Version")
register("http.response.code", U, "Status Code", bits=16)
register("http.response.code.desc", S, "Status Code Description")
register("http.response.phrase", S, "Response Phrase")
register("http.response.line", S, "Response line")
register("http.content_length", FieldType.UINT, "Content length", bits=64)
register("http.content_length_header", S, "Content-Length")
register("http.file_data", S, "File Data")
register("http.chunk_size", U, "Chunk size")
register("http.chunk_data", FieldType.BYTES, "Chunk data")
register("http.chunk_boundary", FieldType.BYTES, "Chunk boundary")
register("http.chunked_trailer_part", S, "trailer-part")
register("http.decompression_failed", FieldType.NONE, "Decompression failed")
register("http.unknown_header", S, "Unknown header")
register("http2", P, "HyperText Transfer Protocol 2")
register("http2.magic", S, "Magic")

# header name (lower case) -> field; their value is the header's value
HEADER_FIELDS = {
    "host": ("http.host", "Host"), "user-agent": ("http.user_agent", "User-Agent"),
    "content-type": ("http.content_type", "Content-Type"), "connection": ("http.connection", "Connection"),
    "server": ("http.server", "Server"), "transfer-encoding": ("http.transfer_encoding", "Transfer-Encoding"),
    "accept": ("http.accept", "Accept"), "accept-encoding": ("http.accept_encoding", "Accept Encoding"),
    "accept-language": ("http.accept_language", "Accept-Language"), "cookie": ("http.cookie", "Cookie"),
    "set-cookie": ("http.set_cookie", "Set-Cookie"), "date": ("http.date", "Date"),
    "location": ("http.location", "Location"), "last-modified": ("http.last_modified", "Last-Modified"),
    "content-length": ("http.content_length_header", "Content-Length"),
    "referer": ("http.referer", "Referer"), "authorization": ("http.authorization", "Authorization"),
    "cache-control": ("http.cache_control", "Cache-Control"), "upgrade": ("http.upgrade", "Upgrade"),
    "content-encoding": ("http.content_encoding", "Content-Encoding"),
    "http2-settings": ("http.http2_settings", "HTTP2-Settings"),
}
for _n, _d in HEADER_FIELDS.values():
    register(_n, S, _d)

STATUS = {100: "Continue", 101: "Switching Protocols", 200: "OK", 201: "Created", 202: "Accepted",
          204: "No Content", 206: "Partial Content", 301: "Moved Permanently", 302: "Found", 303: "See Other",
          304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
          401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
          408: "Request Timeout", 413: "Payload Too Large", 421: "Misdirected Request", 429: "Too Many Requests",
          500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
          504: "Gateway Timeout"}


def _text(b: bytes) -> str:
    return b.decode("utf-8", "replace")


def message_source(msg: HttpMessage) -> tuple[str, int, dict[str, bytes]]:
    """(source name, offset of the message in it, extra sources) for a message's fields."""
    if len(msg.parts) == 1:
        src, _data, start, _end = msg.parts[0]
        return src, start, {}
    data = msg.data()
    name = f"Reassembled TLS ({len(data)} bytes)"
    return name, 0, {name: data}


def message_fields(msg: HttpMessage, scheme: str = "https") -> tuple[Field, dict[str, bytes]]:
    """The ``http`` (or ``http2``) layer of one message, and any reassembled source it needs
    (``scheme``: what the full URI starts with, ``http`` over plain TCP)."""
    src, base, extra = message_source(msg)
    data = msg.data() if extra == {} else next(iter(extra.values()))
    total = msg.header_len + msg.body_len
    if msg.kind == "h2_frame" and msg.h2 is not None:
        from .h2fields import frame_fields
        top = Field("http2", "HyperText Transfer Protocol 2", None, base, total, source=src)
        top.add(frame_fields(msg.h2, src, base, extra))
        return top, extra
    if msg.kind == "h2_preface":
        top = Field("http2", "HyperText Transfer Protocol 2", None, base, total, source=src)
        top.add(Field("http2.magic", "Magic: PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n",
                      _text(data[:total]).replace("\r", "\\r").replace("\n", "\\n"),  # as tshark prints it
                      base, total, source=src))
        return top, extra
    top = Field("http", "Hypertext Transfer Protocol", None, base, total, source=src)
    eol = data.find(b"\n")
    line_end = eol + 1 if eol >= 0 else msg.header_len
    first = data[:line_end]
    first_txt = _text(first).rstrip("\r\n")
    line = top.add(Field("", first_txt + "\\r\\n", None, base, line_end, source=src))
    words = first.rstrip(b"\r\n").split(b" ", 2)
    pos = base
    if msg.is_request:
        top.add(Field("http.request", None, 1, base, 0, source=src, hidden=True))
        names = ("http.request.method", "http.request.uri", "http.request.version")
    else:
        top.add(Field("http.response", None, 1, base, 0, source=src, hidden=True))
        names = ("http.response.version", "http.response.code", "http.response.phrase")
    for i, w in enumerate(words[:3]):
        name = names[i]
        value: object = _text(w)
        if name == "http.response.code":
            try:
                value = int(w)
            except ValueError:
                value = None
        if value is not None:
            line.add(Field(name, None, value, pos, len(w), source=src))
        if name == "http.response.code" and isinstance(value, int) and value in STATUS:
            line.add(Field("http.response.code.desc", f"[Status Code Description: {STATUS[value]}]", STATUS[value],
                           pos, len(w), source=src))
        pos += len(w) + 1
    # header lines
    p = line_end
    line_name = "http.request.line" if msg.is_request else "http.response.line"
    while p < msg.header_len:
        e = data.find(b"\n", p, msg.header_len)
        e = msg.header_len if e < 0 else e + 1
        raw = data[p:e]
        body = raw.rstrip(b"\r\n")
        if not body:
            top.add(Field("", "\\r\\n", None, base + p, e - p, source=src))
            break
        txt = _text(body)
        k, _, v = txt.partition(":")
        spec = HEADER_FIELDS.get(k.strip().lower())
        label = txt + "\\r\\n"
        node = Field(spec[0] if spec else "http.unknown_header", label, v.strip() if spec else txt, base + p,
                     e - p, source=src)
        top.add(node)
        top.add(Field(line_name, label, txt + "\r\n", base + p, e - p, source=src, hidden=True))
        if spec and spec[0] == "http.http2_settings":
            _h2_settings(v.strip(), node, extra)
        if spec and spec[0] == "http.content_length_header":
            try:
                node.add(Field("http.content_length", None, int(v.strip()), base + p, e - p, source=src))
            except ValueError:
                pass
        p = e
    host = msg.header("host")
    if msg.is_request and host is not None:
        uri = msg.start[1]
        full = uri if "://" in uri else f"{scheme}://{host}{uri}"
        top.add(Field("http.request.full_uri", f"[Full request URI: {full}]", full, base, 0, source=src))
    if msg.body_len:
        _body_fields(msg, data, base, src, top, extra)
    return top, extra


H2_SETTINGS_SOURCE = "Decoded HTTP2-Settings"


def _h2_settings(value: str, node: Field, extra: dict[str, bytes]) -> None:
    """An Upgrade request's HTTP2-Settings (RFC 7540 3.2.1: base64url SETTINGS payload) decoded as tshark does:
    its settings under the header, in a source of their own."""
    import base64
    import binascii

    from .h2fields import settings_fields

    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return
    if raw:
        extra[H2_SETTINGS_SOURCE] = raw
        settings_fields(raw, 0, H2_SETTINGS_SOURCE, node)


def _body_fields(msg: HttpMessage, data: bytes, base: int, src: str, top: Field, extra: dict[str, bytes]) -> None:
    """The body as tshark shows it (body.py): the chunks, the content-encoded entity, File Data in the
    de-chunked or uncompressed buffer (a source of its own, as tshark's data sources)."""
    b = message_body(data, msg.header_len, msg.body_len, msg.chunked, msg.header("content-encoding"))
    h = msg.header_len
    ent_src, ent_off = src, base + h
    if msg.chunked:
        ch = top.add(Field("", "HTTP chunked response", None, base + h, b.chunked_end - h, source=src))
        for c in b.chunks:
            if c.size:
                d = ch.add(Field("", f"Data chunk ({c.size} octets)", None, base + c.start,
                                 c.size_len + c.data_len + c.boundary, source=src))
                d.add(Field("http.chunk_size", f"Chunk size: {c.size} octets", c.size, base + c.start, c.size_len,
                            source=src))
                d0 = c.start + c.size_len
                d.add(Field("http.chunk_data", None, bytes(data[d0:d0 + c.data_len]), base + d0, c.data_len,
                            source=src))
                if c.boundary:
                    d.add(Field("http.chunk_boundary", None, b"\r\n", base + d0 + c.data_len, 2, source=src))
            else:
                e = ch.add(Field("", "End of chunked encoding", None, base + c.start, c.size_len, source=src))
                e.add(Field("http.chunk_size", "Chunk size: 0 octets", 0, base + c.start, c.size_len, source=src))
        for (o, n) in b.trailers:
            txt = _text(data[o:o + n])  # with its CRLF, as tshark (and http.request.line) keep it
            ch.add(Field("http.chunked_trailer_part", f"trailer-part: {txt.rstrip()}\\r\\n", txt, base + o, n,
                         source=src))
        if b.chunks and b.chunks[-1].size == 0 and data[b.chunked_end - 2:b.chunked_end] == b"\r\n":
            ch.add(Field("", "\\r\\n", None, base + b.chunked_end - 2, 2, source=src))
        if b.raw:
            extra[DECHUNKED] = b.raw
        ent_src, ent_off = DECHUNKED, 0
    n = len(b.raw)
    if b.encoding:
        label = f"Content-encoded entity body ({b.encoding}): {n} bytes"
        if b.decoded is not None:
            label += f" -> {len(b.decoded)} bytes"
        e = top.add(Field("", label, None, ent_off, n, source=ent_src))
        if b.failed:
            x = e.add(Field("_ws.expert", "[Expert Info (Warning/Undecoded): Decompression failed]", None, ent_off, n,
                            source=ent_src))
            x.add(Field("http.decompression_failed", "Decompression failed", None, ent_off, n, source=ent_src))
            x.add(Field("_ws.expert.message", None, "Decompression failed", ent_off, n, source=ent_src, hidden=True))
            if b.note:
                e.add(Field("", f"[Not decoded: {b.note}]", None, ent_off, n, source=ent_src))
            msg.entity = (True, ent_src, ent_off, n, b.raw)  # the media layer: tshark's "data" (bytes dropped there)
            return
        extra[UNCOMPRESSED] = b.decoded
        ent_src, ent_off, n = UNCOMPRESSED, 0, len(b.decoded)
    octets = (msg.header("content-type") or "").split(";")[0].strip().lower() == "application/octet-stream"
    msg.entity = (False, ent_src, ent_off, n, b.entity if octets else b"")  # octets: tshark's "data" holds them
    if n:
        top.add(Field("http.file_data", f"File Data: {n} bytes", _text(b.entity), ent_off, n, source=ent_src))


def media_layer(msg: HttpMessage, src: str, off: int, total: int) -> Field | None:
    """The layer tshark hands an HTTP body to, by its media type (only its name is shown), over the entity
    (de-chunked, decoded); tshark's "data" for a body it could not decode.  After ``message_fields``."""
    if not msg.body_len:
        return None
    failed, esrc, eoff, n, raw = msg.entity if msg.entity is not None else (False, src, off + msg.header_len,
                                                                            msg.body_len, b"")
    ctype = msg.header("content-type") or ""
    if failed or (n and ctype.split(";")[0].strip().lower() == "application/octet-stream"):
        msg.entity = (failed, esrc, eoff, n, b"")  # the message outlives its tree: keep no body in it
        d = Field("data", f"Data ({n} bytes)", None, eoff, n, source=esrc)
        d.add(Field("data.data", None, raw, eoff, n, source=esrc))
        d.add(Field("data.len", f"[Length: {n}]", n, eoff, 0, source=esrc))
        return d
    return media_for(ctype, esrc, eoff, n)


def message_layers(msg: HttpMessage, scheme: str = "https") -> tuple[list[Field], dict[str, bytes]]:
    """``message_fields``' layer and the media layer tshark puts after it (an HTTP/1.x body's, by its
    Content-Type; the last DATA of an HTTP/2 stream's, by its headers')."""
    top, extra = message_fields(msg, scheme)
    src, off, _e = message_source(msg)
    total = msg.header_len + msg.body_len
    if msg.kind == "h2_frame":
        fr = msg.h2
        media = media_for(fr.media, src, off + 9, total - 9) if fr is not None and fr.type == 0 and fr.media else None
    elif msg.kind == "h2_preface":
        media = None
    else:
        media = media_layer(msg, src, off, total)
    return ([top, media] if media is not None else [top]), extra


def media_for(content_type: str, src: str, off: int, n: int) -> Field | None:
    """The media layer of a body of this Content-Type (HTTP/1.x, or an HTTP/2 stream's DATA), None if none."""
    ctype = content_type.split(";")[0].strip().lower()
    if not n or not ctype:
        return None
    if ctype in ("application/ocsp-request", "application/ocsp-response"):
        return Field("ocsp", "Online Certificate Status Protocol", None, off, n, source=src)
    if ctype == "application/json":
        return Field("json", "JavaScript Object Notation: application/json", None, off, n, source=src)
    if ctype.startswith("text/") and ctype not in ("text/xml",):
        return Field("data-text-lines", f"Line-based text data: {ctype}", None, off, n, source=src)
    return None


_XML = ("text/xml", "application/xml", "image/svg+xml")
_MEDIA_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG JFIF image", "image/gif": "GIF89a"}
_MEDIA_SHOWN = ("application/javascript", "application/json", "application/x-www-form-urlencoded",
                "application/ocsp-response", "application/ocsp-request")


def _media(msg: HttpMessage) -> str:
    if msg.entity is not None and (msg.entity[0] or not msg.entity[3]):
        return ""  # a body tshark could not decode goes to "data", not to its media type
    ctype = msg.header("content-type")
    return ctype.split(";")[0].strip().lower() if ctype and msg.body_len else ""


def message_info(msg: HttpMessage) -> str:
    """The Info column text tshark shows for a message: the start line, and for a body that
    tshark hands to a media dissector, its type ('(text/plain)', '(PNG)')."""
    if msg.kind == "h2_preface":
        return "Magic"
    if msg.kind == "h2_frame" and msg.h2 is not None:
        from .h2fields import frame_info
        return frame_info(msg.h2)
    first = " ".join(msg.start).rstrip()
    media = _media(msg)
    if media == "application/json":  # the JSON dissector appends its name after tshark's ' , '
        return f"{first} , JavaScript Object Notation (application/json)"
    if msg.is_request:
        return f"{first} "
    if media in _MEDIA_NAMES:
        return f"{first}  ({_MEDIA_NAMES[media]})"
    if media.startswith("image/"):  # tshark's image media dissector names the type
        return f"{first}  ({media})"
    if media and media not in _XML and (media.startswith("text/") or media in _MEDIA_SHOWN):
        return f"{first}  ({media})"
    return f"{first} "


def message_protocol(msg: HttpMessage) -> str:
    """The Protocol column: 'HTTP', 'HTTP/XML' for an XML body, 'HTTP2' for the preface."""
    if msg.kind in ("h2_preface", "h2_frame"):
        return "HTTP2"
    media = _media(msg)
    return "HTTP/XML" if media in _XML else "HTTP/JSON" if media == "application/json" else "HTTP"
