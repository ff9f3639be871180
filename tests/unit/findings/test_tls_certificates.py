"""tls.certificate_expired / not_yet_valid, tls.certificate_chain_incomplete,
tls.certificate_name_mismatch, tls.client_certificate_missing."""
from __future__ import annotations

import dataclasses

from findings_support import of_kind, one, rule_output

from tlstui.findings.context import Context
from tlstui.findings.rules import (
    tls_certificate_chain_incomplete,
    tls_certificate_name_mismatch,
    tls_certificate_validity,
    tls_client_certificate_missing,
)


def test_s05b_expired_leaf():
    f = one("s05b", "tls.certificate_expired")
    assert f.frames == [6, 8] and f.severity == "error" and f.stream == 0
    assert "leaf" in f.summary and "server.tlslab.test" in f.summary and "2021-01-01" in f.summary
    assert "certificate_expired (45)" in f.explanation
    assert of_kind("s05b", "tls.certificate_chain_incomplete") == []  # chain is complete there


def test_validity_silent_on_current_certificates():
    for prefix in ("s01", "s03", "s04", "s05a", "s07", "s10a", "s13h"):
        assert rule_output(prefix, tls_certificate_validity) == []


def test_not_yet_valid(fresh_session):
    s = fresh_session("s01")
    chain = s.tls.streams()[("tcp", 0)].certificates[0]
    # A copy: x509.cert_info is cached across sessions (s07 sends the same certificate), so
    # changing the shared object made later tests see a certificate not yet valid.
    chain.certs[0] = dataclasses.replace(chain.certs[0], not_before=s.frame_meta(6)[2] / 1e9 + 86400 * 30)
    got = tls_certificate_validity.check(Context(s))
    assert [(f.kind, f.frames) for f in got] == [("tls.certificate_not_yet_valid", [6])]
    assert "30 days after the capture" in got[0].explanation


def test_s05a_chain_incomplete_with_unknown_ca():
    f = one("s05a", "tls.certificate_chain_incomplete")
    assert f.frames == [6, 8] and f.severity == "error"
    assert "Intermediate CA" in f.summary
    assert "unknown_ca (48)" in f.explanation


def test_chain_ending_at_an_intermediate_is_complete():
    # leaf + intermediate, root left out: the normal shape (s01, s03 server, s07, s12*)
    for prefix in ("s01", "s03", "s07", "s12a", "s13e", "s13h", "s10a"):
        assert rule_output(prefix, tls_certificate_chain_incomplete) == []


def test_s03_client_chain_issuer_named_in_certificate_request_is_fine():
    assert rule_output("s03", tls_certificate_chain_incomplete) == []


def test_name_mismatch(fresh_session):
    assert rule_output("s13f", tls_certificate_name_mismatch) == []  # SNI server.tlslab.test is covered
    s = fresh_session("s05b")
    st = s.tls.streams()[("tcp", 0)]
    st.sni = "www.example.org\x1b[31m"
    got = tls_certificate_name_mismatch.check(Context(s))
    assert len(got) == 1 and got[0].frames == [6]
    assert "\x1b" not in got[0].summary and "\\x1b" in got[0].summary  # packet text is escaped
    assert "server.tlslab.test" in got[0].explanation


def test_wildcard_matching():
    from tlstui.findings.rules.tls_certificate_name_mismatch import matches

    assert matches("a.example.com", "*.example.com")
    assert not matches("example.com", "*.example.com")
    assert not matches("a.b.example.com", "*.example.com")
    assert matches("Server.TLSLab.test", "server.tlslab.test")
    assert not matches("x.com", "*.com")


def test_s04_client_certificate_missing():
    f = one("s04", "tls.client_certificate_missing")
    assert f.frames == [6, 8, 9]  # CertificateRequest, empty client Certificate, alert
    assert f.severity == "error" and f.stream == 0
    assert "CN=TLSLab Client CA" in f.summary
    assert "empty Certificate" in f.explanation


def test_client_certificate_sent_is_not_missing():
    assert rule_output("s03", tls_client_certificate_missing) == []
    assert rule_output("s01", tls_client_certificate_missing) == []


def test_client_certificate_optional_is_a_warning(fresh_session):
    s = fresh_session("s04")
    st = s.tls.streams()[("tcp", 0)]
    st.alerts[:] = []
    got = tls_client_certificate_missing.check(Context(s))
    assert len(got) == 1 and got[0].severity == "warning" and got[0].frames == [6, 8]
