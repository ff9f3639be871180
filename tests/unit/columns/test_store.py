"""The column store builds a column once, however many threads ask for it at the same time."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tlstui.columns import store as store_mod
from tlstui.columns.column import Column


def _slow_build(calls):
    def build(session, name, progress=None, cancel=None):
        calls.append(name)
        for k in range(5):
            time.sleep(0.02)
            if progress is not None:
                progress(k, 5)
            if cancel is not None and cancel.is_set():
                raise InterruptedError
        return Column(name, 3, np.array([1, 2]), np.array([7, 8]))
    return build


def test_concurrent_askers_share_one_build(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(store_mod, "build", _slow_build(calls))
    s = store_mod.ColumnStore(session=None)
    seen: list[tuple[int, int]] = []
    got = []
    threads = [threading.Thread(target=lambda: got.append(s.get("x", lambda d, t: seen.append((d, t)))))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["x"]
    assert len(got) == 4 and all(c is got[0] for c in got)
    assert seen  # waiters saw the builder's progress too


def test_a_cancelled_build_leaves_nothing_and_the_next_asker_builds(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(store_mod, "build", _slow_build(calls))
    s = store_mod.ColumnStore(session=None)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(InterruptedError):
        s.get("y", cancel=cancel)
    assert not s.cached("y")
    assert s.get("y").name == "y"
    assert calls == ["y", "y"]
