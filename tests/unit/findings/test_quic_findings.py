"""QUIC connections get the TLS diagnoses where they apply (issue 16): quic.connection_close (a TLS
alert carried as a crypto error, named as the alert), quic.handshake_incomplete,
quic.version_negotiation, and tls.no_shared_cipher for a server refusing the ClientHello.

On tests/data/quicfail_crafted.pcap (tests/unit/quic/make_quic_findings_capture.py: its
docstring lists the connections, one client port each), with and without its key log.
"""
from __future__ import annotations

import json
import subprocess
import sys
import warnings

import pytest
from findings_support import DATA

from tlstui.findings import find_all
from tlstui.findings.kinds import KNOWN_KINDS

CAP = DATA / "quicfail_crafted.pcap"
KEYS = DATA / "quicfail_crafted.keys"
QUIC_KINDS = ("quic.connection_close", "quic.handshake_incomplete", "quic.version_negotiation")
# client port -> udp.stream (one stream per port, in capture order)
STREAM = {50101: 0, 50102: 1, 50103: 2, 50104: 3, 50105: 4, 50106: 5, 50107: 6, 50108: 7, 50109: 8, 50110: 9,
          50111: 10, 50112: 11}


def _findings(keys: bool) -> list:
    from tlstui.session import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(CAP), keylog=str(KEYS)) if keys else Session.open(str(CAP))
        s.analyze()
    return find_all(s)


@pytest.fixture(scope="module")
def plain():
    return _findings(False)


@pytest.fixture(scope="module")
def keyed():
    return _findings(True)


def on(findings, port: int) -> list[tuple[str, str, list[int]]]:
    return sorted((f.kind, f.severity, f.frames) for f in findings if f.stream == STREAM[port])


def test_kinds_are_registered():
    assert set(QUIC_KINDS) <= KNOWN_KINDS


@pytest.mark.parametrize("which", ["plain", "keyed"])
def test_clean_handshake_gives_no_finding(which, request):
    """HANDSHAKE_DONE, both Finished (with keys), the client's 1-RTT packets and an H3_NO_ERROR
    close: nothing to diagnose, with or without the key log; nor for the v1 connection that
    follows a negotiation."""
    got = request.getfixturevalue(which)
    assert on(got, 50101) == []
    assert on(got, 50108) == []


def test_server_refuses_client_hello_with_handshake_failure(plain):
    assert on(plain, 50102) == [("quic.connection_close", "error", [8]), ("tls.no_shared_cipher", "error", [7, 8])]
    cc = next(f for f in plain if f.stream == 1 and f.kind == "quic.connection_close")
    assert "handshake_failure (40)" in cc.summary and "from the server" in cc.summary
    assert "frame 8" in cc.explanation and "Initial packet" in cc.explanation and "0x128" in cc.explanation
    assert '"no shared cipher"' in cc.explanation
    assert cc.explanation.startswith("Seen:")
    nsc = next(f for f in plain if f.stream == 1 and f.kind == "tls.no_shared_cipher")
    assert "TLS_AES_128_GCM_SHA256" in nsc.explanation and "QUIC" in nsc.summary


def test_alert_other_than_handshake_failure_is_only_the_close(plain):
    assert on(plain, 50103) == [("quic.connection_close", "error", [10])]
    cc = next(f for f in plain if f.stream == 2)
    assert "no_application_protocol (120)" in cc.summary and "ALPN" in cc.explanation


def test_transport_error_close(plain):
    assert on(plain, 50110) == [("quic.connection_close", "error", [27])]
    f = next(f for f in plain if f.stream == 9)
    assert "CONNECTION_REFUSED (0x2)" in f.summary and '"busy"' in f.explanation


def test_unanswered_initials_resent_are_a_warning(plain):
    assert on(plain, 50104) == [("quic.handshake_incomplete", "warning", [11, 13])]
    f = next(f for f in plain if f.stream == 3)
    assert "frames 12, 13" in f.explanation and "never answered" in f.explanation


def test_single_unanswered_initial_or_silent_client_are_notes(plain):
    assert on(plain, 50112) == [("quic.handshake_incomplete", "note", [30])]
    assert on(plain, 50109) == [("quic.handshake_incomplete", "note", [24, 25])]
    f = next(f for f in plain if f.stream == 11)
    assert "the last frame of the capture" in f.explanation


def test_retry_not_followed_is_a_warning(plain):
    assert on(plain, 50111) == [("quic.handshake_incomplete", "warning", [28, 29])]


def test_client_close_in_handshake_packet_needs_the_key_log(plain, keyed):
    """Without keys the client's Handshake packet cannot be read: a note that says so, never a
    diagnosis; with the key log its CONNECTION_CLOSE is named as the alert it carries."""
    assert on(plain, 50105) == [("quic.handshake_incomplete", "note", [14, 15])]
    note = next(f for f in plain if f.stream == 4)
    assert "--keylog" in note.explanation and "cannot tell" in note.explanation
    assert on(keyed, 50105) == [("quic.connection_close", "error", [16])]
    cc = next(f for f in keyed if f.stream == 4)
    assert "bad_certificate (42)" in cc.summary and "from the client" in cc.summary
    assert "Handshake packet (read with the key log)" in cc.explanation
    assert "ServerHello in frame 15" in cc.explanation


def test_version_negotiation_without_common_version_is_an_error(plain):
    assert on(plain, 50106) == [("quic.version_negotiation", "error", [17, 18])]
    f = next(f for f in plain if f.stream == 5)
    assert "QUIC v2 (0x6b3343cf)" in f.summary
    assert "QUIC v1 (0x00000001)" in f.explanation and "draft-29 (0xff00001d)" in f.explanation


def test_version_negotiation_followed_by_a_listed_version_is_a_note(plain):
    assert on(plain, 50107) == [("quic.version_negotiation", "note", [19, 20, 21])]
    f = next(f for f in plain if f.stream == 6)
    assert "frame 21" in f.explanation and "UDP stream 7" in f.explanation and "completed" in f.explanation


def test_keys_change_only_what_they_reveal(plain, keyed):
    """The key log adds the close in the Handshake packet and removes the note it explains; the
    rest is the same."""
    def rest(fs):
        return sorted((f.kind, f.severity, f.frames, f.stream) for f in fs if f.stream != 4)

    assert rest(plain) == rest(keyed)


def test_text_from_packets_is_escaped(tmp_path):
    """A reason phrase with control characters is escaped before it reaches a summary or explanation."""
    sys.path.insert(0, str(DATA.parents[0] / "unit" / "quic"))
    import make_quic_findings_capture as M
    from factory import pcap

    c = M.Conn(50199, 99)
    frames = [c.c(c.c_initial(0)), c.s(c.s_initial(0, M.cc_transport(0x128, b"\x1b[31mred")))]
    p = tmp_path / "esc.pcap"
    p.write_bytes(pcap([(10**18 + i * 10**6, f, len(f)) for i, f in enumerate(frames)]))
    out = subprocess.run([sys.executable, "-m", "tlstui", "findings", str(p), "--json"], capture_output=True,
                         text=True)
    got = json.loads(out.stdout)
    assert out.returncode == 3
    assert {f["kind"] for f in got} == {"quic.connection_close", "tls.no_shared_cipher"}
    assert all("\x1b" not in f["summary"] + f["explanation"] for f in got)
    assert "\\x1b" in next(f for f in got if f["kind"] == "quic.connection_close")["explanation"]


def _crafted(tmp_path, build) -> list:
    """Findings for the datagrams ``build(M, conn)`` returns (one connection, 1 ms apart)."""
    sys.path.insert(0, str(DATA.parents[0] / "unit" / "quic"))
    import make_quic_findings_capture as M
    from factory import pcap

    from tlstui.session import Session

    c = M.Conn(50201, 42)
    frames = build(M, c)
    p = tmp_path / "one.pcap"
    p.write_bytes(pcap([(10**18 + i * 10**6, f, len(f)) for i, f in enumerate(frames)]))
    s = Session.open(str(p))
    s.analyze()
    return [(f.kind, f.severity, f.frames) for f in find_all(s)]


def test_no_error_close_during_handshake(tmp_path):
    """NO_ERROR before the handshake completed: the client abandoning a spare connection is a note,
    the server ending it without a reason a warning; neither is a quic.connection_close."""
    by_client = _crafted(tmp_path, lambda M, c: [
        c.c(c.c_initial(0)), c.s(c.s_initial(0, M.SH_CRYPTO)), c.c(c.c_initial(1, M.cc_transport(0) + bytes(30)))])
    assert by_client == [("quic.handshake_incomplete", "note", [1, 2, 3])]
    by_server = _crafted(tmp_path, lambda M, c: [
        c.c(c.c_initial(0)), c.s(c.s_initial(0, M.cc_transport(0, b"go away")))])
    assert by_server == [("quic.handshake_incomplete", "warning", [1, 2])]


def test_version_negotiation_listing_the_clients_own_version(tmp_path):
    got = _crafted(tmp_path, lambda M, c: [c.c(c.c_initial(0)), c.s(M.vn_packet(c.ccid, c.dcid, [0xFF00001D, 1]))])
    assert got == [("quic.version_negotiation", "warning", [1, 2])]


def test_server_flight_repeated_to_a_silent_client(tmp_path):
    """The server sends its answer again over more than a second and the client never answers it:
    evidence the answers do not arrive (a warning); a single answer the capture ends after is a note."""
    def build(M, c):
        sh = c.s(c.s_initial(0, M.SH_CRYPTO))
        return [c.c(c.c_initial(0)), sh] + [b""] * 1200 + [c.s(c.s_initial(1, M.SH_CRYPTO))]

    def without_gaps(M, c):
        return [f for f in build(M, c) if f]

    got = _crafted_timed(tmp_path, build)
    assert got == [("quic.handshake_incomplete", "warning", [1, 2, 3])]
    assert _crafted(tmp_path, lambda M, c: without_gaps(M, c)[:2]) == [("quic.handshake_incomplete", "note", [1, 2])]


def _crafted_timed(tmp_path, build) -> list:
    """As _crafted, with an empty entry in the list standing for one more millisecond of silence."""
    sys.path.insert(0, str(DATA.parents[0] / "unit" / "quic"))
    import make_quic_findings_capture as M
    from factory import pcap

    from tlstui.session import Session

    c = M.Conn(50202, 43)
    recs = [(10**18 + i * 10**6, f, len(f)) for i, f in enumerate(build(M, c)) if f]
    p = tmp_path / "timed.pcap"
    p.write_bytes(pcap(recs))
    s = Session.open(str(p))
    s.analyze()
    return [(f.kind, f.severity, f.frames) for f in find_all(s)]
