"""capture.snaplen_truncated and capture.file_truncated."""
from __future__ import annotations

import shutil

from findings_support import capture_path, one, rule_output, session_for

from tlstui.findings import find_all
from tlstui.findings.rules import capture_file_truncated, capture_snaplen_truncated


def test_s09_snaplen_frames_are_exactly_the_cut_ones():
    f = one("s09", "capture.snaplen_truncated")
    s = session_for("s09")
    cut = [n for n in range(1, len(s) + 1) if s.frame_meta(n)[0] < s.frame_meta(n)[1]]
    assert f.frames == cut
    assert f.frames[:4] == [4, 6, 8, 9] and len(f.frames) == 9  # README: 9 frames, 4,6,8,9,...
    assert f.severity == "warning" and f.stream == 0
    assert "96" in f.summary  # the snapshot length is named
    assert "TLS" in f.explanation


def test_snaplen_silent_on_full_captures():
    for prefix in ("s01", "s04", "s08a", "s10b", "s13a"):
        assert rule_output(prefix, capture_snaplen_truncated) == []


def test_file_truncated_from_a_cut_copy(tmp_path):
    src = capture_path("s04")
    data = src.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:-37])  # the last record loses its tail
    from tlstui.session import Session

    s = Session.open(str(cut))
    s.analyze()
    found = find_all(s)
    ft = [f for f in found if f.kind == "capture.file_truncated"]
    assert len(ft) == 1
    assert ft[0].severity == "warning"
    assert ft[0].frames == [len(s)]  # lands on the last complete frame
    assert str(s.capture.truncated_at) in ft[0].summary


def test_file_truncated_silent_on_whole_files(tmp_path):
    assert rule_output("s04", capture_file_truncated) == []
    whole = tmp_path / "whole.pcap"
    shutil.copy(capture_path("s01"), whole)
    from tlstui.session import Session

    s = Session.open(str(whole))
    s.analyze()
    assert not [f for f in find_all(s) if f.kind == "capture.file_truncated"]
