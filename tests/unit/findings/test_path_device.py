"""tcp.retransmission_mismatch, tcp.synack_without_options, ip.middlebox_signature (case 000)."""
from __future__ import annotations

import json

from findings_support import capture_path, of_kind, one, rule_output

from tlstui.findings.rules import ip_middlebox_signature, tcp_retransmission_mismatch, tcp_synack_without_options


def test_s12a_mismatch_frames_and_evidence():
    f = one("s12a", "tcp.retransmission_mismatch")
    crafted = json.loads((capture_path("s12a").parent / (capture_path("s12a").name + ".crafted.json")).read_text())
    # frame 36 (an identical copy of frame 16's first 482 bytes) is re-segmentation, not a rewrite
    assert f.frames == [35]
    assert f.severity == "error" and f.stream == 0
    assert "10.10.0.1:40062 → 10.10.0.2:443" in f.summary
    e = f.explanation
    assert "frame 35 resends" in e and "first sent in frame 11" in e
    assert "16 of the overlapping bytes differ" in e  # 16 payload bytes XOR 0xA5
    assert "frame 36" not in e and "instead of" not in e
    assert "tcp.seq" in e
    assert crafted  # the crafted record exists beside the copy


def test_mismatch_silent_on_real_loss():
    for prefix in ("s08a", "s08b", "s01", "s13h"):
        assert rule_output(prefix, tcp_retransmission_mismatch) == []


def test_s12b_synacks_without_options():
    got = of_kind("s12b", "tcp.synack_without_options")
    assert [f.frames for f in got] == [[2], [20], [38]]
    assert [f.stream for f in got] == [0, 1, 2]
    assert all(f.severity == "warning" for f in got)
    assert "10.10.0.1:40072 → 10.10.0.2:443" in got[0].summary  # client first, though the server sent it
    # the other sign of the same device is pointed out
    assert "TTL/ip.id" in got[0].explanation


def test_s12b_middlebox_signature():
    f = one("s12b", "ip.middlebox_signature")
    truth = json.loads((capture_path("s12b").parent / (capture_path("s12b").name + ".filters.json")).read_text())
    assert f.frames == truth["ip.ttl == 16"]  # all 26 inbound frames
    assert f.stream is None  # spans three streams
    assert "TTL 16" in f.summary and "0x2a00" in f.summary
    for ip in ("10.10.0.2", "10.10.0.3", "10.10.0.4"):
        assert ip in f.summary
    assert "SYN-ACKs without TCP options" in f.explanation


def test_path_device_rules_silent_on_normal_captures():
    for prefix in ("s01", "s02", "s07", "s08a", "s13a", "s13c", "s13e"):
        assert rule_output(prefix, tcp_synack_without_options) == []
        assert rule_output(prefix, ip_middlebox_signature) == []
