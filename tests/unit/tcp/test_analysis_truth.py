"""tcp.analysis.* agrees with tshark 4.0 (-2, out-of-order reassembly on) on the test captures.

Three truths: the shared ``FILE.filters.json`` (frame sets of the tcp.analysis filters), the
``_ws.col.Info`` column of ``FILE.fields.tsv`` (the "[TCP ...] " prefixes), and, for a few
captures, ``FILE.tcp_analysis.tsv`` with every analysis field (acks_frame, RTTs, bytes in flight,
dup ACK numbers, RTO, all the flags) made by tshark for these tests.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from tcp_support import analyzed

import truth
from tlstui.registry import REGISTRY, FieldType, format_value
from tlstui.tcp import analysis as A

FILTER_BITS = {
    "tcp.analysis.retransmission": A.RETRANSMISSION | A.FAST_RETRANSMISSION | A.SPURIOUS_RETRANSMISSION,
    "tcp.analysis.fast_retransmission": A.FAST_RETRANSMISSION,
    "tcp.analysis.spurious_retransmission": A.SPURIOUS_RETRANSMISSION,
    "tcp.analysis.out_of_order": A.OUT_OF_ORDER,
    "tcp.analysis.lost_segment": A.LOST_PACKET,
    "tcp.analysis.ack_lost_segment": A.ACK_LOST_PACKET,
    "tcp.analysis.duplicate_ack": A.DUPLICATE_ACK,
    "tcp.analysis.zero_window": A.ZERO_WINDOW,
    "tcp.analysis.window_full": A.WINDOW_FULL,
    "tcp.analysis.keep_alive": A.KEEP_ALIVE,
}
PREFIX = re.compile(r"^((?:\[TCP (?!segment of)[^\]]*\] )*)")
WITH_FILTERS = [p for p in truth.captures() if Path(str(p) + ".filters.json").exists()]
WITH_ANALYSIS = [p for p in truth.captures() if Path(str(p) + ".tcp_analysis.tsv").exists()]


@pytest.mark.parametrize("capture", WITH_FILTERS, ids=lambda p: p.name)
def test_tcp_analysis_filters_give_tsharks_frames(capture):
    s = analyzed(str(capture))
    flags = s.tcp_analyzer.flags
    want_all = truth.filters_truth(capture)
    wrong = {}
    for name, bit in FILTER_BITS.items():
        got = {i + 1 for i, f in enumerate(flags) if f & bit}
        want = set(want_all[name])
        if got != want:
            wrong[name] = (sorted(want - got)[:10], sorted(got - want)[:10])
    assert not wrong, wrong


@pytest.mark.parametrize("capture", WITH_FILTERS, ids=lambda p: p.name)
def test_flagged_frames_carry_the_fields(capture):
    """The frames the analyzer flags have the filter's field in their tree, and only those."""
    s = analyzed(str(capture))
    want_all = truth.filters_truth(capture)
    for name in FILTER_BITS:
        for n in want_all[name][:50]:
            assert s.tree(n).fields(name), (name, n)
    flagged = {n for name in FILTER_BITS for n in want_all[name]}
    for n in range(1, min(len(s), 300) + 1):
        if n not in flagged:
            names = set(s.tree(n).names())
            assert not names & set(FILTER_BITS), (n, names & set(FILTER_BITS))


@pytest.mark.parametrize("capture", WITH_FILTERS, ids=lambda p: p.name)
def test_info_prefixes_match_tshark(capture):
    s = analyzed(str(capture))
    header, rows = truth.fields_truth(capture)
    col = header.index("_ws.col.Info")
    bad = []
    for n, cells in rows.items():
        want = PREFIX.match(cells[col]).group(1)
        got = s.tcp_analyzer.info_prefix(n)
        if want != got:
            bad.append((n, want, got))
    assert not bad, bad[:10]


def _cell(tree, name: str) -> str:
    spec = REGISTRY.get(name)
    vals = tree.fields(name)
    if spec.ftype in (FieldType.NONE, FieldType.PROTOCOL):
        return "1" if vals else ""
    return ",".join(format_value(spec, f.value) for f in vals)


@pytest.mark.parametrize("capture", WITH_ANALYSIS, ids=lambda p: p.name)
def test_every_analysis_field_matches_tshark(capture):
    lines = Path(str(capture) + ".tcp_analysis.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    s = analyzed(str(capture))
    bad = []
    for line in lines[1:]:
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        n = int(cells[0])
        tree = s.tree(n)
        for name, want in zip(header[1:], cells[1:]):
            if name == "_ws.col.Info":
                want, got = PREFIX.match(want).group(1), s.tcp_analyzer.info_prefix(n)
            elif name == "tcp.stream":
                got = _cell(tree, name)
            else:
                if REGISTRY.get(name).ftype in (FieldType.NONE, FieldType.PROTOCOL):
                    want = "1" if want else ""
                got = _cell(tree, name)
            if want != got:
                bad.append((n, name, want, got))
    assert not bad, bad[:10]


def test_analysis_subtree_shape():
    """Labels and nesting as tshark -V shows them: experts under the flags, dup ACK fields beside."""
    s = analyzed(str(truth.DATA / "tcp_edge_cases.pcap"))
    an = s.tree(29).fields("tcp.analysis")[0]
    labels = [c.label for c in an.children]
    assert labels[-2:] == ["[Duplicate ACK #: 1]", "[Duplicate to the ACK in frame: 27]"]
    expert = an.children[-1].children[0]
    assert expert.name == "_ws.expert" and expert.label == "[Expert Info (Note/Sequence): Duplicate ACK (#1)]"
    flags = s.tree(40).fields("tcp.analysis.flags")[0]
    assert flags.children[0].label == "[Expert Info (Note/Sequence): This frame is a (suspected) retransmission]"
    assert [c.name for c in flags.children[1:]] == ["tcp.analysis.rto", "tcp.analysis.rto_frame"]
    assert s.tree(40).info.startswith("[TCP Retransmission] 443 → 40002 [PSH, ACK] Seq=8001")
