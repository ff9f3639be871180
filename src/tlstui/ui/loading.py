"""Opening the capture, the analysis pass, findings and --follow: the app's background half.

Thread workers open and index the file in batches, run the analysis pass, find (and group) the
findings and, with --follow, read a growing file again; each hands the UI an immutable result in
a message (``messages``).  ``yield_to_user`` lets keys in between two batches of a pass.
"""
from __future__ import annotations

import os
import sys
import time
from functools import partial

from textual import events
from textual.worker import Worker, WorkerState

from ..safe_text import escape_text
from .findings_pane import SEVERITY_RANK, group_for_pane, without_kinds
from .frame_list import FrameListHeader
from .messages import (AnalysisFinished, AnalysisProgressed, FindingsFound, FollowReloaded, IndexGrew, SessionOpened,
                       decryption_summary)


class LoadingMixin:
    """TlsTuiApp's loading, analysis, findings arrival and --follow (state set in its __init__)."""

    INPUT_GRACE = 0.25  # seconds after a key during which background passes pause
    ANALYSIS_BATCH = 256  # frames between the analysis pass's progress calls (and pauses)

    def _open_worker(self) -> None:
        """Open the file, index it in batches (rows show after the first) and run the analysis."""
        from ..capture.reader import CaptureError, open_capture
        from ..session import Session

        try:
            try:
                capture = open_capture(self.path, lazy=True)
            except TypeError:  # a reader without lazy indexing
                capture = open_capture(self.path)
            index_more = getattr(capture, "index_more", None)
            if index_more is not None:
                index_more(4096)  # enough for the first screens; the rest is indexed below
        except CaptureError as e:
            self.call_from_thread(self.exit, None, 2, f"tlstui: {escape_text(str(e))}")
            return
        session = Session(capture, self.keylog)
        self.post_message(SessionOpened(session, complete=index_more is None or capture.complete))
        if index_more is not None:
            last = time.monotonic()
            while index_more():
                if self.cancel_analysis.is_set():
                    return
                self.yield_to_user()
                if time.monotonic() - last > 0.25:
                    last = time.monotonic()
                    self.post_message(IndexGrew(len(capture.index), False))
            self.post_message(IndexGrew(len(capture.index), True))
        self._analysis_worker(session)

    def on_session_opened(self, message: SessionOpened) -> None:
        self.session = s = message.session
        self.index_complete = message.complete
        for w in s.warnings:
            self.notify(escape_text(w), title="Capture", severity="warning", markup=False, timeout=8)
        self.query_one(FrameListHeader).last_number = len(s)
        self.frame_list.attach(s)
        self._restore_custom_columns()
        self.analysis_progress = (0, len(s))
        self._update_status()
        if self._preopened:
            self.run_worker(partial(self._analysis_worker, s), thread=True, group="analysis", name="analysis",
                            exit_on_error=False)
        if len(s) == 0:
            self._request_details(0)

    def on_index_grew(self, message: IndexGrew) -> None:
        s = self.session
        self.index_complete = message.complete
        if message.complete:
            for w in s.warnings:
                self.notify(escape_text(w), title="Capture", severity="warning", markup=False, timeout=8)
        header = self.query_one(FrameListHeader)
        header.last_number = message.count
        header.refresh()
        view = self.frame_list.view
        if view.frames is None:
            view.total = message.count
            self.frame_list.grow()
        self.analysis_progress = (0, message.count)
        self._update_status()

    def _analysis_worker(self, s) -> None:
        t0 = time.perf_counter()
        last = [0.0]

        def progress(done: int, total: int) -> None:
            self.yield_to_user()
            now = time.monotonic()
            if now - last[0] > 0.2 or done == total:
                last[0] = now
                self.post_message(AnalysisProgressed(done, total))

        try:
            s.analyze(progress=progress, cancel=self.cancel_analysis, batch=self.ANALYSIS_BATCH)
        except TypeError:  # a session whose analyze has no batch size
            s.analyze(progress=progress, cancel=self.cancel_analysis)
        if not s.finished:
            return
        self.post_message(AnalysisFinished(time.perf_counter() - t0, decryption_summary(s)))
        self.analysis_done.set()
        try:
            found = self._load_findings(s, self.yield_to_user)
        except Exception as e:  # a broken rule must not take the capture away from the user
            self.post_message(FindingsFound((), f"findings failed: {type(e).__name__}: {e}"))
            return
        self.post_message(FindingsFound(tuple(found), groups=group_for_pane(found, s)))

    def on_analysis_progressed(self, message: AnalysisProgressed) -> None:
        self.analysis_progress = (message.done, message.total)
        self._update_status()

    def on_analysis_finished(self, message: AnalysisFinished) -> None:
        self.analysis_seconds = message.seconds
        self.decryption = message.decryption
        self.analysis_progress = (len(self.session), len(self.session))
        self.frame_list.invalidate()
        self._update_status()
        self._request_details(self.frame_list.selected, force=True)

    def on_findings_found(self, message: FindingsFound) -> None:
        first = not self._findings_in
        self._findings_in = True
        if first and self.follow:
            self.set_interval(self.FOLLOW_POLL, self._poll_growth, name="follow")
        self._show_findings(message)

    FOLLOW_POLL = 1.0  # seconds between two looks at the file's size

    def _poll_growth(self) -> None:
        if self._follow_busy or time.monotonic() < self._follow_next:
            return
        path = self.path
        try:
            size = os.path.getsize(path)
        except OSError:
            return
        if size == self._followed_size:
            return
        self._follow_busy = True
        self._follow_shown = len(self.session)  # the frames shown: the worker may grow this session
        self.run_worker(partial(self._follow_worker, size, path), thread=True, group="follow", name="follow",
                        exit_on_error=False)

    def _follow_worker(self, size: int, path: str | None = None) -> None:
        """Grow the shown session with what was appended (incremental.grow: the pass goes on, never
        from the start; the frame list shows the new frames once this is done); a file that cannot
        grow (another ring file, a shrunk or rewritten one, new pcapng secrets) is opened and
        analysed again off screen, the old session shown until this one is ready."""
        from ..incremental import grow
        from ..session import Session

        path = path or self.path
        t0 = time.perf_counter()
        try:
            s = self.session
            if path != self._session_path or size < self._followed_size or grow(s) is None:
                s = Session.open(path, self.keylog)
                s.analyze(progress=lambda done, total: self.yield_to_user())
            found = tuple(self._load_findings(s, self.yield_to_user))
            groups = group_for_pane(found, s)
        except Exception as e:  # the file may be mid-rewrite: try again at the next poll
            self._follow_busy = False
            self.post_message(FindingsFound(tuple(self.findings), f"--follow: re-reading failed: {e}"))
            return
        self.post_message(FollowReloaded(s, found, time.perf_counter() - t0, size, groups, path))

    def on_follow_reloaded(self, message: FollowReloaded) -> None:
        old, s = self.session, message.session
        fl = self.frame_list
        shown = self._follow_shown if old is s else len(old)  # a grown session is the old one, longer
        at_end = fl.selected == shown or len(fl.view) == 0
        if self.follow_end is not None:  # F (or -i): follow the end, or stay where the cursor is
            at_end = self.follow_end
        keep = fl.selected
        switched = message.path is not None and message.path != self._session_path
        if message.path is not None:
            self._session_path = message.path
        self.session = s
        # The ring moved on to a newer file while this one was read: read that one at the next poll.
        self._followed_size = message.size if message.path in (None, self.path) else -1
        if switched:
            fl.marked.clear()  # frame numbers of another file
        self._follow_busy = False
        # Reading the file again costs about as much as the last time it took: wait that long twice.
        self._follow_next = time.monotonic() + 2 * message.seconds
        self.analysis_seconds = message.seconds
        self.analysis_progress = (len(s), len(s))
        self.query_one(FrameListHeader).last_number = len(s)
        self.query_one(FrameListHeader).refresh()
        fl.attach(s)
        self._forget_session_columns()
        if self.applied_filter:
            self._apply_filter(self.applied_filter)
            if at_end and self.follow_end:
                self._filter_keep = len(s)  # the last frame shown once the filter is done
        elif len(s):
            fl.select_frame(len(s) if at_end else min(keep, len(s)) or 1)
            self.resort()
        self._show_findings(FindingsFound(message.findings, groups=message.groups))
        if old is not s and old is not getattr(self, "_saving", None):  # a `w` save still reading it closes it when done
            old.close()

    def _show_findings(self, message: FindingsFound) -> None:
        findings, groups = message.findings, message.groups
        if self.follow:  # a file being written usually ends inside a record: that is not a finding
            findings = tuple(f for f in findings if f.kind != "capture.file_truncated")
            if groups is not None:
                groups = without_kinds(groups, {"capture.file_truncated"})
        if message.error:
            self.notify(escape_text(message.error), severity="error", markup=False, timeout=10)
            if groups is None and self.findings and list(findings) == self.findings:
                return  # nothing new (a --follow re-read failed): the pane stays as it is
        # Most severe first, then in capture order (find_all's order, made certain here).
        self.findings = sorted(findings, key=lambda f: (SEVERITY_RANK.get(f.severity, 3),
                                                                f.frames[0] if f.frames else 0))
        by_frame: dict[int, list] = {}
        flags: dict[int, str] = {}
        for f in self.findings:
            for n in f.frames[:1]:
                by_frame.setdefault(n, []).append(f)
            for n in f.frames:
                old = flags.get(n)
                if old is None or SEVERITY_RANK.get(f.severity, 3) < SEVERITY_RANK.get(old, 3):
                    flags[n] = f.severity
        self.findings_by_frame = by_frame
        self.frame_list.flags = flags
        self.frame_list.invalidate(rows=False)
        self.findings_pane.set_findings(self.findings, groups)
        self._update_status()
        self._request_details(self.frame_list.selected, force=True)

    def _worker_state(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            err = event.worker.error
            self.notify(escape_text(f"{event.worker.name or 'background task'} failed: {type(err).__name__}: {err}"),
                        severity="error", markup=False, timeout=10)
            if event.worker.group == "filter":
                self.filter_state = "filter failed"
                self._update_status()

    def on_unmount(self) -> None:
        self.cancel_analysis.set()
        self._cancel_list_columns()
        if self.session is not None and hasattr(self.session, "stop_helpers"):
            self.session.stop_helpers()  # a TCP-analysis child must not outlive the app
        sys.setswitchinterval(self._switch_interval)

    async def on_event(self, event) -> None:
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def yield_to_user(self) -> None:
        """Called from worker threads between batches: while keys arrive, pause so that the UI
        thread has the interpreter (a pure-Python pass would otherwise hold the GIL for 5 ms
        at every switch and make each key take hundreds of milliseconds)."""
        waited = 0.0
        while time.monotonic() - self.last_input < self.INPUT_GRACE and waited < 2.0:
            time.sleep(0.01)
            waited += 0.01
