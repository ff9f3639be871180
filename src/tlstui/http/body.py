"""An HTTP/1.x message body as tshark 4.0's HTTP dissector shows it: de-chunked (``Transfer-Encoding:
chunked``), then decoded by its ``Content-Encoding`` (packet-http.c with ``http.dechunk_body`` and
``http.decompress_body`` on, their defaults).

- ``gzip``, ``x-gzip``, ``deflate``, ``x-deflate`` (any case): inflated as tvb_uncompress does (a gzip or
  zlib header, or raw deflate when the zlib header is missing); a stream cut short gives what it held.
- ``br``: brotli, with the ``brotli`` module; a stream cut short fails, as in tshark.  Without the module
  the body is left as it is, with a note saying why (never an error).
- ``identity``: nothing to do.  Any other encoding (``compress``, ``zstd``, a list such as ``gzip, br``)
  fails: tshark 4.0 decodes one encoding at a time and knows only those above.

Hostile bytes never raise; a decoded body is capped at ``MAX_DECODED`` bytes.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

MAX_DECODED = 32 * 1024 * 1024
INFLATE = frozenset({"gzip", "x-gzip", "deflate", "x-deflate"})
DECHUNKED = "De-chunked entity body"
UNCOMPRESSED = "Uncompressed entity body"
BROTLI_MISSING = "the Python module 'brotli' is not installed (pip install brotli)"

try:  # optional at run time: a br body stays encoded, with a note, when it is missing
    import brotli as _brotli
except ImportError:  # pragma: no cover - exercised by monkeypatching _brotli to None
    _brotli = None


@dataclass(slots=True)
class Chunk:
    """One chunk of a chunked body, offsets in the message's bytes: the size line (with its CRLF), the
    data, the boundary CRLF after it (absent in the last, zero-size chunk)."""

    start: int
    size_len: int
    size: int
    data_len: int  # the data present (less than size when the message was cut)
    boundary: int  # length of the CRLF after the data (0 or 2)


@dataclass(slots=True)
class Body:
    raw: bytes  # the entity: the body, de-chunked if it was chunked
    chunks: list[Chunk] = field(default_factory=list)
    chunked_end: int = 0  # offset after the chunked encoding (last chunk, trailers, blank line)
    trailers: list[tuple[int, int]] = field(default_factory=list)  # (offset, length) of each trailer line
    encoding: str = ""  # the Content-Encoding header ('' none or identity)
    decoded: bytes | None = None  # the decoded entity (None: not encoded, or decoding failed)
    note: str = ""  # why a body stays encoded beyond tshark's "Decompression failed" (brotli missing)

    @property
    def failed(self) -> bool:
        return bool(self.encoding) and self.decoded is None

    @property
    def entity(self) -> bytes:
        """What the media dissectors see (tshark's file_data)."""
        return self.decoded if self.decoded is not None else self.raw


def dechunk(data: bytes, start: int, end: int) -> tuple[bytes, list[Chunk], int, list[tuple[int, int]]]:
    """The chunked body in data[start:end): (the data, the chunks, where the encoding ends, trailers)."""
    out, chunks, trailers = [], [], []
    p = start
    while p < end:
        eol = data.find(b"\r\n", p, end)
        if eol < 0:
            break
        try:
            size = int(bytes(data[p:eol]).split(b";", 1)[0].strip(), 16)
        except ValueError:
            break
        line = eol + 2 - p
        if size == 0:
            chunks.append(Chunk(p, line, 0, 0, 0))
            p = eol + 2
            while p < end:  # trailers, then a blank line
                e = data.find(b"\r\n", p, end)
                if e < 0:
                    return b"".join(out), chunks, end, trailers
                if e == p:
                    return b"".join(out), chunks, e + 2, trailers
                trailers.append((p, e + 2 - p))
                p = e + 2
            break
        d0 = eol + 2
        have = max(0, min(size, end - d0))
        out.append(bytes(data[d0:d0 + have]))
        boundary = 2 if data[d0 + size:d0 + size + 2] == b"\r\n" and d0 + size + 2 <= end else 0
        chunks.append(Chunk(p, line, size, have, boundary))
        p = d0 + have + boundary
        if have < size:
            break
    return b"".join(out), chunks, min(p, end), trailers


def inflate(raw: bytes) -> bytes | None:
    """gzip, zlib or raw deflate, as tvb_uncompress: what a damaged or cut stream held before the damage;
    None when nothing came out."""
    for wbits in (47, -15):  # 32+15: a gzip or a zlib header; then raw deflate (servers that omit the header)
        d = zlib.decompressobj(wbits)
        out = bytearray()
        try:
            for i in range(0, len(raw), 4096):
                out += d.decompress(raw[i:i + 4096], MAX_DECODED - len(out))
                if len(out) >= MAX_DECODED:
                    break
                while d.unconsumed_tail and len(out) < MAX_DECODED:
                    out += d.decompress(d.unconsumed_tail, MAX_DECODED - len(out))
            if d.eof and d.unused_data[:2] == b"\x1f\x8b" and len(out) < MAX_DECODED:
                more = inflate(d.unused_data)  # concatenated gzip members
                out += (more or b"")[:MAX_DECODED - len(out)]
        except (zlib.error, ValueError, OverflowError):
            pass
        if out:
            return bytes(out)
    return None


def unbrotli(raw: bytes) -> bytes | None:
    if _brotli is None:
        return None
    try:
        d = _brotli.Decompressor()
        out = bytearray(d.process(raw, output_buffer_limit=MAX_DECODED))
        while not d.is_finished() and not d.can_accept_more_data() and len(out) < MAX_DECODED:
            out += d.process(b"", output_buffer_limit=MAX_DECODED - len(out))
        if not d.is_finished() and len(out) < MAX_DECODED:
            return None  # cut short: tvb_uncompress_brotli gives nothing
        return bytes(out[:MAX_DECODED]) if out else None
    except Exception:  # noqa: BLE001 - brotli.error, and whatever a hostile stream makes the binding raise
        return None


def decode(enc: str, raw: bytes) -> tuple[bytes | None, str]:
    """(decoded bytes or None, note) for one Content-Encoding value."""
    low = enc.strip().lower()
    if low in INFLATE:
        return inflate(raw), ""
    if low == "br":
        if _brotli is None:
            return None, BROTLI_MISSING
        return unbrotli(raw), ""
    return None, ""


def message_body(data: bytes, start: int, length: int, chunked: bool, encoding: str | None) -> Body:
    """The body in data[start:start+length) of a message with these headers."""
    end = min(len(data), start + length)
    if chunked:
        raw, chunks, cend, trailers = dechunk(data, start, end)
        b = Body(raw, chunks, cend, trailers)
    else:
        b = Body(bytes(data[start:end]))
    enc = (encoding or "").strip()
    if enc and enc.lower() != "identity" and b.raw:
        b.encoding = enc
        b.decoded, b.note = decode(enc, b.raw)
    return b
