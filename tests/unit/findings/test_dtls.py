"""dtls.handshake_retransmission, dtls.handshake_stalled, dtls.fragmented_handshake."""
from __future__ import annotations

import json

from findings_support import capture_path, of_kind, one, rule_output

from tlstui.findings.context import Context
from tlstui.findings.rules import dtls_handshake_retransmission, dtls_handshake_stalled


def test_s10b_retransmitted_flights():
    f = one("s10b", "dtls.handshake_retransmission")
    # ClientHello resent (4, 5) and the server's flight 4 twice (10-15, 16-22)
    assert f.frames[:2] == [4, 5]
    assert set(range(10, 23)) <= set(f.frames)
    assert f.severity == "warning" and f.stream == 0
    assert "client" in f.explanation and "server" in f.explanation
    assert "overlap" in f.explanation  # the re-fragmented resend tshark calls malformed
    assert "completed" in f.explanation


def test_s10a_fragmented_handshake():
    f = one("s10a", "dtls.fragmented_handshake")
    truth = json.loads((capture_path("s10a").parent / (capture_path("s10a").name + ".filters.json")).read_text())
    assert set(truth["dtls.handshake.fragment_offset > 0"]) <= set(f.frames)  # 5-9
    assert f.frames[0] == 4  # the first fragment (offset 0) is in datagram 4
    assert f.severity == "note"
    assert "Certificate" in f.explanation and "records per datagram" in f.summary
    assert of_kind("s10a", "dtls.handshake_retransmission") == []
    assert of_kind("s10a", "dtls.handshake_stalled") == []


def test_no_stall_in_completed_handshakes():
    for prefix in ("s10a", "s10b"):
        assert rule_output(prefix, dtls_handshake_stalled) == []


def test_stalled_when_the_last_flight_gets_no_answer(fresh_session):
    s = fresh_session("s10a")
    # Keep only the first four flights: the server's flight 4 (Certificate...) was the last one.
    st = s.tls.streams()[("udp", 0)]
    st.dtls_flights[:] = st.dtls_flights[:4]
    st.finished_frames[:] = [[], []]
    st.app_data_frames[:] = [0, 0]
    st.last_record_frame[:] = [3, 8]
    st.alerts[:] = []
    # ... and no datagram from the client after it.
    us = s.conv.udp_stream
    for i in range(8, len(us)):
        us[i] = -1
    got = dtls_handshake_stalled.check(Context(s))
    assert len(got) == 1 and got[0].frames == [4] and got[0].kind == "dtls.handshake_stalled"
    assert "server's flight" in got[0].summary


def test_retransmission_rule_silent_without_dtls():
    for prefix in ("s01", "s08a"):
        assert rule_output(prefix, dtls_handshake_retransmission) == []


def _udp_frame(sport: int, dport: int, payload: bytes) -> bytes:
    import struct

    from craft import _ipv4

    udp = struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + _ipv4(bytes([10, 9, 9, 1]), bytes([10, 9, 9, 2]), 17, udp)


def _stall_then(tmp_path, name: str, gap_s: float, more: int):
    """s10a's ClientHello, HelloVerifyRequest and second ClientHello, then other UDP traffic:
    ``more`` datagrams a second apart, starting ``gap_s`` after the ClientHello."""
    from craft import findings_of
    from factory import pcap, real_frames

    frames = real_frames("s10a_dtls12_fragmented.pcap")[:3]
    t = frames[-1][0]
    for i in range(more):
        f = _udp_frame(5000, 6000, b"other traffic")
        frames.append((t + int((gap_s + i) * 1e9), f, len(f)))
    p = tmp_path / name
    p.write_bytes(pcap(frames))
    return [f for f in findings_of(p) if f.kind == "dtls.handshake_stalled"]


def test_stall_is_an_error_only_when_the_capture_kept_running(tmp_path):
    # the capture goes on (other traffic for 10 s) and the ClientHello is never resent: stalled
    got = _stall_then(tmp_path, "running.pcap", 0.5, 10)
    assert len(got) == 1 and got[0].severity == "error" and got[0].frames == [3]
    # ndpi_stun: the next frame is years later (captures joined): cannot be judged
    got = _stall_then(tmp_path, "joined.pcap", 86400 * 400, 3)
    assert len(got) == 1 and got[0].severity == "note" and "gap of" in got[0].explanation
