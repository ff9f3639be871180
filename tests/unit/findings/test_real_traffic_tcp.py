"""tcp.retransmission on the shapes real captures have (issue 14): a retransmission is not always a
loss.  Captures made here with tests/craft.py; the third-party capture each case came from is named."""
from __future__ import annotations

from craft import ACK, FIN, SYN, TcpTalk, findings_of, write
from tcpfactory import mss


def retransmissions(tmp_path, t: TcpTalk, name: str = "c.pcap") -> list:
    return [f for f in findings_of(write(tmp_path / name, t)) if f.kind == "tcp.retransmission"]


def test_packets_captured_twice_are_not_losses(tmp_path):
    # ndpi_whois: every packet is in the capture twice, 50 µs apart (a mirror port, two interfaces)
    t = TcpTalk()
    for fc, seq, ack, flags, payload in ((True, 0, 0, SYN, b""), (False, 0, 1, SYN | ACK, b""),
                                         (True, 1, 1, ACK, b""), (True, 1, 1, ACK | 0x08, b"x" * 300),
                                         (False, 1, 301, ACK | 0x08, b"y" * 900), (True, 301, 901, ACK, b"")):
        opts = mss() if flags & SYN else b""
        t.send(fc, seq, ack, flags, payload, opts=opts, dt_us=20_000)
        t.send(fc, seq, ack, flags, payload, opts=opts, dt_us=50)
    got = retransmissions(tmp_path, t)
    assert len(got) == 1 and got[0].severity == "note"
    assert "captured twice" in got[0].explanation and "not losses" in got[0].explanation


def test_unanswered_syn_is_a_warning_that_says_connect_timeout(tmp_path):
    # ja4_ssh2 stream 6: the SYN to a filtered port sent five times, never answered
    t = TcpTalk()
    frames = [t.send(True, 0, 0, SYN, opts=mss(), dt_us=dt) for dt in (1000, 1_000_000, 2_000_000, 4_000_000)]
    got = retransmissions(tmp_path, t)
    assert len(got) == 1 and got[0].severity == "warning" and got[0].frames == frames[1:]
    assert "never answered" in got[0].explanation and "connect timeout" in got[0].explanation
    assert got[0].summary.startswith("connection attempt never answered (SYN sent 4 times)")


def test_syn_answered_late_is_a_warning(tmp_path):
    # ndpi_sites stream 20: the seventh SYN is answered, 65 s after the first
    t = TcpTalk()
    for dt in (1000, 1_000_000, 2_000_000, 4_000_000):
        t.send(True, 0, 0, SYN, opts=mss(), dt_us=dt)
    t.send(False, 0, 1, SYN | ACK, opts=mss())
    t.send(True, 1, 1, ACK)
    got = retransmissions(tmp_path, t)
    assert len(got) == 1 and got[0].severity == "warning" and "answered late" in got[0].explanation
    assert "4 attempts" in got[0].explanation and got[0].summary.startswith("connection answered only after 4 SYNs")


def test_half_open_and_unacknowledged_fin_are_notes(tmp_path):
    # ndpi_synscan: the scanned server resends its SYN-ACK; ndpi_googledns_android10: a FIN resent
    # to a peer that forgot the connection, which finally answers RST
    t = TcpTalk()
    t.send(True, 0, 0, SYN, opts=mss())
    for dt in (1000, 3_000_000, 6_000_000, 12_000_000):
        t.send(False, 0, 1, SYN | ACK, opts=mss(), dt_us=dt)
    u = TcpTalk(sport=40001)
    u.open()
    for dt in (1000, 200_000, 400_000, 800_000):
        u.send(False, 1, 1, FIN | ACK, dt_us=dt)
    got = retransmissions(tmp_path, t, "half.pcap")
    assert len(got) == 1 and got[0].severity == "note" and "half-open" in got[0].explanation
    got = retransmissions(tmp_path, u, "fin.pcap")
    assert len(got) == 1 and got[0].severity == "note" and "only a FIN" in got[0].explanation


def test_lost_data_resent_three_times_is_still_a_warning(tmp_path):
    t = TcpTalk()
    t.open()
    t.data(True, b"q" * 100)
    t.ack(False)
    first = t.data(False, b"r" * 1000)
    for dt in (300_000, 600_000, 1_200_000):
        t.data(False, b"r" * 1000, seq=1, dt_us=dt)
    t.ack(True)
    got = retransmissions(tmp_path, t)
    assert len(got) == 1 and got[0].severity == "warning" and first not in got[0].frames and len(got[0].frames) == 3


def test_syn_rejected_by_icmp_names_the_firewall(tmp_path):
    # ja4_ssh2 stream 18: each SYN answered by ICMP "communication administratively filtered"
    from craft import icmp_unreachable, ip_packet

    t = TcpTalk()
    extra = []
    for dt in (1000, 1_000_000, 2_000_000, 4_000_000):
        n = t.send(True, 0, 0, SYN, opts=mss(), dt_us=dt)
        syn = t.frames[n - 1][1]
        icmp = icmp_unreachable(bytes([10, 0, 0, 254]), t.client, ip_packet(syn), code=13)
        extra.append((t.frames[n - 1][0] + 2_000_000, icmp, len(icmp)))
    got = [f for f in findings_of(write(tmp_path / "c.pcap", t, extra=extra)) if f.kind == "tcp.retransmission"]
    assert len(got) == 1 and got[0].severity == "warning"
    e = got[0].explanation
    assert "10.0.0.254 answered with ICMP Destination unreachable (Communication administratively filtered)" in e
    assert "packet loss" not in e  # no data was lost: the general story is not told
    assert got[0].summary.startswith("connection attempt rejected by ICMP")
