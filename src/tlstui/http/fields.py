"""HTTP fields (Wireshark's names) and the Field tree of one message."""
from __future__ import annotations

from ..field import Field
from ..registry import Base, FieldType, register
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
        top.add(frame_fields(msg.h2, src, base))
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
        body_bytes = data[msg.header_len:msg.header_len + msg.body_len]
        top.add(Field("http.file_data", f"File Data: {msg.body_len} bytes", _text(body_bytes),
                      base + msg.header_len, msg.body_len, source=src))
    return top, extra


_XML = ("text/xml", "application/xml", "image/svg+xml")
_MEDIA_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG JFIF image", "image/gif": "GIF89a"}
_MEDIA_SHOWN = ("application/javascript", "application/json", "application/x-www-form-urlencoded",
                "application/ocsp-response", "application/ocsp-request")


def _media(msg: HttpMessage) -> str:
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
