"""tls.certificate_self_signed / untrusted / weak / usage on real handshakes (Python ssl through
memory BIOs) presenting chains made at test time; the trust store is always given (--ca-file, or
a system store pointed at a file by SSL_CERT_FILE), never whatever this machine has."""
from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest
from certkit import CERT_KINDS, DAY, NOW, capture, findings, make, of, pki, sha1_signed, write_pem
from cryptography.x509.oid import ExtendedKeyUsageOID

from tlstui.findings import trust


@pytest.fixture(autouse=True)
def _fresh_store():
    trust.reset()
    trust.set_default_ca_file(None)
    yield
    trust.reset()
    trust.set_default_ca_file(None)


@pytest.fixture
def system_store(tmp_path, monkeypatch):
    """Point the 'system' store (ssl.get_default_verify_paths) at a file of our own."""
    def use(*certs):
        f = write_pem(tmp_path / "system-cas.pem", *certs)
        empty = tmp_path / "empty-capath"
        empty.mkdir(exist_ok=True)
        monkeypatch.setenv("SSL_CERT_FILE", f)
        monkeypatch.setenv("SSL_CERT_DIR", str(empty))
        trust.reset()
        return f
    return use


def test_chain_under_the_ca_file_root_is_quiet(tmp_path):
    root, inter, leaf = pki()
    ca = write_pem(tmp_path / "root.pem", root)
    cap = capture(tmp_path, [leaf, inter])
    assert of(findings(cap, ca), *CERT_KINDS) == []
    # the same chain, with the root sent too: still nothing
    cap2 = capture(tmp_path, [leaf, inter, root], name_="with-root.pcap")
    assert of(findings(cap2, ca), *CERT_KINDS) == []


def test_cli_ca_file_option(tmp_path):
    root, inter, leaf = pki()
    ca = write_pem(tmp_path / "root.pem", root)
    cap = capture(tmp_path, [leaf, inter])
    run = [sys.executable, "-m", "tlstui", "findings", str(cap), "--json"]
    p = subprocess.run(run + ["--ca-file", ca], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert [o for o in json.loads(p.stdout) if o["kind"] in CERT_KINDS] == []
    other = write_pem(tmp_path / "other.pem", make("Other Root", ca=True))
    p = subprocess.run(run + ["--ca-file", other], capture_output=True, text=True, timeout=120)
    got = [o for o in json.loads(p.stdout) if o["kind"] == "tls.certificate_untrusted"]
    assert len(got) == 1 and got[0]["severity"] == "note" and other in got[0]["explanation"]
    p = subprocess.run(run + ["--ca-file", str(tmp_path / "missing.pem")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "missing.pem" in p.stderr


def test_unknown_root_rejected_by_the_client_is_untrusted(tmp_path):
    root, inter, leaf = pki()
    other = write_pem(tmp_path / "other.pem", make("Other Root", ca=True))
    # the client verifies against a store without our root: it rejects the chain with an alert
    cap = capture(tmp_path, [leaf, inter], verify=other)
    found = findings(cap, other)
    got = of(found, "tls.certificate_untrusted")
    assert len(got) == 1, [(f.kind, f.summary) for f in found]
    f = got[0]
    assert f.severity == "error" and "CN=Test Root CA" in f.summary and "CN=Test Intermediate CA" in f.summary
    assert "unknown_ca (48)" in f.explanation and f"--ca-file {other}" in f.explanation
    assert f.explanation.startswith("Seen: ") and "Inferred: " in f.explanation and "Check: " in f.explanation
    assert len(f.frames) == 2  # the Certificate and the alert
    assert of(found, "tls.certificate_chain_incomplete", "tls.certificate_self_signed") == []


def test_untrusted_but_accepted_is_quiet_against_the_system_store(tmp_path, system_store):
    root, inter, leaf = pki()
    cap = capture(tmp_path, [leaf, inter])
    system_store(make("Some Public Root", ca=True))
    assert of(findings(cap), *CERT_KINDS) == []  # the client went on: it trusts our root
    system_store(root)
    assert of(findings(cap), *CERT_KINDS) == []


def test_self_signed_server_leaf(tmp_path, system_store):
    ss = make("localhost")  # issued by itself
    cap = capture(tmp_path, [ss])
    store = system_store(make("Some Public Root", ca=True))
    got = of(findings(cap), "tls.certificate_self_signed")
    assert len(got) == 1 and got[0].severity == "warning"
    assert "self-signed" in got[0].summary and "system trust store" in got[0].explanation
    assert store in got[0].explanation
    assert of(findings(cap), "tls.certificate_untrusted", "tls.certificate_chain_incomplete") == []
    # the self-signed certificate given as the trust store: nothing to say
    assert of(findings(cap, write_pem(tmp_path / "pinned.pem", ss)), *CERT_KINDS) == []


def test_chain_ending_at_a_private_root(tmp_path):
    root, inter, leaf = pki()
    cap = capture(tmp_path, [leaf, inter, root])
    other = write_pem(tmp_path / "other.pem", make("Other Root", ca=True))
    got = of(findings(cap, other), "tls.certificate_self_signed")
    assert len(got) == 1 and got[0].severity == "note"  # the client went on: it has that root
    assert "CN=Test Root CA" in got[0].summary


def test_wrong_signature(tmp_path):
    root = make("Test Root CA", ca=True)
    inter = make("Test Intermediate CA", root, ca=True)
    impostor = make("Test Intermediate CA", root, ca=True)  # same name, another key
    leaf = make("localhost", impostor)
    cap = capture(tmp_path, [leaf, inter])  # the leaf's real issuer is not the one sent
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    got = of(found, "tls.certificate_untrusted")
    assert len(got) == 1 and got[0].severity == "warning"
    assert "does not verify" in got[0].summary and "CN=Test Intermediate CA" in got[0].explanation
    assert of(found, "tls.certificate_chain_incomplete") == []


def test_weak_key_and_sha1_not_on_the_anchor(tmp_path):
    root = make("Test Root CA", ca=True)
    root = sha1_signed(root, root.key)
    inter = sha1_signed(make("Test Intermediate CA", root, ca=True), root.key)
    leaf = sha1_signed(make("localhost", inter, bits=1024), inter.key)
    cap = capture(tmp_path, [leaf, inter, root])
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    weak = {f.summary.split(" is weak")[0]: f for f in of(found, "tls.certificate_weak")}
    assert len(weak) == 2, list(weak)
    leaf_f = next(f for k, f in weak.items() if "leaf" in k)
    assert "RSA 1024-bit key" in leaf_f.summary and "SHA-1 signature" in leaf_f.summary
    assert leaf_f.severity == "warning"
    inter_f = next(f for k, f in weak.items() if "Intermediate" in k)
    assert "SHA-1" in inter_f.summary and "RSA" not in inter_f.summary
    assert not any("CN=Test Root CA" in k for k in weak)  # the self-signed anchor's own signature: not judged
    assert of(found, "tls.certificate_untrusted", "tls.certificate_self_signed") == []


def test_weak_in_an_old_capture_is_a_note(tmp_path):
    # the same SHA-1 leaf seen in 2015: ordinary then, refused since 2017
    root = make("Test Root CA", ca=True, not_before=dt.datetime(2014, 1, 1, tzinfo=dt.timezone.utc))
    leaf = sha1_signed(make("localhost", root, not_before=dt.datetime(2015, 1, 1, tzinfo=dt.timezone.utc),
                            not_after=dt.datetime(2016, 1, 1, tzinfo=dt.timezone.utc)), root.key)
    t0 = int(dt.datetime(2015, 6, 1, tzinfo=dt.timezone.utc).timestamp() * 1e9)
    cap = capture(tmp_path, [leaf], t0_ns=t0)
    got = of(findings(cap, write_pem(tmp_path / "root.pem", root)), "tls.certificate_weak")
    assert len(got) == 1 and got[0].severity == "note" and "since 2017" in got[0].explanation


def test_validity_longer_than_398_days(tmp_path, system_store):
    root = make("Test Root CA", ca=True, not_after=NOW + 3000 * DAY)
    leaf = make("localhost", root, not_after=NOW + 500 * DAY)
    cap = capture(tmp_path, [leaf])
    system_store(root)  # a "public" CA: the limit applies
    got = of(findings(cap), "tls.certificate_weak")
    assert len(got) == 1 and got[0].severity == "warning"
    assert "valid 501 days" in got[0].summary and "2020-09-01" in got[0].explanation
    # under a CA nobody's store has (private PKI): browsers do not apply the limit, nothing said
    system_store(make("Some Public Root", ca=True))
    assert of(findings(cap), "tls.certificate_weak") == []
    short = make("localhost", root, not_after=NOW + 90 * DAY)
    system_store(root)
    assert of(findings(capture(tmp_path, [short], name_="short.pcap")), "tls.certificate_weak") == []


def test_server_certificate_for_client_auth_only(tmp_path):
    root, inter, _ = pki()
    leaf = make("localhost", inter, eku=[ExtendedKeyUsageOID.CLIENT_AUTH])
    cap = capture(tmp_path, [leaf, inter])
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    got = of(found, "tls.certificate_usage")
    assert len(got) == 1 and got[0].severity == "warning"
    assert "server authentication" in got[0].summary and "clientAuth, not serverAuth" in got[0].explanation
    # no extendedKeyUsage at all allows every purpose; serverAuth allows the server
    for eku in ([], [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]):
        ok = make("localhost", inter, eku=eku) if eku else make("localhost", inter, eku=[ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE])
        c = capture(tmp_path, [ok, inter], name_=f"ok{len(eku)}.pcap")
        assert of(findings(c, write_pem(tmp_path / "root.pem", root)), "tls.certificate_usage") == []


def test_key_usage_that_cannot_sign_the_key_exchange(tmp_path):
    root, inter, _ = pki()
    leaf = make("localhost", inter, key_usage=["key_encipherment"])  # RSA key transport only
    cap = capture(tmp_path, [leaf, inter])  # an ECDHE suite: the server signs with the key
    got = of(findings(cap, write_pem(tmp_path / "root.pem", root)), "tls.certificate_usage")
    assert len(got) == 1 and "digitalSignature" in got[0].explanation and "ECDHE" in got[0].explanation


def test_store_is_not_loaded_without_certificates(tmp_path):
    import craft

    talk = craft.TcpTalk()
    talk.open()
    talk.data(True, b"GET / HTTP/1.1\r\n\r\n")
    talk.fin(True)
    cap = craft.write(tmp_path / "plain.pcap", talk)
    trust.reset()
    findings(cap)
    assert trust.load_store.cache_info().currsize == 0


def test_store_is_loaded_once(tmp_path):
    root, inter, leaf = pki()
    ca = write_pem(tmp_path / "root.pem", root)
    cap = capture(tmp_path, [leaf, inter])
    findings(cap, ca)
    findings(cap, ca)
    info = trust.load_store.cache_info()
    assert info.currsize == 1 and info.misses == 1  # read once; the second run's chains were known


def test_verify_chain_outcomes():
    root, inter, leaf = pki()
    from cryptography.hazmat.primitives.serialization import Encoding

    der = [c.cert.public_bytes(Encoding.DER) for c in (leaf, inter, root)]
    import tempfile
    from pathlib import Path

    d = Path(tempfile.mkdtemp())
    ca = write_pem(d / "root.pem", root)
    assert trust.verify_chain(tuple(der[:2]), ca).status == "trusted"
    v = trust.verify_chain(tuple(der[:2]), write_pem(d / "other.pem", make("Other", ca=True)))
    assert v.status == "untrusted" and "Test Root CA" in v.missing_issuer and v.path == (0, 1)
    v = trust.verify_chain(tuple(der), str(d / "other.pem"))
    assert v.status == "self_signed" and v.anchor_index == 2
    # out of order: the intermediate last but one is still found
    assert trust.verify_chain((der[0], der[2], der[1]), ca).status == "trusted"
