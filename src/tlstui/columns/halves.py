"""A column's frame-by-frame work on both cores: a forked child takes the second half.

A field without a whole-column rule is read from each candidate frame's own layers, about
0.2 ms a frame: 30,000 handshake frames of a large capture take seconds.  The frames are
independent, so a child made with ``fork`` (it shares the analysed session, copy-on-write)
reads the second half while this process reads the first, and sends its (frames, values)
back pickled through a pipe.

Forking is only safe in a process with one thread: the TUI builds columns in a worker thread
(then this runs the whole list here), the headless commands have one.  Anything that goes
wrong in the child (it died, wrote garbage) makes this process do the second half itself, so
the child can only change the time taken.
"""
from __future__ import annotations

import os
import pickle
import signal
import threading
from typing import Callable

MIN_ITEMS = 8192  # below this the fork and the pickle cost more than they save
ENV_SWITCH = "TLSTUI_COLUMN_FORK"  # "0": never, "1": whatever the size (tests), unset: by size

Work = Callable[[list, bool], tuple[list, list]]  # (items, in_child) -> (frames, values)


def wanted(n_items: int) -> bool:
    switch = os.environ.get(ENV_SWITCH, "")
    if switch == "0" or not hasattr(os, "fork") or (os.cpu_count() or 1) < 2 or threading.active_count() != 1:
        return False
    return switch == "1" or n_items >= MIN_ITEMS


def run(items: list, work: Work) -> tuple[list, list]:
    """``work(items)``, the second half in a forked child when that is worth it and safe."""
    if len(items) < 2 or not wanted(len(items)):
        return work(items, False)
    mid = len(items) // 2
    first, second = items[:mid], items[mid:]
    r, w = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(r)
        os.close(w)
        return work(items, False)
    if pid == 0:  # the child: its half, pickled to the pipe, and out without any clean-up of the parent's
        code = 1
        try:
            os.close(r)
            data = pickle.dumps(work(second, True), protocol=pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(w, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    try:
        frames, values = work(first, False)
    except BaseException:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(r)
        raise
    got = _collect(pid, r)
    if got is None:
        got = work(second, False)
    return frames + got[0], values + got[1]


def _collect(pid: int, r: int) -> tuple[list, list] | None:
    chunks = []
    try:
        while True:
            b = os.read(r, 1 << 20)
            if not b:
                break
            chunks.append(b)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    if status != 0 or not chunks:
        return None
    try:
        frames, values = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - garbage from a child that went wrong: do its half here
        return None
    return list(frames), list(values)
