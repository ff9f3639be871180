"""`tlstui findings --follow FILE|-i IFACE`: print each finding as it is decided, for headless triage.

The capture (a file still being written, or the ring of a live capture, capture/live.py) is
kept open and grown whenever the file grows (``incremental.grow``: the pass goes on with the new
frames, never from the start; opened again only when it cannot grow), waiting between two
analyses about twice as long as the last one took.  Each finding is printed once,
the first time it is decided, as one line of text or one JSON object per line (``--json``, the
objects of the ``findings --json`` contract).  Identity: kind, stream and first evidence frame.

Some findings are verdicts on what did *not* come (a handshake that never finished, a connection
closed without close_notify, one direction missing): those are held until their stream has been
quiet for ``quiet`` seconds (by the capture's clock; for a live capture by the wall clock too),
and printed at the end (Ctrl-C) if they still stand.  ``capture.file_truncated`` is never printed
while following (a file being written ends inside a record).

On Ctrl-C: a last analysis, the findings it decides, then a summary on standard error (standard
output stays findings only); the exit status is that of ``tlstui findings`` over what was printed.
"""
from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

from .findings import exit_code, find_all
from .findings.model import Finding
from .findings.render import MARK as _MARK
from .safe_text import escape_text

# Findings about what has not (yet) happened: wait until their stream is quiet.
PENDING_KINDS = frozenset({
    "tls.handshake_incomplete", "tls.truncated_close", "capture.one_direction", "dtls.handshake_stalled",
    "quic.handshake_incomplete", "tcp.pmtu_blackhole", "capture.clock_implausible", "ip.middlebox_signature",
    "tls.client_certificate_missing",
    "quic.version_negotiation",  # its error says the client never came back with a listed version
})
NEVER_WHILE_FOLLOWING = frozenset({"capture.file_truncated"})


def finding_line(f: Finding, as_json: bool) -> str:
    if as_json:
        return json.dumps(f.to_dict(), ensure_ascii=False)
    frames = ",".join(map(str, f.frames[:10])) + (f",... ({len(f.frames)} frames)" if len(f.frames) > 10 else "")
    stream = "-" if f.stream is None else str(f.stream)
    return f"{_MARK[f.severity]} {f.kind} (stream {stream}, frames {frames or '-'}): {escape_text(f.summary)}"


@dataclass
class Follower:
    """The findings printed so far, and the ones held back, over successive analyses."""

    out: TextIO
    as_json: bool = False
    quiet: float = 10.0  # seconds a stream must be silent before a pending verdict on it is printed
    live: bool = False  # also count wall-clock silence (a live capture's clock is the wall clock)
    printed: list[Finding] = field(default_factory=list)
    _keys: set = field(default_factory=set)
    pending: dict = field(default_factory=dict)  # key -> the latest pending Finding
    frames: int = 0  # of the last analysis
    analyses: int = 0
    part: int = 0  # which file of a ring (keys of different files never meet)
    frames_done: int = 0  # frames of the ring's files already left behind

    def _keys_of(self, found: list[Finding]) -> list[tuple]:
        seen: dict[tuple, int] = {}
        keys = []
        for f in found:
            k = (self.part, f.kind, f.stream, f.first_frame)
            n = seen[k] = seen.get(k, 0) + 1
            keys.append(k + (n,))
        return keys

    def take(self, session, final: bool = False) -> list[Finding]:
        """Print the findings of an analysed session that are decided and not printed yet."""
        found = [f for f in find_all(session) if f.kind not in NEVER_WHILE_FOLLOWING]
        self.frames = len(session)
        self.analyses += 1
        quiet = _quiet_streams(session, self.quiet, self.live)
        new = []
        self.pending = {}
        for key, f in zip(self._keys_of(found), found):
            if key in self._keys:
                continue
            if f.kind in PENDING_KINDS and not final and not quiet(f):
                self.pending[key] = f
                continue
            self._keys.add(key)
            new.append(f)
        new.sort(key=lambda f: (f.first_frame or 1 << 62))  # as they happened
        self.printed.extend(new)  # before writing: the exit status counts what reached the reader
        for f in new:
            self.out.write(finding_line(f, self.as_json) + "\n")
        self.out.flush()
        return new

    def summary(self, name: str) -> str:
        counts = {s: sum(1 for f in self.printed if f.severity == s) for s in ("error", "warning", "note")}
        parts = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n) or "none"
        files = f" in {self.part + 1} files" if self.part else ""
        return (f"followed {escape_text(name)}: {self.frames_done + self.frames} frames{files}, {self.analyses} "
                f"analyses, {len(self.printed)} findings ({parts})")


def _quiet_streams(session, quiet: float, live: bool) -> Callable[[Finding], bool]:
    """A test: has the finding's stream (or the whole capture) been silent for ``quiet`` seconds?"""
    import numpy as np

    idx = session.capture.index
    n = len(idx)
    if n == 0:
        return lambda f: False
    times = np.frombuffer(idx.time_ns, dtype=np.int64)[:n]
    now = int(times.max())
    if live:
        now = max(now, time.time_ns())
    limit = int(quiet * 1e9)
    conv = session.conv
    tcp = np.asarray(conv.tcp_stream[:n])
    udp = np.asarray(conv.udp_stream[:n])
    last: dict[tuple[str, int], int] = {}

    def stream_last(f: Finding) -> int:
        first = f.first_frame
        if f.stream is None or first is None or first > n:
            return now if not live else int(times.max())  # about the whole capture: its last frame
        kind, col = ("tcp", tcp) if tcp[first - 1] == f.stream else ("udp", udp)
        key = (kind, f.stream)
        if key not in last:
            sel = np.nonzero(col == f.stream)[0]
            last[key] = int(times[sel].max()) if len(sel) else now
        return last[key]

    return lambda f: now - stream_last(f) >= limit


def follow_file(path: str, follower: Follower, keylog: str | None = None, stop: threading.Event | None = None,
                poll: float = 0.5, next_file: Callable[[], str | None] | None = None,
                ca_file: str | None = None) -> None:
    """Analyse ``path`` whenever it grows until ``stop`` is set (or KeyboardInterrupt), then once
    more with every pending finding decided.  ``next_file()``: the ring's next file once there is
    one (this one is then complete: analysed a last time, and following moves on to the next)."""
    from .capture.reader import CaptureError
    from .incremental import grow
    from .session import Session

    stop = stop or threading.Event()
    size = -1
    wait_until = 0.0
    session = None  # kept between analyses: a growth continues its pass (incremental.grow)

    def drop() -> None:
        nonlocal session
        if session is not None:
            session.close()
            session.capture.close()
            session = None

    def analyse(final: bool = False) -> None:
        nonlocal size, session
        try:
            grown = os.path.getsize(path)
        except OSError:
            return
        if grown == size and not final:
            return
        t0 = time.monotonic()
        try:
            if session is not None and grown < size:
                drop()  # recycled by the ring, or rewritten: start again
            if session is None or grow(session) is None:
                drop()
                session = Session.open(path, keylog)
                session.ca_file = ca_file
                session.analyze()
        except (CaptureError, OSError, ValueError):
            drop()
            return  # not a capture yet (no header), or recycled by the ring: try again later
        follower.take(session, final=final)
        size = grown
        nonlocal wait_until
        wait_until = time.monotonic() + 2 * (time.monotonic() - t0)

    try:
        while not stop.is_set():
            if time.monotonic() >= wait_until:
                analyse()
            nxt = next_file() if next_file is not None else None
            if nxt is not None:
                analyse(final=False)  # the file is complete: its last frames
                follower.part += 1
                follower.frames_done += follower.frames
                follower.frames = 0
                drop()
                path, size = nxt, -1
                continue
            stop.wait(poll)
    except KeyboardInterrupt:
        pass
    try:
        analyse(final=True)
    except KeyboardInterrupt:
        pass
    finally:
        drop()


def _stop_on_ctrl_c(stop: threading.Event) -> Callable[[], None]:
    """The first Ctrl-C sets ``stop`` (the analysis under way ends, then the last one runs); a
    second one interrupts.  Returns the function that puts the previous handler back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.getsignal(signal.SIGINT)

    def handler(_sig, _frame):
        stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    signal.signal(signal.SIGINT, handler)
    return lambda: signal.signal(signal.SIGINT, previous)


def run(args) -> int:  # noqa: ANN001 - argparse namespace from cli.cmd_findings
    """`tlstui findings --follow`: FILE or -i IFACE."""
    follower = Follower(sys.stdout, as_json=args.json, quiet=args.quiet, live=args.interface is not None)
    stop = threading.Event()
    if args.interface is None:
        if not os.path.exists(args.file):
            print(f"tlstui: {escape_text(args.file)}: no such file", file=sys.stderr)
            return 2
        restore = _stop_on_ctrl_c(stop)
        try:
            follow_file(args.file, follower, args.keylog, stop=stop, ca_file=args.ca_file)
        finally:
            restore()
        print(f"tlstui: {follower.summary(args.file)}", file=sys.stderr)
        return exit_code(follower.printed)
    from .capture.live import LiveCapture, LiveError, Ring

    try:
        live = LiveCapture(args.interface, args.capture_filter, Ring.parse(args.ring))
        first = live.start()
    except LiveError as e:
        print(f"tlstui: {e}", file=sys.stderr)
        return 2
    current = [first]

    def next_file() -> str | None:
        files = live.files()
        if current[0] in files and files.index(current[0]) + 1 < len(files):
            current[0] = files[files.index(current[0]) + 1]
            return current[0]
        return None

    restore = _stop_on_ctrl_c(stop)
    try:
        follow_file(first, follower, args.keylog, stop=stop, next_file=next_file, ca_file=args.ca_file)
    finally:
        restore()
        live.stop()
    print(f"tlstui: {follower.summary(args.interface)}", file=sys.stderr)
    print(f"tlstui: {live.summary()}", file=sys.stderr)
    return exit_code(follower.printed)
