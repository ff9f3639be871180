"""The columns of one session: built on first use, kept under a memory bound.

Several threads may ask for the same column at once (the filter worker, a sort, a custom column
of the UI): one builds it and the others wait for it, seeing the builder's progress, so a column
is never built twice at the same time.  A build that is cancelled or fails leaves nothing behind,
and the next asker builds it again."""
from __future__ import annotations

import threading
from collections import OrderedDict

from .build import ProgressFn, build
from .column import Column

DEFAULT_BUDGET = 512 * 1024 * 1024  # bytes of columns kept; the least recently used go first


class ColumnStore:
    def __init__(self, session, budget: int = DEFAULT_BUDGET) -> None:
        self.session = session
        self.budget = budget
        self._cols: OrderedDict[str, Column] = OrderedDict()
        self._lock = threading.Lock()
        self._used = 0
        self._building: dict[str, threading.Event] = {}  # name -> set when its build ends
        self._progress: dict[str, tuple[int, int]] = {}  # name -> the build's last (done, total)

    def get(self, name: str, progress: ProgressFn | None = None, cancel=None) -> Column:
        while True:
            with self._lock:
                col = self._cols.get(name)
                if col is not None:
                    self._cols.move_to_end(name)
                    return col
                done = self._building.get(name)
                if done is None:
                    done = self._building[name] = threading.Event()
                    break  # this thread builds it
            while not done.wait(0.05):  # another thread builds it: wait, showing its progress
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("column build cancelled")
                if progress is not None:
                    progress(*self._progress.get(name, (0, 1)))

        def report(k: int, total: int) -> None:
            self._progress[name] = (k, total)
            if progress is not None:
                progress(k, total)

        try:
            col = build(self.session, name, report, cancel)
            with self._lock:
                self._cols[name] = col
                self._used += col.nbytes()
                while self._used > self.budget and len(self._cols) > 1:
                    _, old = self._cols.popitem(last=False)
                    self._used -= old.nbytes()
                return col
        finally:
            with self._lock:
                self._building.pop(name, None)
                self._progress.pop(name, None)
            done.set()

    def cached(self, name: str) -> bool:
        return name in self._cols

    def clear(self) -> None:
        with self._lock:
            self._cols.clear()
            self._used = 0
