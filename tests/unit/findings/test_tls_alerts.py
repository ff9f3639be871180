"""tls.alert, tls.encrypted_alert, tls.no_shared_cipher, tls.version_mismatch."""
from __future__ import annotations

from findings_support import findings_for, of_kind, one, rule_output

from tlstui.findings.rules import tls_alert, tls_handshake_failure


def test_s05a_unknown_ca_alert():
    f = one("s05a", "tls.alert")
    assert f.frames == [8] and f.severity == "error" and f.stream == 0
    assert "unknown_ca (48)" in f.summary and "from the client" in f.summary
    assert "intermediate" in f.explanation
    assert "frame 6" in f.explanation  # what it answers: the server's Certificate flight


def test_s04_handshake_failure_after_certificate_request():
    f = one("s04", "tls.alert")
    assert f.frames == [9] and "handshake_failure (40)" in f.summary and "server" in f.summary
    assert "Certificate" in f.explanation and "frame 8" in f.explanation


def test_s06a_no_shared_cipher():
    f = one("s06a", "tls.no_shared_cipher")
    assert f.frames == [4, 6] and f.severity == "error" and f.stream == 0
    assert "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" in f.explanation  # the one suite offered
    assert "handshake_failure" in f.summary
    assert of_kind("s06a", "tls.version_mismatch") == []
    assert one("s06a", "tls.alert").frames == [6]


def test_s06b_version_mismatch():
    f = one("s06b", "tls.version_mismatch")
    assert f.frames == [4, 6] and f.severity == "error"
    assert "TLSv1.2" in f.explanation and "protocol_version(70)" in f.explanation
    assert of_kind("s06b", "tls.no_shared_cipher") == []


def test_handshake_failure_not_no_shared_cipher_after_server_hello():
    # s04 and s11 end on handshake_failure after a ServerHello: not a cipher problem.
    for prefix in ("s04", "s11", "s05a", "s05b"):
        assert rule_output(prefix, tls_handshake_failure) == []


def test_no_alert_findings_for_orderly_closes():
    for prefix in ("s01", "s02", "s03", "s13e", "s13i"):
        assert rule_output(prefix, tls_alert) == []


def test_encrypted_close_notify_grouped_as_one_note():
    f = one("s01", "tls.encrypted_alert")
    assert f.severity == "note" and f.frames == [17, 18] and f.stream == 0
    assert "close_notify" in f.summary
    many = one("s13e", "tls.encrypted_alert")
    assert len(many.frames) == 240 and many.stream is None  # README: 240 encrypted close_notify


def test_s09_encrypted_alerts_judged_by_position_despite_cut_handshake():
    f = one("s09", "tls.encrypted_alert")
    assert f.severity == "note" and f.frames == [15, 16]


def test_encrypted_alert_during_handshake_is_a_warning(fresh_session):
    from tlstui.findings.context import Context
    from tlstui.findings.rules import tls_encrypted_alert
    from tlstui.tls.model import AlertEvent

    s = fresh_session("s06a")
    st = s.tls.streams()[("tcp", 0)]
    # The server's alert in frame 6, had it been encrypted (no Finished, no data yet).
    st.alerts[:] = [AlertEvent(frame=6, direction=1, level=None, description=None, encrypted=True)]
    got = tls_encrypted_alert.check(Context(s))
    assert len(got) == 1 and got[0].severity == "warning" and "during the handshake" in got[0].summary


def test_decrypted_alert_is_reported_with_its_description(fresh_session):
    from tlstui.findings.context import Context
    from tlstui.findings.rules import tls_encrypted_alert
    from tlstui.tls.model import AlertEvent

    s = fresh_session("s12a")
    st = s.tls.streams()[("tcp", 0)]
    st.alerts[:] = [AlertEvent(frame=39, direction=0, level=2, description=20, encrypted=True)]
    got = tls_encrypted_alert.check(Context(s))
    assert len(got) == 1 and got[0].severity == "error" and "bad_record_mac (20)" in got[0].summary


def test_every_alert_finding_names_stream_and_peers():
    for prefix in ("s04", "s05a", "s05b", "s06a", "s06b", "s11"):
        for f in findings_for(prefix):
            if f.kind.startswith("tls."):
                assert "127.0.0.1:" in f.summary and "→ 127.0.0.1:443" in f.summary, f.summary


def test_alert_side_when_the_capture_starts_after_the_hellos(tmp_path):
    """No hello and no SYN captured, and the server speaks first: the client is the side with the
    higher port (not the first sender), so the server's alert is called the server's."""
    from craft import TcpTalk, findings_of, write

    talk = TcpTalk(sport=51234, dport=443)
    talk.data(False, bytes.fromhex("1503030002022f"))  # the server: a fatal illegal_parameter alert
    talk.data(True, bytes.fromhex("1703030005") + b"x" * 5)
    found = [f for f in findings_of(write(tmp_path / "late.pcap", talk)) if f.kind == "tls.alert"]
    assert len(found) == 1 and "from the server" in found[0].summary, [f.summary for f in found]
