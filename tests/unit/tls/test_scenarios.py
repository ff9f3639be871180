"""Specific decodes on real captures, synthetic streams, and 'never raises'."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from feeder import analyze
from tlstui.tls import TlsAnalyzer

DATA = Path(__file__).resolve().parents[2] / "data"


def _need(name: str) -> Path:
    p = DATA / name
    if not p.exists():
        pytest.skip(f"{name} missing")
    return p


def test_sslv2_client_hello_cipher_specs():
    an, frames = analyze(_need("s11_sslv2_compat_clienthello.pcap"))
    layers, _ = an.frame_layers(4, frames[3])
    specs = [f for top in layers for f in top.walk() if f.name == "tls.handshake.cipherspec"]
    assert len(specs) == 33
    assert all(f.length == 3 for f in specs)
    s = an.streams()[("tcp", 0)]
    assert s.sslv2_client_hello == 4 and s.client_hellos[0].sslv2
    assert an.column(4) == ("SSLv2", "Client Hello")


def test_mtls_ca_names_client_certificate_and_verify():
    an, frames = analyze(_need("s03_mtls12_ok.pcap"))
    s = an.streams()[("tcp", 0)]
    assert s.cert_request is not None and s.cert_request.frame == 6
    assert s.cert_request.ca_names == ["CN=TLSLab Client CA,O=TLSLab,C=XX"]
    assert s.client_certificate_empty is False and s.client_certificate_verify
    client_chain = [c for c in s.certificates if c.direction == s.client_direction]
    assert client_chain and "client01" in client_chain[0].certs[0].subject
    layers, _ = an.frame_layers(6, frames[5])
    dn = [f for t in layers for f in t.walk() if f.name == "tls.handshake.dname"]
    assert dn and "TLSLab Client CA" in dn[0].label


def test_mtls_empty_client_certificate():
    an, _ = analyze(_need("s04_mtls12_no_client_cert.pcap"))
    s = an.streams()[("tcp", 0)]
    assert s.cert_request is not None
    assert s.client_certificate_empty is True and not s.client_certificate_verify
    assert [(a.frame, a.level, a.description) for a in s.alerts] == [(9, 2, 40)]


def test_dtls_certificate_reassembled_from_fragments():
    an, frames = analyze(_need("s10a_dtls12_fragmented.pcap"))
    s = an.streams()[("udp", 0)]
    assert s.dtls and s.certificates and s.certificates[0].frame == 8
    assert "server.tlslab.test" in s.certificates[0].certs[0].subject
    assert s.certificates[0].issued_by_next == [True]
    layers, sources = an.frame_layers(8, frames[7])
    assert any(name.startswith("Reassembled DTLS") for name in sources)
    certs = [f for t in layers for f in t.walk() if f.name == "dtls.handshake.certificate"]
    assert len(certs) == 2 and certs[0].source.startswith("Reassembled DTLS")
    assert s.dtls_max_records_per_datagram >= 3


def test_record_over_many_segments_has_reassembled_source():
    an, frames = analyze(_need("s13h_record_split_many_segments.pcap"))
    layers, sources = an.frame_layers(19, frames[18])
    assert an.column(19) == ("TLSv1.2", "Certificate")
    (name, data), = sources.items()
    assert name == "Reassembled TCP (11105 bytes)" and len(data) == 11105
    cert = [f for t in layers for f in t.walk() if f.name == "tls.handshake.certificate"]
    assert len(cert) == 3 and all(f.source == name for f in cert)
    assert len([f for t in layers for f in t.walk() if f.name == "x509ce.dNSName"]) >= 120
    assert an.segment_of_pdu(8) and not an.segment_of_pdu(19)


def test_many_records_in_one_segment():
    an, frames = analyze(_need("s13i_multi_records_one_segment.pcap"))
    recs = an.records(10)
    assert len(recs) == 5 and all(r.content_type == 23 for r in recs)
    layers, sources = an.frame_layers(10, frames[9])
    assert len(layers) == 1 and not sources and len(layers[0].children) == 5


# ------------------------------------------------------------------ synthetic streams

def _rec(ct: int, body: bytes, ver: int = 0x0303) -> bytes:
    return struct.pack(">BHH", ct, ver, len(body)) + body


def _hs(t: int, body: bytes) -> bytes:
    return bytes([t]) + len(body).to_bytes(3, "big") + body


class Frames(dict):
    def get_bytes(self, n: int) -> bytes:
        return self[n]


def test_record_split_across_twenty_segments():
    rec = _rec(23, bytes(range(256)) * 8)
    frames = Frames()
    an = TlsAnalyzer(frames.get_bytes)
    step = len(rec) // 20 + 1
    for i in range(20):
        chunk = rec[i * step:(i + 1) * step]
        frames[i + 1] = b"H" * 54 + chunk
        an.on_tcp_data(0, 0, i + 1, chunk, 54, i * step, 1000, 443)
    assert not an.records(19) and an.segment_of_pdu(3)
    (r,), = [an.records(20)]
    assert r.length == 2048 and r.complete
    layers, sources = an.frame_layers(20, frames[20])
    assert list(sources.values()) == [rec]
    assert an.column(20) == ("TLSv1.2", "Application Data")


def test_twenty_records_in_one_segment():
    seg = b"".join(_rec(23, bytes([i]) * (i + 1)) for i in range(20))
    an = TlsAnalyzer()
    an.on_tcp_data(0, 0, 1, seg, 66, 0, 1000, 443)
    recs = an.records(1)
    assert [r.length for r in recs] == list(range(1, 21))
    layers, sources = an.frame_layers(1, b"H" * 66 + seg)
    assert len(layers) == 1 and layers[0].offset == 66 and layers[0].length == len(seg)
    assert an.column(1)[1] == ", ".join(["Application Data"] * 20)


def test_lost_segment_mid_record_marks_incomplete_and_resyncs():
    r1 = _rec(23, b"A" * 3000)
    r2 = _rec(23, b"B" * 100)
    frames = Frames({1: b"H" * 54 + r1[:1000], 3: b"H" * 54 + r1[2000:] + r2})
    an = TlsAnalyzer(frames.get_bytes)
    an.on_tcp_data(0, 0, 1, r1[:1000], 54, 0)
    an.on_tcp_gap(0, 0, 2, 1000)  # segment 2 lost
    (inc,) = an.records(2)
    assert not inc.complete and inc.length == 3000
    an.on_tcp_data(0, 0, 3, r1[2000:] + r2, 54, 2000)
    (ok,) = an.records(3)
    assert ok.complete and ok.length == 100  # the record boundary after the gap was provable
    layers, _ = an.frame_layers(3, frames[3])
    assert layers[0].offset == 54 + 1005


def test_gap_over_record_header_resyncs_on_plausible_header():
    an = TlsAnalyzer()
    an.on_tcp_data(0, 0, 1, _rec(23, b"x" * 10), 0)
    an.on_tcp_gap(0, 0, 2, 500)
    an.on_tcp_data(0, 0, 3, b"\x99" * 40, 0)  # mid-record bytes: not a header
    assert an.column(3)[1] == "Continuation Data" and not an.records(3)
    an.on_tcp_data(0, 0, 4, _rec(21, b"\x02\x28"), 0)
    (r,) = an.records(4)
    assert r.alert == (2, 40)
    assert an.column(4)[1] == "Alert (Level: Fatal, Description: Handshake Failure)"


def test_handshake_types_and_ja3():
    ch_body = (b"\x03\x03" + b"\x11" * 32 + b"\x00" + b"\x00\x04\xc0\x2f\x00\xff" + b"\x01\x00"
               + b"\x00\x18" + b"\x00\x00\x00\x10\x00\x0e\x00\x00\x0bexample.org" + b"\x00\x17\x00\x00")
    seg = _rec(22, _hs(1, ch_body), 0x0301)
    an = TlsAnalyzer()
    an.on_tcp_data(0, 0, 1, seg, 0)
    s = an.streams()[("tcp", 0)]
    h = s.client_hellos[0]
    assert h.sni == "example.org" and h.ciphers == [0xC02F, 0x00FF]
    assert h.ja3_full == "771,49199-255,0-23,,"
    assert h.ja4.startswith("t12d0202")
    layers, _ = an.frame_layers(1, seg)
    names = {f.name for t in layers for f in t.walk()}
    assert {"tls.handshake.ja3", "tls.handshake.ja3_full", "tls.handshake.ja4",
            "tls.handshake.extensions_server_name"} <= names


# ------------------------------------------------------------------ never raises

@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=6), st.booleans())
def test_random_bytes_never_raise(chunks, udp):
    frames = Frames()
    an = TlsAnalyzer(frames.get_bytes)
    for i, c in enumerate(chunks, 1):
        frames[i] = c
        if udp:
            an.on_udp(0, i % 2, i, c, 0)
        else:
            an.on_tcp_data(0, i % 2, i, c, 0)
            if i == 3:
                an.on_tcp_gap(0, 0, i, 7)
    for i in frames:
        an.frame_layers(i, frames[i])
        an.column(i)
        an.records(i)
    an.streams()


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([20, 21, 22, 23, 24]), st.binary(max_size=400))
def test_random_record_bodies_never_raise(ct, body):
    seg = _rec(ct, body)
    an = TlsAnalyzer()
    an.on_tcp_data(0, 0, 1, seg, 0)
    an.frame_layers(1, seg)
    an.column(1)
    dt = struct.pack(">BHHHIH", ct, 0xFEFD, 0, 0, 1, len(body)) + body
    an.on_udp(1, 0, 2, dt, 0)
    an.frame_layers(2, dt)
    an.column(2)


def test_every_produced_field_is_registered():
    from tlstui.registry import REGISTRY
    for name in ["s03_mtls12_ok.pcap", "s10a_dtls12_fragmented.pcap", "s11_sslv2_compat_clienthello.pcap"]:
        an, frames = analyze(_need(name))
        for n in range(1, len(frames) + 1):
            layers, _ = an.frame_layers(n, frames[n - 1])
            for t in layers:
                for f in t.walk():
                    assert not f.name or f.name in REGISTRY, f.name
