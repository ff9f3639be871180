"""tcp.* analysis events, grouped per stream and kind, checked against tshark's truth."""
from __future__ import annotations

import json

import pytest
from findings_support import capture_path, findings_for, of_kind

TRUTH_FILTER = {
    "tcp.retransmission": "tcp.analysis.retransmission",
    "tcp.fast_retransmission": "tcp.analysis.fast_retransmission",
    "tcp.spurious_retransmission": "tcp.analysis.spurious_retransmission",
    "tcp.out_of_order": "tcp.analysis.out_of_order",
    "tcp.lost_segment": "tcp.analysis.lost_segment",
    "tcp.duplicate_ack": "tcp.analysis.duplicate_ack",
    "tcp.zero_window": "tcp.analysis.zero_window",
}


def truth(prefix: str, flt: str) -> list[int]:
    return json.loads((capture_path(prefix).parent / (capture_path(prefix).name + ".filters.json")).read_text())[flt]


@pytest.mark.parametrize("prefix", ["s08a", "s08b", "s12a"])
@pytest.mark.parametrize("kind", sorted(TRUTH_FILTER))
def test_grouped_events_cover_exactly_the_truth_frames(prefix, kind):
    got = of_kind(prefix, kind)
    frames = sorted(f for g in got for f in g.frames)
    assert frames == truth(prefix, TRUTH_FILTER[kind])
    # one finding per stream and kind
    assert len({g.stream for g in got}) == len(got)
    for g in got:
        assert g.stream is not None
        assert g.summary.startswith(f"{len(g.frames)} ")
        assert f"TCP stream {g.stream} (" in g.summary and "→" in g.summary


def test_s08a_lossy_transfer_is_grouped_not_listed():
    retrans = of_kind("s08a", "tcp.retransmission")
    assert sum(len(f.frames) for f in retrans) == 34  # README: 34 retransmissions
    assert len(retrans) == 2  # stream 0 (download) and stream 1 (upload)
    assert all(f.severity == "warning" for f in retrans)
    assert "fast" in retrans[0].explanation and "spurious" in retrans[0].explanation
    assert len(findings_for("s08a")) < 20


def test_s08b_zero_window():
    zw = of_kind("s08b", "tcp.zero_window")
    assert len(zw) == 1
    f = zw[0]
    assert f.severity == "warning" and f.stream == 0
    assert f.frames[0] == 19 and len(f.frames) == 21  # README: zero windows (21, first 19)
    assert "window" in f.explanation and "application" in f.explanation
    assert "client 10.10.0.1" in f.explanation  # the slow reader is named


def test_resets_after_an_orderly_close_are_one_note():
    r = of_kind("s13g", "tcp.reset")
    assert len(r) == 1 and r[0].severity == "note" and r[0].stream is None
    assert len(r[0].frames) == 11 and r[0].frames[:2] == [13, 26]
    curl = of_kind("s13f", "tcp.reset")
    assert len(curl) == 1 and curl[0].frames == [17] and curl[0].severity == "note"


def test_reset_answering_a_reused_connection_stays_per_stream():
    r = of_kind("s07", "tcp.reset")
    assert len(r) == 1 and r[0].frames == [18] and r[0].stream == 0
    assert "after the TLS close" not in r[0].summary
