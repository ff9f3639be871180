"""HTTP/2 frames (RFC 9113) over decrypted TLS, after the connection preface.

One :class:`H2Direction` per connection and direction: it buffers the plaintext, cuts it into
frames (a frame belongs to the TLS record in which its last byte arrives) and decodes HEADERS
and CONTINUATION blocks with the ``hpack`` library, fed in order, one decoder per direction as
the protocol requires.  Only the decoded header lists are kept with each frame, not the decoder.
Never raises on hostile bytes: a header block hpack rejects leaves the frame without headers.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import hpack

TYPES = {0: "DATA", 1: "HEADERS", 2: "PRIORITY", 3: "RST_STREAM", 4: "SETTINGS", 5: "PUSH_PROMISE", 6: "PING",
         7: "GOAWAY", 8: "WINDOW_UPDATE", 9: "CONTINUATION", 10: "ALTSVC", 12: "ORIGIN", 16: "PRIORITY_UPDATE"}
ERRORS = {0: "NO_ERROR", 1: "PROTOCOL_ERROR", 2: "INTERNAL_ERROR", 3: "FLOW_CONTROL_ERROR", 4: "SETTINGS_TIMEOUT",
          5: "STREAM_CLOSED", 6: "FRAME_SIZE_ERROR", 7: "REFUSED_STREAM", 8: "CANCEL", 9: "COMPRESSION_ERROR",
          10: "CONNECT_ERROR", 11: "ENHANCE_YOUR_CALM", 12: "INADEQUATE_SECURITY", 13: "HTTP_1_1_REQUIRED"}
MAX_FRAME = 1 << 24  # the length field's range: a frame is buffered at most this long


@dataclass
class H2Frame:
    """One HTTP/2 frame: header fields, its bytes (``data``: the 9-byte header and payload), and
    for HEADERS/PUSH_PROMISE/CONTINUATION the decoded header list of the block it ends
    (``headers``; None when the block is not complete here or could not be decoded)."""

    type: int
    flags: int
    stream: int
    length: int
    data: bytes
    headers: list[tuple[str, str]] | None = None
    header_error: str = ""
    media: str = ""  # DATA ending its stream: the stream's content-type ('text/html'), as tshark's Info
    # DATA ending a stream whose headers named a Content-Encoding (not identity): the encoding and the whole
    # body (its DATA frames' data joined, as tshark reassembles it), which fields decode as tshark does
    encoding: str = ""
    body: bytes | None = None

    @property
    def payload(self) -> bytes:
        return self.data[9:]

    @property
    def type_name(self) -> str:
        return TYPES.get(self.type, "Unknown")


def _text(b: bytes | str) -> str:
    return b if isinstance(b, str) else b.decode("utf-8", "replace")


def header_block(fr: H2Frame) -> bytes:
    """The header block fragment of a HEADERS, PUSH_PROMISE or CONTINUATION frame (padding and
    priority removed); b'' when the lengths do not fit."""
    p = fr.payload
    pos, end = 0, len(p)
    if fr.type in (1, 5) and fr.flags & 0x8:  # PADDED
        if not p:
            return b""
        end -= p[0]
        pos = 1
    if fr.type == 1 and fr.flags & 0x20:  # PRIORITY
        pos += 5
    if fr.type == 5:
        pos += 4
    return p[pos:end] if pos <= end else b""


def _decoder() -> hpack.Decoder:
    # The peer's SETTINGS_HEADER_TABLE_SIZE (Chrome: 65536) allows a larger dynamic table than
    # hpack's default 4096; a reader, like tshark, accepts any size update (the table still only
    # holds what the capture fed it).
    d = hpack.Decoder()
    d.max_allowed_table_size = 1 << 24
    return d


MAX_BODY = 16 * 1024 * 1024  # an encoded stream's body kept for decoding, at most


@dataclass
class H2Direction:
    """Frames of one direction.  ``feed`` returns the frames completed by this data."""

    buf: bytearray = field(default_factory=bytearray)
    decoder: hpack.Decoder = field(default_factory=lambda: _decoder())
    block: bytearray = field(default_factory=bytearray)  # header block awaiting CONTINUATION
    in_block: bool = False
    broken: bool = False  # a frame longer than the protocol allows: stop reading
    media: dict = field(default_factory=dict)  # stream -> content-type of its headers
    encoding: dict = field(default_factory=dict)  # stream -> content-encoding of its headers (not identity)
    bodies: dict = field(default_factory=dict)  # stream -> the data of its DATA frames so far (encoded streams)

    def feed(self, data: bytes) -> list[H2Frame]:
        if self.broken or not data:
            return []
        self.buf += data
        out: list[H2Frame] = []
        buf = self.buf
        pos = 0
        while len(buf) - pos >= 9:
            length = int.from_bytes(buf[pos:pos + 3], "big")
            if len(buf) - pos < 9 + length:
                break
            raw = bytes(buf[pos:pos + 9 + length])
            pos += 9 + length
            fr = H2Frame(raw[3], raw[4], int.from_bytes(raw[5:9], "big") & 0x7FFFFFFF, length, raw)
            self._headers(fr)
            if fr.type == 0:
                self._data(fr)
            if fr.type == 0 and fr.flags & 0x1:
                fr.media = self.media.pop(fr.stream, "")
            out.append(fr)
        del buf[:pos]
        return out

    def _data(self, fr: H2Frame) -> None:
        enc = self.encoding.get(fr.stream)
        if enc is None:
            return
        p = fr.payload
        body = p[1:] if fr.flags & 0x8 and p else p  # the data as http2.data.data has it
        acc = self.bodies.setdefault(fr.stream, bytearray())
        if len(acc) + len(body) > MAX_BODY:  # too big to keep: shown as its frames, undecoded
            self.encoding.pop(fr.stream, None)
            self.bodies.pop(fr.stream, None)
            return
        acc += body
        if fr.flags & 0x1:
            fr.encoding, fr.body = enc, bytes(self.bodies.pop(fr.stream))
            del self.encoding[fr.stream]

    def _headers(self, fr: H2Frame) -> None:
        if fr.type in (1, 5):
            self.block = bytearray(header_block(fr))
            self.in_block = True
        elif fr.type == 9 and self.in_block:
            self.block += fr.payload
        else:
            return
        if not fr.flags & 0x4:  # END_HEADERS not set: wait for CONTINUATION
            return
        self.in_block = False
        try:
            fr.headers = [(_text(k), _text(v)) for k, v in self.decoder.decode(bytes(self.block), raw=True)]
            for k, v in fr.headers:
                if k == "content-type" and len(self.media) < 10000:
                    self.media[fr.stream] = v.split(";")[0].strip().lower()
                elif k == "content-encoding" and v.strip() and v.strip().lower() != "identity" \
                        and len(self.encoding) < 10000:
                    self.encoding[fr.stream] = v.strip()
        except Exception as e:  # noqa: BLE001 - hpack raises several kinds on hostile bytes
            fr.header_error = type(e).__name__
        self.block = bytearray()
