"""HTTP/1.x framing over decrypted data, as tshark: messages complete where their last byte is."""
from __future__ import annotations

from hypothesis import given, strategies as st

from tlstui.http import H2_PREFACE, HttpTracker, message_fields, message_info

C = ("tcp", 0)


def feed_all(chunks):
    t = HttpTracker()
    for frame, d, data in chunks:
        t.feed(C, d, frame, data, f"Decrypted TLS ({len(data)} bytes)")
    return t


def test_request_and_response_in_one_record_each():
    t = feed_all([(10, 0, b"GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n"),
                  (11, 1, b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc")])
    (req,), (resp,) = t.messages(10), t.messages(11)
    f, extra = message_fields(req)
    assert extra == {}
    vals = {x.name: x.value for x in f.walk() if x.name}
    assert vals["http.request.method"] == "GET" and vals["http.request.uri"] == "/index.html"
    assert vals["http.request.version"] == "HTTP/1.1" and vals["http.request"] == 1
    assert vals["http.host"] == "h"
    f, _ = message_fields(resp)
    vals = {x.name: x.value for x in f.walk() if x.name}
    assert vals["http.response.code"] == 200 and vals["http.response.phrase"] == "OK"
    assert vals["http.content_length"] == 3 and vals["http.file_data"] == "abc"
    m = next(x for x in f.walk() if x.name == "http.response.code")
    assert (m.offset, m.length, m.source) == (9, 3, "Decrypted TLS (67 bytes)")
    assert message_info(req) == "GET /index.html HTTP/1.1 "
    assert message_info(resp) == "HTTP/1.1 200 OK  (text/plain)"


def test_body_across_records_completes_in_the_last_frame():
    body = b"x" * 20000
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 20000\r\n\r\n"
    t = feed_all([(1, 0, b"GET / HTTP/1.1\r\n\r\n"), (13, 1, head + body[:16000]), (15, 1, body[16000:])])
    assert t.messages(13) == [] and 13 in t.segment_frames
    (m,) = t.messages(15)
    assert m.first_frame == 13
    f, extra = message_fields(m)
    (name,) = extra
    assert name == f"Reassembled TLS ({len(head) + 20000} bytes)"


def test_headers_split_and_pipelined_requests():
    t = feed_all([(10, 0, b"GET /1 HT"), (10, 0, b"TP/1.1\r\nHost: a\r\n"), (10, 0, b"\r\nGET /2 HTTP/1.1\r\n\r\n")])
    assert [m.start[1] for m in t.messages(10)] == ["/1", "/2"]


def test_chunked_and_no_length_and_head():
    t = feed_all([(1, 0, b"HEAD / HTTP/1.1\r\n\r\n"), (2, 1, b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n"),
                  (3, 0, b"GET /c HTTP/1.1\r\n\r\n"),
                  (4, 1, b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"),
                  (5, 1, b"lo\r\n0\r\n\r\n"),
                  (6, 0, b"GET /n HTTP/1.0\r\n\r\n"), (7, 1, b"HTTP/1.0 200 ok\r\n\r\n<pre>until close")])
    assert len(t.messages(2)) == 1 and t.messages(2)[0].body_len == 0  # answer to HEAD
    assert t.messages(4) == [] and t.messages(5)[0].chunked
    assert t.messages(7) == []  # read-until-close never completes (as tshark over TLS)


def test_http2_preface_and_not_http():
    t = feed_all([(1, 0, H2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"), (2, 1, b"\x00\x01binary")])
    m, settings = t.messages(1)  # the preface, then the SETTINGS frame after it (tests/unit/http2)
    f, _ = message_fields(m)
    assert f.name == "http2" and f.children[0].name == "http2.magic"
    assert settings.kind == "h2_frame" and message_info(settings) == "SETTINGS[0]"
    assert t.messages(2) == []  # the server's side is read as HTTP/2 too: 8 bytes are no whole frame


@given(st.lists(st.binary(max_size=60), max_size=8))
def test_never_raises(chunks):
    t = feed_all([(i + 1, i % 2, c) for i, c in enumerate(chunks)])
    for ms in t.by_frame.values():
        for m in ms:
            message_fields(m)
            message_info(m)
