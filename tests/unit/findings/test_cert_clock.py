"""capture.clock_implausible and what it does to tls.certificate_not_yet_valid / expired; the
client-certificate chain whose issuer the server did not name (tls.certificate_untrusted, not a
missing intermediate)."""
from __future__ import annotations

import pytest
from certkit import CERT_KINDS, DAY, NOW, capture, epoch_ns, findings, make, now_ns, of, pki, write_pem

from tlstui.findings import trust
from tlstui.findings.context import Context
from tlstui.findings.rules import tls_certificate_chain_incomplete, tls_certificate_trust
from tlstui.tls.model import AlertEvent


@pytest.fixture(autouse=True)
def _fresh_store():
    trust.reset()
    yield
    trust.reset()


def _one(found, kind):
    got = of(found, kind)
    assert len(got) == 1, [(f.kind, f.severity, f.summary) for f in found]
    return got[0]


def test_capture_dated_1970_makes_not_yet_valid_a_note(tmp_path):
    root, inter, leaf = pki()
    cap = capture(tmp_path, [leaf, inter], t0_ns=42 * 10**9)
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    clock = _one(found, "capture.clock_implausible")
    assert clock.severity == "note" and "before 1990" in clock.summary and clock.frames[0] == 1
    nyv = _one(found, "tls.certificate_not_yet_valid")
    assert nyv.severity == "note" and "suspect" in nyv.summary and "clock" in nyv.explanation
    assert [f for f in found if f.severity == "error"] == []


def test_capture_dated_1999_with_tls12_is_implausible(tmp_path):
    root, inter, leaf = pki()
    cap = capture(tmp_path, [leaf, inter], t0_ns=epoch_ns(1999, 6, 1))
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    clock = _one(found, "capture.clock_implausible")
    assert "1990s" in clock.summary and "TLS" in clock.explanation
    assert _one(found, "tls.certificate_not_yet_valid").severity == "note"


def test_clock_behind_by_the_certificates_of_several_issuers(tmp_path):
    # 2005: a plausible date on its own, but two CAs' certificates all "from the future"
    root, inter, leaf = pki()
    cap = capture(tmp_path, [leaf, inter], t0_ns=epoch_ns(2005, 3, 1))
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    clock = _one(found, "capture.clock_implausible")
    assert "2 issuers" in clock.summary and "behind" in clock.explanation
    nyv = _one(found, "tls.certificate_not_yet_valid")
    assert nyv.severity == "note" and "2 server certificates" in nyv.summary


def test_one_certificate_from_the_future_is_still_an_error(tmp_path):
    # a single issuer: the server's certificate may really start later (clock not in doubt)
    root = make("Test Root CA", ca=True, not_before=NOW - 400 * DAY)
    leaf = make("localhost", root, not_before=NOW + 10 * DAY, not_after=NOW + 60 * DAY)
    cap = capture(tmp_path, [leaf])
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    assert of(found, "capture.clock_implausible") == []
    assert _one(found, "tls.certificate_not_yet_valid").severity == "error"


def test_clock_ahead_makes_expired_a_note(tmp_path):
    root = make("Test Root CA", ca=True, not_after=NOW + 400 * DAY)
    leaf = make("localhost", root, not_after=NOW + 2 * DAY)
    cap = capture(tmp_path, [leaf], t0_ns=now_ns() + int(10 * 86400e9))
    found = findings(cap, write_pem(tmp_path / "root.pem", root))
    assert "future" in _one(found, "capture.clock_implausible").summary
    exp = _one(found, "tls.certificate_expired")
    assert exp.severity == "note" and "ahead" in exp.explanation


def test_expired_stays_an_error_with_a_good_clock(tmp_path):
    root = make("Test Root CA", ca=True, not_before=NOW - 400 * DAY)
    leaf = make("localhost", root, not_before=NOW - 100 * DAY, not_after=NOW - 10 * DAY)
    found = findings(capture(tmp_path, [leaf]), write_pem(tmp_path / "root.pem", root))
    assert of(found, "capture.clock_implausible") == []
    assert _one(found, "tls.certificate_expired").severity == "error"


def test_client_issuer_not_among_the_accepted_cas(fresh_session):
    """s03 (mTLS) with the server's CertificateRequest naming another CA and an unknown_ca answer:
    the evidence is 'not a CA the server accepts', not a missing intermediate."""
    s = fresh_session("s03")
    st = s.tls.streams()[("tcp", 0)]
    st.cert_request.ca_names[:] = ["CN=Partner Client CA,O=Elsewhere", "CN=Other CA"]
    client_chain = next(c for c in st.certificates if c.direction == st.client_direction)
    st.alerts.insert(0, AlertEvent(client_chain.frame + 1, 1 - st.client_direction, 2, 48, False))
    ctx = Context(s)
    assert tls_certificate_chain_incomplete.check(ctx) == []
    got = [f for f in tls_certificate_trust.check(ctx) if "client" in f.summary]
    assert len(got) == 1, [(f.kind, f.summary) for f in got]
    f = got[0]
    assert f.kind == "tls.certificate_untrusted" and f.severity == "error"
    assert "CN=TLSLab Client CA" in f.summary and "not among the CAs the server accepts" in f.summary
    assert "CN=Partner Client CA,O=Elsewhere; CN=Other CA" in f.explanation and "unknown_ca (48)" in f.explanation
    assert "send the full chain" not in f.explanation


def test_client_issuer_named_by_the_server_is_fine(fresh_session):
    s = fresh_session("s03")
    ctx = Context(s)
    assert [f for f in tls_certificate_trust.check(ctx) if "client" in f.summary] == []


def test_s05a_still_a_missing_intermediate():
    from findings_support import findings_for

    found = findings_for("s05a")
    assert [f.kind for f in found if f.kind in CERT_KINDS] == ["tls.certificate_chain_incomplete"]
