"""The tlstui application: three linked panes, the filter bar, findings, follow stream.

Threads: opening the capture, the analysis pass, findings, a filter and the follow screens
run in thread workers; each hands the UI an immutable result in a message (progress messages
coalesce).  The UI thread only reads trees through ``session.tree`` and the frame index.

This module lays the app out and wires its jobs, each in its own module: ``loading`` (open,
analyse, find, --follow), ``status`` (status line, messages), ``details`` (tree and bytes of the
selected frame), ``navigation`` (frame links, back, go to, the findings walk), ``filtering``,
``copying``, ``marks``, ``stream_views`` (follow, ladder, connections), ``saving`` (w: pcapng), ``live_view`` (-i) and
``list_columns`` (sorting, custom columns); the messages its workers send are in ``messages``.
"""
from __future__ import annotations

import os
import sys
import threading
from functools import partial
from typing import ClassVar, Iterable

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static, Tree
from textual.worker import Worker

from ..field import Field
from ..safe_text import escape_text
from .copying import CopyMixin
from .details import DetailsMixin
from .filter_bar import FilterBar, FilterInput
from .filtering import FilterMixin
from .findings_pane import FindingsPane, FindingsTable, load_findings
from .frame_list import FrameList, FrameListHeader
from .hex_view import HexPane, HexView, hex_width
from .list_columns import ListColumnsMixin
from .live_view import LiveMixin
from .loading import LoadingMixin
from .marks import MarksMixin
from .messages import (AnalysisFinished, AnalysisProgressed, DecryptionSummary, FilterMatched,  # noqa: F401
                       FilterWaiting, FindingsFound, FollowReloaded, IndexGrew, Opened, SessionOpened,
                       decryption_summary)
from .navigation import NavigationMixin
from .saving import SaveMixin
from .rows import RowView
from .screens import HelpScreen, LadderScreen, LinesView, TitledScreen
from .settings import FilterHistory, Settings
from .status import StatusMixin
from .stream_views import StreamViewsMixin
from .themes import VARIABLE_DEFAULTS, load_themes
from .tree_pane import ProtoTree

DEMO = "demo.pcapng"


class TlsTuiApp(LoadingMixin, StatusMixin, DetailsMixin, NavigationMixin, FilterMixin, CopyMixin, MarksMixin,
                StreamViewsMixin, ListColumnsMixin, SaveMixin, LiveMixin, App[int]):
    """The app wires its jobs together: each lives in its own module (loading, status, details,
    navigation, filtering, copying, marks, stream_views, list_columns); the state they share is
    set up here, in ``__init__``."""

    TITLE = "tlstui"
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
        Binding("z", "connections", "Connections", id="app.connections"),  # z: as tshark -z (statistics)
        Binding("i", "io_graph", "IO graph", id="app.io_graph"),
        Binding("w", "save", "Save frames (shown or marked) as pcapng", show=False, id="app.save"),
        Binding("ctrl+g,colon", "goto", "Go to frame", show=False, id="app.goto"),
        Binding("v", "compare", "Compare a resend with its original", show=False, id="app.compare"),
        Binding("backspace", "back", "Back (after following a frame link)", show=False, id="app.back"),
        Binding("m", "toggle_mark", "Mark", show=False, id="app.mark"),
        Binding("M", "next_mark", "Next marked", show=False, id="app.next_mark"),
        Binding("f", "toggle_findings", "Findings", id="app.toggle_findings"),
        Binding("ctrl+t", "next_theme", "Next theme", show=False, id="app.next_theme"),
        Binding("F", "toggle_follow_end", "Follow the end / stop following (-i, --follow)", show=False,
                id="app.follow_end"),
        Binding("ctrl+c", "live_quit", "Quit a live capture (-i: then offers to save it)", show=False,
                priority=True, id="app.live_quit"),
        Binding("K", "decryption_status", "Decryption status", show=False, id="app.decryption"),
        Binding("question_mark,f1", "help", "Help", id="app.help"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, path: str | None = None, keylog: str | None = None, *, session=None,
                 display_name: str | None = None, theme_name: str | None = None,
                 settings: Settings | None = None, history: FilterHistory | None = None,
                 follow: bool = False, live=None) -> None:  # noqa: ANN001 - capture.live.LiveCapture
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
        self._saving = None  # the session a `w` save is writing from (saving.py)
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
        self._session_path = path  # the file the shown session was read from
        # -i: the running capture (live_view.py): its status line, the ring file followed.
        self.live = live
        self.live_status = ""
        self.live_file = 1
        self._live_samples: list[tuple[float, int]] = []  # (monotonic time, packets) of the last polls
        # Follow the end as the capture grows: True (-i; F toggles), False (F stopped it),
        # None (--follow FILE until F: the cursor stays on the end only if it was there).
        self.follow_end: bool | None = True if (live is not None and self.follow) else None
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
        self._start_live_polling()

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

    # Textual registers @on handlers only on its own classes: the mixins' are declared here.
    _worker_state = on(Worker.StateChanged)(LoadingMixin._worker_state)
    _field_highlighted = on(Tree.NodeHighlighted, "#tree")(DetailsMixin._field_highlighted)
    _field_selected = on(Tree.NodeSelected, "#tree")(DetailsMixin._field_selected)
    _hex_moved = on(HexView.CursorMoved)(DetailsMixin._hex_moved)

    def _load_findings(self, session, between=None) -> list:  # noqa: ANN001
        """The findings rules (through this module's name, which the UI tests replace)."""
        return load_findings(session, between)

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
        ours = [b for b in self.BINDINGS if isinstance(b, Binding) and b.action not in ("quit", "help", "live_quit")]
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
    from .saving import SaveScreen
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
        ("Save (w)", list(SaveScreen.BINDINGS)),
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


def run_app(path: str | None, keylog: str | None = None, theme: str | None = None, follow: bool = False,
            live=None) -> int:  # noqa: ANN001
    """`tlstui [FILE]`: open the UI; no FILE opens the bundled demo; '-' reads stdin.  ``live``: the
    running LiveCapture of `tlstui -i` (its status in the status line, its ring's newest file followed)."""
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
                    theme_name=theme or os.environ.get("TLSTUI_THEME") or None, follow=follow, live=live)
    result = app.run()
    if app.return_code:
        return app.return_code
    return 0 if result is None else int(result)
