"""Issue 14, TCP/IP level: retransmission mismatches that hold on real traffic, ICMP frag-needed /
Packet Too Big, path MTU black holes, one-direction streams, snaplen cuts.

Every capture is made here at test time (tests/craft.py), so these run without ../shared and tshark.
"""
from __future__ import annotations

import pytest
from craft import (CLIENT, SERVER, TcpTalk, TcpTalk6, findings_of, icmp_frag_needed, icmp_unreachable,
                   icmpv6_too_big, ip_packet, open_session, write)
from factory import to_raw, to_sll, to_vlan

from tlstui.findings.context import Context
from tlstui.findings.oneway import is_one_direction, one_direction_info, one_direction_streams

ROUTER = bytes([192, 0, 2, 1])
ROUTER6 = bytes.fromhex("20010db8ffff00000000000000000001")
MINE = {"tcp.retransmission_mismatch", "ip.fragmentation_needed", "tcp.pmtu_blackhole", "capture.one_direction",
        "capture.snaplen_truncated"}


def kinds(found) -> dict:
    out: dict = {}
    for f in found:
        out.setdefault(f.kind, []).append(f)
    return out


def number(conn, n: int, extra) -> int:
    """The frame number in the written capture of the conn's own frame ``n`` (extra frames merged by time)."""
    t = conn.frames[n - 1][0]
    return n + sum(1 for e in extra if e[0] < t)


def at(conn, extra_us: int = 500) -> int:
    """A time just after the conn's last frame."""
    return conn.t + extra_us * 1000


def blob(n: int, seed: int = 1) -> bytes:
    return bytes((i * 7 + seed) & 0xFF for i in range(n))


# --- tcp.retransmission_mismatch ---------------------------------------------------------------

def test_shorter_resend_with_equal_bytes_is_no_mismatch(tmp_path):
    # After an ICMP frag-needed the sender resends 1452 of the 1460 bytes it sent, all equal.
    t = TcpTalk()
    t.open()
    data = blob(1460)
    t.data(True, data)
    resend = t.data(True, data[:1452], seq=1, dt_us=200_000)
    t.data(True, data[1452:], seq=1453)
    t.ack(False)
    s = open_session(write(tmp_path / "short.pcap", t))
    assert s.tcp_analyzer.mismatches == []
    assert not s.tree(resend).fields("tlstui.tcp.retransmission_mismatch")
    assert "tcp.retransmission_mismatch" not in kinds(findings_of(tmp_path / "short.pcap"))


def test_resegmented_longer_resend_with_equal_bytes_is_no_mismatch(tmp_path):
    t = TcpTalk()
    t.open()
    data = blob(1000)
    t.data(True, data[:500])
    t.data(True, data[500:])
    t.data(True, data, seq=1, dt_us=300_000)  # one segment covering both
    t.ack(False)
    s = open_session(write(tmp_path / "long.pcap", t))
    assert s.tcp_analyzer.mismatches == []


def test_shorter_resend_with_a_differing_byte_is_a_mismatch(tmp_path):
    t = TcpTalk()
    t.open()
    data = blob(1460)
    orig = t.data(True, data)
    bad = bytearray(data[:1452])
    bad[700] ^= 0x5A
    resend = t.data(True, bytes(bad), seq=1, dt_us=200_000)
    t.ack(False)
    path = write(tmp_path / "bad.pcap", t)
    s = open_session(path)
    ms = s.tcp_analyzer.mismatches
    assert [(m.frame, m.original_frame, m.first_diff, m.differing, m.length_differs) for m in ms] == \
        [(resend, orig, 700, 1, True)]
    tree = s.tree(resend)
    assert tree.values("tlstui.tcp.retransmission_mismatch.first_diff_offset") == [700]
    assert tree.values("tlstui.tcp.retransmission_mismatch.length_differs") == [1]
    f = kinds(findings_of(path))["tcp.retransmission_mismatch"]
    assert len(f) == 1 and f[0].frames == [resend] and f[0].severity == "error"
    assert "1 of the overlapping bytes differ, the first at payload offset 700" in f[0].explanation
    assert "1452 bytes long instead of 1460" in f[0].explanation


def test_padding_counted_as_payload_is_no_mismatch(tmp_path):
    # A bare ACK whose IP length counts 2 bytes of Ethernet padding, then the data at the same seq.
    t = TcpTalk()
    t.open()
    t.data(True, b"\0\0", flags=0x10)
    t.data(True, b"\x16\x03\x01" + blob(200), seq=1)
    t.ack(False)
    s = open_session(write(tmp_path / "pad.pcap", t))
    assert s.tcp_analyzer.mismatches == []


def test_keepalive_garbage_byte_is_no_mismatch(tmp_path):
    # A keep-alive resends the last acknowledged byte as any byte (Windows: 0x00).
    t = TcpTalk()
    t.open()
    t.data(True, blob(100, 1) + b"\xff")
    t.ack(False)
    t.data(True, b"\0", seq=101, flags=0x10, dt_us=45_000_000)
    t.ack(False)
    s = open_session(write(tmp_path / "ka.pcap", t))
    assert s.tcp_analyzer.events("keep_alive") and s.tcp_analyzer.mismatches == []


# --- ip.fragmentation_needed -------------------------------------------------------------------

def _pmtud_worked(convert=None, linktype: int = 1, tmp_path=None):
    t = TcpTalk()
    t.open()
    data = blob(1460)
    big = t.data(True, data)  # a 1500-byte IP packet
    b = icmp_frag_needed(ROUTER, CLIENT, ip_packet(t.frames[big - 1][1]), 1400)
    icmp = [(at(t), b, len(b))]
    r1 = t.data(True, data[:1360], seq=1, dt_us=2000)
    t.data(True, data[1360:], seq=1361)
    t.ack(False)
    path = write(tmp_path / "fragneeded.pcap", t, extra=icmp, linktype=linktype, convert=convert)
    return t, icmp, big, r1, path


def test_frag_needed_is_matched_to_its_stream_and_frame(tmp_path):
    t, icmp, big, r1, path = _pmtud_worked(tmp_path=tmp_path)
    found = kinds(findings_of(path))
    f = found["ip.fragmentation_needed"]
    assert len(f) == 1
    f = f[0]
    big_no, r1_no = number(t, big, icmp), number(t, r1, icmp)
    assert f.frames[0] == big_no + 1  # the ICMP frame, right after the packet it quotes
    assert r1_no in f.frames
    assert f.stream == 0 and f.severity == "note"
    assert "MTU 1400" in f.summary and "192.0.2.1" in f.summary
    e = f.explanation
    assert "TCP stream 0 (matched by addresses and ports)" in e
    assert f"the packet of frame {big_no}" in e and "1500-byte TCP packet" in e
    assert "path MTU discovery worked" in e
    assert "tcp.pmtu_blackhole" not in found and "tcp.retransmission_mismatch" not in found


@pytest.mark.parametrize("convert,linktype", [(to_sll, 113), (to_vlan, 1), (to_raw, 101)],
                         ids=["sll", "vlan", "raw"])
def test_frag_needed_on_other_link_types(tmp_path, convert, linktype):
    t, icmp, big, r1, path = _pmtud_worked(convert, linktype, tmp_path)
    f = kinds(findings_of(path))["ip.fragmentation_needed"]
    assert len(f) == 1 and f[0].stream == 0 and "MTU 1400" in f[0].summary


def test_frag_needed_ignored_is_a_warning_and_the_blackhole_names_it(tmp_path):
    t = TcpTalk()
    t.open()
    t.data(False, blob(200, 3))  # small segments pass
    t.ack(True)
    data = blob(1460)
    big = t.data(False, data)
    extra = []
    for k in range(3):
        ts = at(t)
        b = icmp_frag_needed(ROUTER, SERVER, ip_packet(t.frames[big - 1][1]), 1400)
        extra.append((ts, b, len(b)))
        t.data(False, data, seq=201, dt_us=200_000 * (k + 1))
    t.data(False, blob(100, 5), seq=1661)
    t.send(True, t.next[0], 201, 0x10)  # a duplicate ACK: the small one arrived, the big one did not
    path = write(tmp_path / "ignored.pcap", t, extra=extra)
    found = kinds(findings_of(path))
    fn = found["ip.fragmentation_needed"]
    assert len(fn) == 1 and fn[0].severity == "warning"
    assert "larger than 1400 bytes still went out" in fn[0].explanation
    bh = found["tcp.pmtu_blackhole"]
    assert len(bh) == 1 and bh[0].stream == 0
    assert "see ip.fragmentation_needed" in bh[0].explanation
    assert "Inferred (not seen)" not in bh[0].explanation


def test_port_unreachable_is_not_frag_needed(tmp_path):
    t = TcpTalk()
    t.open()
    f = t.data(True, blob(100))
    b = icmp_unreachable(ROUTER, CLIENT, ip_packet(t.frames[f - 1][1]), code=3)
    t.ack(False)
    found = kinds(findings_of(write(tmp_path / "unreach.pcap", t, extra=[(at(t), b, len(b))])))
    assert "ip.fragmentation_needed" not in found


def test_packet_too_big_over_ipv6(tmp_path):
    t = TcpTalk6()
    t.open()
    data = blob(1440)
    big = t.data(True, data)  # 40 + 20 + 1440 = 1500
    b = icmpv6_too_big(ROUTER6, t.client, ip_packet(t.frames[big - 1][1]), 1280)
    extra = [(at(t), b, len(b))]
    r1 = t.data(True, data[:1220], seq=1, dt_us=2000)
    t.data(True, data[1220:], seq=1221)
    t.ack(False)
    path = write(tmp_path / "ptb.pcap", t, extra=extra)
    f = kinds(findings_of(path))["ip.fragmentation_needed"]
    assert len(f) == 1
    f = f[0]
    assert f.stream == 0 and f.severity == "note"
    assert f.summary.startswith("ICMPv6 Packet Too Big (MTU 1280) from 2001:db8:ffff::1")
    assert "[2001:db8::1]:40000 → [2001:db8::2]:443" in f.summary
    assert f"the packet of frame {number(t, big, extra)}" in f.explanation
    assert number(t, r1, extra) in f.frames


# --- tcp.pmtu_blackhole ----------------------------------------------------------------------

def _server_flight(tmp_path, acked_after: int | None):
    """Client hello (small), server answers with a 200-byte segment (ACKed), then a 1460-byte one
    sent 4 times (``acked_after``: ACKed after that many copies; None: never)."""
    t = TcpTalk()
    t.open()
    t.data(True, blob(200, 9))
    t.ack(False)
    t.data(False, blob(200, 3))
    t.ack(True)
    big = blob(1460)
    copies = [t.data(False, big)]
    small = t.data(False, blob(200, 4), seq=1661)
    t.send(True, t.next[0], 201, 0x10)  # duplicate ACK: the 200-byte one arrived, the big one did not
    for k in range(3):
        if acked_after is not None and len(copies) == acked_after:
            break
        copies.append(t.data(False, big, seq=201, dt_us=300_000 * (k + 1)))
    if acked_after is not None:
        t.next[1] = 1861
        t.ack(True)
    return t, copies, small, write(tmp_path / "bh.pcap", t)


def test_blackhole_full_size_lost_small_pass(tmp_path):
    t, copies, small, path = _server_flight(tmp_path, None)
    found = kinds(findings_of(path))
    bh = found["tcp.pmtu_blackhole"]
    assert len(bh) == 1
    f = bh[0]
    assert f.severity == "warning" and f.stream == 0
    assert all(c in f.frames for c in copies) and len(copies) == 4
    e = f.explanation
    assert e.startswith("Seen: server 10.0.0.2:443 sent 1 full-size segment (1460 bytes")
    assert "were acknowledged" in e and "duplicate ACK" in e
    assert "Inferred (not seen)" in e and "MSS clamping" in e and "ICMP" in e
    assert "ip.fragmentation_needed" not in found


def test_plain_loss_is_not_a_blackhole(tmp_path):
    # The full-size segment is acknowledged after its first retransmission: ordinary loss.
    t, copies, small, path = _server_flight(tmp_path, 2)
    assert len(copies) == 2
    assert "tcp.pmtu_blackhole" not in kinds(findings_of(path))


# --- capture.one_direction -------------------------------------------------------------------

def _one_way(conn, from_client: bool):
    """Keep only one side's frames (as a one-way mirror port would)."""
    src = conn.client if from_client else conn.server
    conn.frames = [f for f in conn.frames if f[1][26:30] == src]
    return conn


def _talk(sport: int = 40000) -> TcpTalk:
    t = TcpTalk(sport=sport)
    t.open()
    t.data(True, blob(300, 1))
    t.ack(False)
    t.data(False, blob(900, 2))
    t.ack(True)
    t.fin(True)
    t.fin(False)
    t.ack(True)
    return t


def test_client_side_only_stream(tmp_path):
    path = write(tmp_path / "oneway.pcap", _one_way(_talk(), True))
    s = open_session(path)
    ctx = Context(s)
    assert one_direction_streams(ctx) == {("tcp", 0)}
    assert is_one_direction(ctx, "tcp", 0) and not is_one_direction(ctx, "tcp", 1)
    w = one_direction_info(ctx)[("tcp", 0)]
    assert w.direction == 0 and w.role == "client" and w.payload == 300
    assert "_tlstui_oneway" in ctx.__dict__  # cached for the other rules
    f = kinds(findings_of(path))["capture.one_direction"]
    assert len(f) == 1 and f[0].severity == "note" and f[0].stream == 0 and f[0].frames == [1]
    e = f[0].explanation
    assert "the client's side, 10.0.0.1:40000 → 10.0.0.2:443" in e
    assert "cannot be judged incomplete" in e and "asymmetric routing" in e


def test_server_side_only_stream(tmp_path):
    path = write(tmp_path / "srv.pcap", _one_way(_talk(), False))
    f = kinds(findings_of(path))["capture.one_direction"]
    assert len(f) == 1 and "the server's side, 10.0.0.2:443 → 10.0.0.1:40000" in f[0].summary
    assert "SYN-ACK" in f[0].explanation


def test_many_one_way_streams_are_one_finding(tmp_path):
    conns = [_one_way(_talk(40000 + i), True) for i in range(5)]
    path = write(tmp_path / "many.pcap", *conns)
    f = kinds(findings_of(path))["capture.one_direction"]
    assert len(f) == 1 and f[0].stream is None and len(f[0].frames) == 5
    assert "5 TCP streams, all from the client's side" in f[0].summary


def test_unanswered_syn_is_not_one_direction(tmp_path):
    t = TcpTalk()
    t.send(True, 0, 0, 0x02)
    t.send(True, 0, 0, 0x02, dt_us=1_000_000)
    path = write(tmp_path / "syn.pcap", t)
    assert one_direction_streams(Context(open_session(path))) == set()
    assert "capture.one_direction" not in kinds(findings_of(path))


# --- capture.snaplen_truncated -----------------------------------------------------------------

def test_snaplen_reports_the_cut_not_the_header(tmp_path):
    t = _talk()
    t.frames = [(ts, b[:128], o) for ts, b, o in t.frames]
    path = write(tmp_path / "cut.pcap", t, snaplen=262144)
    f = kinds(findings_of(path))["capture.snaplen_truncated"]
    assert len(f) == 1
    f = f[0]
    assert f.severity == "warning"
    assert "cut at 128 bytes" in f.summary and "262144" in f.summary
    assert "The file header's snapshot length is 262144 bytes, larger than the cut" in f.explanation
    assert len(f.frames) == 2  # the 300- and 900-byte segments; the others are shorter than 128


def test_missing_fcs_is_a_note(tmp_path):
    t = _talk()
    t.frames = [(ts, b, o + 4) for ts, b, o in t.frames]
    f = kinds(findings_of(write(tmp_path / "fcs.pcap", t)))["capture.snaplen_truncated"]
    assert len(f) == 1 and f[0].severity == "note" and "Ethernet FCS" in f[0].summary


# --- absence ---------------------------------------------------------------------------------

def test_clean_connection_gets_none_of_these(tmp_path):
    found = kinds(findings_of(write(tmp_path / "clean.pcap", _talk())))
    assert not MINE & set(found), {k: [f.summary for f in v] for k, v in found.items() if k in MINE}
