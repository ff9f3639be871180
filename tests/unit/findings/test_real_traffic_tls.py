"""The TLS findings on the shapes real traffic has (issue 14), on captures made here: real TLS
handshakes from Python's ssl laid onto crafted TCP, then what browsers, curl and servers do at
the end of a connection.  Each case was first seen on a third-party capture (named per test)."""
from __future__ import annotations

import os
import ssl

import pytest
from craft import TcpTalk, findings_of, write
from tlsfail import record_rejected_client
from tlspair import record_connection

TLS12, TLS13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3


def app_record(n: int, ct: int = 23) -> bytes:
    """An encrypted record of ``n`` bytes (without keys only its size and type can be read)."""
    return bytes([ct, 3, 3]) + n.to_bytes(2, "big") + os.urandom(n)


def kinds(found) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in found:
        out.setdefault(f.kind, []).append(f)
    return out


def connection(version=TLS13, alpn=(), **kw) -> TcpTalk:
    rec = record_connection(version=version, alpn=alpn, close=False, **kw)
    t = TcpTalk()
    t.open()
    t.replay(rec)
    return t


def test_client_that_closes_first_is_not_reuse(tmp_path):
    # ndpi_sites stream 7, ndpi_reddit: the client's close_notify and FIN, the server's own
    # close_notify and FIN, then the client's RST.  Before: reuse_after_close_notify as an error.
    t = connection(TLS13, alpn=("h2",))
    t.records(True, [app_record(19)], ack=False)
    t.fin(True)
    t.records(False, [app_record(19)], ack=False)
    t.fin(False)
    rst = t.rst(True)
    found = findings_of(write(tmp_path / "c.pcap", t))
    k = kinds(found)
    assert "tls.reuse_after_close_notify" not in k
    assert [f for f in found if f.severity == "error"] == []
    resets = k["tcp.reset"]
    assert len(resets) == 1 and resets[0].frames == [rst] and resets[0].severity == "note"
    # the close was never read: the RST is not called harmless, the close is "most likely"
    assert "most likely" in resets[0].summary and "Harmless" not in resets[0].explanation


def test_server_data_after_the_clients_fin_is_not_reuse(tmp_path):
    # ndpi_reddit stream 1, ndpi_malware stream 2: the client sends FIN right after its Finished; the
    # server's session tickets arrive after it and the client's kernel answers with RST.
    t = connection(TLS13)
    t.fin(True)
    t.records(False, [app_record(250), app_record(250)], ack=False)
    t.rst(True)
    assert "tls.reuse_after_close_notify" not in kinds(findings_of(write(tmp_path / "c.pcap", t)))


def test_http2_control_frames_after_the_servers_close_are_not_a_request(tmp_path):
    # curl/Firefox over h2: the server's GOAWAY and close_notify, the client's GOAWAY (a 34-byte
    # record: 17 bytes of HTTP/2) after it, then RST.
    t = connection(TLS13, alpn=("h2",))
    t.records(False, [app_record(43), app_record(19)], ack=False)
    t.fin(False)
    t.records(True, [app_record(34)], ack=False)
    t.rst(False)
    assert "tls.reuse_after_close_notify" not in kinds(findings_of(write(tmp_path / "c.pcap", t)))


def test_request_after_the_servers_close_is_reuse(tmp_path):
    # case 004 (s07): the server's close_notify and FIN after an idle period, then the client's
    # next request on the same connection, answered by RST.
    t = connection(TLS12)
    cn = t.records(False, [app_record(26, ct=21)], ack=False)[0]
    fin = t.fin(False)
    req = t.records(True, [app_record(132)], dt_us=200_000, ack=False)[0]
    rst = t.rst(False)
    got = kinds(findings_of(write(tmp_path / "c.pcap", t)))["tls.reuse_after_close_notify"]
    assert len(got) == 1 and got[0].severity == "error" and got[0].frames == [cn, fin, req, rst]
    e = got[0].explanation
    assert e.startswith("Seen: ") and "most likely close_notify" in e and "inferred from its size" in e


def test_http2_request_after_the_servers_close_without_keys_is_a_warning(tmp_path):
    t = connection(TLS13, alpn=("h2",))
    t.records(False, [app_record(19)], ack=False)
    t.fin(False)
    t.records(True, [app_record(300)], ack=False)
    t.rst(False)
    got = kinds(findings_of(write(tmp_path / "c.pcap", t)))["tls.reuse_after_close_notify"]
    assert len(got) == 1 and got[0].severity == "warning"


def test_tls13_mutual_tls_rejection_is_an_error_not_a_harmless_reset(tmp_path):
    # TLS 1.3 client authentication without keys: the server's 19-byte record right after the
    # client's Finished, then RST.  Before: "RST after the TLS close ... Harmless".
    t = TcpTalk()
    t.open()
    t.replay(record_rejected_client(TLS13))
    rst = t.rst(False)
    found = findings_of(write(tmp_path / "c.pcap", t))
    k = kinds(found)
    rej = [f for f in k["tls.encrypted_alert"] if f.severity == "error"]
    assert len(rej) == 1 and "rejected the TLS 1.3 handshake" in rej[0].summary
    assert "cannot be read" in rej[0].explanation and "client certificate" in rej[0].explanation
    assert all("Harmless" not in f.explanation and "harmless" not in f.explanation for f in found)
    assert all("after the TLS close" not in f.summary for f in k.get("tcp.reset", []))
    assert rst in [fr for f in k["tcp.reset"] for fr in f.frames]
    assert "tls.handshake_incomplete" not in k and "tls.truncated_close" not in k


def test_tls13_clean_close_is_not_a_rejection(tmp_path):
    t = connection(TLS13)
    t.records(True, [app_record(60)])
    t.records(False, [app_record(400)])
    t.records(True, [app_record(19)], ack=False)
    t.fin(True)
    t.records(False, [app_record(19)], ack=False)
    t.fin(False)
    t.ack(True)
    found = findings_of(write(tmp_path / "c.pcap", t))
    assert [f for f in found if f.kind == "tls.encrypted_alert" and f.severity == "error"] == []


def test_optional_client_auth_is_a_note_and_required_an_error(tmp_path):
    t = TcpTalk()
    t.open()
    t.replay(record_rejected_client(TLS12, optional=True))
    t.fin(True)
    t.fin(False)
    got = kinds(findings_of(write(tmp_path / "opt.pcap", t)))["tls.client_certificate_missing"]
    assert len(got) == 1 and got[0].severity == "note" and "carried on without it" in got[0].explanation
    t = TcpTalk()
    t.open()
    t.replay(record_rejected_client(TLS12))
    t.rst(False)
    got = kinds(findings_of(write(tmp_path / "req.pcap", t)))["tls.client_certificate_missing"]
    assert len(got) == 1 and got[0].severity == "error"


def _hello_only(tmp_path, name: str, tail) -> list:
    rec = record_connection(version=TLS12)
    t = TcpTalk()
    t.open()
    tail(t, rec)
    return [f for f in findings_of(write(tmp_path / name, t)) if f.kind == "tls.handshake_incomplete"]


def test_handshake_incomplete_warns_only_on_evidence_of_failure(tmp_path):
    # the capture stops following the connection after the ServerHello (nDPI's trimmed captures)
    got = _hello_only(tmp_path, "a.pcap", lambda t, rec: t.replay(rec, until=2))
    assert len(got) == 1 and got[0].severity == "note" and "Nothing closes the connection" in got[0].explanation
    # a spare connection the client closes 50 ms after its ClientHello (ndpi_reddit stream 4)
    def spare(t, rec):
        t.replay(rec, until=1)
        t.fin(True, dt_us=50_000)
    got = _hello_only(tmp_path, "b.pcap", spare)
    assert len(got) == 1 and got[0].severity == "note" and "before the server's answer was complete" in got[0].explanation
    # ndpi_reddit stream 13: the client closes 2 ms after the ServerHello, before the Certificate
    def raced(t, rec):
        t.replay(rec, until=2)  # the ClientHello and the server's first record (ServerHello) only
        t.fin(True, dt_us=2_000)
        t.records(False, [r for _, r in rec.records[2:5]], ack=False)
        t.rst(True)
    got = _hello_only(tmp_path, "b2.pcap", raced)
    assert len(got) == 1 and got[0].severity == "note", got[0].explanation
    # the server closes after the ClientHello without an alert
    def refused(t, rec):
        t.replay(rec, until=1)
        t.fin(False)
    got = _hello_only(tmp_path, "c.pcap", refused)
    assert len(got) == 1 and got[0].severity == "warning" and "the server ended the connection" in got[0].explanation
    # the client waits 10 s for an answer that never comes, then gives up
    def gave_up(t, rec):
        t.replay(rec, until=1)
        t.fin(True, dt_us=10_000_000)
    got = _hello_only(tmp_path, "d.pcap", gave_up)
    assert len(got) == 1 and got[0].severity == "warning" and "gave up" in got[0].explanation


def _with_server_cipher(rec, suite: int):
    """The recording with its ServerHello's cipher suite replaced (OpenSSL 3 no longer speaks the
    weak ones, so the choice is patched into a real ServerHello)."""
    out = []
    for d, r in rec.records:
        if d == 1 and r[0] == 22 and r[5] == 2:
            p = 5 + 4 + 2 + 32
            p += 1 + r[p]
            r = r[:p] + suite.to_bytes(2, "big") + r[p + 2:]
        out.append((d, r))
    rec.records = out
    return rec


def test_obsolete_version_negotiated(tmp_path):
    t = TcpTalk()
    t.open()
    t.replay(record_connection(version=ssl.TLSVersion.TLSv1, ciphers="ECDHE-RSA-AES128-SHA"))
    k = kinds(findings_of(write(tmp_path / "old.pcap", t)))
    got = k["tls.obsolete_version"]
    assert [f.summary.split(" negotiated")[0] for f in got] == ["TLS 1.0"] and got[0].severity == "warning"
    assert "tls.weak_cipher" not in k


@pytest.mark.parametrize("suite,word", [(0x000A, "3DES"), (0x0005, "RC4"), (0x0002, "NULL"), (0x0003, "EXPORT"),
                                        (0x0034, "anonymous")])
def test_weak_cipher_negotiated(tmp_path, suite, word):
    t = TcpTalk()
    t.open()
    t.replay(_with_server_cipher(record_connection(version=TLS12, ciphers="AES128-SHA"), suite))
    got = kinds(findings_of(write(tmp_path / "weak.pcap", t)))["tls.weak_cipher"]
    assert len(got) == 1 and got[0].severity == "warning" and f"0x{suite:04x}" in got[0].explanation
    assert word in got[0].explanation


def test_modern_negotiation_has_no_version_or_cipher_finding_and_missing_sni_is_a_note(tmp_path):
    t = TcpTalk()
    t.open()
    t.replay(record_connection(version=TLS12, ciphers="ECDHE-RSA-AES128-GCM-SHA256"))
    k = kinds(findings_of(write(tmp_path / "ok.pcap", t)))
    assert not {"tls.obsolete_version", "tls.weak_cipher", "tls.missing_sni"} & set(k)
    t = TcpTalk()
    t.open()
    t.replay(record_connection(version=TLS13, server_hostname="127.0.0.1"))  # an address: no SNI
    got = kinds(findings_of(write(tmp_path / "ip.pcap", t)))["tls.missing_sni"]
    assert len(got) == 1 and got[0].severity == "note" and got[0].frames == [4]


def test_truncated_close_note_for_fin_warning_for_a_server_abort(tmp_path):
    # ndpi_teams, ndpi_mysql: FIN without close_notify is how many stacks end (a note); a server
    # aborting with RST before the client closed may have cut a response short (a warning).
    t = connection(TLS12)
    t.records(True, [app_record(120)])
    t.records(False, [app_record(900)])
    t.fin(False)
    t.fin(True)
    t.ack(False)
    got = kinds(findings_of(write(tmp_path / "fin.pcap", t)))["tls.truncated_close"]
    assert {f.severity for f in got} == {"note"}
    t = connection(TLS12)
    t.records(True, [app_record(120)])
    t.records(False, [app_record(900)], ack=False)
    rst = t.rst(False)
    got = kinds(findings_of(write(tmp_path / "rst.pcap", t)))["tls.truncated_close"]
    assert len(got) == 1 and got[0].severity == "warning" and rst in got[0].frames and "RST" in got[0].summary


def test_tor_link_certificate_name_is_a_note(tmp_path):
    # ndpi_tor: random SNI, a lone certificate for another random name issued by a third one
    import datetime as dt

    from certkit import Made, capture, findings
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def cn(n):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, n)])

    leaf_key, id_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(cn("www.g6ghvisevf3ibuu5.net"))
            .issuer_name(cn("www.xkgk7fdx362yyyxib.com")).public_key(leaf_key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=60)).sign(id_key, hashes.SHA256()))
    found = findings(capture(tmp_path, [Made(cert, leaf_key)], server_hostname="www.gfu7hbxpfp.com"))
    got = [f for f in found if f.kind == "tls.certificate_name_mismatch"]
    assert len(got) == 1 and got[0].severity == "note" and "Tor" in got[0].explanation
    # an ordinary certificate for another name stays a warning
    from certkit import make

    found = findings(capture(tmp_path, [make("other.example")], server_hostname="www.example.com", name_="o.pcap"))
    got = [f for f in found if f.kind == "tls.certificate_name_mismatch"]
    assert len(got) == 1 and got[0].severity == "warning"
