"""HTTP/1.x bodies de-chunked and content-decoded as tshark 4.0 does (http/body.py): gzip, deflate (with
and without the zlib header), x-gzip, x-deflate and br (the ``brotli`` module), every cell of tshark's
fields on tests/data/http_encoding.pcap (made by make_http_encoding_capture.py, truth beside it), the
frames of filters over them, the decoded bytes in a data source of their own, and a clear note instead
of an error when the brotli module is missing."""
from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest

import tlstui.session  # noqa: F401  (registers every dissector's fields)
from tlstui.cli import main
from tlstui.http import body as bodymod
from tlstui.registry import REGISTRY
from tlstui.session import Session

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURE = DATA / "http_encoding.pcap"
HTML = b"<html><body>" + b"brotli body " * 40 + b"</body></html>"
# The "data" filter reads the lower layers only, where tlstui puts no "data" under a TCP payload (as
# clear_http.pcap's, test_clear_protocols.py): the undecodable bodies' data layer is in the tree and frame.protocols.
KNOWN_FILTERS = {"data"}


def _run(capsys, args: list[str]) -> str:
    capsys.readouterr()
    assert main(args) == 0
    return capsys.readouterr().out


def test_every_cell_matches_tshark(capsys):
    lines = Path(str(CAPTURE) + ".http.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    assert not [f for f in header if f not in REGISTRY]
    got = [ln.split("\t") for ln in _run(capsys, ["fields", "-r", str(CAPTURE), "-2"]
                                         + [x for f in header for x in ("-e", f)]).splitlines()]
    assert len(got) == len(lines) - 1
    bad, cells = [], 0
    for truth_line, mine in zip(lines[1:], got):
        truth = truth_line.split("\t") + [""] * len(header)
        mine = mine + [""] * len(header)
        for i, name in enumerate(header):
            cells += 1
            # tlstui writes a control character as \xNN where tshark writes \r, \n (docs/differences.md)
            if truth[i] != mine[i].replace("\\x0d\\x0a", "\\r\\n"):
                bad.append(f"frame {truth[0]} {name}: tshark {truth[i]!r} tlstui {mine[i]!r}")
    assert cells > 1000
    assert not bad, f"{len(bad)} cells differ:\n" + "\n".join(bad[:30])


def test_filters_match_tshark(capsys):
    truth = json.loads(Path(str(CAPTURE) + ".http_filters.json").read_text())
    bad = []
    for flt, frames in truth.items():
        if flt in KNOWN_FILTERS:
            continue
        got = [int(x) for x in _run(capsys, ["fields", "-r", str(CAPTURE), "-2", "-Y", flt, "-e", "frame.number"]).split()]
        if got != frames:
            bad.append(f"{flt!r}: tshark {frames} tlstui {got}")
    assert not bad, "\n".join(bad)
    assert truth["data"] and truth["http.decompression_failed"]  # the capture holds failures too


def _find(tree, name: str):
    got = tree.fields(name)
    return got[0] if got else None


def _session() -> Session:
    s = Session.open(str(CAPTURE))
    s.analyze()
    return s


def test_decoded_body_is_a_data_source_the_tree_points_into():
    """File Data lies in 'Uncompressed entity body' (as tshark's data source), every field's bytes exist in
    its source, and the content-encoded entity says how many bytes it became."""
    s = _session()
    t = s.tree(6)  # br, text/html
    fd = _find(t, "http.file_data")
    assert fd.source == bodymod.UNCOMPRESSED and t.sources[fd.source] == HTML
    assert (fd.offset, fd.length) == (0, len(HTML))
    labels = [f.label for top in t.layers for f in top.walk()]
    assert any(lb.startswith("Content-encoded entity body (br): ") and lb.endswith(f"-> {len(HTML)} bytes")
               for lb in labels)
    media = [top for top in t.layers if top.name == "data-text-lines"][0]
    assert media.source == bodymod.UNCOMPRESSED and media.length == len(HTML)
    for n in range(1, len(s) + 1):
        tree = s.tree(n)
        for top in tree.layers:
            for f in top.walk():
                assert f.offset + f.length <= len(tree.sources[f.source]), (n, f.name)


def test_chunked_body_tree_as_tshark():
    t = _session().tree(38)  # br in two chunks, with a trailer
    sizes = [f.value for f in t.fields("http.chunk_size")]
    assert sizes == [10, 26, 0]  # as tshark (the cell test)
    assert [f.value for f in t.fields("http.chunk_boundary")] == [b"\r\n", b"\r\n"]
    assert _find(t, "http.chunked_trailer_part").value == "X-Check: ok\r\n"
    assert _find(t, "http.file_data").source == bodymod.UNCOMPRESSED
    assert bodymod.DECHUNKED in t.sources


def test_failed_decompression_goes_to_data():
    t = _session().tree(54)  # br that is not brotli
    assert _find(t, "http.file_data") is None
    assert _find(t, "http.decompression_failed") is not None
    assert [f.value for f in t.fields("_ws.expert.message")] == ["Decompression failed"]
    data = [top for top in t.layers if top.name == "data"][0]
    assert data.find("data.data").value == b"\x1b\x00garbage-not-brotli"
    assert t.info == "HTTP/1.1 200 OK "


def test_missing_brotli_module_gives_a_note_not_an_error(monkeypatch, capsys):
    monkeypatch.setattr(bodymod, "_brotli", None)
    s = _session()
    t = s.tree(6)
    labels = [f.label for top in t.layers for f in top.walk()]
    assert any("brotli" in lb and "not installed" in lb for lb in labels), labels
    assert _find(t, "http.file_data") is None and _find(t, "http.decompression_failed") is not None
    assert "data" in _find(t, "frame.protocols").value.split(":")
    assert _find(s.tree(10), "http.file_data").value == '{"hello": "world", "n": [1,2,3]}'  # gzip unaffected
    out = _run(capsys, ["fields", "-r", str(CAPTURE), "-Y", 'http.content_encoding == "br"', "-e", "frame.number",
                        "-e", "http.file_data"])
    assert out.splitlines()[0] == "6\t"


@pytest.mark.parametrize("raw, want", [
    (gzip.compress(b"abc" * 100, mtime=0), b"abc" * 100),
    (zlib.compress(b"xyz" * 10), b"xyz" * 10),
    (gzip.compress(b"one", mtime=0) + gzip.compress(b"two", mtime=0), b"onetwo"),  # gzip members in a row
    (gzip.compress(bytes(range(256)) * 40, mtime=0)[:200], None),  # cut: what it held (checked below)
    (b"\x00\x01\x02not deflate at all", None),
    (b"", None),
])
def test_inflate_as_tvb_uncompress(raw, want):
    got = bodymod.inflate(raw)
    if want is not None:
        assert got == want
    elif raw[:2] == b"\x1f\x8b":
        assert got and (bytes(range(256)) * 40).startswith(got)
    else:
        assert got is None or isinstance(got, bytes)


def test_decompression_bomb_is_capped(monkeypatch):
    monkeypatch.setattr(bodymod, "MAX_DECODED", 1 << 16)
    bomb = zlib.compress(bytes(1 << 22), 9)
    assert len(bodymod.inflate(bomb)) == 1 << 16
    brotli = pytest.importorskip("brotli")
    assert len(bodymod.unbrotli(brotli.compress(bytes(1 << 22)))) == 1 << 16


@pytest.mark.parametrize("name, frame, protocols", [
    # tshark 4.0.17 with the key log (-o tls.keylog_file:NAME.keys -e frame.protocols)
    ("s01_tls12_http_close_notify", 11, "eth:ethertype:ip:tcp:tls:http:data-text-lines"),
    ("s01_tls12_http_close_notify", 15, "eth:ethertype:ip:tcp:tls:http:data"),  # application/octet-stream
    ("h2_tls13", 14, "eth:ethertype:ip:tcp:tls:http2:data-text-lines"),  # the DATA ending a text/html stream
])
def test_media_layers_inside_decrypted_tls(name, frame, protocols, capsys):
    """HTTP inside TLS gets its body's media layer as plain HTTP does (http.fields.message_layers)."""
    pcap = DATA / f"{name}.pcap"
    out = _run(capsys, ["fields", "-r", str(pcap), "--keylog", str(DATA / f"{name}.keys"), "-Y",
                        f"frame.number == {frame}", "-e", "frame.protocols"])
    assert out.strip() == protocols


def _hostile_message(kind: int, body: bytes, enc: str, chunked: bool):
    from tlstui.http.parser import HttpMessage

    if chunked:
        body = b"%x\r\n" % len(body[:7]) + body[:7] + b"\r\n" + body[7:] + b"\r\n0\r\n" + body[-5:] + b"\r\n"
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: " + enc.encode() + b"\r\n"
            + (b"Transfer-Encoding: chunked\r\n" if chunked else b"") + b"\r\n")
    data = head + body
    return HttpMessage(1, "response", ("HTTP/1.1", "200", "OK"),
                       [("Content-Type", "text/plain"), ("Content-Encoding", enc)]
                       + ([("Transfer-Encoding", "chunked")] if chunked else []),
                       len(head), len(body), (("frame", data, 0, len(data)),), chunked)


@pytest.mark.parametrize("seed", range(6))
def test_hostile_bodies_never_raise(seed):
    """Damaged gzip/deflate/br streams and chunk framings: fields, media layer and Info are built, every field
    inside its source."""
    import random

    from tlstui.http.fields import media_layer, message_fields, message_info

    rng = random.Random(seed)
    good = [gzip.compress(HTML, mtime=0), zlib.compress(HTML), bytes.fromhex(
        "1bf901e88d54b5bf061193a3d320696c6f60030e5c0a25c0c5f9065830e2e2384391da27de114634")]
    for _ in range(150):
        body = bytearray(rng.choice(good))
        for _k in range(rng.randint(0, 6)):
            i = rng.randrange(len(body))
            body[i] = rng.randrange(256) if rng.random() < 0.7 else 0
        if rng.random() < 0.3:
            del body[rng.randrange(len(body)):]
        m = _hostile_message(0, bytes(body), rng.choice(["gzip", "deflate", "br", "x-gzip", "BR", "zstd"]),
                             rng.random() < 0.4)
        top, extra = message_fields(m, scheme="http")
        sources = {"frame": m.data(), **extra}
        for f in top.walk():
            assert isinstance(f.label, str)
            assert f.offset + f.length <= len(sources[f.source]), f.name
        media = media_layer(m, "frame", 0, m.header_len + m.body_len)
        assert media is None or media.offset + media.length <= len(sources[media.source])
        assert message_info(m).startswith("HTTP/1.1 200 OK")
