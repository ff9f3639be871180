"""The bugs real captures showed (issue 16), on crafted captures of each case, against tshark 4.0.

The captures and their truth (FILE.fields.tsv, FILE.filters.json, made by tshark with the shared
truth.sh) are written by make_real_bug_captures.py; the generic truth tests read them too.  Here
each case's own fields are compared cell by cell, through ``tlstui fields`` (the columns) and
through the frames' trees (what the TUI shows), which must both say what tshark says.
"""
from __future__ import annotations

import pytest

import truth
from tlstui.cli import main
from tlstui.registry import REGISTRY, format_value
from tlstui.session import Session

DATA = truth.DATA
CASES = {
    "rb_ip_lengths.pcap": ["ip.len", "ipv6.plen", "tcp.stream", "tcp.len", "tcp.seq", "tcp.nxtseq", "tcp.ack",
                           "tcp.srcport", "tcp.analysis.flags", "ip.src", "ip.hdr_len"],
    "rb_tcp_analysis.pcap": ["tcp.stream", "tcp.seq", "tcp.ack", "tcp.nxtseq", "tcp.analysis.flags",
                             "tcp.analysis.bytes_in_flight", "tcp.analysis.acks_frame", "tcp.window_size",
                             "tcp.window_size_scalefactor"],
    "rb_tls13_drafts.pcap": ["tls.record.content_type", "tls.record.opaque_type", "tls.record.version",
                             "tls.record.length", "tls.handshake.type", "tls.handshake.version",
                             "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite",
                             "tls.handshake.extension.type", "tls.handshake.ja3s", "_ws.col.Protocol"],
}
# Info cells checked as well (frames where the case shows in the Info column).
INFO = {
    "rb_ip_lengths.pcap": [4, 6, 7, 8, 9, 10, 11, 12, 13],
    # 22, 24: data after a hole, which tshark keeps for reassembly ("[TCP segment of a reassembled PDU]").
    "rb_tcp_analysis.pcap": list(range(1, 22)) + [23] + list(range(25, 57)),
    "rb_tls13_drafts.pcap": list(range(1, 65)),
}


def _cli_cells(capsys, capture, fields: list[str]) -> dict[int, list[str]]:
    assert main(["fields", "-r", str(capture), "-2", "-e", "frame.number"] + sum((["-e", f] for f in fields), [])) == 0
    out = {}
    for line in capsys.readouterr().out.splitlines():
        cells = line.split("\t")
        out[int(cells[0])] = (cells[1:] + [""] * len(fields))[:len(fields)]
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_fields_give_tsharks_cells(capsys, name):
    capture = DATA / name
    header, rows = truth.fields_truth(capture)
    fields = CASES[name]
    got = _cli_cells(capsys, capture, fields)
    bad = [(n, f, cells[header.index(f)], got[n][i]) for n, cells in rows.items() for i, f in enumerate(fields)
           if cells[header.index(f)] != got[n][i]]
    assert not bad, bad[:10]


@pytest.mark.parametrize("name", sorted(CASES))
def test_trees_give_tsharks_values(name):
    capture = DATA / name
    header, rows = truth.fields_truth(capture)
    s = Session.open(str(capture))
    s.analyze()
    bad = []
    for n, cells in rows.items():
        tree = s.tree(n)
        for f in CASES[name]:
            if f.startswith("tcp.analysis") or f.startswith("_ws.col"):
                continue  # a bit field of the analysis / a column, not a tree field
            got = ",".join(format_value(REGISTRY.get(f), x.value) for x in tree.fields(f))
            if got != cells[header.index(f)]:
                bad.append((n, f, cells[header.index(f)], got))
        if n in INFO.get(name, ()) and tree.info != cells[header.index("_ws.col.Info")]:
            bad.append((n, "Info", cells[header.index("_ws.col.Info")], tree.info))
    assert not bad, bad[:10]


def test_tso_frame_length_comes_from_the_frame():
    """A TSO frame's IP total length of 0: its 3000 bytes are one segment, not an empty one."""
    s = Session.open(str(DATA / "rb_ip_lengths.pcap"))
    s.analyze()
    tree = s.tree(4)
    assert [f.value for f in tree.fields("ip.len")] == [3040]
    assert [f.value for f in tree.fields("tcp.len")] == [3000]
    assert [f.value for f in tree.fields("tcp.nxtseq")] == [3001]
    assert "TSO" in tree.fields("ip.len")[0].label
    # No "Dup ACK" (an empty segment) and no "ACKed unseen segment" on the ACK of its 3000 bytes.
    assert s.tcp_analyzer.info_prefix(4) == "" and s.tcp_analyzer.info_prefix(5) == ""


def test_acked_unseen_segment_is_flagged_once_per_hole():
    """tshark 4.0 flags the first ACK past a hole, not every later one (ndpi_KakaoTalk_chat,
    ndpi_anyconnect-vpn): frames 2 and 6 of the mid-stream start, 12 of the stalled FIN, 23 after
    the lost segment (23)."""
    s = Session.open(str(DATA / "rb_tcp_analysis.pcap"))
    s.analyze()
    from tlstui.tcp.analysis import ACK_LOST_PACKET

    got = [n for n in range(1, len(s) + 1) if s.tcp_analyzer.flags_of(n) & ACK_LOST_PACKET]
    assert got == truth.filters_truth(DATA / "rb_tcp_analysis.pcap")["tcp.analysis.ack_lost_segment"]
    assert got == [2, 6, 12, 23]


def test_second_synack_rebases_the_server_side():
    """A SYN-ACK with a new initial sequence number: the server's numbers count from it on, the
    frames before keep theirs (ndpi_KakaoTalk_chat stream 2)."""
    s = Session.open(str(DATA / "rb_tcp_analysis.pcap"))
    s.analyze()
    seq = {n: s.tree(n).fields("tcp.seq")[0].value for n in (31, 34, 36)}
    ack = {n: s.tree(n).fields("tcp.ack")[0].value for n in (32, 35)}
    assert seq == {31: 0, 34: 0, 36: (1612884806 - 1712195420) % (1 << 32)}
    assert ack == {32: 1, 35: (1612884806 - 1712195420) % (1 << 32)}
    assert "[TCP Port numbers reused]" in s.tree(31).info and "[TCP Port numbers reused]" in s.tree(34).info


def test_tls13_draft_and_vendor_versions_are_tls13():
    """0x7f1c (draft 28), fizz's 0xfb1a and a draft-18 ServerHello (its own version, no session id):
    TLS 1.3 sessions, whose application data records are opaque (ndpi_sites, Facebook)."""
    from tlstui.tls.names import negotiated_version

    assert [negotiated_version(v) for v in (0x7F1C, 0xFB1A, 0xFB17, 0x7F12, 0x0303, 0x0304)] == \
        [0x0304, 0x0304, 0x0304, 0x0304, 0x0303, 0x0304]
    assert negotiated_version(0x7F1C, dtls=True) == 0x7F1C
    s = Session.open(str(DATA / "rb_tls13_drafts.pcap"))
    s.analyze()
    for sh, data in ((6, 10), (22, 26), (38, 40)):
        assert s.tree(sh).protocol == "TLSv1.3"
        assert [f.value for f in s.tree(data).fields("tls.record.opaque_type")] == [23]
        assert not s.tree(data).fields("tls.record.content_type")
    assert [f.value for f in s.tree(38).fields("tls.handshake.ciphersuite")] == [0x1301]  # no session id read


# rb_tls_gaps.pcap: stream 0's hole is filled, streams 1-3 keep theirs (then FIN, RST, end of capture).
GAP_FRAMES = {21, 22, 23, 33, 34, 35, 45, 46, 47}  # the data behind a hole never filled
GAP_FIELDS = ["tcp.stream", "tcp.len", "tcp.analysis.flags", "tls.record.content_type", "tls.record.length",
              "_ws.col.Protocol", "_ws.col.Info"]


def _differs_truth(name: str) -> tuple[list[str], dict[int, list[str]]]:
    lines = (DATA / f"{name}.differs.fields.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = {}
    for line in lines[1:]:
        cells = line.split("\t")
        rows[int(cells[0])] = cells + [""] * (len(header) - len(cells))
    return header, rows


def test_records_behind_a_hole_as_tshark_where_it_decodes_them(capsys):
    """Frames apart from the data behind a never-filled hole: tshark's cells.  Where the hole is
    filled (stream 0), the held records complete in the frame that fills it and the frames that
    held them are '[TCP segment of a reassembled PDU]', as tshark with out-of-order reassembly."""
    header, rows = _differs_truth("rb_tls_gaps.pcap")
    got = _cli_cells(capsys, DATA / "rb_tls_gaps.pcap", GAP_FIELDS)
    bad = [(n, f, cells[header.index(f)], got[n][i]) for n, cells in rows.items() if n not in GAP_FRAMES
           for i, f in enumerate(GAP_FIELDS) if cells[header.index(f)] != got[n][i]]
    assert not bad, bad[:10]
    assert got[11][3] == "23,23,23,23" and got[9][6].endswith("[TCP segment of a reassembled PDU]")


def test_records_behind_a_hole_never_filled_stay_in_their_own_frames(capsys):
    """tshark shows nothing after a hole that is never filled; tlstui resumes after the gap
    (docs/differences.md), and each record belongs to the frame that carried its last byte: never to
    the FIN, the RST or the last frame, which carry none of it (the bug: all of them landed on the RST)."""
    got = _cli_cells(capsys, DATA / "rb_tls_gaps.pcap", GAP_FIELDS)
    for first in (21, 33, 45):  # FIN, RST, end of capture
        assert got[first][3] == "" and got[first][6].endswith(", Continuation Data")
        assert got[first + 1][3:5] == ["23,23", "100,50"]
        assert got[first + 2][3:5] == ["23", "300"]
    for after in (24, 36, 37, 48):  # the FIN, the RST, the ACKs after them
        assert got[after][3] == "", after
