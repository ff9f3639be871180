"""Marked frames (m marks, M goes to the next one)."""
from __future__ import annotations


class MarksMixin:
    """TlsTuiApp's marks (kept in the frame list's ``marked`` set)."""

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
