"""What Wireshark misses: rewritten retransmissions, option-less SYN-ACKs, a shared TTL/ip.id counter."""
from __future__ import annotations

import pytest
from tcp_support import analyzed

import truth
from tlstui.tcp import analysis as A

S12A = truth.DATA / "s12a_tampered_retransmission.pcap"
S12B = truth.DATA / "s12b_proxy_signature_ttl16.pcap"
CLEAN = [p for p in truth.captures() if p.name not in (S12A.name, S12B.name, "tcp_edge_cases.pcap")]


def test_tampered_retransmissions_are_found_with_the_first_differing_byte():
    a = analyzed(str(S12A)).tcp_analyzer
    got = [(m.frame, m.original_frame, m.first_diff, m.length_differs, m.bytes_differ, m.length, m.original_length,
            m.differing) for m in a.mismatches]
    # frame 35 copies frame 11 with 16 payload bytes XOR 0xA5 from payload offset 121;
    # frame 36 copies frame 16's first 482 of 1448 bytes (identical prefix): a shorter resend with
    # equal bytes is re-segmentation, not a rewrite (issue 14), so it is no mismatch.
    assert got == [(35, 11, 121, False, True, 242, 242, 16)]
    assert a.events("retransmission_mismatch") == [(35, 0)]


def test_mismatch_fields_are_in_the_tree():
    s = analyzed(str(S12A))
    t = s.tree(35)
    assert t.values("tlstui.tcp.retransmission_mismatch.first_diff_offset") == [121]
    assert t.values("tlstui.tcp.retransmission_mismatch.original_frame") == [11]
    assert t.values("tlstui.tcp.retransmission_mismatch.length_differs") == [0]
    assert not s.tree(36).fields("tlstui.tcp.retransmission_mismatch")  # identical shorter copy
    assert not s.tree(11).fields("tlstui.tcp.retransmission_mismatch")
    # the first-sent bytes are what the receiver's stream holds
    r = s.reassembler
    frame, off = r.locate(0, 1, 0)
    assert frame > 0
    first = s.frame_bytes(11)
    pos = next(p for p, n, f, o in r.pieces(0, 1) if f == 11)
    data = r.stream_bytes(0, 1)
    assert data[pos:pos + 242] == first[66:66 + 242]


def test_synack_without_options_and_middlebox_signature():
    s = analyzed(str(S12B))
    a = s.tcp_analyzer
    assert a.synacks_without_options == [(2, 0), (20, 1), (38, 2)]
    assert s.tree(20).fields("tlstui.tcp.synack_without_options")
    assert len(a.middlebox_groups) == 1
    g = a.middlebox_groups[0]
    assert (g.ttl, g.first_id, g.last_id) == (16, 0x2A00, 0x2A19)
    assert sorted(g.sources) == [bytes([10, 10, 0, i]) for i in (2, 3, 4)]
    server_frames = [n for n in range(1, len(s) + 1) if s.tree(n).values("ip.ttl") == [16]]
    assert list(g.frames) == server_frames and len(server_frames) == 26
    t = s.tree(server_frames[5])
    assert t.values("tlstui.ip.middlebox_signature.ttl") == [16]
    assert t.values("tlstui.ip.middlebox_signature.sources") == [3]
    assert not s.tree(1).fields("tlstui.ip.middlebox_signature")  # the client's own packets


@pytest.mark.parametrize("capture", CLEAN, ids=lambda p: p.name)
def test_clean_captures_have_none_of_them(capture):
    s = analyzed(str(capture))
    a = s.tcp_analyzer
    assert a.mismatches == []
    assert a.synacks_without_options == []
    assert a.middlebox_groups == []
    assert not any(f & (A.MISMATCH | A.SYNACK_NO_OPTIONS | A.MIDDLEBOX) for f in a.flags)


def test_events_api():
    s = analyzed(str(truth.DATA / "tcp_edge_cases.pcap"))
    a = s.tcp_analyzer
    assert a.events("zero_window_probe") == [(10, 0)]
    assert a.events("zero_window_probe_ack") == [(11, 0)]
    assert a.events("keep_alive_ack") == [(14, 0), (16, 0)]
    assert a.events("reused_ports") == [(52, 3)]
    assert a.resets(1) == [44] and a.resets(3) == [55]
    assert a.zero_windows() == [9, 11] and a.zero_windows(1) == []
    assert a.synacks_without_options == [(53, 3)]
    assert a.initial_rtt(0) == pytest.approx(0.002)
    assert a.initial_rtt(4) is None  # no handshake seen
    assert a.flags_of(46) & A.RETRANSMISSION and not a.flags_of(46) & A.REUSED_PORTS
