"""The tlstui application: three linked panes, the filter bar, findings, follow stream.

Threads: opening the capture, the analysis pass, findings, a filter and the follow screens
run in thread workers; each hands the UI an immutable result in a message (progress messages
coalesce).  The UI thread only reads trees through ``session.tree`` and the frame index.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from array import array
from dataclasses import dataclass
from functools import partial
from typing import ClassVar, Iterable

from rich.text import Text
from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree
from textual.worker import Worker, WorkerState, get_current_worker

from ..field import Field
from ..safe_text import escape_text
from .clipboard import copy_text, field_filter_text, field_value_text
from .colors import severity_style, theme_style
from .filter_bar import FilterBar, FilterInput
from .findings_pane import SEVERITY_RANK, FindingsPane, FindingsTable, group_for_pane, load_findings, without_kinds
from .frame_list import FrameList, FrameListHeader
from .hex_view import HexPane, HexView, hex_width
from .list_columns import ListColumnsMixin
from .rows import RowView
from .screens import (FollowScreen, GotoScreen, HelpScreen, LadderScreen, LinesView, TitledScreen,
                      TlsStreamScreen, style_getter)
from .settings import FilterHistory, Settings
from .themes import VARIABLE_DEFAULTS, load_themes
from .tree_pane import MISMATCH, ProtoTree, frame_link

DEMO = "demo.pcapng"


# --- messages from workers (immutable payloads) ------------------------------------------------
class SessionOpened(Message):
    def __init__(self, session, complete: bool = True) -> None:
        super().__init__()
        self.session = session
        self.complete = complete


class IndexGrew(Message):
    """The frame index has ``count`` frames (``complete``: the whole file)."""

    def __init__(self, count: int, complete: bool) -> None:
        super().__init__()
        self.count, self.complete = count, complete

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexGrew) and not message.complete


class AnalysisProgressed(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AnalysisProgressed)


@dataclass(frozen=True)
class DecryptionSummary:
    """Whether decryption is on, with which key logs, and how many connections it decrypted."""

    sources: tuple[str, ...]
    secrets: int
    decrypted: int
    connections: int
    problems: tuple[str, ...] = ()

    def short(self) -> str:
        names = ", ".join(os.path.basename(x) for x in self.sources) or "key log"
        return f"decrypted {self.decrypted}/{self.connections} ({names})"

    def long(self) -> str:
        names = ", ".join(self.sources) or "(no file)"
        text = (f"Decryption on: key log {names} with {self.secrets} client randoms; "
                f"{self.decrypted} of {self.connections} TLS connections decrypted.")
        if self.problems:
            text += " " + "; ".join(self.problems[:3]) + (" …" if len(self.problems) > 3 else "")
        return text


def decryption_summary(session) -> DecryptionSummary | None:
    """From a worker thread after the analysis pass (one entry per connection, not per frame)."""
    dec = getattr(session, "decryption", None)
    if dec is None:
        return None
    try:
        st = dec.statuses()
        kl = dec.keylog
        return DecryptionSummary(tuple(str(x) for x in getattr(kl, "sources", ())), len(kl),
                                 sum(1 for x in st if x.status == "ok"), len(st),
                                 tuple(dec.problems()))
    except Exception:  # a decryption object of another shape: say nothing rather than fail
        return None


class AnalysisFinished(Message):
    def __init__(self, seconds: float, decryption: DecryptionSummary | None = None) -> None:
        super().__init__()
        self.seconds = seconds
        self.decryption = decryption


class FindingsFound(Message):
    """The findings (most severe first) and their grouping (``findings.grouping.FindingGroups``,
    None: the pane groups them by kind and stream)."""

    def __init__(self, findings: tuple, error: str = "", groups=None) -> None:  # noqa: ANN001
        super().__init__()
        self.findings = findings
        self.error = error
        self.groups = groups


class FollowReloaded(Message):
    """--follow: the grown file, opened and analysed again from the start."""

    def __init__(self, session, findings: tuple, seconds: float, size: int, groups=None) -> None:  # noqa: ANN001
        super().__init__()
        self.session, self.findings, self.seconds, self.size = session, findings, seconds, size
        self.groups = groups


class FilterMatched(Message):
    """A batch of frames that matched filter ``token`` (in ascending order)."""

    def __init__(self, token: int, frames: array, done: int, total: int, finished: bool) -> None:
        super().__init__()
        self.token, self.frames, self.done, self.total, self.finished = token, frames, done, total, finished


class _FilterCancelled(Exception):
    """A newer filter (or none) replaced the one being applied."""


class FilterWaiting(Message):
    def __init__(self, token: int) -> None:
        super().__init__()
        self.token = token

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FilterWaiting)


@dataclass(frozen=True)
class Opened:
    """What run_app learned before the UI started (stdin must be read before Textual owns the tty)."""

    session: object
    name: str


class TlsTuiApp(ListColumnsMixin, App[int]):
    TITLE = "tlstui"
    INPUT_GRACE = 0.25  # seconds after a key during which background passes pause
    ANALYSIS_BATCH = 256  # frames between the analysis pass's progress calls (and pauses)
    CSS = """
    Screen { layout: vertical; background: $background; }
    #list-box { height: 1fr; min-height: 4; }
    #details { height: 1fr; min-height: 6; }
    #details > ProtoTree { width: 1fr; border-right: solid $primary 40%; }
    #details > HexPane { width: 76; }
    #status { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    #opening { height: 1fr; content-align: center middle; color: $foreground 70%; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter", id="app.filter"),
        Binding("n", "next_finding(1)", "Next finding", id="app.next_finding"),
        Binding("N", "next_finding(-1)", "Prev finding", id="app.prev_finding"),
        Binding("right_square_bracket", "next_finding(1, True)", "Next same kind", show=False,
                id="app.next_same_kind"),
        Binding("left_square_bracket", "next_finding(-1, True)", "Prev same kind", show=False,
                id="app.prev_same_kind"),
        Binding("right_curly_bracket", "next_group(1)", "Next finding group", show=False, id="app.next_group"),
        Binding("left_curly_bracket", "next_group(-1)", "Prev finding group", show=False, id="app.prev_group"),
        Binding("c", "copy_value", "Copy value", id="app.copy_value"),
        Binding("C", "copy_filter", "Copy as filter", show=False, id="app.copy_filter"),
        Binding("x", "copy_hex", "Copy frame hex", show=False, id="app.copy_hex"),
        Binding("S", "copy_summary", "Copy finding summary", show=False, id="app.copy_summary"),
        Binding("a", "apply_field_filter", "Apply as filter", show=False, id="app.apply_as_filter"),
        Binding("p", "prepare_field_filter", "Prepare as filter", show=False, id="app.prepare_as_filter"),
        Binding("A", "apply_as_column", "Apply as column", show=False, id="app.apply_as_column"),
        Binding("D", "remove_column", "Remove a column", show=False, id="app.remove_column"),
        Binding("o", "sort_by", "Sort", id="app.sort"),
        Binding("O", "reverse_sort", "Reverse sort", show=False, id="app.reverse_sort"),
        Binding("t", "follow_stream", "Follow stream", id="app.follow_stream"),
        Binding("T", "follow_tls", "Follow TLS", show=False, id="app.follow_tls"),
        Binding("L", "ladder", "Ladder", id="app.ladder"),
        Binding("w", "connections", "Connections", id="app.connections"),
        Binding("i", "io_graph", "IO graph", id="app.io_graph"),
        Binding("ctrl+g,colon", "goto", "Go to frame", show=False, id="app.goto"),
        Binding("v", "compare", "Compare a resend with its original", show=False, id="app.compare"),
        Binding("backspace", "back", "Back (after following a frame link)", show=False, id="app.back"),
        Binding("m", "toggle_mark", "Mark", show=False, id="app.mark"),
        Binding("M", "next_mark", "Next marked", show=False, id="app.next_mark"),
        Binding("f", "toggle_findings", "Findings", id="app.toggle_findings"),
        Binding("ctrl+t", "next_theme", "Next theme", show=False, id="app.next_theme"),
        Binding("K", "decryption_status", "Decryption status", show=False, id="app.decryption"),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, path: str | None = None, keylog: str | None = None, *, session=None,
                 display_name: str | None = None, theme_name: str | None = None,
                 settings: Settings | None = None, history: FilterHistory | None = None,
                 follow: bool = False) -> None:
        self.settings = settings or Settings.load()
        self._themes, self._theme_problems = load_themes()
        super().__init__()
        self._init_list_columns()
        self.path = path
        self.keylog = keylog
        self.session = session
        self._preopened = session is not None
        self.index_complete = session is not None
        self.display_name = display_name or (os.path.basename(path) if path else "capture")
        self.history = history or FilterHistory()
        self.findings: list = []
        self.findings_by_frame: dict[int, list] = {}
        self.current_finding = None
        self.current_tree = None
        self.analysis_done = threading.Event()
        self.cancel_analysis = threading.Event()
        self.analysis_progress = (0, 0)
        self.analysis_seconds: float | None = None
        self.applied_filter = ""
        self.filter_state = ""
        self._filter_token = 0
        self._filter_keep = 0
        self._filter_view: RowView | None = None
        self._pending_frame: int | None = None
        self._details_timer = None
        self._last_request = 0.0
        self._last_details = 0.0
        self._from_hex: Field | None = None
        self._requested_theme = theme_name
        self.last_input = 0.0
        self._findings_in = False
        self._back: list[int] = []  # frames left by following a link (Backspace returns)
        self.decryption: DecryptionSummary | None = None
        self.message: tuple[str, str] | None = None  # (text, theme colour) shown in the status line
        self._message_timer = None
        self._toast_id = ""
        self._toasts_pending = False
        # --follow: a file still being written (tcpdump -w) is read again whenever it grows.
        self.follow = follow and path is not None and path != "-" and os.path.isfile(path)
        self._followed_size = os.path.getsize(path) if self.follow else 0
        self._follow_busy = False
        self._follow_next = 0.0  # monotonic time before which no reload starts (adaptive)
        # A shorter switch interval: the UI thread waits at most 1 ms for the interpreter.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        for t in self._themes:
            self.register_theme(t)

    # --- layout -----------------------------------------------------------------------
    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **VARIABLE_DEFAULTS}

    def compose(self) -> ComposeResult:
        yield FilterBar(self.history, id="filter-bar")
        with Vertical(id="list-box"):
            yield FrameListHeader(id="list-header")
            yield FrameList(id="frames")
        with Horizontal(id="details"):
            yield ProtoTree(id="tree")
            yield HexPane(id="hex-pane")
        yield FindingsPane(id="findings", classes="" if self.settings.show_findings else "-hidden")
        yield Static("", id="status")
        yield Footer()

    @property
    def frame_list(self) -> FrameList:
        return self.query_one(FrameList)

    @property
    def tree_pane(self) -> ProtoTree:
        return self.query_one(ProtoTree)

    @property
    def hex_pane(self) -> HexPane:
        return self.query_one(HexPane)

    @property
    def findings_pane(self) -> FindingsPane:
        return self.query_one(FindingsPane)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    def on_mount(self) -> None:
        wanted = self._requested_theme or self.settings.theme
        if wanted in self.available_themes:
            self.theme = wanted
        elif self._themes:
            self.theme = self._themes[0].name
        for p in self._theme_problems:
            self.notify(escape_text(p), severity="warning", markup=False)
        self._layout_for(self.size.width, self.size.height)
        self.filter_bar.validate_text("")
        if self.session is not None:
            self.post_message(SessionOpened(self.session))
        else:
            self._set_status(Text(f"Opening {escape_text(self.display_name)} …"))
            self.run_worker(self._open_worker, thread=True, group="open", name="open", exit_on_error=False)
        self.frame_list.focus()

    def on_resize(self, event) -> None:
        self._layout_for(event.size.width, event.size.height)

    # The footer's keys by importance: what does not fit the width is left to ? and Ctrl+P.
    FOOTER_ORDER = ("app.filter", "app.toggle_findings", "app.ladder", "app.help", "app.quit",
                    "app.next_finding", "app.connections", "app.follow_stream", "app.prev_finding",
                    "app.copy_value", "app.sort", "app.io_graph")

    def _layout_for(self, width: int, height: int = 48) -> None:
        # Short terminals: the findings pane gives rows back to the list.
        self.findings_pane.styles.height = 9 if height >= 40 else 7 if height >= 30 else 5
        # Tall terminals: the tree and bytes get more of the rows than the list.
        self.query_one("#details").styles.height = "3fr" if height >= 40 else "1fr"
        self.query_one("#list-box").styles.height = "2fr" if height >= 40 else "1fr"
        # Wide terminals get 16 bytes per hex row; narrow ones 8 (never clipped), the tree the rest.
        hexw = hex_width(16) + 2 if width >= 150 else hex_width(8) + 2
        self.hex_pane.styles.width = min(hexw, max(hex_width(8) + 2, width // 2))
        # Narrow: the findings table gets 3/4 of the width, so that summaries can be read.
        self.query_one("#finding-explanation-scroll").styles.width = "1fr" if width < 120 else "2fr"
        self._fit_footer(width)

    def _fit_footer(self, width: int) -> None:
        import dataclasses

        by_id = {b.id: b for b in self.BINDINGS if isinstance(b, Binding)}
        shown: set[str] = set()
        used = 14  # "^p palette"
        for bid in self.FOOTER_ORDER:
            b = by_id[bid]
            cost = len(self.get_key_display(dataclasses.replace(b, key=b.key.split(",")[0]))) + len(b.description) + 3
            if used + cost <= width:
                shown.add(bid)
                used += cost
        seen: set[str] = set()
        for key, bs in self._bindings.key_to_bindings.items():
            new = []
            for b in bs:
                if b.id in by_id and b.id in self.FOOTER_ORDER:
                    b = dataclasses.replace(b, show=b.id in shown and b.id not in seen)
                    seen.add(b.id)
                new.append(b)
            self._bindings.key_to_bindings[key] = new
        self.footer_keys = shown
        self.refresh_bindings()

    # --- opening and analysis -----------------------------------------------------------
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
            found = load_findings(s, self.yield_to_user)
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

    # --- --follow ------------------------------------------------------------------------
    FOLLOW_POLL = 1.0  # seconds between two looks at the file's size

    def _poll_growth(self) -> None:
        if self._follow_busy or time.monotonic() < self._follow_next:
            return
        try:
            size = os.path.getsize(self.path)
        except OSError:
            return
        if size == self._followed_size:
            return
        self._follow_busy = True
        self.run_worker(partial(self._follow_worker, size), thread=True, group="follow", name="follow",
                        exit_on_error=False)

    def _follow_worker(self, size: int) -> None:
        """Open and analyse the grown file from the start, off screen; the old session stays shown
        until this one is ready.  (The pass is not incremental: reassembly, TLS and findings are
        all recomputed, which keeps them exact.)"""
        from ..session import Session

        t0 = time.perf_counter()
        try:
            s = Session.open(self.path, self.keylog)
            s.analyze(progress=lambda done, total: self.yield_to_user())
            found = tuple(load_findings(s, self.yield_to_user))
            groups = group_for_pane(found, s)
        except Exception as e:  # the file may be mid-rewrite: try again at the next poll
            self._follow_busy = False
            self.post_message(FindingsFound(tuple(self.findings), f"--follow: re-reading failed: {e}"))
            return
        self.post_message(FollowReloaded(s, found, time.perf_counter() - t0, size, groups))

    def on_follow_reloaded(self, message: FollowReloaded) -> None:
        old, s = self.session, message.session
        fl = self.frame_list
        at_end = fl.selected == len(old) or len(fl.view) == 0
        keep = fl.selected
        self.session = s
        self._followed_size = message.size
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
        elif len(s):
            fl.select_frame(len(s) if at_end else min(keep, len(s)) or 1)
            self.resort()
        self._show_findings(FindingsFound(message.findings, groups=message.groups))
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

    @on(Worker.StateChanged)
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

    # --- messages: one at a time, in the status line, never over the panes -------------------
    def _on_main_screen(self) -> bool:
        try:
            return len(self.screen_stack) == 1
        except Exception:
            return False

    def _on_notify(self, event) -> None:
        n = event.notification
        if not self._on_main_screen():
            self._toast_id = n.identity  # one toast at a time over a follow / ladder screen
            self._notifications.add(n)
            self._refresh_notifications()
            return
        self._notifications.add(n)  # kept for the record; drawn in the status line, not as a toast
        msg = n.message
        if n.markup:
            try:
                msg = Text.from_markup(msg).plain
            except Exception:
                pass
        msg = " ".join(msg.split())
        if n.title:
            msg = f"{n.title}: {msg}"
        mark = {"error": "✖ ", "warning": "▲ "}.get(n.severity, "")
        style = {"error": "error", "warning": "warning"}.get(n.severity, "accent")
        self.message = (mark + msg, style)
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(max(1.0, n.timeout), self._message_expired)
        self._update_status()

    def _message_expired(self) -> None:
        self._message_timer = None
        self.message = None
        self._update_status()

    def _refresh_notifications(self) -> None:
        """Toasts: none on the main screen (its messages are in the status line); on a screen
        on top, only the last message raised there (not the main screen's, shown already)."""
        if not self._toasts_pending:  # a burst of messages draws once, with the last one
            self._toasts_pending = True
            self.call_after_refresh(self._show_toasts)

    def _show_toasts(self) -> None:
        from textual.notifications import Notifications
        from textual.widgets._toast import ToastRack

        self._toasts_pending = False
        try:
            rack = self.screen.get_child_by_type(ToastRack)
        except Exception:
            return
        shown = Notifications()
        if not self._on_main_screen():
            for n in self._notifications:
                if n.identity == self._toast_id:
                    shown.add(n)
        rack.show(shown)

    # --- status line --------------------------------------------------------------------
    def _set_status(self, text: Text) -> None:
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.query_one("#status", Static).update(text, layout=False)

    def _update_status(self) -> None:
        s = self.session
        if self.message is not None:
            msg, style = self.message
            t = Text(msg, theme_style(self, style, bold=True))
            n = self.frame_list.selected if s is not None else 0
            if n:
                t = Text.assemble((f"frame {n}  ", "bold"), t)
            self._set_status(t)
            return
        if s is None:
            return
        t = Text()
        narrow = self.size.width < 120  # 80 and 100 columns: the short forms, frame N in sight
        name = escape_text(self.display_name)
        room = max(16, self.size.width // 4)
        if narrow and len(name) > room:
            name = name[:room - 1] + "…"
        t.append(name, "bold")
        t.append(f"  {len(s):,} frames")
        if self.follow:
            t.append("  following" + (" (re-reading…)" if self._follow_busy else ""), theme_style(self, "accent"))
        shown = len(self.frame_list.view)
        if self.applied_filter:
            t.append(f"  shown {shown:,}", theme_style(self, "accent"))
        if self.filter_state:
            t.append(f"  {self.filter_state}", theme_style(self, "accent"))
        sort = self.sort_status()
        if sort:
            t.append(f"  {sort}", theme_style(self, "accent"))
        done, total = self.analysis_progress
        if not self.index_complete:
            t.append("  indexing…", theme_style(self, "warning"))
        elif self.analysis_seconds is not None:
            if not narrow:
                t.append(f"  analysed in {self.analysis_seconds:.1f}s", "dim")
        elif total:
            pct = 100 * done // total
            bar = "█" * (pct // 10) + "░" * (10 - pct // 10)
            t.append(f"  analysing {bar} {pct}%" if not narrow else f"  analysing {pct}%",
                     theme_style(self, "warning"))
        if self.decryption is not None:
            d = self.decryption
            t.append("  🔑 " + escape_text(d.short() if not narrow else f"{d.decrypted}/{d.connections}"),
                     theme_style(self, "success" if d.decrypted else "warning"))
        if self.analysis_done.is_set():
            counts = {k: sum(1 for f in self.findings if f.severity == k) for k in ("error", "warning", "note")}
            if self.findings:
                t.append("  findings:")
                for k, label in (("error", "✖"), ("warning", "▲"), ("note", "•")):
                    if counts[k]:
                        t.append(f" {label}{counts[k]}", severity_style(self, k, bold=True))
            else:
                t.append("  no findings", "dim")
        n = self.frame_list.selected
        if n:
            t.append(f"  frame {n}", "bold")
            if n in self.frame_list.marked:
                t.append(" ◆marked")
        self._set_status(t)

    # --- the selected frame -> tree and hex ----------------------------------------------
    def on_frame_list_cursor_moved(self, message: FrameList.CursorMoved) -> None:
        try:
            self._request_details(message.number)
            self._update_status()
        except NoMatches:  # a move delivered while the app tears its widgets down (seen under load)
            pass

    DETAILS_DELAY = 0.06  # while keys repeat, the tree and bytes wait for a pause this long
    DETAILS_MAX_STALE = 0.3  # ... but never lag the list by more than this

    def _request_details(self, number: int, force: bool = False) -> None:
        """Coalesce: while keys repeat, the list moves at once and the tree and bytes (which
        cost a layout) follow when the keys pause."""
        self._pending_frame = number
        if force:
            self.current_tree = None
        now = time.monotonic()
        if self._details_timer is not None:
            self._details_timer.stop()
            self._details_timer = None
        repeating = now - self._last_request < self.DETAILS_DELAY * 2
        self._last_request = now
        if repeating and now - self._last_details < self.DETAILS_MAX_STALE:
            self._details_timer = self.set_timer(self.DETAILS_DELAY, self._flush_details)
        else:
            self.call_after_refresh(self._flush_details)

    async def _flush_details(self) -> None:
        self._details_timer = None
        number = self._pending_frame
        self._pending_frame = None
        if number is None:
            return
        self._last_details = time.monotonic()
        try:
            await self._show_frame(number)
        except NoMatches:  # the app is tearing its widgets down (a test that ends at once)
            pass

    async def _show_frame(self, number: int) -> None:
        if self.session is None:
            return
        if not number:
            self.current_tree = None
            self.tree_pane.show_frame(None)
            await self.hex_pane.show_sources({})
            return
        if self.current_tree is not None and self.current_tree.number == number:
            return
        try:
            tree = self.session.tree(number)
        except Exception as e:
            self.notify(escape_text(f"frame {number}: dissection failed: {e}"), severity="error", markup=False)
            return
        self.current_tree = tree
        self.tree_pane.show_frame(tree, self.findings_by_frame.get(number, []))
        await self.hex_pane.show_sources(tree.sources)

    @on(Tree.NodeHighlighted, "#tree")
    def _field_highlighted(self, event: Tree.NodeHighlighted) -> None:
        f = event.node.data
        if not isinstance(f, Field) or self.current_tree is None:
            return
        from_hex = self._from_hex is f
        self._from_hex = None
        self.hex_pane.select_source(f.source)
        if f.name in (MISMATCH, MISMATCH + ".first_diff_offset"):
            rng = self._mismatch_bytes(self.current_tree)
            if rng is not None:  # the differing bytes themselves, scrolled into view
                self.hex_pane.hex.mark(rng[0], rng[1] - rng[0], move_cursor=True)
                return
        self.hex_pane.hex.mark(f.offset, f.length, move_cursor=not from_hex)

    def _mismatch_compare(self, tree):
        from .streams import retransmission_compare

        orig = tree.values(MISMATCH + ".original_frame")
        if not orig or self.session is None:
            return None
        try:
            return retransmission_compare(self.session, tree.number, int(orig[0]))
        except Exception:  # a frame the fast parser does not read: no compare
            return None

    def _mismatch_bytes(self, tree) -> tuple[int, int] | None:
        """Frame offsets (start, end) of a mismatching resend's differing bytes."""
        cmp = self._mismatch_compare(tree)
        payload = tree.fields("tcp.payload")
        if cmp is None or not cmp.diffs or not payload:
            return None
        lo, hi = cmp.diff_range
        return payload[0].offset + lo, payload[0].offset + hi

    @on(Tree.NodeSelected, "#tree")
    def _field_selected(self, event: Tree.NodeSelected) -> None:
        """Enter on a line: a frame reference jumps there; the mismatch line opens the compare view."""
        data = event.node.data
        n = frame_link(data)
        if n is not None:
            self.jump_to_frame(n)
            return
        if isinstance(data, Field) and data.name == MISMATCH and self.current_tree is not None:
            self.action_compare()

    def action_compare(self) -> None:
        from .screens import CompareScreen

        tree = self.current_tree
        cmp = self._mismatch_compare(tree) if tree is not None else None
        if cmp is None:
            self.notify("This frame is not a retransmission that differs from its original.", markup=False)
            return
        self.push_screen(CompareScreen(cmp, style_getter(self)))

    def jump_to_frame(self, n: int) -> bool:
        """Follow a link to frame ``n`` (Backspace comes back)."""
        if self.session is None or not 1 <= n <= len(self.session):
            self.notify(f"There is no frame {n}.", severity="warning", markup=False)
            return False
        here = self.frame_list.selected
        if n == here:
            return True
        if not self.frame_list.select_frame(n):
            self.notify(f"Frame {n} is hidden by the filter (Ctrl+L in the filter bar clears it).",
                        severity="warning", markup=False)
            return False
        if here:
            self._back.append(here)
            del self._back[:-100]
        return True

    def action_back(self) -> None:
        while self._back:
            n = self._back.pop()
            if self.frame_list.select_frame(n):
                return
        self.notify("Nothing to go back to (Backspace returns after following a frame link).", markup=False)

    @on(HexView.CursorMoved)
    def _hex_moved(self, event: HexView.CursorMoved) -> None:
        tree = self.current_tree
        if tree is None:
            return
        f = tree.field_at(event.offset, event.source)
        if f is None:
            self.hex_pane.hex.mark(0, 0, move_cursor=False)
            return
        if self.tree_pane.selected_field is f:
            self.hex_pane.hex.mark(f.offset, f.length, move_cursor=False)
            return
        self._from_hex = f
        if not self.tree_pane.select_field(f):
            self._from_hex = None

    # --- filtering --------------------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.filter_bar.input.focus()

    def apply_filter_text(self, text: str) -> None:
        """Put ``text`` in the bar and apply it (from 'apply as filter', the follow screen)."""
        self.filter_bar.set_text(text)
        self.filter_bar.validate_text(text)
        if self.filter_bar.error is None:
            if text.strip():
                self.history.add(text)
            self._apply_filter(text)

    def on_filter_bar_applied(self, message: FilterBar.Applied) -> None:
        self._apply_filter(message.text)
        self.frame_list.focus()

    def on_filter_bar_cleared(self, message: FilterBar.Cleared) -> None:
        if self.applied_filter:
            self._apply_filter("")
        self.frame_list.focus()

    def on_filter_bar_left(self, message: FilterBar.Left) -> None:
        self.frame_list.focus()

    def _apply_filter(self, text: str) -> None:
        if self.session is None:
            return
        self._filter_token += 1
        keep = self.frame_list.selected
        if not text.strip():
            self.workers.cancel_group(self, "filter")
            self.applied_filter = ""
            self.filter_state = ""
            self.frame_list.set_view(RowView(len(self.session)), keep=keep)
            self.filter_bar.set_applied("")
            self._request_details(self.frame_list.selected, force=True)
            self._update_status()
            self.resort()
            return
        from ..filter import FilterError, compile_filter

        try:
            df = compile_filter(text)
        except FilterError as e:
            self.notify(escape_text(str(e)), severity="error", markup=False)
            return
        self.applied_filter = text
        self.filter_bar.set_applied(text)
        self._filter_keep = keep
        self._filter_view = None
        self.filter_state = "filtering…"
        self._update_status()
        self.run_worker(partial(self._filter_worker, df, self._filter_token), thread=True, exclusive=True,
                        group="filter", name="filter", exit_on_error=False)

    def _filter_worker(self, df, token: int) -> None:
        worker = get_current_worker()
        s = self.session
        while not self.analysis_done.wait(0.1):
            if worker.is_cancelled:
                return
            self.post_message(FilterWaiting(token))
        total = len(s)
        last = [time.monotonic()]

        def progress(done: int, of: int) -> None:
            """Between column-building steps: stop if cancelled, let keys in, say how far."""
            if worker.is_cancelled:
                raise _FilterCancelled
            self.yield_to_user()
            now = time.monotonic()
            if now - last[0] > 0.15:
                self.post_message(FilterMatched(token, array("I"), done * total // max(of, 1), total, False))
                last[0] = now

        # Whole columns (filter.vector): built once per field and cached for the session, so the
        # next filter on the same fields is answered without reading a frame.
        try:
            mask = df.select(s.columns, total, s.view, progress)
        except _FilterCancelled:
            return
        import numpy as np

        batch = array("I")
        batch.frombytes(np.nonzero(mask)[0].astype(np.uint32).tobytes())
        self.post_message(FilterMatched(token, batch, total, total, True))

    def on_filter_waiting(self, message: FilterWaiting) -> None:
        if message.token == self._filter_token:
            done, total = self.analysis_progress
            self.filter_state = f"filter waits for the analysis ({100 * done // max(total, 1)}%)"
            self._update_status()

    def on_filter_matched(self, message: FilterMatched) -> None:
        if message.token != self._filter_token:
            return
        fl = self.frame_list
        if self._filter_view is None:
            self._filter_view = RowView(message.total, array("I"))
            fl.set_view(self._filter_view, keep=None)
        view = self._filter_view
        view.frames.extend(message.frames)
        fl.grow()
        keep = self._filter_keep
        if keep and keep in message.frames:
            fl.select_frame(keep)
            self._filter_keep = 0
        elif len(view) and fl.selected == 0:
            fl.cursor = 0
        if message.finished:
            if self._filter_keep:
                fl.set_view(view, keep=self._filter_keep)
                self._filter_keep = 0
            self.filter_state = "" if len(view) else "no frame matches"
            # Always show the selected frame's tree and bytes: after a filter that matched nothing
            # the cursor stays on row 0, so no cursor move would bring them back.
            self._request_details(fl.selected if len(view) else 0, force=True)
            self.resort()
        else:
            self.filter_state = f"filtering {100 * message.done // max(message.total, 1)}%"
        self._update_status()

    # --- findings navigation -----------------------------------------------------------
    def _nav(self) -> list:
        return sorted(self.findings, key=lambda f: (f.frames[0] if f.frames else 0,
                                                     SEVERITY_RANK.get(f.severity, 3)))

    def action_next_finding(self, step: int = 1, same_kind: bool = False) -> None:
        if not self.analysis_done.is_set():
            self.notify("Findings come when the analysis pass is done.", markup=False)
            return
        nav = [f for f in self._nav() if f.frames]
        if same_kind:
            ref = self.current_finding or next(iter(self.findings_by_frame.get(self.frame_list.selected, [])), None)
            if ref is None:
                self.notify("Jump to a finding first (n), then ] / [ move through its kind.", markup=False)
                return
            nav = [f for f in nav if f.kind == ref.kind]
        if not nav:
            self.notify("No findings in this capture.", markup=False)
            return
        cur = self.frame_list.selected
        key = lambda f: f.frames[0]  # noqa: E731
        pos = None
        if self.current_finding in nav and key(self.current_finding) == cur:
            pos = nav.index(self.current_finding) + step
        elif step > 0:
            pos = next((i for i, f in enumerate(nav) if key(f) > cur), len(nav))
        else:
            pos = next((i for i in range(len(nav) - 1, -1, -1) if key(nav[i]) < cur), -1)
        wrapped = not 0 <= pos < len(nav)
        pos %= len(nav)
        for attempt in range(len(nav)):
            f = nav[(pos + attempt * step) % len(nav)]
            shown = next((n for n in f.frames if self.frame_list.view.index_of(n) is not None), None)
            if shown is not None:
                self._go_to_finding(f, shown, wrapped)
                return
        self.notify("The filter hides every frame of those findings.", severity="warning", markup=False)

    def action_next_group(self, step: int = 1) -> None:
        """} / {: the first shown finding of the next / previous group (kind, then server or
        certificate), in the findings pane's order."""
        if not self.analysis_done.is_set() or not self._findings_in:
            self.notify("Findings come when the analysis pass is done.", markup=False)
            return
        groups = self.findings_pane.groups
        order = list(groups.groups()) if groups is not None else []
        if not order:
            self.notify("No findings in this capture.", markup=False)
            return
        loc = groups.locate(self.current_finding) if self.current_finding is not None else None
        if loc is not None:
            here = order.index(groups.kinds[loc[0]].groups[loc[1]])
            pos = here + step
        else:
            pos = 0 if step > 0 else len(order) - 1
        wrapped = not 0 <= pos < len(order)
        for attempt in range(len(order)):
            g = order[(pos + attempt * step) % len(order)]
            for f in g.findings:
                shown = next((n for n in f.frames if self.frame_list.view.index_of(n) is not None), None)
                if shown is None:
                    continue
                self.current_finding = f
                self.frame_list.select_frame(shown)
                self.findings_pane.show_group(g)
                i = order.index(g)
                self.notify(f"{'(wrapped) ' if wrapped else ''}{g.kind}: {g.label}: {g.count} "
                            f"({'} / {'}: next / previous group)", title=f"Group {i + 1}/{len(order)}",
                            severity="error" if g.severity == "error" else "warning" if g.severity == "warning"
                            else "information", markup=False, timeout=4)
                return
        self.notify("The filter hides every frame of those findings.", severity="warning", markup=False)

    def _go_to_finding(self, f, frame: int, wrapped: bool = False) -> None:
        self.current_finding = f
        self.frame_list.select_frame(frame)
        self.findings_pane.show_finding(f)
        msg = f"{escape_text(f.summary)}   (n / N: next / previous)"
        if wrapped:
            msg = "(wrapped) " + msg
        self.notify(msg, title=f"Finding {self._nav().index(f) + 1}/{len(self.findings)}",
                    severity="error" if f.severity == "error" else "warning" if f.severity == "warning"
                    else "information", markup=False, timeout=4)

    def on_findings_pane_finding_highlighted(self, message: FindingsPane.FindingHighlighted) -> None:
        f = message.finding
        self.current_finding = f
        shown = next((n for n in f.frames if self.frame_list.view.index_of(n) is not None), None)
        if shown is None:
            if f.frames:
                self.notify("Its frames are hidden by the filter (Ctrl+L in the filter bar clears it).",
                            markup=False)
            return
        self.frame_list.select_frame(shown)

    def action_toggle_findings(self) -> None:
        pane = self.findings_pane
        pane.toggle_class("-hidden")
        self.settings.show_findings = not pane.has_class("-hidden")
        self.settings.save()
        if self.settings.show_findings:
            pane.table.focus()
        elif self.focused is None or pane in self.focused.ancestors_with_self:
            self.frame_list.focus()

    # --- copy --------------------------------------------------------------------------
    def _copy(self, text: str, what: str) -> None:
        where = copy_text(self, text)
        shown = text if len(text) <= 120 else text[:117] + "…"
        self.notify(f"Copied {what} to the {where}:\n{escape_text(shown)}", markup=False, timeout=5)

    def _selected_field(self) -> Field | None:
        f = self.tree_pane.selected_field
        if f is None:
            self.notify("Select a field in the protocol tree first (Tab moves there).", markup=False)
        return f

    def action_copy_value(self) -> None:
        if self.focused is not None and isinstance(self.focused, FindingsTable):
            self.action_copy_summary()
            return
        f = self._selected_field()
        if f is not None:
            self._copy(field_value_text(f), f"value of {f.name or 'field'}")

    def action_copy_filter(self) -> None:
        f = self._selected_field()
        if f is None:
            return
        text = field_filter_text(f)
        if text is None:
            self.notify("This line is a label, not a field: it has no filter name.", markup=False)
            return
        self._copy(text, "filter")

    def action_copy_hex(self) -> None:
        n = self.frame_list.selected
        if n and self.session is not None:
            self._copy(self.session.frame_bytes(n).hex(), f"frame {n} as hex")

    def action_copy_summary(self) -> None:
        f = self.current_finding
        if isinstance(self.focused, FindingsTable) and self.findings_pane.findings:
            f = self.findings_pane.finding_at(self.findings_pane.table.cursor_row) or f
        if f is None:
            here = self.findings_by_frame.get(self.frame_list.selected)
            f = here[0] if here else None
        if f is None:
            self.notify("No finding selected (n jumps to the next one).", markup=False)
            return
        self._copy(f.summary, "finding summary")

    def _field_filter(self) -> str | None:
        f = self._selected_field()
        if f is None:
            return None
        text = field_filter_text(f)
        if text is None:
            self.notify("This line is a label, not a field: it has no filter name.", markup=False)
        return text

    def action_apply_field_filter(self) -> None:
        text = self._field_filter()
        if text is not None:
            self.apply_filter_text(text)
            self.frame_list.focus()

    def action_prepare_field_filter(self) -> None:
        text = self._field_filter()
        if text is not None:
            self.filter_bar.set_text(text)
            self.filter_bar.input.focus()

    # --- marks and go to -----------------------------------------------------------------
    def action_toggle_mark(self) -> None:
        n = self.frame_list.selected
        if not n:
            return
        self.frame_list.marked.symmetric_difference_update({n})
        self.frame_list.invalidate(rows=False)
        self._update_status()

    def action_next_mark(self) -> None:
        marks = sorted(m for m in self.frame_list.marked if self.frame_list.view.index_of(m) is not None)
        if not marks:
            self.notify("No marked frames (m marks one).", markup=False)
            return
        cur = self.frame_list.selected
        self.frame_list.select_frame(next((m for m in marks if m > cur), marks[0]))

    def action_goto(self) -> None:
        if self.session is None:
            return

        def done(n: int | None) -> None:
            if n is None:
                return
            if not 1 <= n <= len(self.session):
                self.notify(f"There is no frame {n} (1–{len(self.session)}).", severity="warning", markup=False)
            elif not self.frame_list.select_frame(n):
                self.notify(f"Frame {n} is hidden by the filter.", severity="warning", markup=False)
            else:
                self.frame_list.focus()

        self.push_screen(GotoScreen(len(self.session)), done)

    # --- follow stream and ladder --------------------------------------------------------
    def _stream_ready(self):
        from .streams import stream_of

        if self.session is None or not self.frame_list.selected:
            return None
        if not self.analysis_done.is_set():
            done, total = self.analysis_progress
            self.notify(f"Streams are known when the analysis is done ({100 * done // max(total, 1)}%).",
                        markup=False)
            return None
        sid = stream_of(self.session, self.frame_list.selected)
        if sid is None:
            self.notify("This frame is neither TCP nor UDP.", markup=False)
        return sid

    def action_follow_stream(self) -> None:
        sid = self._stream_ready()
        if sid is not None:
            self._build_stream_screen("bytes", sid)

    def action_follow_tls(self) -> None:
        sid = self._stream_ready()
        if sid is not None:
            self._build_stream_screen("tls", sid)

    def action_ladder(self) -> None:
        sid = self._stream_ready()
        if sid is not None:
            self._build_stream_screen("ladder", sid)

    def action_connections(self) -> None:
        """The connections view; Enter there shows that connection's frames here."""
        from .connections_view import ConnectionsScreen

        def chosen(conn) -> None:
            if conn is None:
                return
            self.apply_filter_text(conn.filter)
            self.frame_list.focus()

        self.push_screen(ConnectionsScreen(self.display_name), chosen)

    @work(thread=True, exclusive=True, group="stream", name="follow stream", exit_on_error=False)
    def _build_stream_screen(self, what: str, sid) -> None:
        from .streams import conversation, follow_bytes, ladder, tls_records

        conv = conversation(self.session, sid)
        if what == "bytes":
            data = follow_bytes(self.session, conv)
        elif what == "tls":
            data = tls_records(self.session, conv)
        else:
            data = ladder(self.session, conv)
        self.call_from_thread(self._push_stream_screen, what, conv, data)

    def _push_stream_screen(self, what: str, conv, data) -> None:
        getter = style_getter(self)
        if what == "bytes":
            screen: Screen = FollowScreen(conv, data, getter)
        elif what == "tls":
            screen = TlsStreamScreen(conv, data, getter)
        else:
            screen = LadderScreen(conv, data, self.frame_list.flags, getter)
        self.push_screen(screen)

    # --- themes, help, palette -----------------------------------------------------------
    def action_next_theme(self) -> None:
        names = [t.name for t in self._themes] or list(self.available_themes)
        i = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(i + 1) % len(names)]
        self.notify(f"Theme: {self.theme}", markup=False, timeout=2)

    def watch_theme(self, theme: str) -> None:
        if not self.is_mounted:
            return
        if self.settings.theme != theme:
            self.settings.theme = theme
            self.settings.save()
        try:
            self.frame_list.invalidate(rows=False)
            if self.findings:
                self.findings_pane.refresh_rows()
            if self.current_tree is not None:
                self.tree_pane.show_frame(self.current_tree, self.findings_by_frame.get(self.current_tree.number, []))
            self.filter_bar.validate_text(self.filter_bar.input.value)
            self._update_status()
        except Exception:  # a screen without the main widgets (tests, modal on top)
            pass

    def action_help(self) -> None:
        self.push_screen(HelpScreen(binding_sections()))

    def action_decryption_status(self) -> None:
        d = self.decryption
        if d is None:
            self.notify("Decryption is off: no key log (--keylog FILE, $SSLKEYLOGFILE or pcapng secrets)."
                        if self.analysis_done.is_set() else "The analysis is not done yet.", markup=False)
            return
        self.notify(escape_text(d.long()), markup=False, timeout=8,
                    severity="information" if d.decrypted else "warning")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's commands and every tlstui action, each once (the help says its key)."""
        seen: set[str] = set()
        ours = [b for b in self.BINDINGS if isinstance(b, Binding) and b.action not in ("quit", "help")]
        titles = {b.description for b in ours}
        for c in super().get_system_commands(screen):
            if c.title not in titles and c.title not in seen:
                seen.add(c.title)
                yield c
        for b in ours:
            if b.description in seen:
                continue
            seen.add(b.description)
            key = self.get_key_display(b.with_key(b.key.split(",")[0])) if hasattr(b, "with_key") \
                else b.key.split(",")[0]
            yield SystemCommand(b.description, f"key: {key}", partial(self.run_action, b.action))


def binding_sections() -> list[tuple[str, list]]:
    from .iograph import IntervalScreen, IoGraphScreen, IoGraphView
    from .connections_view import ConnectionFilter, ConnectionsScreen, ConnectionsTable
    from .list_columns import ChooserScreen
    from .screens import CompareScreen, SearchInput
    from .screens import FollowScreen as _F

    return [
        ("Everywhere", [b for b in TlsTuiApp.BINDINGS if isinstance(b, Binding)]),
        ("Frame list", list(FrameList.BINDINGS)),
        ("Protocol tree", list(ProtoTree.BINDINGS)),
        ("Bytes", list(HexView.BINDINGS) + list(HexPane.BINDINGS)),
        ("Filter bar", list(FilterInput.BINDINGS)),
        ("Findings", list(FindingsTable.BINDINGS)),
        ("Follow / ladder", list(TitledScreen.BINDINGS) + list(_F.BINDINGS) + list(LinesView.BINDINGS)
         + list(SearchInput.BINDINGS) + list(LadderScreen.BINDINGS) + list(CompareScreen.BINDINGS)),
        ("Connections", list(ConnectionsScreen.BINDINGS) + list(ConnectionsTable.BINDINGS)
         + list(ConnectionFilter.BINDINGS)),
        ("IO graph", list(IoGraphScreen.BINDINGS) + list(IoGraphView.BINDINGS) + list(IntervalScreen.BINDINGS)),
        ("Sort / column chooser", list(ChooserScreen.BINDINGS)),
        ("Textual", [Binding("tab,shift+tab", "focus_next", "Next / previous pane", id="textual.focus"),
                     Binding("ctrl+p", "command_palette", "Command palette", id="textual.palette"),
                     Binding("ctrl+q", "quit", "Quit", id="textual.quit")]),
    ]


# --- entry point ---------------------------------------------------------------------------
def demo_paths() -> tuple[str, str | None]:
    from importlib import resources

    base = resources.files("tlstui") / "data"
    pcap = base / DEMO
    keys = base / "demo.keys"
    return str(pcap), (str(keys) if keys.is_file() else None)


def _reattach_tty() -> bool:
    """After reading a capture from a pipe, give Textual the terminal on fd 0."""
    if os.isatty(0):
        return True
    try:
        fd = os.open("/dev/tty", os.O_RDWR)
    except OSError:
        return False
    os.dup2(fd, 0)
    os.close(fd)
    return True


def run_app(path: str | None, keylog: str | None = None, theme: str | None = None, follow: bool = False) -> int:
    """`tlstui [FILE]`: open the UI; no FILE opens the bundled demo; '-' reads stdin."""
    from ..capture.reader import CaptureError

    session = None
    name = None
    if path is None:
        path, demo_keys = demo_paths()
        keylog = keylog or demo_keys
        name = "demo.pcapng (bundled demo)"
    elif path == "-":
        from ..session import Session

        try:
            session = Session.open("-", keylog)
        except CaptureError as e:
            print(f"tlstui: {escape_text(str(e))}", file=sys.stderr)
            return 2
        name = "<stdin>"
        if not _reattach_tty():
            print("tlstui: no terminal to draw on (stdin was the capture and /dev/tty is not available)",
                  file=sys.stderr)
            return 2
    elif not os.path.exists(path):
        print(f"tlstui: {escape_text(path)}: no such file", file=sys.stderr)
        return 2
    app = TlsTuiApp(path, keylog, session=session, display_name=name,
                    theme_name=theme or os.environ.get("TLSTUI_THEME") or None, follow=follow)
    result = app.run()
    if app.return_code:
        return app.return_code
    return 0 if result is None else int(result)
