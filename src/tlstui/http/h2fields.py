"""HTTP/2 fields (tshark 4.0's ``http2.*`` names), the Field tree and Info text of one frame."""
from __future__ import annotations

from ..field import Field
from ..registry import Base, FieldType, register
from .h2 import ERRORS, TYPES, H2Frame, header_block

S, U, B, N, BY = FieldType.STRING, FieldType.UINT, FieldType.BOOLEAN, FieldType.NONE, FieldType.BYTES
register("http2.stream", N, "Stream")
register("http2.length", U, "Length", bits=24)
register("http2.type", U, "Type", bits=8, value_names=TYPES)
register("http2.flags", U, "Flags", Base.HEX, bits=8)
register("http2.flags.end_stream", B, "End Stream")
register("http2.flags.eh", B, "End Headers")
register("http2.flags.padded", B, "Padded")
register("http2.flags.priority", B, "Priority")
register("http2.flags.ack.settings", B, "ACK")
register("http2.flags.ack.ping", B, "ACK")
register("http2.r", U, "Reserved", Base.HEX)
register("http2.streamid", U, "Stream Identifier")
register("http2.pad_length", U, "Pad Length", bits=8)
register("http2.padding", BY, "Padding")
register("http2.exclusive", B, "Exclusive")
register("http2.stream_dependency", U, "Stream Dependency")
register("http2.headers.weight", U, "Weight", bits=8)
register("http2.headers", BY, "Header Block Fragment")
register("http2.header.length", U, "Header Length")
register("http2.header.count", U, "Header Count")
register("http2.header", N, "Header")
register("http2.header.name", S, "Name")
register("http2.header.value", S, "Value")
register("http2.header.name.length", U, "Name Length")
register("http2.header.value.length", U, "Value Length")
register("http2.header.unescaped", S, "Unescaped")
# the headers tshark 4.0 gives a field of their own (http2.headers.NAME, '-' as '_')
HEADER_NAMES = (":method", ":path", ":authority", ":scheme", ":status", ":protocol", "accept", "accept-charset",
                "accept-encoding", "accept-language", "accept-ranges", "access-control-allow-origin", "age", "allow",
                "authorization", "cache-control", "content-disposition", "content-encoding", "content-language",
                "content-length", "content-location", "content-range", "content-type", "cookie", "date", "etag",
                "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range",
                "if-unmodified-since", "last-modified", "link", "location", "max-forwards",
                "proxy-authenticate", "proxy-authorization", "range", "referer", "refresh", "retry-after",
                "server", "set-cookie", "strict-transport-security", "user-agent", "vary", "via",
                "www-authenticate")
for _h in HEADER_NAMES:
    register("http2.headers." + _h.lstrip(":").replace("-", "_"), S, _h.lstrip(":").capitalize())
register("http2.data.data", BY, "Data")
register("http2.body_decompression_failed", N, "Body decompression failed")
register("http2.settings", N, "Settings")
SETTINGS = {1: ("header_table_size", "Header table size"), 2: ("enable_push", "Enable PUSH"),
            3: ("max_concurrent_streams", "Max concurrent streams"),
            4: ("initial_window_size", "Initial Windows size"), 5: ("max_frame_size", "Max frame size"),
            6: ("max_header_list_size", "Max header list size"),
            8: ("extended_connect", "Extended CONNECT")}
register("http2.settings.id", U, "Settings Identifier", bits=16, value_names={k: v[1] for k, v in SETTINGS.items()})
for _n, _d in SETTINGS.values():
    register(f"http2.settings.{_n}", U, _d)
register("http2.settings.unknown", U, "Unknown Settings")
register("http2.ping", BY, "Ping")
register("http2.pong", BY, "Pong")
register("http2.rst_stream.error", U, "Error", value_names=ERRORS)
register("http2.window_update.r", U, "Reserved", Base.HEX)
register("http2.window_update.window_size_increment", U, "Window Size Increment")
register("http2.goway.r", U, "Reserved", Base.HEX)
register("http2.goaway.last_stream_id", U, "Promised-Stream-ID")
register("http2.goaway.error", U, "Error", value_names=ERRORS)
register("http2.goaway.addata", BY, "Additional Debug Data")
register("http2.push_promise.r", U, "Reserved", Base.HEX)
register("http2.push_promise.promised_stream_id", U, "Promised-Stream-ID")
register("http2.unknown", BY, "Unknown")

_FLAG_NAMES = {0: ((0x1, "http2.flags.end_stream", "End Stream"), (0x8, "http2.flags.padded", "Padded")),
               1: ((0x1, "http2.flags.end_stream", "End Stream"), (0x4, "http2.flags.eh", "End Headers"),
                   (0x8, "http2.flags.padded", "Padded"), (0x20, "http2.flags.priority", "Priority")),
               4: ((0x1, "http2.flags.ack.settings", "ACK"),), 6: ((0x1, "http2.flags.ack.ping", "ACK"),),
               5: ((0x4, "http2.flags.eh", "End Headers"), (0x8, "http2.flags.padded", "Padded")),
               9: ((0x4, "http2.flags.eh", "End Headers"),)}


def _bits(mask: int, width: int = 8) -> str:
    s = "".join("1" if mask >> (width - 1 - i) & 1 else "." for i in range(width))
    return " ".join(s[i:i + 4] for i in range(0, width, 4))


def _u(b: bytes, a: int, n: int) -> int:
    return int.from_bytes(b[a:a + n], "big")


def frame_info(fr: H2Frame) -> str:
    """tshark's Info text for one frame: 'SETTINGS[0]', 'HEADERS[1]: GET /', 'HEADERS[1]: 200 OK'."""
    text = f"{fr.type_name}[{fr.stream}]"
    if fr.type == 0 and fr.media:
        text += f" ({fr.media})"
    if fr.type == 1 and fr.headers:
        h = dict(fr.headers)
        if ":method" in h:
            text += f": {h[':method']} {h.get(':path', '')}".rstrip()
        elif ":status" in h:
            from .fields import STATUS
            try:
                code = int(h[":status"])
            except ValueError:
                code = -1
            text += f": {h[':status']} {STATUS.get(code, '')}".rstrip()
    return text


def _encoded_data(fr: H2Frame, body: bytes, off: int, src: str, st: Field, extra: dict[str, bytes]) -> None:
    """The last DATA of a content-encoded stream as tshark 4.0 shows it: 'Content-encoded entity body (gzip): N bytes
    -> M bytes' with the decoded body as http2.data.data (in the 'Uncompressed entity body' source), or 'Body
    decompression failed' with the body as it came (http/body.py decodes, as for HTTP/1.x)."""
    from .body import UNCOMPRESSED, decode

    whole = fr.body or b""
    decoded, note = decode(fr.encoding, whole) if whole else (None, "")
    label = f"Content-encoded entity body ({fr.encoding}): {len(whole)} bytes"
    if decoded is not None:
        label += f" -> {len(decoded)} bytes"
    e = st.add(Field("", label, None, off, len(body), source=src))
    if decoded is not None:
        extra[UNCOMPRESSED] = decoded
        e.add(Field("http2.data.data", f"Data: {decoded.hex()}", decoded, 0, len(decoded), source=UNCOMPRESSED))
        return
    x = e.add(Field("http2.body_decompression_failed", "Body decompression failed", None, off, len(body), source=src))
    x.add(Field("_ws.expert", "[Expert Info (Warning/Undecoded): Body decompression failed]", None, off, len(body),
                source=src))
    if note:
        e.add(Field("", f"[Not decoded: {note}]", None, off, len(body), source=src))
    if whole:
        name = src if whole == body else "Reassembled body"
        if name != src:
            extra[name] = whole
        e.add(Field("http2.data.data", f"Data: {whole.hex()}", whole, off if name == src else 0, len(whole),
                    source=name))


def settings_fields(p: bytes, pb: int, src: str, parent: Field) -> None:
    """SETTINGS entries (6 bytes each) of ``p`` (at ``pb`` in ``src``) under ``parent``: a SETTINGS frame's
    payload, or an HTTP/1.1 Upgrade's HTTP2-Settings header once base64-decoded."""
    for i in range(0, len(p) - 5, 6):
        sid, val = _u(p, i, 2), _u(p, i + 2, 4)
        spec = SETTINGS.get(sid)
        desc = spec[1] if spec else "Unknown"
        s = parent.add(Field("http2.settings", f"Settings - {desc} : {val}", None, pb + i, 6, source=src))
        s.add(Field("http2.settings.id", f"Settings Identifier: {desc} ({sid})", sid, pb + i, 2, source=src))
        s.add(Field(f"http2.settings.{spec[0]}" if spec else "http2.settings.unknown", f"{desc}: {val}", val,
                    pb + i + 2, 4, source=src))


def frame_fields(fr: H2Frame, src: str, base: int, extra: dict[str, bytes] | None = None) -> Field:
    """The 'Stream: TYPE, Stream ID: N, Length L' subtree of one frame, whose bytes start at
    ``base`` in source ``src``.  ``extra``: where a decoded DATA body's source goes (without it, a
    content-encoded body stays as its bytes)."""
    d = fr.data
    p = fr.payload
    pb = base + 9
    summary = f"Stream: {fr.type_name}, Stream ID: {fr.stream}, Length {fr.length}"
    info = frame_info(fr)
    if ":" in info:
        summary += "," + info.split(":", 1)[1]
    st = Field("http2.stream", summary, None, base, len(d), source=src)
    st.add(Field("http2.length", f"Length: {fr.length}", fr.length, base, 3, source=src))
    st.add(Field("http2.type", f"Type: {fr.type_name} ({fr.type})", fr.type, base + 3, 1, source=src))
    fl = st.add(Field("http2.flags", f"Flags: 0x{fr.flags:02x}", fr.flags, base + 4, 1, source=src))
    for mask, name, desc in _FLAG_NAMES.get(fr.type, ()):
        on = bool(fr.flags & mask)
        fl.add(Field(name, f"{_bits(mask)} = {desc}: {'True' if on else 'False'}", int(on), base + 4, 1, source=src))
    st.add(Field("http2.r", f"0... .... .... .... .... .... .... .... = Reserved: 0x{d[5] >> 7:x}", d[5] >> 7,
                 base + 5, 4, source=src))
    st.add(Field("http2.streamid", f"Stream Identifier: {fr.stream}", fr.stream, base + 5, 4, source=src))
    t = fr.type
    padded = t in (0, 1, 5) and bool(fr.flags & 0x8 and p)
    if padded:
        st.add(Field("http2.pad_length", f"Pad Length: {p[0]}", p[0], pb, 1, source=src))
    elif t in (0, 1, 5, 9):
        st.add(Field("http2.pad_length", "[Pad Length: 0]", 0, pb, 0, source=src))
    if t == 0:
        body = p[1:] if padded else p  # tshark 4.0: the data runs to the frame's end, padding included
        if fr.encoding and fr.body is not None and extra is not None:
            _encoded_data(fr, body, pb + (1 if padded else 0), src, st, extra)
        elif body:
            st.add(Field("http2.data.data", f"Data: {body.hex()}", body, pb + (1 if padded else 0), len(body),
                         source=src))
    elif t in (1, 5, 9):
        pos = pb + (1 if t in (1, 5) and fr.flags & 0x8 and p else 0)
        if t == 1 and fr.flags & 0x20 and len(p) >= pos - pb + 5:
            o = pos - pb
            dep = _u(p, o, 4)
            st.add(Field("http2.exclusive", None, dep >> 31, pos, 4, source=src))
            st.add(Field("http2.stream_dependency", f"Stream Dependency: {dep & 0x7FFFFFFF}", dep & 0x7FFFFFFF,
                         pos, 4, source=src))
            st.add(Field("http2.headers.weight", f"Weight: {p[o + 4]}", p[o + 4], pos + 4, 1, source=src))
            pos += 5
        if t == 5 and len(p) >= pos - pb + 4:
            ps = _u(p, pos - pb, 4) & 0x7FFFFFFF
            st.add(Field("http2.push_promise.promised_stream_id", f"Promised-Stream-ID: {ps}", ps, pos, 4,
                         source=src))
            pos += 4
        blk = header_block(fr)
        if blk:
            st.add(Field("http2.headers", f"Header Block Fragment: {blk.hex()}", blk, pos, len(blk), source=src))
        if fr.headers is not None:
            total = sum(len(k) + len(v) + 32 for k, v in fr.headers)
            st.add(Field("http2.header.length", f"[Header Length: {total}]", total, pos, 0, source=src))
            st.add(Field("http2.header.count", f"[Header Count: {len(fr.headers)}]", len(fr.headers), pos, 0,
                         source=src))
            for k, v in fr.headers:
                h = st.add(Field("http2.header", f"Header: {k}: {v}", None, pos, len(blk), source=src))
                h.add(Field("http2.header.name.length", f"Name Length: {len(k)}", len(k), pos, 0, source=src))
                h.add(Field("http2.header.name", f"Name: {k}", k, pos, 0, source=src))
                h.add(Field("http2.header.value.length", f"Value Length: {len(v)}", len(v), pos, 0, source=src))
                h.add(Field("http2.header.value", f"Value: {v}", v, pos, 0, source=src))
                h.add(Field("http2.header.unescaped", f"[Unescaped: {v}]", v, pos, 0, source=src))
                if k in HEADER_NAMES:
                    n = k.lstrip(":")
                    h.add(Field("http2.headers." + n.replace("-", "_"), f"{n.capitalize()}: {v}", v, pos, 0,
                                source=src))
    elif t == 3 and len(p) >= 4:
        e = _u(p, 0, 4)
        st.add(Field("http2.rst_stream.error", f"Error: {ERRORS.get(e, 'Unknown')} ({e})", e, pb, 4, source=src))
    elif t == 4:
        settings_fields(p, pb, src, st)
    elif t == 6 and len(p) >= 8:
        name = "http2.pong" if fr.flags & 1 else "http2.ping"
        st.add(Field(name, f"{'Pong' if fr.flags & 1 else 'Ping'}: {p[:8].hex()}", p[:8], pb, 8, source=src))
    elif t == 7 and len(p) >= 8:
        last, e = _u(p, 0, 4) & 0x7FFFFFFF, _u(p, 4, 4)
        st.add(Field("http2.goway.r", None, p[0] >> 7, pb, 4, source=src))
        st.add(Field("http2.goaway.last_stream_id", f"Promised-Stream-ID: {last}", last, pb, 4, source=src))
        st.add(Field("http2.goaway.error", f"Error: {ERRORS.get(e, 'Unknown')} ({e})", e, pb + 4, 4, source=src))
        if len(p) > 8:
            st.add(Field("http2.goaway.addata", f"Additional Debug Data: {p[8:].hex()}", p[8:], pb + 8,
                         len(p) - 8, source=src))
    elif t == 8 and len(p) >= 4:
        inc = _u(p, 0, 4) & 0x7FFFFFFF
        st.add(Field("http2.window_update.r", None, p[0] >> 7, pb, 4, source=src))
        st.add(Field("http2.window_update.window_size_increment", f"Window Size Increment: {inc}", inc, pb, 4,
                     source=src))
    elif p and t not in (2,):
        st.add(Field("http2.unknown", None, p, pb, len(p), source=src))
    return st
