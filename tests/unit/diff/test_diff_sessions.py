"""diff_sessions: the diff of two captures the caller already opened (the side-by-side view's own
sessions), and its cancel event.  The netns pairs of tests/data/diff."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from tlstui.diff import Cancelled, diff_captures, diff_sessions
from tlstui.session import Session

DATA = Path(__file__).resolve().parents[2] / "data" / "diff"


def paths(name):
    return str(DATA / f"netns_{name}_a.pcap"), str(DATA / f"netns_{name}_b.pcap")


@pytest.mark.parametrize("name,child", [("impair", "0"), ("nat", "0"), ("impair", "1")])
def test_same_findings_as_diff_captures_and_the_sessions_analyse_on(name, child, monkeypatch):
    """child "1": the TCP analysis in a child process (as for a large file), the session's own half then
    visits only the rows reassembly needs (framepass.PassRows, made by the diff's conversation pass)."""
    monkeypatch.setenv("TLSTUI_TCP_WORKER", child)
    a, b = paths(name)
    want = diff_captures(a, b)
    sa, sb = Session.open(a, lazy=True), Session.open(b, lazy=True)  # as the view opens them
    got = diff_sessions(sa, sb)
    assert want.findings and [f.to_dict() for f in got.findings] == [f.to_dict() for f in want.findings]
    assert (got.clock_offset_ns, got.pairs, got.matched) == (want.clock_offset_ns, want.pairs, want.matched)
    assert np.array_equal(got.links.a_frames, want.links.a_frames)
    # The conversation pass the diff ran stays: the sessions' own analysis goes on from it and ends as
    # a session that never met the diff.
    assert sa.conv.filled == len(sa) and sa.analyzed == 0
    assert (sa._pass_rows is not None) == (child == "1")
    for s, p in ((sa, a), (sb, b)):
        s.analyze()
        assert s.offload_heap_kb > 0 if child == "1" else s.offload_heap_kb == 0
        fresh = Session.open(p)
        fresh.analyze()
        assert s.finished and list(s.conv.tcp_stream) == list(fresh.conv.tcp_stream)
        assert list(s.conv.rel_seq) == list(fresh.conv.rel_seq)
        n = len(s)
        assert [s.view(i).fields("_ws.col.Info")[0].value for i in range(1, n + 1)] == \
               [fresh.view(i).fields("_ws.col.Info")[0].value for i in range(1, n + 1)]
        assert s.tls.streams().keys() == fresh.tls.streams().keys()
        for field in ("tcp.analysis.retransmission", "tls.record.content_type", "tcp.reassembled_in"):
            assert [str([f.value for f in s.view(i).fields(field)]) for i in range(1, n + 1)] == \
                   [str([f.value for f in fresh.view(i).fields(field)]) for i in range(1, n + 1)], field
        fresh.close()
        s.close()


def test_cancel_set_before_stops_at_once():
    a, b = paths("impair")
    sa, sb = Session.open(a, lazy=True), Session.open(b, lazy=True)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        diff_sessions(sa, sb, cancel=cancel)
    assert sa.conv.filled == 0  # not even A's conversation pass ran


def test_cancel_during_a_stage_stops_at_the_next_one():
    a, b = paths("impair")
    sa, sb = Session.open(a, lazy=True), Session.open(b, lazy=True)
    cancel = threading.Event()
    seen = []

    def progress(stage):
        seen.append(stage)
        if stage == "aligning segments":
            cancel.set()  # as the view's quit does, from another thread, while this stage runs

    with pytest.raises(Cancelled):
        diff_sessions(sa, sb, cancel=cancel, progress=progress)
    assert seen[:3] == ["reading A", "reading B", "matching connections"]
    assert "comparing" not in seen and "comparing TLS records" not in seen


def test_cancel_between_payload_batches(monkeypatch):
    """The segment table hashes payloads in batches and looks at the event between two."""
    from tlstui.diff import side

    monkeypatch.setattr(side, "CRC_BATCH", 2)
    a, b = paths("impair")
    s = Session.open(a, lazy=True)
    cancel = threading.Event()
    calls = [0]
    real = side.np.fromiter

    def counting(*args, **kw):
        calls[0] += 1
        if calls[0] == 3:
            cancel.set()
        return real(*args, **kw)

    monkeypatch.setattr(side.np, "fromiter", counting)
    with pytest.raises(Cancelled):
        side.session_side(s, cancel)
    assert calls[0] == 3  # stopped at the batch after the event, not at the end
    monkeypatch.setattr(side.np, "fromiter", real)
    assert len(side.session_side(s)) == len(s)  # and it can be asked again
