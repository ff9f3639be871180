"""The columns of one session: built on first use, kept under a memory bound."""
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

    def get(self, name: str, progress: ProgressFn | None = None, cancel=None) -> Column:
        with self._lock:
            col = self._cols.get(name)
            if col is not None:
                self._cols.move_to_end(name)
                return col
        col = build(self.session, name, progress, cancel)
        with self._lock:
            if name not in self._cols:
                self._cols[name] = col
                self._used += col.nbytes()
                while self._used > self.budget and len(self._cols) > 1:
                    _, old = self._cols.popitem(last=False)
                    self._used -= old.nbytes()
            return self._cols[name]

    def cached(self, name: str) -> bool:
        return name in self._cols

    def clear(self) -> None:
        with self._lock:
            self._cols.clear()
            self._used = 0
