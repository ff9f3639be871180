"""tlstui diff over UDP (DTLS, QUIC and the rest run over it): pairs written with dpkt (udpgen.py), one
datagram flow captured at the client (A) and at the server (B), with datagrams dropped, rewritten or
injected between the points; headless `tlstui diff A B --json` and the result's frames on both sides."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import dpkt
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: tcpfactory
sys.path.insert(0, str(Path(__file__).resolve().parent))

from udpgen import write_pair  # noqa: E402

from tlstui.cli import main  # noqa: E402
from tlstui.diff import diff_captures  # noqa: E402
from tlstui.diff.kinds import DIFF_KINDS  # noqa: E402


def paths(tmp_path):
    return str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")


def diff_json(capsys, a, b):
    rc = main(["diff", a, b, "--json"])
    out = capsys.readouterr()
    return rc, json.loads(out.out), out.err


def test_clean_udp_pair_reports_nothing(tmp_path, capsys):
    a, b = paths(tmp_path)
    write_pair(a, b)
    rc, got, err = diff_json(capsys, a, b)
    assert (rc, got) == (0, [])
    assert "clock offset: B = A + 2.500000 s (from 20 datagrams seen at both points" in err
    r = diff_captures(a, b)
    assert r.udp["flows"] == (1, 1) and r.udp["matched"] == {"4-tuple": 1} and r.udp["datagrams_paired"] == 20


def test_one_datagram_dropped_and_one_rewritten(tmp_path, capsys):
    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, drop=(6,), rewrite={11: 30})  # 6: client -> server; 11: server -> client
    rc, got, err = diff_json(capsys, a, b)
    assert rc == 3  # an error (the rewrite): as `findings`
    assert sorted(f["kind"] for f in got) == ["diff.dropped", "diff.rewritten"]
    assert all(f["kind"] in DIFF_KINDS for f in got)
    drop, = [f for f in got if f["kind"] == "diff.dropped"]
    assert drop["frames"] == [fa[6]] and drop["frames_b"] == [] and 6 not in fb
    assert drop["stream"] == 0 and drop["stream_b"] == 0 and drop["severity"] == "warning"
    assert "udp.stream 0" in drop["summary"] and "10.0.0.1:5684 -> 10.0.1.2:4433 (A->B)" in drop["summary"]
    assert "left A and never reached B" in drop["summary"]
    rw, = [f for f in got if f["kind"] == "diff.rewritten"]
    assert rw["frames"] == [fa[11]] and rw["frames_b"] == [fb[11]] and rw["severity"] == "error"
    assert "10.0.1.2:4433 -> 10.0.0.1:5684 (B->A)" in rw["summary"]
    # B is the sender of datagram 11: 'sent' is B's byte, 'arrived' A's.
    data_b = [bytes(buf) for _ts, buf in dpkt.pcap.Reader(open(b, "rb"))]
    sent = data_b[fb[11] - 1][14 + 20 + 8 + 30]
    assert f"first differing byte at offset 30: sent 0x{sent:02x}, arrived 0x{sent ^ 0x5A:02x}" in rw["explanation"]
    assert "Seen" in rw["explanation"] and "Inferred" in rw["explanation"]
    r = diff_captures(a, b)
    assert r.udp["datagrams_paired"] == 18 and r.udp["datagrams_rewritten"] == 1
    assert r.links.counterpart(0, fa[11]) == fb[11] and r.links.counterpart(1, fb[12]) == fa[12]
    assert r.links.alone(0, fa[6]) and r.links.counterpart(0, fa[6]) is None


def test_through_nat_with_an_injected_datagram(tmp_path, capsys):
    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, drop=(4,), inject=(9,), nat=True)
    rc, got, _err = diff_json(capsys, a, b)
    assert rc == 3
    by = {}
    for f in got:
        by.setdefault(f["kind"], []).append(f)
    assert set(by) == {"diff.dropped", "diff.injected", "diff.header_rewritten"}
    nat, = by["diff.header_rewritten"]
    assert nat["severity"] == "note" and "10.0.0.1:5684 at A is 198.51.100.7:61000 at B" in nat["summary"]
    inj, = by["diff.injected"]
    assert inj["frames"] == [fa["inj9"]] and inj["frames_b"] == [] and inj["severity"] == "error"
    assert "arrived at A that B never sent" in inj["summary"]
    assert f"A#{fa['inj9']} len 60, TTL 250; the peer's datagrams that passed arrive with TTL 63" in inj["explanation"]
    drop, = by["diff.dropped"]
    assert drop["frames"] == [fa[4]]
    r = diff_captures(a, b)
    assert r.udp["matched"] == {"payload hash": 1}


def test_resent_flight_copies_pair_one_for_one(tmp_path, capsys):
    """A DTLS flight sent twice (the same bytes): the first copy lost, the resent one arrives."""
    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, drop=(2,), resend={2: 1_000_000})
    assert "r2" in fb and 2 not in fb
    rc, got, _err = diff_json(capsys, a, b)
    assert rc == 1
    drop, = got
    assert drop["kind"] == "diff.dropped" and drop["frames"] == [fa[2]]  # the first copy, not the resent one
    r = diff_captures(a, b)
    assert r.links.counterpart(0, fa["r2"]) == fb["r2"]


def test_rewrite_far_from_the_expected_time_is_a_drop_and_an_injection(tmp_path):
    """Leftovers are only called one datagram rewritten when they arrive when it was due."""
    from tlstui.diff import udp

    a, b = paths(tmp_path)
    write_pair(a, b, rewrite={11: 30})
    old = udp.REWRITE_WINDOW_NS
    udp.REWRITE_WINDOW_NS = -1
    try:
        r = diff_captures(a, b)
    finally:
        udp.REWRITE_WINDOW_NS = old
    assert sorted(f.kind for f in r.findings) == ["diff.dropped", "diff.injected"]


def test_tcp_and_udp_in_one_pair(tmp_path, capsys):
    """A clean TCP connection beside the UDP flow: only the UDP drop is reported, on the TCP clock."""
    from pairgen import conversation, write_pair as tcp_pair

    pkts, cisn, sisn = conversation()
    ta, tb = str(tmp_path / "ta.pcap"), str(tmp_path / "tb.pcap")
    tcp_pair(pkts, cisn, sisn, ta, tb)

    def frames(p):
        return [(int(ts * 1_000_000_000), bytes(buf)) for ts, buf in dpkt.pcap.Reader(open(p, "rb"))]

    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, drop=(7,), extra_a=frames(ta), extra_b=frames(tb))
    rc, got, err = diff_json(capsys, a, b)
    assert rc == 1
    f, = got
    assert f["kind"] == "diff.dropped" and f["frames"] == [] and f["frames_b"] == [fb[7]]  # 7: server -> client
    assert "udp.stream" in f["summary"] and "(B->A)" in f["summary"]
    assert "segments seen at both points" in err and "UDP flows: A 1, B 1" in err
    r = diff_captures(a, b)
    assert r.matched == {"ISN": 1} and r.udp["datagrams_paired"] == 19


@pytest.mark.parametrize("offset_ns", [0, -3_000_000_000])
def test_clock_offsets_do_not_matter(tmp_path, offset_ns):
    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, drop=(6,), rewrite={11: 30}, offset_ns=offset_ns)
    r = diff_captures(a, b)
    assert sorted((f.kind, tuple(f.frames), tuple(f.frames_b)) for f in r.findings) == [
        ("diff.dropped", (fa[6],), ()), ("diff.rewritten", (fa[11],), (fb[11],))]
    assert abs(r.clock_offset_ns - offset_ns) < 100_000


def test_ttl_rewritten_on_one_datagram(tmp_path, capsys):
    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, ttl={4: 200})  # 4: client -> server, arrives at B with TTL 200 (sent with 64)
    rc, got, _err = diff_json(capsys, a, b)
    assert rc == 1
    f, = got
    assert f["kind"] == "diff.header_rewritten" and f["frames"] == [fa[4]] and f["frames_b"] == [fb[4]]
    assert "TTL rewritten" in f["summary"] and "(A->B)" in f["summary"]
    assert f"A#{fa[4]} <-> B#{fb[4]}: sent 64, arrived 200" in f["explanation"]


def test_reordered_datagram(tmp_path, capsys):
    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, hold={8: 30_000_000})  # 8: client -> server, held 30 ms: after 10 and 12
    assert fb[8] > fb[12]
    rc, got, _err = diff_json(capsys, a, b)
    assert rc == 1
    f, = got
    assert f["kind"] == "diff.reordered" and f["frames"] == [fa[8]] and f["frames_b"] == [fb[8]]
    assert "1 of 10 datagrams arrived at B after datagrams sent later" in f["summary"]


def test_real_dtls_handshake_with_resent_flights(tmp_path, capsys):
    """A real DTLS 1.2 capture (tests/data/s10b: lossy, its ClientHello sent three times, the server's
    flight three times) as the client's point; the server's point made from it: client datagrams 1 ms
    later, the server's 1 ms earlier, the second of the three identical ClientHellos (frame 4) lost,
    one byte of the client's first Application Data (frame 25) changed on the way."""
    data = Path(__file__).resolve().parents[2] / "data" / "s10b_dtls12_lossy_retransmit.pcap"
    with open(data, "rb") as f:
        r = dpkt.pcap.Reader(f)
        link = r.datalink()
        frames = [(int(ts * 1_000_000_000), bytes(buf)) for ts, buf in r]
    from tlstui.dissect import fast

    rows_b = []
    for n, (t, buf) in enumerate(frames, 1):
        tr = fast.parse_transport(buf, 0, len(buf), link, len(buf))
        to_server = tr.dport == 4444
        if n == 4:
            continue
        if n == 25:
            buf = buf[:tr.payload_off + 20] + bytes([buf[tr.payload_off + 20] ^ 0xFF]) + buf[tr.payload_off + 21:]
        rows_b.append((t + (1_000_000 if to_server else -1_000_000), n, buf))
    rows_b.sort(key=lambda x: x[0])
    a, b = str(data), str(tmp_path / "server.pcap")
    with open(b, "wb") as f:
        w = dpkt.pcap.Writer(f, nano=True, linktype=link)
        for t, _n, buf in rows_b:
            w.writepkt(buf, ts=t / 1e9)
    at_b = {n: i for i, (_t, n, _buf) in enumerate(rows_b, 1)}
    rc, got, err = diff_json(capsys, a, b)
    assert rc == 3
    assert sorted((f["kind"], tuple(f["frames"]), tuple(f["frames_b"])) for f in got) == [
        ("diff.dropped", (4,), ()), ("diff.rewritten", (25,), (at_b[25],))]
    assert "B = A - 0.000000 s (from 26 datagrams seen at both points" in err  # 28 less the lost and the rewritten one


def test_datagram_held_back_is_a_delay(tmp_path, capsys):
    a, b = paths(tmp_path)
    fa, fb = write_pair(a, b, hold={8: 300_000_000})  # held 300 ms on the way to the server
    rc, got, err = diff_json(capsys, a, b)
    assert rc == 1
    by = {f["kind"]: f for f in got}
    assert set(by) == {"diff.delay", "diff.reordered"}
    d = by["diff.delay"]
    assert d["frames"] == [fa[8]] and d["frames_b"] == [fb[8]] and d["stream"] is None
    assert "one-way delay UDP A->B: median 2.000 ms" in d["summary"] and "max 302.000 ms" in d["summary"]
    assert "one-way delay UDP A->B: median 2.000 ms" in err and "(10 datagrams)" in err
    assert "one-way delay UDP B->A: median 2.000 ms" in err
