"""The display filter: compiled on the UI thread (errors at once), matched in a thread worker over
whole columns once the analysis is done, the matching frames handed over in batches."""
from __future__ import annotations

import time
from array import array
from functools import partial

from textual.worker import get_current_worker

from ..safe_text import escape_text
from .filter_bar import FilterBar
from .messages import FilterMatched, FilterWaiting, _FilterCancelled
from .rows import RowView


class FilterMixin:
    """TlsTuiApp's filtering (the bar, the worker, the filtered view)."""

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
