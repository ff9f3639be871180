"""Writes tests/data/http_encoding.pcap: plain HTTP/1.1 on port 80 whose bodies are content-encoded, and,
with --truth, tshark 4.0's fields for it beside it (FILE.http.tsv, -E occurrence=a) and the frames of a
few filters (FILE.http_filters.json).  The tests never need tshark (nor brotli to read the capture: the
compressed bytes are in it).

    python tests/unit/dissect/make_http_encoding_capture.py [--truth]

The responses (each answering a GET of its own path): br (an HTML page), gzip, deflate (zlib), raw deflate
(no zlib header), x-gzip, x-deflate, BR in capitals, identity, br over a chunked body (with a trailer),
a chunked body with no encoding, gzip cut short (tshark keeps what it held), br cut short and br that is
not brotli (both "Decompression failed": the body goes to "data"), zstd and compress (encodings tshark 4.0
does not decode), "gzip, br" (two encodings: tshark decodes none), a br body over two TCP segments, and a
POST whose gzip request body is decoded as well.  Bodies hold no control characters (tlstui escapes them
as \\xNN where tshark writes \\n: docs/differences.md).
"""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]
from factory import pcap  # noqa: E402
from make_clear_captures import C4, S4, Conn, Timeline, tcp_talk  # noqa: E402

DATA = HERE.parents[1] / "data"
NAME = "http_encoding.pcap"
FIELDS = ["frame.number", "frame.protocols", "tcp.stream", "tcp.len", "http.request.method", "http.request.uri",
          "http.response.code", "http.content_type", "http.content_encoding", "http.content_length",
          "http.transfer_encoding", "http.chunk_size", "http.chunk_data", "http.chunk_boundary",
          "http.chunked_trailer_part", "http.file_data", "data.data", "data.len", "_ws.col.Protocol", "_ws.col.Info"]
FILTERS = ["http", "data", "data-text-lines", "json", 'http.content_encoding == "br"', "http.chunk_size == 10",
           'http.file_data contains "hello"', 'http.file_data contains "brotli body"', "http.chunked_trailer_part",
           "http.file_data", "http.response && !http.file_data", "http.decompression_failed"]

TXT = b'{"hello": "world", "n": [1,2,3]}'
HTML = b"<html><body>" + b"brotli body " * 40 + b"</body></html>"
# brotli.compress(HTML) and brotli.compress(TXT) (quality 11), fixed here so that writing the capture needs no brotli
BR_HTML = bytes.fromhex("1bf901e88d54b5bf061193a3d320696c6f60030e5c0a25c0c5f9065830e2e2384391da27de114634")
BR_TXT = bytes.fromhex("8b0f807b2268656c6c6f223a2022776f726c64222c20226e223a205b312c322c335d7d03")


def _brotli(data: bytes) -> bytes:
    try:
        import brotli
    except ImportError:
        return {HTML: BR_HTML, TXT: BR_TXT}[data]
    out = brotli.compress(data)
    assert data not in (HTML, TXT) or out == {HTML: BR_HTML, TXT: BR_TXT}[data], "brotli's output changed"
    return out


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(wbits=-15)
    return c.compress(data) + c.flush()


def response(enc: bytes | None, body: bytes, ctype: bytes = b"text/plain", chunked: bool = False,
             trailer: bool = False) -> bytes:
    h = b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\n"
    if enc is not None:
        h += b"Content-Encoding: " + enc + b"\r\n"
    if not chunked:
        return h + b"Content-Length: %d\r\n\r\n" % len(body) + body
    a, b = body[:10], body[10:]
    return (h + b"Transfer-Encoding: chunked\r\n" + (b"Trailer: X-Check\r\n" if trailer else b"") + b"\r\n"
            + b"%x\r\n" % len(a) + a + b"\r\n" + b"%x\r\n" % len(b) + b + b"\r\n0\r\n"
            + (b"X-Check: ok\r\n" if trailer else b"") + b"\r\n")


def request(path: bytes) -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\nHost: www.example.com\r\nAccept-Encoding: gzip, deflate, br\r\n\r\n"


def capture() -> bytes:
    tl = Timeline()
    c = Conn(cisn=100, sisn=200, sport=40090, dport=80, client=C4, server=S4, t0_ns=tl.t)
    gz = gzip.compress(TXT, mtime=0)
    cases = [
        (b"/br", b"br", _brotli(HTML), b"text/html", False),
        (b"/gz", b"gzip", gz, b"text/plain", False),
        (b"/df", b"deflate", zlib.compress(TXT), b"text/plain", False),
        (b"/raw", b"deflate", _raw_deflate(TXT), b"text/plain", False),
        (b"/xg", b"x-gzip", gz, b"application/json", False),
        (b"/xd", b"x-deflate", zlib.compress(TXT), b"text/plain", False),
        (b"/BR", b"BR", _brotli(TXT), b"text/plain", False),
        (b"/id", b"identity", TXT, b"text/plain", False),
        (b"/brc", b"br", _brotli(TXT), b"text/plain", "trailer"),
        (b"/chunked", None, TXT, b"text/plain", True),
        (b"/cut", b"gzip", gzip.compress(TXT * 20, mtime=0)[:30], b"text/plain", False),
        (b"/cutbr", b"br", _brotli(HTML)[:12], b"text/html", False),
        (b"/bad", b"br", b"\x1b\x00garbage-not-brotli", b"text/plain", False),
        (b"/zstd", b"zstd", b"\x28\xb5\x2f\xfd\x20\x04junk", b"text/plain", False),
        (b"/lzw", b"compress", b"\x1f\x9d\x90abc", b"text/plain", False),
        (b"/two", b"gzip, br", _brotli(gz), b"text/plain", False),
    ]
    chunks: list[tuple[bool, bytes]] = []
    for path, enc, body, ctype, chunked in cases:
        chunks += [(True, request(path)), (False, response(enc, body, ctype, bool(chunked), chunked == "trailer"))]
    split = response(b"br", _brotli(HTML), b"text/html")
    chunks += [(True, request(b"/split")), (False, split[:90]), (False, split[90:])]
    post_body = gzip.compress(TXT, mtime=0)
    chunks += [(True, b"POST /upload HTTP/1.1\r\nHost: www.example.com\r\nContent-Type: application/json\r\n"
                      b"Content-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(post_body) + post_body),
               (False, b"HTTP/1.1 204 No Content\r\n\r\n")]
    tcp_talk(c, chunks)
    tl.conn(c)
    return pcap(tl.frames)


def truth(p: Path) -> None:
    base = ["tshark", "-2", "-n", "-r", str(p), "-o", "tcp.reassemble_out_of_order:TRUE"]
    out = subprocess.run(base + ["-T", "fields", "-E", "header=y", "-E", "occurrence=a", "-E", "aggregator=,"]
                         + sum((["-e", f] for f in FIELDS), []), capture_output=True, text=True, check=True).stdout
    p.with_name(p.name + ".http.tsv").write_text(out)
    frames = {}
    for flt in FILTERS:
        got = subprocess.run(base + ["-Y", flt, "-T", "fields", "-e", "frame.number"], capture_output=True, text=True,
                             check=True).stdout.split()
        frames[flt] = [int(x) for x in got]
    p.with_name(p.name + ".http_filters.json").write_text(json.dumps(frames, indent=1) + "\n")


def main() -> None:
    p = DATA / NAME
    p.write_bytes(capture())
    if "--truth" in sys.argv:
        truth(p)
    print(p)


if __name__ == "__main__":
    main()
