"""TCP analysis on a second core.

The analysis pass has two halves that need only the conversation tracker in common:
TCP analysis (sequence analysis, bytes in flight, dup ACKs...) and reassembly + TLS/DTLS.
For a large capture file the session runs the first half in a child process that reads the
same file on its own (the conversation pass is deterministic, so both processes number frames
and streams alike), and loads the analyzer's state from it when its own half is done.

The child is a fresh interpreter (not a fork: the UI process has threads), started with
``python -m tlstui.tcp.offload FILE``.  It runs the pass of ``tcp.framepass`` (the same one the
session runs) with the conversation tracker and the analyzer alone, and never imports the
session: the session sits above this module.  It writes one pickle to stdout:
``(frames_analysed, file offset of the last one, TcpAnalyzer state, its heap in kB)``.  Anything that goes wrong there makes the
session run the TCP analysis itself, so the offload can only change the time taken.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys

# Below this file size the child's start-up (about 0.3 s) costs more than it saves.
MIN_FILE_BYTES = 32 << 20
ENV_SWITCH = "TLSTUI_TCP_WORKER"  # "0": never offload, "1": always (tests), unset: by size


def wanted(path: str, is_mapped_file: bool) -> bool:
    """Should the TCP analysis of this capture run in a child process?"""
    switch = os.environ.get(ENV_SWITCH, "")
    if switch == "0" or not is_mapped_file or (os.cpu_count() or 1) < 2:
        return False
    if switch == "1":
        return True
    try:
        return os.path.getsize(path) >= MIN_FILE_BYTES
    except OSError:
        return False


class Offload:
    """A running child; ``result()`` waits for it and returns (frames, state) or None on failure."""

    heap_kb = 0  # the child's heap (RssAnon) when it finished, for the benchmarks

    def __init__(self, path: str, final: bool = False) -> None:
        """``final``: the session will not grow; the child sends a sealed analyzer (TcpAnalyzer.seal)."""
        self.proc = subprocess.Popen([sys.executable, "-m", "tlstui.tcp.offload", path] + (["--final"] if final else []),
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    def result(self) -> tuple[int, int, dict] | None:
        try:
            raw = self.proc.stdout.read()
            code = self.proc.wait()
            if code != 0 or not raw:
                return None
            frames, last_offset, state, self.heap_kb = pickle.loads(raw)
            return frames, last_offset, state
        except Exception:  # a child that died or wrote garbage: the session falls back
            return None
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def heap_kb() -> int:
    """This process's anonymous resident memory (its heap, not the mapped capture), in kB."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _child(path: str, final: bool = False) -> int:
    import gc

    gc.disable()  # a short-lived process full of long-lived objects (see Session.analyze)
    from ..capture.reader import open_capture
    from .analysis import TcpAnalyzer
    import numpy as np

    from .conversations_bulk import track, trim_heap
    from .framepass import LowerSource, feed_analysis, transport_columns

    capture = open_capture(path, lazy=True)
    capture.index_all()
    n = len(capture.index)
    columns = transport_columns(capture)
    source = LowerSource(capture, track(capture.data, np.frombuffer(capture.index.offset, dtype=np.int64)[:n],
                                        np.frombuffer(capture.index.cap_len, dtype=np.uint32)[:n],
                                        np.frombuffer(capture.index.time_ns, dtype=np.int64)[:n], columns))
    analyzer = TcpAnalyzer(source)
    feed_analysis(capture, columns, source.conv, analyzer, 0, n)
    del columns, source.conv
    if final:
        analyzer.seal()
    trim_heap()
    out = sys.stdout.buffer
    state = analyzer.__getstate__()
    last_offset = capture.index.offset[n - 1] if n else 0
    pickle.dump((n, last_offset, state, heap_kb()), out, protocol=pickle.HIGHEST_PROTOCOL)
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], "--final" in sys.argv[2:]))
