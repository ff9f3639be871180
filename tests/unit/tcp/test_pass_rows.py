"""The upper half of the pass on the frames that matter (``framepass.PassRows``), as the session
runs it while the TCP analysis is in a child process, leaves exactly what feeding every frame
leaves: the same reassembled runs, closes, conflicts, TLS/DTLS records and findings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tlstui import session as session_module
from tlstui.findings import find_all, render_json
from tlstui.session import Session
from tlstui.tcp import offload

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = sorted(p.name for p in DATA.glob("*.pcap*") if p.suffix in (".pcap", ".pcapng"))


def _state(s: Session) -> tuple:
    r = s.reassembler
    dirs = {k: (d.origin, d.delivered, d.fin_at, d.closed, d.last_frame, list(d.map_start), list(d.map_len),
                list(d.map_frame), list(d.map_off)) for k, d in r.dirs.items()}
    t = s.tls
    compact = {k: bytes(v) for k, v in vars(t).items() if k.startswith("_c") and hasattr(v, "tobytes")}
    records = {k: [(x.id, x.declared) for x in v] for k, v in t._by_frame.items()}
    return dirs, [repr(c) for c in r.conflicts], compact, records, render_json(find_all(s))


def _run(path: Path, rows: bool, monkeypatch) -> Session:
    with monkeypatch.context() as m:
        m.setenv(offload.ENV_SWITCH, "1")  # the child does the TCP analysis: the session takes the rows path
        if not rows:
            m.setattr(session_module, "PassRows", lambda *a: None)
        s = Session.open(str(path), DATA / (path.stem + ".keys") if (DATA / (path.stem + ".keys")).exists() else None)
        s.analyze()
        return s


@pytest.mark.parametrize("name", CAPTURES)
def test_rows_path_equals_every_frame(name, monkeypatch):
    fed = []
    real = session_module.feed_rows

    def spy(*a, **kw):
        fed.append(a[2:4])
        return real(*a, **kw)

    monkeypatch.setattr(session_module, "feed_rows", spy)
    every = _run(DATA / name, False, monkeypatch)
    assert fed == []
    rows = _run(DATA / name, True, monkeypatch)
    assert fed, "the session did not take the rows path"
    assert _state(rows) == _state(every)


def test_pure_acks_are_left_out_but_each_directions_last_segment_is_kept():
    s = Session.open(str(DATA / "s08a_lossy_transfers.pcap"))
    s.capture.index_all()
    from tlstui.columns.build import transport_columns
    from tlstui.tcp.conversations_bulk import track
    from tlstui.tcp.framepass import PassRows

    idx = s.capture.index
    n = len(idx)
    t, _ = transport_columns(s, with_streams=False)
    conv = track(s.capture.data, np.frombuffer(idx.offset, dtype=np.int64)[:n],
                 np.frombuffer(idx.cap_len, dtype=np.uint32)[:n], np.frombuffer(idx.time_ns, dtype=np.int64)[:n], t)
    rows = set(PassRows(t, conv).rows.tolist())
    pure = [i for i in range(n) if t.proto[i] == 6 and t.payload_len[i] == 0 and not t.flags[i] & 7]
    assert pure and not rows.issuperset(pure)
    last = {}
    for i in range(n):
        if t.proto[i] == 6:
            last[(conv.tcp_stream[i], conv.direction[i])] = i
    assert rows.issuperset(last.values())
    assert rows.issuperset(i for i in range(n) if t.proto[i] == 6 and (t.payload_len[i] or t.flags[i] & 7))
