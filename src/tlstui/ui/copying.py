"""Copying a field's value, a field as a filter, a frame as hex or a finding's summary, and
'apply / prepare as filter' from the selected tree line."""
from __future__ import annotations

from ..field import Field
from ..safe_text import escape_text
from .clipboard import copy_text, field_filter_text, field_value_text
from .findings_pane import FindingsTable


class CopyMixin:
    """TlsTuiApp's copy and apply-as-filter actions."""

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
