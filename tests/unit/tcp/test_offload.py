"""The TCP analysis run in a child process (tcp/offload.py) gives exactly the in-process result."""
from __future__ import annotations

from pathlib import Path

import pytest

from tlstui.findings import find_all
from tlstui.session import Session
from tlstui.tcp import offload
from tlstui.tcp.analysis import TcpAnalyzer

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = ["s08a_lossy_transfers.pcap", "s12a_tampered_retransmission.pcap", "s12b_proxy_signature_ttl16.pcap",
            "s07_close_notify_keepalive_reuse_rst.pcap", "tcp_edge_cases.pcap"]


def _outcome(s: Session) -> tuple:
    a = s.tcp_analyzer
    found = [(f.kind, tuple(f.frames)) for f in find_all(s)]
    fields = [[(f.name, f.value) for f in a.fields(n)] for n in range(1, len(s) + 1)]
    return (bytes(a.flags), bytes(a.acked), bytes(a.bif), bytes(a.push), a.dupack, a.rto,
            [m.frame for m in a.mismatches], a.first_rtt, [g.frames for g in a.middlebox_groups], found, fields)


def _run(path: Path, switch: str, monkeypatch) -> Session:
    monkeypatch.setenv(offload.ENV_SWITCH, switch)
    s = Session.open(str(path))
    s.analyze()
    return s


@pytest.mark.parametrize("name", CAPTURES)
def test_child_process_gives_the_in_process_analysis(name, monkeypatch):
    started = []
    real = offload.Offload.__init__

    def spy(self, path, final=False):
        started.append(path)
        real(self, path, final)

    monkeypatch.setattr(offload.Offload, "__init__", spy)
    inline = _run(DATA / name, "0", monkeypatch)
    assert started == []
    child = _run(DATA / name, "1", monkeypatch)
    assert started == [str(DATA / name)]
    assert _outcome(child) == _outcome(inline)
    assert any(child.tcp_analyzer.flags)  # these captures have analysis to compare


def test_a_failed_child_falls_back_to_the_in_process_analysis(monkeypatch):
    path = DATA / "s12a_tampered_retransmission.pcap"
    inline = _run(path, "0", monkeypatch)
    monkeypatch.setattr(offload.Offload, "result", lambda self: (self.close(), None)[1])
    child = _run(path, "1", monkeypatch)
    assert _outcome(child) == _outcome(inline)


def _child_stops_halfway(path: Path, prefix: int, sealed: bool, monkeypatch) -> None:
    """The offload child reports the analysis of the first ``prefix`` frames only (sealed or not)."""
    part = Session.open(str(path), upper_layers=False)
    part.tcp_analyzer = TcpAnalyzer(part)
    part._analyze_range(0, prefix)
    if sealed:
        part.tcp_analyzer.seal()
    state = part.tcp_analyzer.__getstate__()
    last = part.capture.index.offset[prefix - 1]
    monkeypatch.setattr(offload.Offload, "result", lambda self: (self.close(), (prefix, last, state))[1])


def test_a_child_that_saw_fewer_frames_is_continued_here(monkeypatch):
    """A file growing while open: the child may stop before the session's last frame."""
    path = DATA / "s08a_lossy_transfers.pcap"
    inline = _run(path, "0", monkeypatch)
    _child_stops_halfway(path, len(inline) // 2, False, monkeypatch)
    child = _run(path, "1", monkeypatch)
    assert _outcome(child) == _outcome(inline)


def test_offload_is_only_for_large_mapped_files(tmp_path, monkeypatch):
    monkeypatch.delenv(offload.ENV_SWITCH, raising=False)
    small = DATA / "s01_tls12_http_close_notify.pcap"
    assert not offload.wanted(str(small), True)
    monkeypatch.setenv(offload.ENV_SWITCH, "1")
    assert offload.wanted(str(small), True)
    assert not offload.wanted("<stdin>", False)  # stdin and gzip are read into memory: no second reader
    monkeypatch.setenv(offload.ENV_SWITCH, "0")
    assert not offload.wanted(str(small), True)


def test_a_child_that_read_another_file_is_not_believed(monkeypatch):
    """Same frame count, different bytes (the file was rewritten between the two reads)."""
    path = DATA / "s12a_tampered_retransmission.pcap"
    inline = _run(path, "0", monkeypatch)
    other = Session.open(str(DATA / "s08a_lossy_transfers.pcap"), upper_layers=False)
    other.tcp_analyzer = TcpAnalyzer(other)
    n = min(len(other), len(inline))
    other._analyze_range(0, n)
    state = other.tcp_analyzer.__getstate__()
    monkeypatch.setattr(offload.Offload, "result", lambda self: (self.close(), (n, 12345, state))[1])
    child = _run(path, "1", monkeypatch)
    assert _outcome(child) == _outcome(inline)


def _run_final(path: Path, switch: str, monkeypatch) -> Session:
    monkeypatch.setenv(offload.ENV_SWITCH, switch)
    s = Session.open(str(path), final=True)
    s.analyze()
    return s


@pytest.mark.parametrize("name", CAPTURES + ["s13e_many_short_connections.pcap", "s12b_proxy_signature_ttl16.pcap"])
@pytest.mark.parametrize("switch", ["0", "1"])
def test_a_final_session_keeps_the_results_without_the_running_state(name, switch, monkeypatch):
    """Headless commands (final=True): the child seals its analyzer (or the session releases it
    after the pass); every result equals the growable session's."""
    from tlstui.incremental import can_grow

    growable = _run(DATA / name, "0", monkeypatch)
    final = _run_final(DATA / name, switch, monkeypatch)
    assert _outcome(final) == _outcome(growable)
    assert final.tcp_analyzer._streams == {} and final.tcp_analyzer._synacks == []
    assert growable.tcp_analyzer._streams
    assert can_grow(growable) and not can_grow(final)


def test_a_sealed_child_that_saw_fewer_frames_is_not_continued(monkeypatch):
    """A sealed analysis cannot go on: if the child stopped early, the session analyses it all."""
    path = DATA / "s08a_lossy_transfers.pcap"
    inline = _run(path, "0", monkeypatch)
    _child_stops_halfway(path, len(inline) // 2, True, monkeypatch)
    child = _run_final(path, "1", monkeypatch)
    assert _outcome(child) == _outcome(inline)
