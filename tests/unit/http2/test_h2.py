"""HTTP/2 over decrypted TLS (ALPN h2) as tshark 4.0 shows it: frames, HPACK headers, Info.

h2_tls13.pcap (made by make_h2_capture.py: real TLS 1.3 bytes) with its key log; the truth
beside it is tshark 4.0's -T fields output for the fields of h2_fields.txt."""
from __future__ import annotations

from pathlib import Path

import hpack
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from tlstui.http import HttpTracker, message_fields, message_info
from tlstui.http.h2 import H2Direction
from tlstui.http.h2fields import frame_fields, frame_info

HERE = Path(__file__).resolve().parent
DATA = HERE.parents[1] / "data"
CAP, KEYS = DATA / "h2_tls13.pcap", DATA / "h2_tls13.keys"
FIELDS = (HERE / "h2_fields.txt").read_text().split()
# tshark decodes the headers a HEADERS frame without END_HEADERS holds on their own; hpack decodes
# the whole block once the CONTINUATION ends it, so the count lands on the CONTINUATION.
KNOWN = {(16, "http2.header.count")}


def frame(t: int, flags: int, stream: int, payload: bytes) -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([t, flags]) + stream.to_bytes(4, "big") + payload


def _truth() -> tuple[list[str], dict[int, list[str]]]:
    lines = (DATA / "h2_tls13.pcap.http2.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    assert header == FIELDS
    rows = {}
    for line in lines[1:]:
        cells = line.split("\t")
        rows[int(cells[0])] = cells + [""] * (len(header) - len(cells))
    return header, rows


def test_fields_match_tshark(capsys):
    from tlstui.cli import cmd_fields

    header, truth = _truth()
    args = ["-r", str(CAP), "--keylog", str(KEYS)]
    for f in FIELDS:
        args += ["-e", f]
    assert cmd_fields(args) == 0
    ours = {}
    for line in capsys.readouterr().out.splitlines():
        cells = line.split("\t")
        ours[int(cells[0])] = cells + [""] * (len(header) - len(cells))
    assert sorted(ours) == sorted(truth)
    h2_frames = [n for n, row in truth.items() if row[1] == "HTTP2"]
    assert h2_frames == [12, 14, 16, 18, 20, 22]
    diffs = []
    for n, row in truth.items():
        for i, name in enumerate(header):
            if name.startswith("_ws.col.") and n not in h2_frames:
                continue  # the TLS/TCP columns are other tests' business
            if (n, name) not in KNOWN and row[i] != ours[n][i]:
                diffs.append((n, name, row[i], ours[n][i]))
    assert diffs == []


def test_goaway_and_rst_stream_are_filterable():
    from tlstui.filter import compile_filter
    from tlstui.session import Session

    s = Session.open(str(CAP), str(KEYS))
    s.analyze()

    def match(text):
        flt = compile_filter(text)
        return [n for n in range(1, len(s) + 1) if flt.matches(s.view(n))]

    assert match("http2.type == 7") == [22]
    assert match("http2.goaway.error == 11") == [22]
    assert match("http2.rst_stream.error == 8") == [18]
    assert match("http2.type == 3") == [18, 20]
    assert match('http2.headers.method == "POST"') == [16]
    assert match("http2") == [12, 14, 16, 18, 20, 22]
    t = s.tree(22)
    assert t.protocol == "HTTP2" and t.info == "GOAWAY[0]"
    (err,) = t.fields("http2.goaway.error")
    assert err.label == "Error: ENHANCE_YOUR_CALM (11)"
    assert t.field_bytes(err) == (11).to_bytes(4, "big")
    assert any(name.startswith("Decrypted TLS (") for name in t.sources)


def test_hpack_state_is_per_direction_and_in_order():
    enc = hpack.Encoder()
    b1 = enc.encode([(":method", "GET"), (":path", "/a"), ("x-custom", "one")])
    b2 = enc.encode([(":method", "GET"), (":path", "/a"), ("x-custom", "one")])  # dynamic-table references
    tr = HttpTracker()
    c = ("tcp", 7)
    pre = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
    tr.feed(c, 0, 5, pre + frame(4, 0, 0, b""), "A")
    tr.feed(c, 1, 6, frame(4, 0, 0, b""), "B")  # the server's side: frames without a preface
    (m1,) = tr.feed(c, 0, 7, frame(1, 5, 1, b1), "C")
    whole = frame(1, 5, 3, b2)
    assert tr.feed(c, 0, 8, whole[:5], "D") == []  # a frame across records completes in the last
    (m2,) = tr.feed(c, 0, 9, whole[5:], "E")
    assert m1.h2.headers == m2.h2.headers == [(":method", "GET"), (":path", "/a"), ("x-custom", "one")]
    assert len(b2) < len(b1)
    assert message_info(m2) == "HEADERS[3]: GET /a"
    assert m2.first_frame == 8 and [p[0] for p in m2.parts] == ["D", "E"]
    f, extra = message_fields(m2)
    assert f.name == "http2" and len(extra) == 1  # reassembled across two records
    names = [x.name for x in f.walk()]
    assert names.count("http2.header") == 3 and "http2.headers.path" in names


def test_bad_hpack_block_leaves_the_frame_without_headers():
    d = H2Direction()
    (fr,) = d.feed(frame(1, 4, 1, b"\xff\xff\xff\xff\xff"))
    assert fr.headers is None and fr.header_error
    assert frame_info(fr) == "HEADERS[1]"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 255), st.integers(0, 2 ** 32 - 1),
                          st.binary(max_size=40)), max_size=8), st.integers(1, 40))
def test_fuzz_frames_never_raise(frames, cut):
    raw = b"".join(frame(t, fl, sid & 0xFFFFFFFF, p) for t, fl, sid, p in frames)
    d = H2Direction()
    out = []
    for i in range(0, len(raw), cut):
        out += d.feed(raw[i:i + cut])
    assert len(out) == len(frames)
    for fr in out:
        frame_info(fr)
        st_ = frame_fields(fr, "S", 0)
        for x in st_.walk():
            assert 0 <= x.offset and x.offset + x.length <= len(fr.data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_hostile_bytes_after_the_preface(tail):
    tr = HttpTracker()
    for m in tr.feed(("tcp", 0), 0, 1, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + tail, "X"):
        message_info(m)
        message_fields(m)


@pytest.mark.parametrize("ftype", [0, 1, 3, 4, 5, 6, 7, 8, 9])
def test_truncated_payloads_of_every_type(ftype):
    for n in range(0, 12):
        (fr,) = H2Direction().feed(frame(ftype, 0xff, 1, b"\x05" * n))
        frame_fields(fr, "S", 0)
        frame_info(fr)
