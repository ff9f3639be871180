"""tlstui diff on capture pairs made from one conversation (pairgen.py): a clean pair reports nothing,
and every kind of path impairment is found with its frames on both sides."""
from __future__ import annotations

import json
import struct
import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: tcpfactory
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pairgen import CLIENT, SERVER, Path as Hop, Pkt, conversation, write_pair  # noqa: E402
from tcpfactory import ACK, PSH, RST  # noqa: E402

from tlstui.cli import main  # noqa: E402
from tlstui.diff import diff_captures  # noqa: E402
from tlstui.diff.kinds import DIFF_KINDS  # noqa: E402
from tlstui.findings.kinds import KNOWN_KINDS  # noqa: E402


def run(tmp_path, hop=None, retransmit=False, offset_ns=2_500_000_000, nat=None, **conv):
    pkts, cisn, sisn = conversation(retransmit=retransmit, **conv)
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    if nat is not None:
        pkts = nat(pkts)
    fa, fb = write_pair(pkts, cisn, sisn, a, b, hop, offset_ns=offset_ns)
    r = diff_captures(a, b)
    check_contract(r)
    return r, fa, fb, pkts


def check_contract(r):
    """Every finding: a known kind, one-line summary, seen apart from inferred, frames in order."""
    for f in r.findings:
        assert f.kind in DIFF_KINDS and f.severity in ("error", "warning", "note")
        assert "\n" not in f.summary and not any(ord(c) < 0x20 for c in f.summary + f.explanation)
        assert "Seen" in f.explanation and "Inferred" in f.explanation, f.explanation
        assert f.frames == sorted(set(f.frames)) and f.frames_b == sorted(set(f.frames_b))
        assert f.frames or f.frames_b
        d = f.to_dict()
        assert list(d)[:6] == ["kind", "severity", "summary", "explanation", "frames", "stream"]


def only(result, kind):
    got = [f for f in result.findings if f.kind == kind]
    assert got, [(f.kind, f.summary) for f in result.findings]
    return got


def tagged(tag, fn):
    def alter(p):
        return fn(p) if p.tag == tag else [p]
    return alter


def test_kinds_registered():
    assert DIFF_KINDS <= KNOWN_KINDS


@pytest.mark.parametrize("offset", [2_500_000_000, -7_123_456_789, 0])
def test_clean_pair_reports_nothing(tmp_path, offset):
    r, fa, fb, _ = run(tmp_path, retransmit=True, offset_ns=offset)
    assert r.findings == []
    assert r.matched == {"ISN": 1}
    assert r.pairs == len(fa)
    assert abs(r.clock_offset_ns - offset) < 1000  # the path's delay is the same both ways
    assert abs(r.delay["A->B"]["median"] - 1_000_000) < 1000 and abs(r.delay["B->A"]["median"] - 1_000_000) < 1000


def test_dropped(tmp_path):
    r, fa, fb, _ = run(tmp_path, Hop(alter=tagged("resp1", lambda p: [])))
    f, = only(r, "diff.dropped")
    assert f.frames == [] and f.frames_b == [fb["resp1"]] and f.severity == "warning"
    assert "left B and never reached A" in f.summary
    assert {x.kind for x in r.findings} == {"diff.dropped"}


def test_forged_rst(tmp_path):
    rst = Pkt(True, 0, 0, RST | ACK, t=1_700_000_000 * 10**9 + 40_000_000, src=CLIENT, dst=SERVER, sport=40000,
              dport=443, ttl=60, ip_id=1, tag="forged")
    pkts, cisn, sisn = conversation()
    rst.seq = next(p.seq for p in pkts if p.tag == "request")
    rst.ack = next(p.seq for p in pkts if p.tag == "resp0")
    r, fa, fb, _ = run(tmp_path, Hop(inject_at_b=[rst]))
    f, = only(r, "diff.injected")
    assert f.frames == [] and f.frames_b == [fb["forged"]] and f.severity == "error"
    assert "RST" in f.summary and "TTL 60 where the peer's segments arrive with 63" in f.explanation
    assert main([str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")][:0] + ["diff", str(tmp_path / "a.pcap"),
                                                                                str(tmp_path / "b.pcap")]) == 3


def flip_byte(at, p):
    b = bytearray(p.payload)
    b[at] ^= 0x20
    return [replace(p, payload=bytes(b))]


def test_rewritten_retransmission(tmp_path):
    r, fa, fb, _ = run(tmp_path, Hop(alter=tagged("retrans", lambda p: flip_byte(17, p))), retransmit=True)
    f, = only(r, "diff.rewritten")
    assert f.frames == [fa["retrans"]] and f.frames_b == [fb["retrans"]] and f.severity == "error"
    assert "first differing byte at offset 17" in f.explanation
    assert f"a retransmission (B#{fb['resp0']} first sent these bytes)" in f.explanation
    # The receiver already had the original: its TLS records are intact.
    assert {x.kind for x in r.findings} == {"diff.rewritten"}


def test_rewritten_record(tmp_path):
    r, fa, fb, _ = run(tmp_path, Hop(alter=tagged("resp2", lambda p: flip_byte(100, p))))
    f, = only(r, "diff.rewritten")
    assert f.frames == [fa["resp2"]] and f.frames_b == [fb["resp2"]]
    t, = only(r, "diff.tls_records")
    assert fa["resp2"] in t.frames and fb["resp2"] in t.frames_b and "Application Data" in t.summary


def set_opts(p, opts):
    return [replace(p, opts=opts)]


def test_mss_clamped(tmp_path):
    clamp = lambda p: set_opts(p, p.opts.replace(struct.pack(">BBH", 2, 4, 1460), struct.pack(">BBH", 2, 4, 1360)))  # noqa: E731
    r, fa, fb, _ = run(tmp_path, Hop(alter=tagged("syn", clamp)))
    f, = only(r, "diff.header_rewritten")
    assert f.frames == [fa["syn"]] and f.frames_b == [fb["syn"]]
    assert "MSS clamped (MSS 1460 -> 1360)" in f.summary


def test_options_stripped(tmp_path):
    strip = lambda p: set_opts(p, p.opts.replace(b"\x04\x02", b"\x01\x01"))  # noqa: E731
    r, fa, fb, _ = run(tmp_path, Hop(alter=tagged("synack", strip)))
    f, = only(r, "diff.header_rewritten")
    assert f.frames == [fa["synack"]] and f.frames_b == [fb["synack"]]
    assert "options stripped (SACK permitted removed)" in f.summary and "(B->A)" in f.summary


def test_ttl_rewritten(tmp_path):
    r, fa, fb, _ = run(tmp_path, Hop(alter=lambda p: [replace(p, ttl=16)] if not p.from_client else [p]))
    f, = only(r, "diff.header_rewritten")
    assert "TTL rewritten (arrives with 16" in f.summary
    assert fa["synack"] in f.frames and fb["synack"] in f.frames_b


def test_ip_id_and_window_rewritten(tmp_path):
    def alter(p):
        if p.tag == "request":
            return [replace(p, win=100)]
        return [replace(p, ip_id=p.ip_id ^ 0x5555)] if p.from_client else [p]
    r, fa, fb, _ = run(tmp_path, Hop(alter=alter))
    found = only(r, "diff.header_rewritten")
    ipid = [f for f in found if "ip.id rewritten" in f.summary]
    win = [f for f in found if "tcp.window_size_value rewritten" in f.summary]
    assert ipid and fa["syn"] in ipid[0].frames and fb["syn"] in ipid[0].frames_b
    assert win and win[0].frames == [fa["request"]] and win[0].frames_b == [fb["request"]]


def nat_b(pkts, addr=bytes([198, 51, 100, 7]), port=61000, shift=0):
    """Rewrite what B sees of the client: another address and port, sequence numbers shifted."""
    def b_view(p):
        if p.from_client:
            return replace(p, src=addr, sport=port, seq=p.seq + shift)
        return replace(p, dst=addr, dport=port, ack=p.ack + shift)
    return b_view


def test_nat(tmp_path):
    view = nat_b(None)
    r, fa, fb, _ = run(tmp_path, Hop(alter=lambda p: [view(p)] if p.from_client else [p], b_view=view))
    f, = only(r, "diff.header_rewritten")
    assert f.severity == "note" and "addresses translated (NAT): 10.0.0.1:40000 at A is 198.51.100.7:61000 at B" in f.summary
    assert r.matched == {"ISN": 1}


def test_nat_with_sequence_randomising(tmp_path):
    view = nat_b(None, shift=123456)
    r, fa, fb, _ = run(tmp_path, Hop(alter=lambda p: [view(p)] if p.from_client else [p], b_view=view))
    assert r.matched == {"TCP timestamps": 1}
    kinds = sorted(f.summary.split(": ", 1)[1][:25] for f in r.findings)
    assert kinds == ["addresses translated (NAT", "sequence numbers shifted "], kinds
    assert r.pairs == len(fa)


def test_reordered(tmp_path):
    def alter(p):
        if p.tag == "resp1":
            q = replace(p)
            q.extra_delay = 100_000  # behind resp2 (sent 30 us later)
            return [q]
        return [p]
    r, fa, fb, _ = run(tmp_path, Hop(alter=alter))
    f, = only(r, "diff.reordered")
    assert f.frames == [fa["resp1"]] and f.frames_b == [fb["resp1"]]
    assert {x.kind for x in r.findings} == {"diff.reordered"}


def test_delay_spread(tmp_path):
    r, fa, fb, _ = run(tmp_path, Hop(jitter_ns=150_000_000, seed=3))
    found = only(r, "diff.delay")
    assert sorted(f.summary.split(":")[0] for f in found) == ["one-way delay A->B", "one-way delay B->A"]
    assert all(f.frames and f.frames_b for f in found)
    assert r.delay["A->B"]["p95"] - r.delay["A->B"]["p5"] > 50_000_000


def test_injected_alert(tmp_path):
    pkts, cisn, sisn = conversation()
    last = [p for p in pkts if not p.from_client and p.payload][-1]
    alert = Pkt(False, last.seq + len(last.payload), next(p.seq for p in pkts if p.tag == "ack_resp"), PSH | ACK,
                b"\x15\x03\x03\x00\x02\x02\x28", t=1_700_000_000 * 10**9 + 39_000_000, src=SERVER, dst=CLIENT,
                sport=443, dport=40000, ttl=64, ip_id=9, tag="alert")
    r, fa, fb, _ = run(tmp_path, Hop(inject_at_a=[alert]))
    f, = only(r, "diff.injected")
    assert f.frames == [fa["alert"]] and f.frames_b == []
    t, = only(r, "diff.tls_alert")
    assert t.frames == [fa["alert"]] and "Handshake Failure" in t.summary and "only at A" in t.summary


def test_json_and_exit_codes(tmp_path, capsys):
    run(tmp_path)
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    assert main(["diff", a, b, "--json"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == [] and "clock offset: B = A + 2.500000 s" in out.err
    run(tmp_path, Hop(alter=tagged("resp1", lambda p: [])))
    assert main(["diff", a, b, "--json"]) == 1
    got = json.loads(capsys.readouterr().out)
    assert set(got[0]) == {"kind", "severity", "summary", "explanation", "frames", "stream", "frames_b", "stream_b"}
    assert main(["diff", a]) == 2
    assert main(["diff", a, str(tmp_path / "missing.pcap")]) == 2


def test_nat_without_timestamps_matched_by_payload(tmp_path):
    view = nat_b(None, shift=99999)
    r, fa, fb, _ = run(tmp_path, Hop(alter=lambda p: [view(p)] if p.from_client else [p], b_view=view),
                       timestamps=False)
    assert r.matched == {"payload hash": 1}
    assert r.pairs == len(fa)
    assert all(f.severity == "note" and f.kind == "diff.header_rewritten" for f in r.findings)


def test_b_starts_late_and_ends_early(tmp_path):
    """B's capture misses the handshake and the close: what it did not capture is no finding."""
    r, fa, fb, _ = run(tmp_path, retransmit=True)
    from pairgen import conversation as conv_, write_pair as write_
    pkts, cisn, sisn = conv_(retransmit=True)
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    write_(pkts, cisn, sisn, a, b)
    import dpkt
    with open(b, "rb") as f:
        rows = list(dpkt.pcap.Reader(f))
    with open(b, "wb") as f:
        w = dpkt.pcap.Writer(f, nano=True)
        for ts, buf in rows[5:-3]:
            w.writepkt(buf, ts=ts)
    got = diff_captures(a, b)
    assert got.findings == [], [x.summary for x in got.findings]
    assert got.matched == {"4-tuple": 1} and got.pairs == len(rows) - 8


def test_two_connections_only_the_impaired_one_reported(tmp_path):
    p1, c1, s1 = conversation(seed=1, cport=40000)
    p2, c2, s2 = conversation(seed=2, cport=40001, cisn=0x0BADCAFE, sisn=0x0DEFACED, t0=1_700_000_000 * 10**9 + 7_000_000)
    for p in p2:
        p.tag = "2" + p.tag
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    fa, fb = write_pair(sorted(p1 + p2, key=lambda p: p.t), c1, s1, a, b,
                        Hop(alter=tagged("2resp2", lambda p: flip_byte(3, p))))
    r = diff_captures(a, b)
    assert r.matched == {"ISN": 2}
    kinds = {f.kind for f in r.findings}
    assert kinds == {"diff.rewritten", "diff.tls_records"}
    f, = [f for f in r.findings if f.kind == "diff.rewritten"]
    assert f.frames == [fa["2resp2"]] and f.frames_b == [fb["2resp2"]] and ":40001" in f.summary


def test_connection_seen_at_one_point_only(tmp_path):
    p1, c1, s1 = conversation(seed=1, cport=40000)
    p2, _c2, _s2 = conversation(seed=2, cport=40001, cisn=0x0BADCAFE, sisn=0x0DEFACED, t0=1_700_000_000 * 10**9 + 7_000_000)
    syns = [p for p in p2 if p.tag == "syn"]
    for k, p in enumerate(syns * 3):  # a SYN and its two retries, all lost in the path
        q = replace(p, tag=f"2syn{k}", t=p.t + k * 1_000_000)
        p1.append(q)
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    fa, fb = write_pair(sorted(p1, key=lambda p: p.t), c1, s1, a, b,
                        Hop(alter=lambda p: [] if p.tag.startswith("2") else [p]))
    r = diff_captures(a, b)
    check_contract(r)
    f, = r.findings
    assert f.kind == "diff.dropped" and f.severity == "warning" and "connection seen only at A" in f.summary
    assert "never answered" in f.explanation
    assert f.frames == [fa["2syn0"], fa["2syn1"], fa["2syn2"]] and f.frames_b == []


def test_clock_drift_measured_and_taken_out(tmp_path):
    pkts, cisn, sisn = conversation()
    later = False
    for p in pkts:
        later = later or p.tag == "resp0"
        if later:
            p.t += 300 * 10**9  # the response five minutes after the request
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    write_pair(pkts, cisn, sisn, a, b, Hop(delay_ns=1_000_000), skew=200e-6)
    r = diff_captures(a, b)
    check_contract(r)
    assert abs(r.skew - 200e-6) < 2e-6
    assert r.findings == []  # 60 ms of drift is not delay
    assert r.delay["A->B"]["max"] - r.delay["A->B"]["min"] < 1_000_000
    from tlstui.diff.render import clock_line
    assert "drifting +200.0 ppm" in clock_line(r)


def test_ack_rewritten(tmp_path):
    r, fa, fb, _ = run(tmp_path, Hop(alter=tagged("ack_flight", lambda p: [replace(p, ack=p.ack - 100)])))
    f, = r.findings
    assert f.kind == "diff.header_rewritten" and "tcp.ack rewritten in 1 segment" in f.summary
    assert f.frames == [fa["ack_flight"]] and f.frames_b == [fb["ack_flight"]]


def test_gzipped_capture(tmp_path):
    import gzip

    r, fa, fb, _ = run(tmp_path, Hop(alter=tagged("resp2", lambda p: flip_byte(100, p))))
    b = tmp_path / "b.pcap"
    gz = tmp_path / "b.pcap.gz"
    gz.write_bytes(gzip.compress(b.read_bytes()))
    again = diff_captures(str(tmp_path / "a.pcap"), str(gz))
    assert [f.to_dict() for f in again.findings] == [f.to_dict() for f in r.findings]
    assert any("first differing byte at offset 100" in f.explanation for f in again.findings)


def test_tls_view_without_the_handshake(tmp_path):
    """Both captures start after the SYNs: record boundaries are found again from segment starts."""
    pkts, cisn, sisn = conversation()
    pkts = [p for p in pkts if p.tag not in ("syn", "synack", "ack3", "clienthello")]
    a, b = str(tmp_path / "a.pcap"), str(tmp_path / "b.pcap")
    fa, fb = write_pair(pkts, cisn, sisn, a, b, Hop(alter=tagged("resp2", lambda p: flip_byte(100, p))))
    r = diff_captures(a, b)
    check_contract(r)
    assert r.matched == {"4-tuple": 1}
    t, = [f for f in r.findings if f.kind == "diff.tls_records"]
    assert fa["resp2"] in t.frames and fb["resp2"] in t.frames_b


def test_impairments_together(tmp_path):
    """Several rewrites on one connection, each still found with its own frames."""
    clamp = struct.pack(">BBH", 2, 4, 1460), struct.pack(">BBH", 2, 4, 1200)

    def alter(p):
        if p.tag == "syn":
            return [replace(p, opts=p.opts.replace(*clamp))]
        if p.tag == "resp1":
            return []
        if p.tag == "retrans":
            return flip_byte(5, p)
        if p.tag == "request":
            q = replace(p, ip_id=p.ip_id + 1)
            return [q]
        return [p]
    rst = Pkt(False, 0, 0, RST, t=1_700_000_000 * 10**9 + 45_000_000, src=SERVER, dst=CLIENT, sport=443,
              dport=40000, ttl=200, ip_id=4, tag="forged")
    pkts, _c, _s = conversation(retransmit=True)
    rst.seq = next(p.seq for p in pkts if p.tag == "fin_s")
    r, fa, fb, _ = run(tmp_path, Hop(alter=alter, inject_at_a=[rst]), retransmit=True)
    by = {}
    for f in r.findings:
        by.setdefault(f.kind, []).append(f)
    assert any("MSS clamped (MSS 1460 -> 1200)" in f.summary and f.frames == [fa["syn"]] and f.frames_b == [fb["syn"]]
               for f in by["diff.header_rewritten"])
    assert any("ip.id rewritten" in f.summary and f.frames == [fa["request"]] for f in by["diff.header_rewritten"])
    drop, = by["diff.dropped"]
    assert drop.frames_b == [fb["resp1"]] and drop.frames == []
    rw, = by["diff.rewritten"]
    assert rw.frames == [fa["retrans"]] and rw.frames_b == [fb["retrans"]] and "offset 5" in rw.explanation
    inj, = by["diff.injected"]
    assert inj.frames == [fa["forged"]] and inj.frames_b == [] and "TTL 200" in inj.explanation
