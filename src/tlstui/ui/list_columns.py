"""Sorting the frame list and its custom columns: the app's half (workers, messages, choosers).

Columns are built in thread workers through ``session.columns`` (one build per field at a time,
whoever asks: a custom column, a sort, the IO graph); the UI thread gets immutable results in
messages.  A sort is a permutation of the frames the current view shows (all, or a finished
filter's), computed off the UI thread by ``sorting``; ties keep capture order.
"""
from __future__ import annotations

import threading
import time
from functools import partial
from typing import ClassVar

import numpy as np
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from ..safe_text import escape_text
from .custom_columns import CustomColumn
from .frame_list import BUILTIN_COLUMNS, INFO, SORT_MARK, FrameListHeader
from .rows import RowView, SortedRowView
from .sorting import CUSTOM_PREFIX, FrameKeys, frame_keys, restrict, sort_fields

CAPTURE_ORDER = ""


# --- one build per column ------------------------------------------------------------------------
class SharedBuilds:
    """Workers that want the same column wait for one build instead of building it twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[tuple[int, str], threading.Event] = {}

    def get(self, session, name: str, progress=None, cancel=None):  # noqa: ANN001, ANN201
        store = session.columns
        slot = (id(store), name)
        while True:
            with self._lock:
                if store.cached(name):
                    mine, ev = None, None
                else:
                    ev = self._inflight.get(slot)
                    mine = ev is None
                    if mine:
                        ev = self._inflight[slot] = threading.Event()
            if ev is None:
                return store.get(name, progress, cancel)
            if mine:
                try:
                    return store.get(name, progress, cancel)
                finally:
                    with self._lock:
                        self._inflight.pop(slot, None)
                    ev.set()
            while not ev.wait(0.1):
                if cancel is not None and cancel.is_set():
                    raise InterruptedError("cancelled")
            # built by the other worker (or it was cancelled: then build it here)


# --- messages (immutable payloads) -----------------------------------------------------------
class ColumnProgressed(Message):
    def __init__(self, session, name: str, done: int, total: int) -> None:  # noqa: ANN001
        super().__init__()
        self.session, self.name, self.done, self.total = session, name, done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ColumnProgressed) and message.name == self.name


class ColumnBuilt(Message):
    def __init__(self, session, name: str, column, error: str = "") -> None:  # noqa: ANN001
        super().__init__()
        self.session, self.name, self.column, self.error = session, name, column, error


class SortProgressed(Message):
    def __init__(self, token: int, text: str) -> None:
        super().__init__()
        self.token, self.text = token, text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SortProgressed)


class SortReady(Message):
    def __init__(self, token: int, order: np.ndarray, seconds: float) -> None:
        super().__init__()
        self.token, self.order, self.seconds = token, order, seconds


# --- choosers ------------------------------------------------------------------------------
class ChooserScreen(ModalScreen[str | None]):
    """A short list to pick from (Enter picks, Esc cancels)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Cancel", id="chooser.cancel")]
    DEFAULT_CSS = """
    ChooserScreen { align: center middle; }
    ChooserScreen > Vertical { width: 60; max-width: 95%; height: auto; max-height: 90%;
                               border: round $primary; background: $panel; padding: 0 1; }
    ChooserScreen OptionList, ChooserScreen OptionList:focus { height: auto; max-height: 20; border: none;
                                                              background: $panel; }
    """

    def __init__(self, title: str, options: list[tuple[str, str]], highlight: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.highlight = highlight

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text)
            yield OptionList(*(Option(Text(label), id=key or "-") for key, label in self.options), id="choices")

    def on_mount(self) -> None:
        ol = self.query_one(OptionList)
        keys = [k for k, _ in self.options]
        if self.highlight in keys:
            ol.highlighted = keys.index(self.highlight)
        ol.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        oid = event.option.id
        self.dismiss("" if oid == "-" else oid)

    def action_cancel(self) -> None:
        self.dismiss(None)


def column_titles(custom: list[CustomColumn]) -> list[tuple[str, str]]:
    """(sort key, title) of every column of the list, left to right."""
    out = [(k, t) for k, t, _r in BUILTIN_COLUMNS]
    out += [(c.key, c.title) for c in custom]
    out.append(INFO[:2])
    return out


# --- the app's part ---------------------------------------------------------------------------
class ListColumnsMixin:
    """Mixed into TlsTuiApp: sort state, custom columns, their workers and handlers."""

    SORT_CACHE = 8  # sort keys kept per session (ranks: 8 bytes a frame each)

    def _init_list_columns(self) -> None:
        self.sort_spec: tuple[str, bool] | None = None  # (key, descending)
        self.sort_state = ""
        self.last_sort_seconds: float | None = None
        self._sort_token = 0
        self._sort_cancel = threading.Event()
        self._sort_keys: dict[tuple[int, str], FrameKeys] = {}
        self._col_cancel: dict[str, threading.Event] = {}
        self.builds = SharedBuilds()

    # --- custom columns ------------------------------------------------------------------
    def _restore_custom_columns(self) -> None:
        """The custom columns of the settings, built again for this session."""
        from ..registry import REGISTRY

        fl = self.frame_list
        for c in self._col_cancel.values():
            c.set()
        self._col_cancel.clear()
        fl.custom = []
        unknown = []
        for name in self.settings.custom_columns:
            if name in REGISTRY:
                fl.custom.append(CustomColumn(name))
            else:
                unknown.append(name)
        if unknown:
            self.notify(escape_text("Unknown fields left out of the columns: " + ", ".join(unknown)),
                        severity="warning", markup=False)
        self._columns_changed()
        for c in fl.custom:
            self._start_column(c)

    def _columns_changed(self) -> None:
        fl = self.frame_list
        header = self.query_one(FrameListHeader)
        header.customs = fl.custom_layout
        header.building = {c.key: _progress_text(c) for c in fl.custom if not c.ready}
        header.refresh()
        fl.invalidate(rows=False)

    def _start_column(self, cc: CustomColumn) -> None:
        if self.session is None:
            return
        cancel = self._col_cancel[cc.field] = threading.Event()
        self.run_worker(partial(self._column_worker, self.session, cc.field, cancel), thread=True,
                        group="columns", name=f"column {cc.field}", exit_on_error=False)

    def _wait_for_analysis(self, cancel: threading.Event, waiting=None) -> bool:  # noqa: ANN001
        while not self.analysis_done.wait(0.1):
            if cancel.is_set() or self.cancel_analysis.is_set():
                return False
            if waiting is not None:
                waiting()
        return not cancel.is_set()

    def _column_worker(self, session, name: str, cancel: threading.Event) -> None:  # noqa: ANN001
        if not self._wait_for_analysis(cancel):
            return
        last = [0.0]

        def progress(done: int, total: int) -> None:
            self.yield_to_user()
            now = time.monotonic()
            if now - last[0] > 0.2:
                last[0] = now
                self.post_message(ColumnProgressed(session, name, done, total))

        try:
            col = self.builds.get(session, name, progress, cancel)
        except InterruptedError:
            return
        except Exception as e:  # noqa: BLE001 - a field that cannot be built is shown as such
            self.post_message(ColumnBuilt(session, name, None, f"{type(e).__name__}: {e}"))
            return
        self.post_message(ColumnBuilt(session, name, col))

    def on_column_progressed(self, message: ColumnProgressed) -> None:
        if message.session is not self.session:
            return
        for c in self.frame_list.custom:
            if c.field == message.name and not c.ready:
                c.done, c.total = message.done, message.total
        self._columns_changed()

    def on_column_built(self, message: ColumnBuilt) -> None:
        if message.session is not self.session:
            return
        for c in self.frame_list.custom:
            if c.field == message.name:
                c.column, c.error = message.column, message.error
        if message.error:
            self.notify(escape_text(f"Column {message.name} could not be built: {message.error}"),
                        severity="error", markup=False)
        self._columns_changed()

    def action_apply_as_column(self) -> None:
        """Wireshark's "Apply as Column": the tree's selected field becomes a list column."""
        f = self.tree_pane.selected_field
        if f is None or not f.name:
            self.notify("Select a field in the protocol tree first (Tab moves there): "
                        "A shows it as a column of the frame list.", markup=False)
            return
        self.add_custom_column(f.name)

    def add_custom_column(self, name: str) -> None:
        from ..registry import REGISTRY

        if name not in REGISTRY:
            self.notify(escape_text(f"{name} is not a field the filter knows: it cannot be a column."),
                        severity="warning", markup=False)
            return
        fl = self.frame_list
        if any(c.field == name for c in fl.custom):
            self.notify(escape_text(f"{name} is a column already (D removes a column)."), markup=False)
            return
        cc = CustomColumn(name)
        fl.custom.append(cc)
        self.settings.custom_columns = [c.field for c in fl.custom]
        self.settings.save()
        self._columns_changed()
        self._start_column(cc)
        self.notify(escape_text(f"Column added: {cc.title} ({name}); D removes it."), markup=False, timeout=3)

    def remove_custom_column(self, name: str) -> None:
        fl = self.frame_list
        fl.custom = [c for c in fl.custom if c.field != name]
        ev = self._col_cancel.pop(name, None)
        if ev is not None:
            ev.set()
        self.settings.custom_columns = [c.field for c in fl.custom]
        self.settings.save()
        if self.sort_spec is not None and self.sort_spec[0] == CUSTOM_PREFIX + name:
            self.set_sort(None)
        self._columns_changed()

    def action_remove_column(self) -> None:
        fl = self.frame_list
        if not fl.custom:
            self.notify("No custom columns (A on a tree field adds one).", markup=False)
            return

        def done(key: str | None) -> None:
            if key:
                self.remove_custom_column(key)

        self.push_screen(ChooserScreen("Remove which column?  (Enter removes, Esc keeps all)",
                                       [(c.field, f"{c.title}  ({c.field})") for c in fl.custom]), done)

    # --- sorting ---------------------------------------------------------------------------
    def action_sort_by(self) -> None:
        if self.session is None:
            return
        current = self.sort_spec[0] if self.sort_spec else CAPTURE_ORDER
        options = [(CAPTURE_ORDER, "Capture order (no sort)")]
        for key, title in column_titles(self.frame_list.custom):
            mark = ""
            if self.sort_spec is not None and self.sort_spec[0] == key:
                mark = "  " + SORT_MARK[self.sort_spec[1]] + " (Enter reverses)"
            fields = ", ".join(sort_fields(key))
            options.append((key, f"{title}  [{fields}]{mark}"))

        def done(key: str | None) -> None:
            if key is None:
                return
            if not key:
                self.set_sort(None)
            elif self.sort_spec is not None and self.sort_spec[0] == key:
                self.set_sort((key, not self.sort_spec[1]))
            else:
                self.set_sort((key, False))

        self.push_screen(ChooserScreen("Sort the frame list by", options, current), done)

    def action_reverse_sort(self) -> None:
        if self.sort_spec is None:
            self.set_sort(("no", True))  # reversed capture order
        else:
            self.set_sort((self.sort_spec[0], not self.sort_spec[1]))

    def on_frame_list_header_clicked(self, message: FrameListHeader.Clicked) -> None:
        """Click: ascending, again: descending, a third time: capture order."""
        spec = self.sort_spec
        if spec is None or spec[0] != message.key:
            self.set_sort((message.key, False))
        elif not spec[1]:
            self.set_sort((message.key, True))
        else:
            self.set_sort(None)

    def set_sort(self, spec: tuple[str, bool] | None) -> None:
        self.sort_spec = spec
        header = self.query_one(FrameListHeader)
        header.sort = spec
        header.refresh()
        self._sort_token += 1
        self._sort_cancel.set()
        if spec is None:
            self.workers.cancel_group(self, "sort")
            self.sort_state = ""
            base = self._base_view()
            if base is not None and isinstance(self.frame_list.view, SortedRowView):
                self.frame_list.set_view(base, keep=self.frame_list.selected)
            self._update_status()
            return
        self.resort()

    def _base_view(self) -> RowView | None:
        """The frames shown in capture order (None while a filter is still matching)."""
        if self.session is None:
            return None
        if not self.applied_filter:
            return RowView(len(self.session))
        view = self._filter_view
        if view is None or self.filter_state.startswith("filter"):
            return None
        return view

    def resort(self) -> None:
        """Sort the current view again (after a filter, a new session, a new sort)."""
        if self.sort_spec is None or self.session is None:
            return
        base = self._base_view()
        if base is None:
            self.sort_state = "sort waits for the filter"
            self._update_status()
            return
        self._sort_token += 1
        self._sort_cancel.set()
        cancel = self._sort_cancel = threading.Event()
        frames = None if base.frames is None else np.array(base.frames, dtype=np.int64)
        key, desc = self.sort_spec
        self._warn_slow_sort(key)
        self.sort_state = "sorting…"
        self._update_status()
        self.run_worker(partial(self._sort_worker, self.session, key, desc, frames, self._sort_token, cancel),
                        thread=True, exclusive=True, group="sort", name="sort", exit_on_error=False)

    # What a _ws.col.* column costs per frame (columns/build.summary_column), measured headless on the
    # generated 1M capture (Protocol 3.4 s, Info 8.2 s), rounded up: the app is slower while it draws.
    COLUMN_SECONDS = {"_ws.col.Protocol": 5e-6, "_ws.col.Info": 1.2e-5}
    SLOW_SORT_FRAMES = 50_000

    def _warn_slow_sort(self, key: str) -> None:
        """Protocol and Info are read from every frame (no pass array holds them): say so before a long build."""
        s = self.session
        slow = [n for n in sort_fields(key) if n.startswith("_ws.col.") and not s.columns.cached(n)]
        if slow and len(s) >= self.SLOW_SORT_FRAMES and (id(s), key) not in self._sort_keys:
            seconds = len(s) * sum(self.COLUMN_SECONDS.get(n, 1.2e-5) for n in slow)
            title = dict(column_titles(self.frame_list.custom)).get(key, key)
            took = f"about {seconds / 60:.0f} min" if seconds >= 90 else f"about {max(1, round(seconds))} s"
            self.notify(f"Sorting by {title} reads every frame once: {took} for "
                        f"{len(s):,} frames. The list keeps working meanwhile; o, then Capture order, cancels.",
                        severity="warning", markup=False, timeout=10)

    def _sort_worker(self, session, key: str, desc: bool, frames, token: int,  # noqa: ANN001
                     cancel: threading.Event) -> None:
        def waiting() -> None:
            done, total = self.analysis_progress
            self.post_message(SortProgressed(token, f"sort waits for the analysis ({100 * done // max(total, 1)}%)"))

        if not self._wait_for_analysis(cancel, waiting):
            return
        t0 = time.perf_counter()
        last = [0.0]

        def progress(name: str, done: int, total: int) -> None:
            self.yield_to_user()
            now = time.monotonic()
            if now - last[0] > 0.2:
                last[0] = now
                self.post_message(SortProgressed(
                    token, f"sorting: building column {name} {100 * done // max(total, 1)}%"))

        slot = (id(session), key)
        keys = self._sort_keys.get(slot)
        if keys is None:
            try:
                keys = frame_keys(session, key, progress, cancel,
                                  get=lambda name, cb, c: self.builds.get(session, name, cb, c))
            except InterruptedError:
                return
            if len(self._sort_keys) >= self.SORT_CACHE:
                self._sort_keys.pop(next(iter(self._sort_keys)))
            self._sort_keys[slot] = keys
        if cancel.is_set():
            return
        order = restrict(keys.order(desc), frames, len(session))
        self.post_message(SortReady(token, order, time.perf_counter() - t0))

    def on_sort_progressed(self, message: SortProgressed) -> None:
        if message.token == self._sort_token:
            self.sort_state = message.text
            self._update_status()

    def on_sort_ready(self, message: SortReady) -> None:
        if message.token != self._sort_token or self.sort_spec is None:
            return
        key, desc = self.sort_spec
        fl = self.frame_list
        fl.set_view(SortedRowView(len(self.session), message.order, key, desc), keep=fl.selected)
        self.last_sort_seconds = message.seconds
        self.sort_state = ""
        self._update_status()

    def sort_status(self) -> str:
        if self.sort_state:
            return self.sort_state
        if self.sort_spec is None:
            return ""
        key, desc = self.sort_spec
        title = dict(column_titles(self.frame_list.custom)).get(key, key)
        secs = f" ({self.last_sort_seconds:.2f}s)" if self.last_sort_seconds is not None else ""
        return f"sorted by {title} {SORT_MARK[desc]}{secs}"

    # --- the IO graph ---------------------------------------------------------------------
    def action_io_graph(self) -> None:
        from .iograph import IoGraphScreen

        s = self.session
        if s is None:
            return
        if not self.analysis_done.is_set():
            done, total = self.analysis_progress
            self.notify(f"The IO graph comes when the analysis is done ({100 * done // max(total, 1)}%).",
                        markup=False)
            return
        frames = None
        if self.applied_filter:
            base = self._base_view()
            if base is None:
                self.notify("The filter is still matching: the IO graph counts every frame for now.", markup=False)
            else:
                frames = np.array(base.frames, dtype=np.int64)
        self.push_screen(IoGraphScreen(s, frames, self.applied_filter,
                                       lambda name, cb, c: self.builds.get(s, name, cb, c)))

    def _forget_session_columns(self) -> None:
        """A new session (--follow): sort keys and custom columns are built again."""
        self._sort_keys = {}
        self._restore_custom_columns()

    def _cancel_list_columns(self) -> None:
        self._sort_cancel.set()
        for ev in self._col_cancel.values():
            ev.set()


def _progress_text(c: CustomColumn) -> str:
    if c.error:
        return "✖ "
    if c.total:
        return f"{100 * c.done // c.total}% "
    return "… "
