"""Makes tests/data/h2_tls13.pcap and its .keys: a real TLS 1.3 connection (ALPN h2) carrying
HTTP/2 frames: preface, SETTINGS, WINDOW_UPDATE, HEADERS (HPACK), DATA, PING, RST_STREAM, GOAWAY.

Run from tests/: ``python unit/http2/make_h2_capture.py``; then the truth file with tshark:
``tshark -r data/h2_tls13.pcap -o tls.keylog_file:data/h2_tls13.keys -T fields -E separator=/t
-E occurrence=a -E aggregator=, $(sed 's/^/-e /' unit/http2/h2_fields.txt) > data/h2_tls13.pcap.http2.tsv``
"""
from __future__ import annotations

import ssl
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

import hpack  # noqa: E402
from craft import TcpTalk, write  # noqa: E402
from tlspair import record_connection  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(t: int, flags: int, stream: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([t, flags]) + stream.to_bytes(4, "big") + payload


def settings(*pairs: tuple[int, int], ack: bool = False) -> bytes:
    return frame(4, 1 if ack else 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in pairs))


def build() -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    ce, se = hpack.Encoder(), hpack.Encoder()
    req1 = ce.encode([(":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", "/"),
                      ("user-agent", "tlstui-test/1.0"), ("accept", "*/*")])
    req2 = ce.encode([(":method", "POST"), (":scheme", "https"), (":authority", "localhost"),
                      (":path", "/upload?x=1"), ("content-type", "text/plain")])
    resp1 = se.encode([(":status", "200"), ("content-type", "text/html"), ("server", "h2test")])
    c1 = (PREFACE + settings((3, 100), (4, 65535), (2, 0)) + frame(8, 0, 0, (15663105).to_bytes(4, "big"))
          + frame(1, 0x5 | 0x20, 1, (0).to_bytes(4, "big") + bytes([15]) + req1))
    s1 = (settings((3, 128), (4, 65536), (5, 16777215)) + settings(ack=True)
          + frame(1, 0x4, 1, resp1) + frame(0, 0x1, 1, b"<html>hello</html>"))
    half = len(req2) // 2
    c2 = (settings(ack=True) + frame(6, 0, 0, b"pingpong") + frame(1, 0x0, 3, req2[:half])
          + frame(9, 0x4, 3, req2[half:]) + frame(0, 0x8 | 0x1, 3, bytes([4]) + b"data" + b"\0" * 4))
    s2 = frame(6, 1, 0, b"pingpong") + frame(3, 0, 3, (8).to_bytes(4, "big"))
    c3 = frame(3, 0, 5, (2).to_bytes(4, "big"))
    s3 = frame(7, 0, 0, (3).to_bytes(4, "big") + (11).to_bytes(4, "big") + b"calm down")
    return (c1, c2, c3), (s1, s2, s3)


def main() -> None:
    reqs, resps = build()
    rec = record_connection(version=ssl.TLSVersion.TLSv1_3, alpn=("h2",), requests=reqs, responses=resps,
                            close=False)
    t = TcpTalk()
    t.open()
    t.replay(rec)
    data = HERE.parents[1] / "data"
    write(data / "h2_tls13.pcap", t)
    (data / "h2_tls13.keys").write_text(rec.keylog)


if __name__ == "__main__":
    main()
