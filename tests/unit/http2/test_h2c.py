"""h2c: HTTP/2 in clear text over TCP as tshark 4.0 shows it with its default preferences, on
tests/data/h2c.pcap (made by make_h2c_capture.py; tshark's fields and filters beside it).

What tshark 4.0 decodes on its own, and tlstui with it:
- prior knowledge (the "PRI * HTTP/2.0" preface) on port 80: HTTP's port, whose dissector hands the stream to
  HTTP/2 (frame.protocols ...:tcp:http:http2, with no http field: the `http` filter does not match);
- prior knowledge on another port (8000): nothing (tshark's HTTP/2 heuristic is off by default; the bytes are
  "data");
- the HTTP/1.1 Upgrade (Upgrade: h2c, then 101 Switching Protocols) on port 80 and on 8000 (HTTP found by its
  request line): HTTP/2 from the byte after the 101 response on the server's side, from the preface on the
  client's; the request's HTTP2-Settings header decoded into http2.settings.*;
- a stream whose headers name a Content-Encoding: its DATA (reassembled over the stream's DATA frames) decoded,
  http2.data.data being the decoded body (gzip, br), the body as it came when it does not decode."""
from __future__ import annotations

import json
from collections import deque
from pathlib import Path

from tlstui.cli import main
from tlstui.http.parser import HttpDirection
from tlstui.registry import REGISTRY
from tlstui.session import Session

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURE = DATA / "h2c.pcap"
# tshark adds a "data" layer under a TCP payload nothing dissects (docs/differences.md: Undissected TCP
# payload): the prior-knowledge connection on port 8000, which neither tshark nor tlstui decodes.
KNOWN = {(n, "frame.protocols") for n in range(18, 26)}
KNOWN_FILTERS: set[str] = set()


def _run(capsys, args: list[str]) -> str:
    capsys.readouterr()
    assert main(args) == 0
    return capsys.readouterr().out


def _truth() -> tuple[list[str], list[list[str]]]:
    lines = Path(str(CAPTURE) + ".http2.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    return header, [ln.split("\t") + [""] * len(header) for ln in lines[1:]]


def test_every_cell_matches_tshark(capsys):
    header, rows = _truth()
    assert not [f for f in header if f not in REGISTRY]
    got = [ln.split("\t") + [""] * len(header) for ln in _run(
        capsys, ["fields", "-r", str(CAPTURE), "-2"] + [x for f in header for x in ("-e", f)]).splitlines()]
    assert len(got) == len(rows)
    bad, cells = [], 0
    for truth, mine in zip(rows, got):
        n = int(truth[0])
        for i, name in enumerate(header):
            cells += 1
            if (n, name) not in KNOWN and truth[i] != mine[i]:
                bad.append(f"frame {n} {name}: tshark {truth[i]!r} tlstui {mine[i]!r}")
    assert cells > 2000
    assert not bad, f"{len(bad)} of {cells} cells differ:\n" + "\n".join(bad[:30])


def test_the_capture_holds_each_case():
    header, rows = _truth()
    col = {name: i for i, name in enumerate(header)}
    proto = {int(r[0]): r[col["_ws.col.Protocol"]] for r in rows}
    port = {int(r[0]): r[col["tcp.srcport"]] for r in rows}
    h2 = [n for n, p in proto.items() if p == "HTTP2"]
    assert {port[n] for n in h2} >= {"80", "8000", "40100", "40102", "40103"}  # both prior-knowledge on 80 and upgrades
    assert "40101" not in {port[n] for n in h2}  # prior knowledge on 8000: not decoded
    assert "HTTP/1.1 101 Switching Protocols , SETTINGS[0]" in {r[col["_ws.col.Info"]] for r in rows}


def test_filters_match_tshark(capsys):
    truth = json.loads(Path(str(CAPTURE) + ".http2_filters.json").read_text())
    bad = []
    for flt, frames in truth.items():
        if flt in KNOWN_FILTERS:
            continue
        got = [int(x) for x in _run(capsys, ["fields", "-r", str(CAPTURE), "-2", "-Y", flt, "-e", "frame.number"]).split()]
        if got != frames:
            bad.append(f"{flt!r}: tshark {frames} tlstui {got}")
    assert not bad, "\n".join(bad)
    assert truth["http2"] and truth["http"] and not set(truth["http"]) >= set(truth["http2"])


def test_tree_ranges_and_decoded_settings():
    s = Session.open(str(CAPTURE))
    s.analyze()
    t = s.tree(4)  # the preface, SETTINGS, WINDOW_UPDATE
    tops = [f for f in t.layers if f.name == "http2"]
    assert len(tops) == 3 and t.fields("http2.magic")[0].length == 24
    frame = t.sources["frame"]
    for top in tops:
        assert top.source == "frame" and top.offset + top.length <= len(frame)
    assert frame[tops[1].offset:tops[1].offset + 3] == (18).to_bytes(3, "big")  # SETTINGS' length field
    up = s.tree(32)  # the Upgrade request: HTTP2-Settings base64url-decoded
    ids = [f.value for f in up.fields("http2.settings.id")]
    assert ids == [3, 4, 2]
    src = up.fields("http2.settings.id")[0].source
    assert up.sources[src][:2] == b"\x00\x03"
    assert "http2" not in up.fields("frame.protocols")[0].value  # tshark names no http2 for it
    s.close()


def test_101_upgrade_switches_the_server_side_to_frames():
    q_c, q_s = deque(), deque()
    client = HttpDirection(peer_requests=q_s, own_requests=q_c)
    server = HttpDirection(peer_requests=q_c, own_requests=q_s)
    client.feed(1, b"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABk\r\n\r\n", "f1")
    settings = b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x03\x00\x00\x00\x64"
    msgs = server.feed(2, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + settings, "f2")
    assert [m.kind for m in msgs] == ["response", "h2_frame"] and msgs[1].h2.type == 4
    ws = HttpDirection(peer_requests=deque(["GET"]))  # a websocket upgrade stays HTTP/1.x to this reader
    ws.feed(1, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n", "f")
    assert ws.s.mode == "http"


def test_encoded_data_is_decoded_in_a_source_of_its_own():
    from tlstui.http.body import UNCOMPRESSED

    s = Session.open(str(CAPTURE))
    s.analyze()
    txt = b'{"hello": "world", "n": [1,2,3]}'
    for n in (57, 59, 66):  # gzip, br, gzip over two DATA frames (whole in the second)
        t = s.tree(n)
        d = t.fields("http2.data.data")[-1]
        assert d.value == txt and d.source == UNCOMPRESSED and t.sources[UNCOMPRESSED] == txt, n
    assert s.tree(65).fields("http2.data.data")[-1].value == s.tree(65).sources["frame"][-20:]  # the first part, raw
    bad = s.tree(61)
    assert bad.fields("http2.body_decompression_failed") and bad.fields("http2.data.data")[0].value.startswith(b"\x1f\x8b")
    s.close()
