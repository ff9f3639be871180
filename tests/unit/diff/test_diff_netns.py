"""tlstui diff on real two-point captures (tests/data/diff/netns_*: one TLS 1.2 connection captured with
tcpdump at both ends of a network-namespace path, made by tests/netns/make_pair.py).  The impairing
hop's log (netns_impair.impair.log) says what it did; every action must be found, with its frames."""
from __future__ import annotations

import json
from pathlib import Path

from tlstui.diff import diff_captures

DATA = Path(__file__).resolve().parents[2] / "data" / "diff"


def pair(name):
    return diff_captures(str(DATA / f"netns_{name}_a.pcap"), str(DATA / f"netns_{name}_b.pcap"))


def test_clean_path_reports_nothing():
    r = pair("clean")
    assert r.findings == []
    assert r.matched == {"ISN": 1} and r.pairs == r.frames[0] == r.frames[1]
    # One host clock for both captures: the estimate is the asymmetry of the path's queueing, small.
    assert abs(r.clock_offset_ns) < 5_000_000
    assert 4_000_000 < r.delay["A->B"]["min"] and 4_000_000 < r.delay["B->A"]["min"]  # the hop holds 5 ms


def test_impairing_hop_found():
    log = [json.loads(line) for line in (DATA / "netns_impair.impair.log").read_text().splitlines()]
    assert [e["action"] for e in log] == ["mss_clamp", "strip_sack_permitted", "drop", "rewrite_retransmission"]
    r = pair("impair")
    by = {}
    for f in r.findings:
        by.setdefault(f.kind, []).append(f)
    # A is the client's capture: frame 1 is the SYN, 2 the SYN-ACK (both ends).
    mss = [f for f in by["diff.header_rewritten"] if "MSS clamped (MSS 1460 -> 1360)" in f.summary]
    assert mss and mss[0].frames == [1] and mss[0].frames_b == [1]
    sack = [f for f in by["diff.header_rewritten"] if "options stripped (SACK permitted removed)" in f.summary]
    assert sack and sack[0].frames == [2] and sack[0].frames_b == [2] and "(B->A)" in sack[0].summary
    ttl = [f for f in by["diff.header_rewritten"] if "TTL rewritten (arrives with 16" in f.summary]
    assert ttl and "(B->A)" in ttl[0].summary and 2 in ttl[0].frames
    drop, = by["diff.dropped"]
    assert drop.frames == [] and len(drop.frames_b) == 1 and "1029 bytes" in drop.summary
    rw, = by["diff.rewritten"]
    assert "first differing byte at offset 20" in rw.explanation
    assert f"a retransmission (B#{drop.frames_b[0]} first sent these bytes)" in rw.explanation
    rec, = by["diff.tls_records"]
    assert rec.frames == rw.frames and rec.frames_b == drop.frames_b
    assert set(by) == {"diff.header_rewritten", "diff.dropped", "diff.rewritten", "diff.tls_records"}


def test_headless_diff_does_not_import_textual():
    import subprocess
    import sys

    code = ("import sys; from tlstui.cli import main; "
            f"rc = main(['diff', {str(DATA / 'netns_clean_a.pcap')!r}, {str(DATA / 'netns_clean_b.pcap')!r}]); "
            "assert 'textual' not in sys.modules; sys.exit(rc)")
    got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert got.returncode == 0, got.stderr
    assert "No differences" in got.stdout and "clock offset: B = A" in got.stdout


def test_readme_shows_the_real_output(monkeypatch, capsys):
    """The README's diff example is what `tlstui diff` prints for the namespace pair today."""
    from tlstui.cli import main

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    cmd = '    $ tlstui diff netns_impair_a.pcap netns_impair_b.pcap; echo "exit $?"\n'
    start = readme.index(cmd) + len(cmd)
    block = readme[start:readme.index("    exit 3\n", start)].rstrip("\n")
    shown = "\n".join(line[4:] for line in block.splitlines())
    monkeypatch.chdir(DATA)
    assert main(["diff", "netns_impair_a.pcap", "netns_impair_b.pcap"]) == 3
    assert capsys.readouterr().out.rstrip("\n") == shown


def test_capture_against_itself_and_unrelated_captures(capsys):
    from tlstui.cli import main

    a = str(DATA / "netns_impair_a.pcap")
    r = diff_captures(a, a)
    assert r.findings == [] and r.clock_offset_ns == 0 and r.separable
    assert main(["diff", a, str(DATA / "netns_clean_b.pcap")]) == 0  # other ISNs, ports, times: nothing shared
    out = capsys.readouterr().out
    assert "matched connections: 0" in out and "Nothing to compare" in out


def test_nat_hop_with_sequence_shift_and_forged_rst():
    """netns_nat_*: the hop translates the client's address and port, shifts its sequence numbers by
    0x10000000 and forges a RST towards the server after the server's sixth application-data record."""
    log = [json.loads(line) for line in (DATA / "netns_nat.impair.log").read_text().splitlines()]
    assert [e["action"] for e in log] == ["forged_rst"]
    r = pair("nat")
    assert r.matched == {"TCP timestamps": 1}
    kinds = sorted((f.kind, f.severity) for f in r.findings)
    assert kinds == [("diff.header_rewritten", "note"), ("diff.header_rewritten", "note"), ("diff.injected", "error")]
    rst, = [f for f in r.findings if f.kind == "diff.injected"]
    assert rst.frames == [] and len(rst.frames_b) == 1 and "RST" in rst.summary and "TTL 99" in rst.explanation
    nat = [f for f in r.findings if "addresses translated (NAT)" in f.summary]
    assert nat and "at A is 10.77.0.99:" in nat[0].summary and nat[0].summary.endswith("at B")
    shift = [f for f in r.findings if "sequence numbers shifted" in f.summary]
    assert shift and "(0x10000000)" in shift[0].summary
