"""Column builds split over a forked child (columns/halves.py) give the one-process column."""
from __future__ import annotations

import os
import threading
from pathlib import Path
import pytest

from tlstui.columns import halves
from tlstui.session import Session

DATA = Path(__file__).resolve().parents[2] / "data"
FIELDS = ["tls.handshake.type", "tls.handshake.extensions_server_name", "x509sat.uTF8String",
          "x509sat.printableString", "tls.handshake.ciphersuite", "tls.record.length", "tls.alert_message.desc",
          "dns.qry.name", "http.request.uri"]


def _columns(path: Path, switch: str, monkeypatch) -> dict:
    monkeypatch.setenv(halves.ENV_SWITCH, switch)
    s = Session.open(str(path))
    s.analyze()
    out = {}
    for name in FIELDS:
        c = s.columns.get(name)
        out[name] = (c.frames.tolist(), list(c.values) if c.values.dtype == object else c.values.tolist())
    return out


@pytest.mark.parametrize("name", ["s03_mtls12_ok.pcap", "s13e_many_short_connections.pcap", "x509_names.pcap",
                                  "clear_dns.pcap", "clear_http.pcap", "s10a_dtls12_fragmented.pcap"])
def test_forked_halves_equal_one_process(name, monkeypatch):
    forks = []
    real = os.fork

    def counting_fork():
        forks.append(1)
        return real()

    monkeypatch.setattr(os, "fork", counting_fork)
    alone = _columns(DATA / name, "0", monkeypatch)
    assert forks == []
    split = _columns(DATA / name, "1", monkeypatch)
    assert forks  # the split did run
    assert split == alone
    assert any(frames for frames, _ in alone.values())


def test_a_child_that_fails_leaves_its_half_to_the_parent(monkeypatch):
    monkeypatch.setenv(halves.ENV_SWITCH, "1")
    parent = os.getpid()

    def work(items, in_child):
        if os.getpid() != parent:
            raise RuntimeError("the child goes wrong")
        return list(items), [i * 10 for i in items]

    assert halves.run(list(range(100)), work) == (list(range(100)), [i * 10 for i in range(100)])


def test_no_fork_with_other_threads_running(monkeypatch):
    monkeypatch.setenv(halves.ENV_SWITCH, "1")
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not halves.wanted(100_000)
    finally:
        stop.set()
        t.join()
    assert halves.wanted(100_000)


def test_cancel_in_the_parent_stops_the_child(monkeypatch):
    monkeypatch.setenv(halves.ENV_SWITCH, "1")
    parent = os.getpid()

    def work(items, in_child):
        if os.getpid() == parent:
            raise InterruptedError("cancelled")
        import time
        time.sleep(30)  # the child would run on: it must be killed, not waited for
        return [], []

    import time
    t0 = time.monotonic()
    with pytest.raises(InterruptedError):
        halves.run(list(range(10)), work)
    assert time.monotonic() - t0 < 10
