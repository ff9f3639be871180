"""A column build decodes a frame's TLS for one field only (``bodies_holding``): the handshake
bodies that cannot hold the field are stepped over, and frames whose records have none of the
messages that can hold it are not asked.  The columns equal those of whole decodes."""
from __future__ import annotations

from pathlib import Path

import pytest

from tlstui.columns.build import build
from tlstui.session import FrameView, Session
from tlstui.tls import handshake as hs
from tlstui.tls.handshake import Ctx
from tlstui.tls.records import decode_tls

DATA = Path(__file__).resolve().parents[2] / "data"
NARROWED = ["tls.handshake.type", "tls.handshake.length", "tls.handshake", "tls.record.content_type",
            "tls.record.length", "tls.handshake.extensions_server_name", "tls.handshake.extensions_server_name_len",
            "x509sat.uTF8String", "x509sat.printableString", "x509af.serialNumber", "x509ce.dNSName", "x509if.oid",
            "tls.handshake.certificate_length", "pkcs1.modulus"]


def _column(s: Session, name: str):
    c = build(s, name)  # not the session's cache: each call decodes again
    return c.frames.tolist(), [repr(v) for v in c.values]


@pytest.mark.parametrize("capture", ["s01_tls12_http_close_notify.pcap", "s03_mtls12_ok.pcap", "x509_names.pcap",
                                     "s13e_many_short_connections.pcap", "rb_tls_gaps.pcap", "rb_tls13_drafts.pcap"])
def test_one_field_columns_equal_whole_decodes(capture, monkeypatch):
    s = Session.open(str(DATA / capture))
    s.analyze()
    narrowed = {name: _column(s, name) for name in NARROWED}
    whole_fields = FrameView.fields
    monkeypatch.setattr(FrameView, "fields", lambda self, name, alone=False: whole_fields(self, name))
    monkeypatch.setattr(hs, "bodies_holding", lambda name: None)
    for name in NARROWED:
        assert narrowed[name] == _column(s, name), name


def test_fewer_frames_are_asked_for_a_client_hello_field():
    s = Session.open(str(DATA / "s01_tls12_http_close_notify.pcap"))
    s.analyze()
    sni = s.tls.frames_for("tls.handshake.extensions_server_name").tolist()
    handshakes = s.tls.frames_for("tls.handshake.ciphersuites").tolist()
    assert sni and set(sni) < set(handshakes)


def _record(*messages: bytes) -> bytes:
    body = b"".join(messages)
    return bytes([22, 3, 3]) + len(body).to_bytes(2, "big") + body


# A ServerHelloDone (14, empty), then a Finished-sized opaque message of an unknown layout (20).
_DONE = bytes([14, 0, 0, 0])
_FIN = bytes([20, 0, 0, 12]) + bytes(12)


def test_bodies_stepped_over_keep_the_message_headers():
    rec = _record(_FIN, _DONE)
    whole, _ = decode_tls(rec, len(rec), 0, "frame", Ctx(version=0x0303), False)
    headers, dec = decode_tls(rec, len(rec), 0, "frame", Ctx(version=0x0303), False, bodies=frozenset())
    types = lambda top: [f.value for f in top.walk() if f.name == "tls.handshake.type"]  # noqa: E731
    assert types(headers) == types(whole) == [20, 14]
    assert [f.name for f in headers.walk() if f.name.startswith("tls.handshake.verify")] == []
    assert [f.name for f in whole.walk() if f.name.startswith("tls.handshake.verify")] != []
    assert dec.hs_types == [20, 14]


def test_a_record_cut_short_is_decoded_whole():
    rec = _record(_FIN, _DONE)
    cut = rec[:12]  # inside the Finished body
    whole, d1 = decode_tls(cut, len(rec), 0, "frame", Ctx(version=0x0303), False)
    narrowed, d2 = decode_tls(cut, len(rec), 0, "frame", Ctx(version=0x0303), False, bodies=frozenset())
    names = lambda top: [(f.name, f.value) for f in top.walk()]  # noqa: E731
    assert names(narrowed) == names(whole) and d1.cut and d2.cut
