"""Writes tests/data/h2c.pcap: HTTP/2 in clear text over TCP, and, with --truth, tshark 4.0's fields for it
beside it (FILE.http2.tsv: the fields of h2_fields.txt and frame.protocols, -E occurrence=a; default
preferences) and the frames of filters over them (FILE.http2_filters.json).  The tests never need tshark.

    python tests/unit/http2/make_h2c_capture.py [--truth]

Five connections, each a client and a server talking HTTP/2 without TLS (frames built from RFC 9113's
layout, headers HPACK-encoded with the ``hpack`` library):
- prior knowledge (RFC 9113 3.3) on port 80: the preface, SETTINGS both ways and their ACKs, a GET and a POST
  with a body, WINDOW_UPDATE, PING and its answer, a response over HEADERS + DATA, RST_STREAM, GOAWAY;
- prior knowledge on port 8000 (no HTTP port): the same bytes;
- the HTTP/1.1 Upgrade (RFC 7540 3.2) on port 80: a GET with ``Upgrade: h2c`` and ``HTTP2-Settings``, the
  server's ``101 Switching Protocols``, then its SETTINGS and the response on stream 1, the client's preface;
- the same Upgrade on port 8000;
- prior knowledge on port 80 with content-encoded DATA (gzip, br, gzip that is not, identity, gzip over two DATA
  frames): tshark decodes http2.data.data.
"""
from __future__ import annotations

import base64
import json
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parents[1]
sys.path[:0] = [str(TESTS), str(TESTS / "unit" / "dissect")]
from factory import pcap  # noqa: E402
from make_clear_captures import C4, S4, Conn, Timeline  # noqa: E402
from tcpfactory import ACK, FIN, PSH  # noqa: E402

DATA = TESTS / "data"
NAME = "h2c.pcap"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
FIELDS = ["frame.number", "frame.protocols", "tcp.srcport"] + [
    f for f in (HERE / "h2_fields.txt").read_text().split() if f != "frame.number"] + [
    "http.request.method", "http.response.code", "http.upgrade"]


FILTERS = ["http", "http2", "http2.magic", "http2.type == 4", "http2.type == 1 && http2.streamid == 3",
           'http2.headers.method == "POST"', "http2.rst_stream.error == 8", "http2.type == 7", "http2.flags.ack.settings == 1",
           'http2.data.data contains "hello"', "http2.settings.max_concurrent_streams == 100", "http.upgrade",
           "http.response.code == 101", "http.http2_settings", "data-text-lines", "tcp.port == 8000 && http2",
           "http2.ping", "http2.pong", "http2.body_decompression_failed", 'http2.data.data contains "world"']


def h2(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


SETTINGS = struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 65535) + struct.pack(">HI", 2, 0)


def prior_knowledge() -> list[tuple[bool, bytes]]:
    import hpack

    enc_c, enc_s = hpack.Encoder(), hpack.Encoder()
    req = enc_c.encode([(":method", "GET"), (":scheme", "http"), (":path", "/index.html"),
                        (":authority", "example.com"), ("user-agent", "h2c-test/1")])
    req2 = enc_c.encode([(":method", "POST"), (":scheme", "http"), (":path", "/form"), (":authority", "example.com"),
                         ("content-type", "text/plain")])
    resp = enc_s.encode([(":status", "200"), ("content-type", "text/html"), ("server", "h2c-test")])
    return [
        (True, PREFACE + h2(4, 0, 0, SETTINGS) + h2(8, 0, 0, struct.pack(">I", 1 << 20))),
        (False, h2(4, 0, 0, SETTINGS) + h2(4, 0x01, 0, b"")),
        (True, h2(4, 0x01, 0, b"") + h2(1, 0x05, 1, req)),
        (False, h2(1, 0x04, 1, resp) + h2(0, 0x01, 1, b"<html>hello</html>")),
        (True, h2(1, 0x04, 3, req2) + h2(0, 0x01, 3, b"a=1&b=2")),
        (False, h2(3, 0, 3, struct.pack(">I", 8))),
        (True, h2(6, 0, 0, b"pingpong")),
        (False, h2(6, 0x01, 0, b"pingpong") + h2(7, 0, 0, struct.pack(">II", 3, 0) + b"bye")),
    ]


def upgrade() -> list[tuple[bool, bytes]]:
    import hpack

    enc_s = hpack.Encoder()
    resp = enc_s.encode([(":status", "200"), ("content-type", "text/plain"), ("server", "h2c-test")])
    settings64 = base64.urlsafe_b64encode(SETTINGS).rstrip(b"=")
    return [
        (True, b"GET /up HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
               b"HTTP2-Settings: " + settings64 + b"\r\nUser-Agent: h2c-test/1\r\n\r\n"),
        (False, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
                + h2(4, 0, 0, SETTINGS)),
        (True, PREFACE + h2(4, 0, 0, SETTINGS)),
        (False, h2(4, 0x01, 0, b"") + h2(1, 0x04, 1, resp) + h2(0, 0x01, 1, b"upgraded")),
        (True, h2(4, 0x01, 0, b"") + h2(7, 0, 0, struct.pack(">II", 0, 0))),
    ]


def encoded() -> list[tuple[bool, bytes]]:
    """Prior knowledge on port 80 with content-encoded DATA (tshark decodes http2.data.data): gzip and br in one
    DATA frame, gzip that is not gzip, identity, and gzip over two DATA frames."""
    import gzip

    import hpack

    sys.path.insert(0, str(TESTS / "unit" / "dissect"))
    from make_http_encoding_capture import BR_TXT, TXT

    enc_c, enc_s = hpack.Encoder(), hpack.Encoder()
    gz = gzip.compress(TXT, mtime=0)
    bodies = [("gzip", gz), ("br", BR_TXT), ("gzip", b"\x1f\x8bnot really gzip"), ("identity", TXT), ("gzip", gz)]
    out = [(True, PREFACE + h2(4, 0, 0, b"")), (False, h2(4, 0, 0, b"") + h2(4, 0x01, 0, b""))]
    for i, (enc, body) in enumerate(bodies):
        sid = 2 * i + 1
        req = enc_c.encode([(":method", "GET"), (":scheme", "http"), (":path", f"/{i}"), (":authority", "example.com")])
        resp = enc_s.encode([(":status", "200"), ("content-type", "text/plain"), ("content-encoding", enc)])
        out.append((True, h2(1, 0x05, sid, req)))
        if i == 4:  # two DATA frames: the body only whole in the second
            out.append((False, h2(1, 0x04, sid, resp) + h2(0, 0, sid, body[:20])))
            out.append((False, h2(0, 0x01, sid, body[20:])))
        else:
            out.append((False, h2(1, 0x04, sid, resp) + h2(0, 0x01, sid, body)))
    return out


def talk(c: Conn, chunks: list[tuple[bool, bytes]]) -> None:
    """Handshake, each chunk a segment of its own (acknowledged by the next one the peer sends), FINs."""
    c.handshake()
    nxt = [1, 1]
    for from_client, data in chunks:
        i = 0 if from_client else 1
        c.send(from_client, nxt[i], nxt[1 - i], PSH | ACK, data)
        nxt[i] += len(data)
    c.send(True, nxt[0], nxt[1], FIN | ACK)
    c.send(False, nxt[1], nxt[0] + 1, FIN | ACK)
    c.send(True, nxt[0] + 1, nxt[1] + 1, ACK)


def capture() -> bytes:
    tl = Timeline()
    for i, (port, chunks) in enumerate([(80, prior_knowledge()), (8000, prior_knowledge()), (80, upgrade()),
                                        (8000, upgrade()), (80, encoded())]):
        c = Conn(cisn=1000 * (i + 1), sisn=80000 * (i + 1), sport=40100 + i, dport=port, client=C4, server=S4, t0_ns=tl.t)
        talk(c, chunks)
        tl.conn(c)
    return pcap(tl.frames)


def truth(p: Path) -> None:
    out = subprocess.run(["tshark", "-2", "-n", "-r", str(p), "-o", "tcp.reassemble_out_of_order:TRUE", "-T", "fields",
                          "-E", "header=y", "-E", "occurrence=a", "-E", "aggregator=,"]
                         + sum((["-e", f] for f in FIELDS), []), capture_output=True, text=True, check=True).stdout
    p.with_name(p.name + ".http2.tsv").write_text(out)
    frames = {}
    for flt in FILTERS:
        got = subprocess.run(["tshark", "-2", "-n", "-r", str(p), "-o", "tcp.reassemble_out_of_order:TRUE", "-Y", flt,
                              "-T", "fields", "-e", "frame.number"], capture_output=True, text=True, check=True).stdout
        frames[flt] = [int(x) for x in got.split()]
    p.with_name(p.name + ".http2_filters.json").write_text(json.dumps(frames, indent=1) + "\n")


def main() -> None:
    p = DATA / NAME
    p.write_bytes(capture())
    if "--truth" in sys.argv:
        truth(p)
    print(p)


if __name__ == "__main__":
    main()
