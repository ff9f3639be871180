"""The findings pane: the diagnoses grouped by kind, then by server (certificate findings by
certificate), with counts; groups open on Enter or a click, members are the findings themselves.

The grouping is ``findings.grouping.group_findings`` (the same as ``tlstui findings --group``),
computed in the worker that found the findings and handed over as it is (immutable).  The pane
opens with every group collapsed: a capture with thousands of findings shows its few kinds first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from ..safe_text import escape_text
from .colors import severity_style

SEVERITY_RANK = {"error": 0, "warning": 1, "note": 2}
SEVERITY_MARK = {"error": "✖ error", "warning": "▲ warn", "note": "• note"}
OPEN, CLOSED = "▾", "▸"


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


def group_for_pane(findings, session=None):  # noqa: ANN001, ANN201
    """``group_findings`` for the pane (from a worker: it may build the connection table); without
    the servers when they cannot be named, never an exception."""
    from ..findings.grouping import FindingGroups, group_findings

    findings = list(findings)
    for s in (session, None) if session is not None else (None,):
        try:
            return group_findings(findings, s)
        except Exception:  # a session the grouping cannot read: group by kind and stream only
            continue
    return FindingGroups(())


def without_kinds(groups, kinds: set[str]):  # noqa: ANN001, ANN201
    """``groups`` less the kinds named (--follow drops capture.file_truncated)."""
    from ..findings.grouping import FindingGroups

    return FindingGroups(tuple(k for k in groups.kinds if k.kind not in kinds))


@dataclass(frozen=True, slots=True)
class Entry:
    """One row: a kind (``group`` None), a group of that kind, a member finding, or the line
    that stands for members not listed (``more`` of them)."""

    kind: object  # grouping.KindGroup
    group: object = None  # grouping.Group
    finding: object = None
    more: int = 0

    @property
    def level(self) -> int:
        if self.more:
            return 3
        return 0 if self.group is None else 1 if self.finding is None else 2

    @property
    def first(self):  # noqa: ANN201
        """The finding this row stands for: itself, or a group's first (its earliest evidence)."""
        if self.finding is not None:
            return self.finding
        g = self.group if self.group is not None else (self.kind.groups[0] if self.kind.groups else None)
        return g.findings[0] if g is not None and g.findings else None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _counts_text(counts) -> str:  # noqa: ANN001
    return ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n)


def _noun(kind) -> str:  # noqa: ANN001
    bys = {g.by for g in kind.groups}
    by = bys.pop() if len(bys) == 1 else None
    return {"server": "server", "certificate": "certificate"}.get(by, "group")


class FindingsTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next row", show=False, id="findings.down"),
        Binding("k", "cursor_up", "Previous row", show=False, id="findings.up"),
        Binding("right,l", "expand", "Open the group", show=False, id="findings.expand"),
        Binding("left,h", "collapse", "Close the group (or go to its kind)", show=False, id="findings.collapse"),
    ]

    def action_expand(self) -> None:
        self.parent.set_open(self.cursor_row, True)

    def action_collapse(self) -> None:
        self.parent.set_open(self.cursor_row, False)

    async def _on_click(self, event: events.Click) -> None:
        # One click on a group opens (or closes) it; DataTable itself selects on a second click.
        before = self.cursor_coordinate
        await super()._on_click(event)
        event.prevent_default()  # DataTable's own handler has run (above): not again
        row = event.style.meta.get("row") if event.style.meta else None
        if row is not None and row >= 0 and self.cursor_coordinate != before:
            pane = self.parent
            if isinstance(pane, FindingsPane) and pane.entry_at(row) is not None \
                    and pane.entry_at(row).finding is None:
                self._post_selected_message()


class FindingsPane(Horizontal):
    DEFAULT_CSS = """
    FindingsPane { height: 9; border-top: solid $primary 50%; }
    FindingsPane > FindingsTable { width: 3fr; background: $surface; }
    FindingsPane > VerticalScroll { width: 2fr; padding: 0 1; background: $panel; }
    FindingsPane.-hidden { display: none; }
    """

    class FindingHighlighted(Message):
        """The cursor of the findings table is on ``finding`` (or on a group whose first it is)."""

        def __init__(self, finding) -> None:
            super().__init__()
            self.finding = finding

    TABLE_MAX = 2000  # rows at most; n/N still visit every finding
    MEMBERS_MAX = 500  # members listed under one open group
    SUMMARY_MAX = 100

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.findings: list = []  # most severe first, as the app keeps them
        self.groups = None  # grouping.FindingGroups
        self._laid_out_width = 0  # the pane's width the Summary column was fitted to
        self.show_kind = True  # the Kind column (left out when the table is narrow)
        self._summary_w = self.SUMMARY_MAX + 4  # the Summary column's width
        self.rows: list[Entry] = []
        self.open_kinds: set[str] = set()
        self.open_groups: set[tuple[str, str]] = set()
        self._quiet: list[int] = []  # rows whose next highlight the pane itself caused
        # What jumps opened (not the user): the next jump closes it again, so that walking
        # thousands of findings does not leave every kind open.
        self._auto_kinds: set[str] = set()
        self._auto_groups: set[tuple[str, str]] = set()

    def compose(self) -> ComposeResult:
        table = FindingsTable(id="findings-table", cursor_type="row", zebra_stripes=False)
        # Summary before Kind: on a narrow terminal the summary keeps the room (issue 17).
        table.add_columns("Severity", "Frame", "Summary", "Kind")
        yield table
        with VerticalScroll(id="finding-explanation-scroll"):
            yield Static(Text("Findings appear when the analysis is done.", style="dim"),
                         id="finding-explanation")

    def on_resize(self, event) -> None:  # noqa: ANN001
        """A new width: the Summary column fitted to it again (rows and cursor kept)."""
        if self.groups is not None and event.size.width != self._laid_out_width:
            self._laid_out_width = event.size.width
            self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.groups is not None:
            self._rebuild(self.entry_at(self.table.cursor_row), widths=True)

    @property
    def table(self) -> FindingsTable:
        return self.query_one(FindingsTable)

    # --- contents --------------------------------------------------------------------------
    def set_findings(self, findings: list, groups=None) -> None:  # noqa: ANN001
        """New findings (most severe first) and their grouping (None: grouped here, by kind and
        stream only); every group closed."""
        self.findings = list(findings)
        self.groups = groups if groups is not None else group_for_pane(self.findings)
        self.open_kinds.clear()
        self.open_groups.clear()
        self._auto_kinds.clear()
        self._auto_groups.clear()
        self._rebuild(None, widths=True)
        if not self.findings:
            self.explain(None)
        elif self.rows:
            self.explain(self.rows[0])

    def refresh_rows(self) -> None:
        """Draw the rows again (a new theme's colours), groups kept open, the cursor kept."""
        if self.groups is None:
            return
        self._rebuild(self.entry_at(self.table.cursor_row), widths=False)

    @staticmethod
    def _gkey(group) -> tuple[str, str]:  # noqa: ANN001
        return group.kind, group.label

    def _entries(self) -> list[Entry]:
        out: list[Entry] = []
        for k in self.groups.kinds:
            out.append(Entry(k))
            if k.kind not in self.open_kinds:
                continue
            for g in k.groups:
                out.append(Entry(k, g))
                if self._gkey(g) not in self.open_groups:
                    continue
                shown = g.findings[:self.MEMBERS_MAX]
                out.extend(Entry(k, g, f) for f in shown)
                if len(g.findings) > len(shown):
                    out.append(Entry(k, g, None, len(g.findings) - len(shown)))
                if len(out) >= self.TABLE_MAX:
                    return out[:self.TABLE_MAX]
        return out

    def _summary_width(self) -> int:
        """The Summary column keeps one width whatever is open (rows do not shift as groups open)."""
        widest = 20
        for k in self.groups.kinds:
            widest = max(widest, len(self._label(Entry(k))))
            for g in k.groups:
                widest = max(widest, len(self._label(Entry(k, g))))
                for f in g.findings[:self.MEMBERS_MAX]:
                    widest = max(widest, 4 + min(len(f.summary), self.SUMMARY_MAX))
        widest = min(widest, self.SUMMARY_MAX + 4)
        # No wider than the table leaves it beside Severity, Frame and Kind (no horizontal scroll
        # under a few rows); a summary cut here is in full in the explanation beside.
        room = self._summary_room(self.show_kind)
        return max(20, min(widest, room)) if room else widest

    def _summary_room(self, kind_column: bool) -> int:
        """Columns the Summary may take in the table as laid out now (0: not laid out yet)."""
        width = self.table.size.width
        if width <= 0 or self.groups is None:
            return 0
        frames = max((len(str(f.frames[0])) for f in self.findings if f.frames), default=1)
        others = len("Severity") + max(len("Frame"), frames)
        if kind_column:
            others += max(len("Kind"), max((len(k.kind) for k in self.groups.kinds), default=4)) + 2
        return width - others - 3 * 2 - 2  # 2 cells of padding per column, the vertical scrollbar

    KIND_COLUMN_MIN_SUMMARY = 48  # below this room for summaries, the Kind column goes (rows name it)

    def _wants_kind(self) -> bool:
        room = self._summary_room(True)
        return room == 0 or room >= self.KIND_COLUMN_MIN_SUMMARY

    def _label(self, e: Entry) -> str:
        if e.more:
            return f"    … {e.more} more (n / N walk them all)"
        if e.group is None:
            k = e.kind
            mark = OPEN if k.kind in self.open_kinds else CLOSED
            return f"{mark} {k.kind}: {_plural(k.count, 'finding')} in {_plural(len(k.groups), _noun(k))}"
        if e.finding is None:
            g = e.group
            mark = OPEN if self._gkey(g) in self.open_groups else CLOSED
            streams = f", {_plural(len(g.streams), 'stream')}" if len(g.streams) > 1 else ""
            return f"  {mark} {g.label}: {g.count}{streams}"
        s = e.finding.summary
        return "    " + (s if len(s) <= self.SUMMARY_MAX else s[:self.SUMMARY_MAX - 1] + "…")

    def _rebuild(self, keep: Entry | None, widths: bool) -> None:
        table = self.table
        self.rows = self._entries() if self.groups is not None else []
        if widths:
            # Narrow: no Kind column (each kind's row and the explanation name it), the summaries
            # get its room.
            self.show_kind = self._wants_kind()
            table.clear(columns=True)
            table.add_column("Severity")
            table.add_column("Frame")
            self._summary_w = self._summary_width()
            table.add_column("Summary", width=self._summary_w)
            if self.show_kind:
                table.add_column("Kind")
        else:
            table.clear()
        for i, e in enumerate(self.rows):
            sev = e.finding.severity if e.finding is not None else (e.group or e.kind).severity
            mark = Text("" if e.more else SEVERITY_MARK.get(sev, sev), style=severity_style(self.app, sev))
            first = e.first
            frame = "" if e.more or first is None or not first.frames else str(first.frames[0])
            label = escape_text(self._label(e))
            if len(label) > self._summary_w:  # cut where it shows: '…', the explanation has it all
                label = label[:self._summary_w - 1] + "…"
            label = Text(label, style="bold" if e.level == 0 else "")
            if self.show_kind:
                table.add_row(mark, frame, label, escape_text(e.kind.kind), key=str(i))
            else:
                table.add_row(mark, frame, label, key=str(i))
        target = self._row_of(keep) if keep is not None else 0
        if self.rows:
            # Filling highlights row 0, moving the cursor highlights the target: neither is the
            # user's move, so neither may move the frame list.
            self._quiet += [0] + ([target] if target else [])
            if target:
                table.move_cursor(row=target, animate=False)
        # The header row is drawn from the column widths: repaint it once the rows widened them
        # (seen in a real terminal: "Summary  Kind" over 100-cell summaries).
        self.call_after_refresh(table.refresh)

    def _row_of(self, e: Entry) -> int:
        """The row of ``e``; when it is not shown (closed), its group's row, else its kind's."""
        fallback = 0
        for i, r in enumerate(self.rows):
            if r.kind is not e.kind:
                continue
            if r.group is e.group and r.finding is e.finding and r.more == e.more:
                return i
            if r.finding is None and not r.more and (r.group is None or r.group is e.group):
                fallback = i
        return fallback

    def entry_at(self, row: int) -> Entry | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def finding_at(self, row: int):  # noqa: ANN201
        """The finding of a row: a member itself, a group's or a kind's first member."""
        e = self.entry_at(row)
        return None if e is None else e.first

    # --- opening and closing ---------------------------------------------------------------
    def set_open(self, row: int, want: bool | None = None) -> None:
        """Open (True), close (False) or toggle (None) the kind or group of ``row``; closing a
        member's row closes its group and puts the cursor there."""
        e = self.entry_at(row)
        if e is None or e.more and want is not False:
            return
        # What the user opens or closes is theirs: a jump no longer closes it.
        self._auto_kinds.discard(e.kind.kind)
        if e.group is not None:
            self._auto_groups.discard(self._gkey(e.group))
        if e.group is None:
            is_open = e.kind.kind in self.open_kinds
            if want is None:
                want = not is_open
            if want == is_open:
                return
            if want:
                self.open_kinds.add(e.kind.kind)
                if len(e.kind.groups) == 1:  # one group only: its members at once
                    self.open_groups.add(self._gkey(e.kind.groups[0]))
            else:
                self.open_kinds.discard(e.kind.kind)
            self._rebuild(e, widths=False)
            return
        key = self._gkey(e.group)
        if e.finding is not None or e.more:
            if want is False:
                self.open_groups.discard(key)
                self._rebuild(Entry(e.kind, e.group), widths=False)
            return
        is_open = key in self.open_groups
        if want is None:
            want = not is_open
        if want == is_open:
            if not want:  # a closed group's row: Left goes up to its kind, closing it
                self.open_kinds.discard(e.kind.kind)
                self._rebuild(Entry(e.kind), widths=False)
            return
        (self.open_groups.add if want else self.open_groups.discard)(key)
        self._rebuild(e, widths=False)

    def _open_to(self, f) -> Entry | None:  # noqa: ANN001
        loc = self.groups.locate(f) if self.groups is not None else None
        if loc is None:
            return None
        ki, gi, mi = loc
        k = self.groups.kinds[ki]
        g = k.groups[gi]
        self._auto_open(k.kind, self._gkey(g))
        return Entry(k, g, f) if mi < self.MEMBERS_MAX else Entry(k, g)

    def _auto_open(self, kind: str, gkey: tuple[str, str] | None) -> None:
        """Open ``kind`` (and a group of it) for a jump, closing what the last jump opened."""
        for old in self._auto_kinds - {kind}:
            self.open_kinds.discard(old)
        for old in self._auto_groups - {gkey}:
            self.open_groups.discard(old)
        self._auto_kinds &= {kind}
        self._auto_groups &= {gkey}
        if kind not in self.open_kinds:
            self.open_kinds.add(kind)
            self._auto_kinds.add(kind)
        if gkey is not None and gkey not in self.open_groups:
            self.open_groups.add(gkey)
            self._auto_groups.add(gkey)

    def show_finding(self, f) -> None:  # noqa: ANN001
        """Put the cursor on a finding (after a jump key), opening its group, without re-posting a jump."""
        was = (set(self.open_kinds), set(self.open_groups))
        e = self._open_to(f)
        if e is None:
            self.explain(f)
            return
        if was == (self.open_kinds, self.open_groups):  # its group is open already: just move there
            self._move_quietly(self._row_of(e))
        else:
            self._rebuild(e, widths=False)
        self.explain(f)

    def _move_quietly(self, row: int) -> None:
        table = self.table
        if row != table.cursor_row:
            self._quiet.append(row)  # after any still on their way
            table.move_cursor(row=row, animate=False)

    def show_group(self, group) -> None:  # noqa: ANN001
        """Put the cursor on a group's row (its kind opened), without re-posting a jump."""
        for k in self.groups.kinds if self.groups is not None else ():
            if k.kind == group.kind and any(g is group for g in k.groups):
                self._auto_open(k.kind, None)
                e = Entry(k, group)
                self._rebuild(e, widths=False)
                self.explain(e)
                return

    # --- the explanation ---------------------------------------------------------------------
    def explain(self, item) -> None:  # noqa: ANN001
        """Explain a row (an ``Entry``) or a finding; None: there are none."""
        box = self.query_one("#finding-explanation", Static)
        if item is None:
            box.update(Text("No findings: nothing in this capture looks wrong to tlstui.", style="dim"))
            return
        if isinstance(item, Entry) and item.finding is not None:
            item = item.finding
        if not isinstance(item, Entry):
            box.update(self._explain_finding(item))
            return
        e = item
        t = Text()
        if e.group is None:
            k = e.kind
            t.append(f"{escape_text(k.kind)}: {_plural(k.count, 'finding')} ({_counts_text(k.counts)}) "
                     f"in {_plural(len(k.groups), _noun(k))}\n", severity_style(self.app, k.severity, bold=True))
            groups = k.groups
        else:
            g = e.group
            t.append(f"{escape_text(g.label)}: {_plural(g.count, 'finding')} ({_counts_text(g.counts)})\n",
                     severity_style(self.app, g.severity, bold=True))
            t.append(f"[{escape_text(g.kind)}]", "dim")
            if g.streams:
                shown = ", ".join(f"{tr} {s}" for tr, s in g.streams[:8]) + (" …" if len(g.streams) > 8 else "")
                t.append(f"  streams {escape_text(shown)}", "dim")
            t.append("\n")
            if g.sni is None and g.snis:
                t.append("SNI " + escape_text(", ".join(f"{n} ({c})" for n, c in g.snis[:5])) + "\n", "dim")
            if g.servers:
                t.append("presented by " + escape_text(", ".join(g.servers[:5])) + "\n", "dim")
            groups = (g,)
        worst = next((f for g in groups for f in g.findings if f.severity == (e.group or e.kind).severity), None)
        if worst is not None:
            t.append(escape_text(worst.explanation) + "\n", "")
        t.append("Enter: open / close   n / N: next / previous finding   } / {: next / previous group", "dim")
        box.update(t)

    def _explain_finding(self, f) -> Text:  # noqa: ANN001
        t = Text()
        t.append(escape_text(f.summary) + "\n", severity_style(self.app, f.severity, bold=True))
        t.append(f"[{escape_text(f.kind)}]\n", "dim")
        t.append(escape_text(f.explanation) + "\n", "")
        frames = ", ".join(str(n) for n in f.frames[:20]) + (" …" if len(f.frames) > 20 else "")
        stream = f"  stream {f.stream}" if f.stream is not None else ""
        t.append(f"frames {frames}{stream}", "dim")
        return t

    # --- the table's messages ------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        i = event.cursor_row
        if self._quiet and self._quiet[0] == i:
            self._quiet.pop(0)
            quiet = True
        else:
            self._quiet.clear()
            quiet = False
        e = self.entry_at(i)
        if e is None:
            return
        self.explain(e)
        f = e.first
        if not quiet and f is not None and not e.more:
            self.post_message(self.FindingHighlighted(f))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        e = self.entry_at(event.cursor_row)
        if e is None or e.more:
            return
        if e.finding is None:
            self.set_open(event.cursor_row)
            return
        self.post_message(self.FindingHighlighted(e.finding))
