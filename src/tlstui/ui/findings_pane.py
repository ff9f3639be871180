"""The findings pane: every diagnosis with severity, summary and explanation."""
from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from ..safe_text import escape_text
from .colors import severity_style

SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2}
SEVERITY_MARK = {"error": "✖ error", "warning": "▲ warn", "note": "• note"}


def load_findings(session, between=None) -> list:
    """The session's findings, most severe first; [] while the findings package is not there.
    ``between()`` runs between two rules (see findings.run_rules)."""
    try:
        from ..findings import find_all
    except ImportError:
        return []
    found = list(find_all(session, between))
    found.sort(key=lambda f: (SEVERITY_RANK.get(f.severity, 3), f.frames[0] if f.frames else 0))
    return found


class FindingsTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next finding", show=False, id="findings.down"),
        Binding("k", "cursor_up", "Previous finding", show=False, id="findings.up"),
    ]


class FindingsPane(Horizontal):
    DEFAULT_CSS = """
    FindingsPane { height: 9; border-top: solid $primary 50%; }
    FindingsPane > FindingsTable { width: 3fr; background: $surface; }
    FindingsPane > VerticalScroll { width: 2fr; padding: 0 1; background: $panel; }
    FindingsPane.-hidden { display: none; }
    """

    class FindingHighlighted(Message):
        """The cursor of the findings table is on ``finding``."""

        def __init__(self, finding) -> None:
            super().__init__()
            self.finding = finding

    TABLE_MAX = 2000

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.findings: list = []

    def compose(self) -> ComposeResult:
        table = FindingsTable(id="findings-table", cursor_type="row", zebra_stripes=False)
        # Summary before Kind: on a narrow terminal the summary keeps the room (issue 17).
        table.add_columns("Severity", "Frame", "Summary", "Kind")
        yield table
        with VerticalScroll(id="finding-explanation-scroll"):
            yield Static(Text("Findings appear when the analysis is done.", style="dim"),
                         id="finding-explanation")

    @property
    def table(self) -> FindingsTable:
        return self.query_one(FindingsTable)

    def set_findings(self, findings: list) -> None:
        self.findings = list(findings)
        table = self.table
        # Filling the table highlights its first row; that must not move the frame list.
        self._quiet = 0
        table.clear()
        # A million-frame capture can have ten thousand findings; the table shows the first
        # TABLE_MAX (most severe first), n/N still visit them all.
        for i, f in enumerate(self.findings[:self.TABLE_MAX]):
            sev = Text(SEVERITY_MARK.get(f.severity, f.severity), style=severity_style(self.app, f.severity))
            frame = str(f.frames[0]) if f.frames else ""
            table.add_row(sev, frame, Text(escape_text(self._fit_summary(f.summary))), escape_text(f.kind),
                          key=str(i))
        # The header row is drawn from the column widths: repaint it once the rows widened them
        # (seen in a real terminal: "Summary  Kind" over 100-cell summaries).
        self.call_after_refresh(table.refresh)
        if not self.findings:
            self.explain(None)
        else:
            self.explain(self.findings[0])

    SUMMARY_MAX = 100

    def _fit_summary(self, text: str) -> str:
        return text if len(text) <= self.SUMMARY_MAX else text[:self.SUMMARY_MAX - 1] + "…"

    def explain(self, f) -> None:
        box = self.query_one("#finding-explanation", Static)
        if f is None:
            box.update(Text("No findings: nothing in this capture looks wrong to tlstui.", style="dim"))
            return
        t = Text()
        t.append(escape_text(f.summary) + "\n", severity_style(self.app, f.severity, bold=True))
        t.append(f"[{escape_text(f.kind)}]\n", "dim")
        t.append(escape_text(f.explanation) + "\n", "")
        frames = ", ".join(str(n) for n in f.frames[:20]) + (" …" if len(f.frames) > 20 else "")
        stream = f"  stream {f.stream}" if f.stream is not None else ""
        t.append(f"frames {frames}{stream}", "dim")
        box.update(t)

    def show_finding(self, f) -> None:
        """Put the table's cursor on a finding (after a jump key) without re-posting a jump."""
        try:
            i = self.findings.index(f)
        except ValueError:
            return
        if i >= self.TABLE_MAX:
            self.explain(f)
            return
        self._quiet = i
        self.table.move_cursor(row=i, animate=False)
        self.explain(f)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        i = event.cursor_row
        if not 0 <= i < len(self.findings):
            return
        f = self.findings[i]
        self.explain(f)
        if getattr(self, "_quiet", None) == i:
            self._quiet = None
            return
        self._quiet = None
        self.post_message(self.FindingHighlighted(f))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        i = event.cursor_row
        if 0 <= i < len(self.findings):
            self.post_message(self.FindingHighlighted(self.findings[i]))
