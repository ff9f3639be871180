"""tls.reuse_after_close_notify, tls.truncated_close, tls.handshake_incomplete,
tls.sslv2_client_hello, tls.malformed."""
from __future__ import annotations

from findings_support import of_kind, one, rule_output

from tlstui.findings.context import Context
from tlstui.findings.rules import (
    tls_handshake_incomplete,
    tls_malformed,
    tls_reuse_after_close_notify,
    tls_sslv2_client_hello,
    tls_truncated_close,
)


def test_s07_reuse_after_close_notify():
    f = one("s07", "tls.reuse_after_close_notify")
    # close_notify 13, FIN 15, the reused request 17, RST 18
    assert f.frames == [13, 15, 17, 18]
    assert f.severity == "error" and f.stream == 0
    assert "127.0.0.1:38394 → 127.0.0.1:443" in f.summary
    assert "encrypted alert record (frame 13), most likely close_notify" in f.explanation
    assert "RST (frame 18)" in f.explanation and "keep-alive" in f.explanation
    assert "inferred from its size" in f.explanation  # no key log: what the record is, is inferred


def test_s07_reuse_with_keys_reads_the_request():
    from findings_support import capture_path
    from craft import findings_of

    path = capture_path("s07")
    got = [f for f in findings_of(path, str(path.with_suffix(".keys"))) if f.kind == "tls.reuse_after_close_notify"]
    assert len(got) == 1 and got[0].severity == "error"
    assert "a close_notify alert (decrypted" in got[0].explanation
    assert "(decrypted, frame 17)" in got[0].explanation and "inferred from its size" not in got[0].explanation


def test_reuse_not_reported_for_normal_resets():
    # curl's RST after both close_notify (s13f), s_client's RSTs (s13g)
    for prefix in ("s13f", "s13g", "s01", "s04", "s08a"):
        assert rule_output(prefix, tls_reuse_after_close_notify) == []


def test_truncated_close_silent_on_clean_closes():
    # TLS 1.2 encrypted close_notify (s01), TLS 1.3 alert-sized records (s02, s13*), and s08a where
    # the server's close_notify is captured after its FIN (lost, then resent)
    for prefix in ("s01", "s02", "s03", "s07", "s08a", "s08b", "s12a", "s13a", "s13c", "s13e", "s13f", "s13g"):
        assert rule_output(prefix, tls_truncated_close) == [], prefix


def test_truncated_close_when_the_server_skips_close_notify(fresh_session):
    s = fresh_session("s01")
    st = s.tls.streams()[("tcp", 0)]
    st.alerts[:] = [a for a in st.alerts if a.direction == 0 and a.frame != 17]  # drop both close_notify
    got = tls_truncated_close.check(Context(s))
    kinds = {(f.kind, f.severity, f.frames[-1]) for f in got}
    # server FIN 19 comes first, the client's FIN 20 follows the server's: both notes (closing with
    # FIN and no close_notify is how many real stacks end a connection; ndpi_teams, ndpi_mysql)
    assert kinds == {("tls.truncated_close", "note", 19), ("tls.truncated_close", "note", 20)}
    first = next(f for f in got if f.frames[-1] == 19)
    assert "cannot tell a complete response from one cut short" in first.explanation
    second = next(f for f in got if f.frames[-1] == 20)
    assert "Seen: the peer had already closed, with FIN (frame 19)" in second.explanation


def test_handshake_incomplete_only_without_another_explanation(fresh_session):
    # alerts (s04-s06, s11), cut records (s09), complete handshakes: nothing
    for prefix in ("s01", "s02", "s04", "s05a", "s06a", "s09", "s11", "s13a", "s13g", "s10a", "s10b"):
        assert rule_output(prefix, tls_handshake_incomplete) == [], prefix
    s = fresh_session("s06a")
    s.tls.streams()[("tcp", 0)].alerts[:] = []  # a server that just closes after the ClientHello
    got = tls_handshake_incomplete.check(Context(s))
    assert len(got) == 1 and got[0].frames[0] == 4 and got[0].severity == "warning"
    assert "the server ended the connection with FIN (frame 8) without an alert" in got[0].explanation


def test_s11_sslv2_client_hello():
    f = one("s11", "tls.sslv2_client_hello")
    assert f.frames == [4] and f.severity == "warning" and f.stream == 0
    assert "TLS 1.0" in f.explanation and "ServerHello in frame 6" in f.explanation
    assert one("s11", "tls.alert").frames == [8]


def test_sslv2_only_on_s11():
    for prefix in ("s01", "s04", "s06a", "s13f"):
        assert rule_output(prefix, tls_sslv2_client_hello) == []


def test_malformed(fresh_session):
    # s10b: tshark's "malformed" overlaps are re-fragmented retransmissions, not malformed records
    assert rule_output("s10b", tls_malformed) == []
    assert of_kind("s10b", "tls.malformed") == []
    s = fresh_session("s01")
    s.tls.streams()[("tcp", 0)].malformed_frames[:] = [6, 6]
    got = tls_malformed.check(Context(s))
    assert len(got) == 1 and got[0].frames == [6] and got[0].kind == "tls.malformed"
