"""`tlstui A B`: two captures of the same traffic side by side, linked by the diff (tlstui.diff).

Capture A on the left, B on the right (stacked below 120 columns), each a FrameList with its title
and a status line that names the selected frame's counterpart on the other side, or says why it has
none (the diff's verdict: dropped before the other point, injected, in flight at a capture's edge).
Moving the cursor on one side moves the other side's cursor to the counterpart.  The diff findings
are listed at the bottom; Enter, or n / N from anywhere, selects a finding's A frame and B frame.
``t`` swaps the findings for the protocol tree and bytes of the focused side's selected frame (the
main view's ProtoTree and HexPane; the frame's diff findings listed on top of its tree).

Threads: one worker opens both captures (the lists work as soon as they are indexed), runs
``diff_sessions`` on those same sessions ("diffing…" and its stage in the header meanwhile; their
conversation passes are the diff's and then their analysis's, each capture is read once), then the
analysis pass of both sessions (row colours and Info columns); each step reaches the UI as a message
holding finished objects.  Quitting sets ``cancel``: the diff stops at its next stage or batch, the
analysis at its next batch.
"""
from __future__ import annotations

import os
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, Horizontal, Vertical
from textual.message import Message
from textual.widgets import DataTable, Footer, Static, Tree

from ..field import Field
from ..safe_text import escape_text
from .frame_list import FrameList, FrameListHeader
from .hex_view import HexPane
from .tree_pane import ProtoTree, frame_link
from .themes import VARIABLE_DEFAULTS, load_themes

STACK_BELOW = 120  # columns: below this the two sides are stacked
SIDES = ("A", "B")
KIND_WORDS = {"diff.dropped": "dropped", "diff.injected": "injected", "diff.rewritten": "payload rewritten",
              "diff.header_rewritten": "header rewritten", "diff.delay": "delay", "diff.reordered": "reordered",
              "diff.tls_records": "TLS record differs", "diff.tls_alert": "TLS alert on one side"}
SEV_MARK = {"error": "✖", "warning": "▲", "note": "•"}
_ENDS = re.compile(r"^\S+ -> \S+ \(([AB]->[AB])\): ")  # narrow: the direction, not the addresses
_STREAMS = re.compile(r"^A (?:tcp|udp)\.stream \d+ / B (?:tcp|udp)\.stream \d+:? ")  # the Streams column says it


class SidesOpened(Message):
    def __init__(self, sessions: tuple) -> None:
        super().__init__()
        self.sessions = sessions


class DiffDone(Message):
    def __init__(self, result, error: str | None = None) -> None:  # noqa: ANN001 - diff.DiffResult
        super().__init__()
        self.result = result
        self.error = error


class DiffStage(Message):
    """The diff started a stage ("reading A", "aligning segments"...)."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage


class DiffTreeBuilt(Message):
    """A frame's protocol tree for the details pane (built in a thread)."""

    def __init__(self, side: int, number: int, tree, error: str | None) -> None:  # noqa: ANN001 - FrameTree
        super().__init__()
        self.side, self.number, self.tree, self.error = side, number, tree, error


@dataclass(frozen=True)
class _SideFinding:
    """A diff finding as the tree pane lists it for one side's frame (that side's frames)."""

    kind: str
    severity: str
    summary: str
    frames: list


class SidesIndexed(Message):
    def __init__(self, counts: tuple) -> None:
        super().__init__()
        self.counts = counts


class SidesAnalysed(Message):
    pass


def _frames_text(frames: list[int], width: int = 16) -> str:
    """'2,5,6,…(+8)' in at most ``width`` characters (the first frame always shown)."""
    if not frames:
        return "-"
    text = str(frames[0])
    for i, n in enumerate(frames[1:], 1):
        more = f",…(+{len(frames) - i})"
        if len(text) + len(f",{n}") + (len(more) if i < len(frames) - 1 else 0) > width:
            return text + more
        text += f",{n}"
    return text


def clock_text(r) -> str:  # noqa: ANN001 - diff.DiffResult
    """The header's clock offset: 'clock B = A + 0.000765 s (25 segments)'."""
    if not r.pairs:
        return "clock offset unknown (no segment or datagram seen at both points)"
    off = r.clock_offset_ns / 1e9
    text = f"clock B = A {'+' if off >= 0 else '-'} {abs(off):.6f} s"
    if r.skew:
        text += f", drift {r.skew * 1e6:+.1f} ppm"
    what = (r.udp or {}).get("clock_from", "segments")
    return text + f" ({r.pairs} {what}{'' if r.separable else ', one direction: includes the delay'})"


class DiffApp(App[int]):
    """Two captures side by side, linked frame to frame by the diff."""

    TITLE = "tlstui diff"
    CSS = """
    Screen { layout: vertical; background: $background; }
    #diff-header { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    #sides { height: 1fr; layout: horizontal; }
    #sides.-stacked { layout: vertical; }
    .side { width: 1fr; height: 1fr; min-height: 4; }
    #side-a { border-right: solid $primary 40%; }
    #sides.-stacked #side-a { border-right: none; border-bottom: solid $primary 40%; }
    .side-title { height: 1; background: $boost; color: $foreground; text-style: bold; padding: 0 1; }
    .side FrameList { height: 1fr; }
    .side-status { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    #diff-findings { height: 9; border-top: solid $primary 40%; border-title-color: $foreground; }
    #diff-findings.-short { height: 6; }
    #diff-details { height: 45%; min-height: 6; display: none; border-top: solid $primary 40%;
                    border-title-color: $foreground; }
    #diff-details > ProtoTree { width: 1fr; border-right: solid $primary 40%; }
    #diff-details > HexPane { width: 76; }
    Screen.-details #diff-details { display: block; }
    Screen.-details #diff-findings { display: none; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next_finding(1)", "Next finding", id="diff.next_finding"),
        Binding("N", "next_finding(-1)", "Prev finding", id="diff.prev_finding"),
        Binding("a", "focus_side(0)", "Focus A", show=False, id="diff.focus_a"),
        Binding("b", "focus_side(1)", "Focus B", show=False, id="diff.focus_b"),
        Binding("f", "focus_findings", "Findings", id="diff.focus_findings"),
        Binding("t", "toggle_details", "Tree/hex", id="diff.details"),
        Binding("q", "quit", "Quit", id="diff.quit"),
    ]

    def __init__(self, path_a: str, path_b: str, keylog: str | None = None, theme_name: str | None = None) -> None:
        self._themes, self._theme_problems = load_themes()
        super().__init__()
        self.paths = (path_a, path_b)
        self.keylog = keylog
        self._requested_theme = theme_name
        self.sessions: tuple = (None, None)
        self.result = None  # diff.DiffResult once the diff is done
        self.error: str | None = None
        self.findings: list = []
        self.finding_index = -1
        self.finding_step = 0  # which of the finding's frames Enter selected last
        self._driven: tuple[set, set] = (set(), set())  # frames a side was moved to by the other side
        self._kinds: tuple[dict, dict] = ({}, {})  # side -> frame -> [finding kinds]
        self._summary_width: tuple = ()
        self.cancel = threading.Event()  # set on exit: the worker stops between steps (and the diff between batches)
        self.worker_done = threading.Event()  # set when the worker has returned (quitting does not wait for it)
        self.details_side = 0  # the side whose selected frame the tree/hex pane shows (the last side focused)
        self.details_frame: tuple | None = None  # (side, frame, analysed) shown in the tree/hex pane
        self._tree_wanted: tuple | None = None
        self._tree_busy = False
        self.last_input = 0.0  # monotonic time of the last key or mouse input (the worker pauses after it)
        # A shorter switch interval (as the main app): the UI thread waits at most 1 ms for the interpreter.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(0.001)
        for t in self._themes:
            self.register_theme(t)

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return {**super().get_theme_variable_defaults(), **VARIABLE_DEFAULTS}

    # --- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(Text("diffing…"), id="diff-header")
        with Container(id="sides"):
            for i, name in enumerate(SIDES):
                low = name.lower()
                with Vertical(id=f"side-{low}", classes="side"):
                    yield Static(Text(self._title(i)), id=f"title-{low}", classes="side-title")
                    yield FrameListHeader(id=f"header-{low}")
                    yield FrameList(id=f"frames-{low}")
                    yield Static(Text("opening…"), id=f"status-{low}", classes="side-status")
        table = DataTable(id="diff-findings", cursor_type="row", zebra_stripes=True)
        yield table
        with Horizontal(id="diff-details"):
            yield ProtoTree(id="diff-tree")
            yield HexPane(id="diff-hex")
        yield Footer()

    def on_mount(self) -> None:
        if self._requested_theme in self.available_themes:
            self.theme = self._requested_theme
        elif self._themes:
            self.theme = self._themes[0].name
        self._layout_for(self.size.width, self.size.height)
        self.frame_list(0).focus()
        self.run_worker(self._work, thread=True, group="diff", name="diff", exit_on_error=False)

    def on_resize(self, event) -> None:  # noqa: ANN001
        self._layout_for(event.size.width, event.size.height)

    def _layout_for(self, width: int, height: int) -> None:
        self.query_one("#sides").set_class(width < STACK_BELOW, "-stacked")
        self.query_one("#diff-findings").set_class(height < 32, "-short")
        want = self._widths(width)
        if want != self._summary_width:
            self._summary_width = want
            self._fill_findings()

    def _widths(self, width: int) -> tuple[int, int, bool]:
        """(summary, frames) column widths and whether kinds are shown without 'diff.'."""
        narrow = width < STACK_BELOW
        frames = 10 if narrow else 16
        kind = 16 if narrow else 21
        # Each cell has one column of padding either side; the table keeps two for its scrollbar.
        return max(12, width - 3 - (kind + 2) - 9 - 2 * (frames + 2) - 2 - 2), frames, narrow

    def frame_list(self, side: int) -> FrameList:
        return self.query_one(f"#frames-{SIDES[side].lower()}", FrameList)

    def _title(self, side: int) -> str:
        name = escape_text(os.path.basename(self.paths[side]))
        s = self.sessions[side]
        frames = f" · {len(s)} frames" if s is not None else ""
        return f"{SIDES[side]}: {name}{frames}"

    # --- the worker -------------------------------------------------------------------------
    INPUT_GRACE = 0.25  # seconds after an input during which the worker's passes pause

    async def on_event(self, event) -> None:  # noqa: ANN001
        if isinstance(event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)):
            self.last_input = time.monotonic()
        await super().on_event(event)

    def yield_to_user(self, *_args) -> None:
        """Between two batches of the worker: while keys arrive, pause so the UI thread has the interpreter."""
        waited = 0.0
        while time.monotonic() - self.last_input < self.INPUT_GRACE and waited < 2.0 and not self.cancel.is_set():
            time.sleep(0.01)
            waited += 0.01

    def _work(self) -> None:
        try:
            self._steps()
        finally:
            self.worker_done.set()

    def _steps(self) -> None:
        from ..capture.reader import CaptureError
        from ..session import Session

        sessions = []
        for p in self.paths:
            try:
                sessions.append(Session.open(p, self.keylog, lazy=True))  # the first batch: lists show now
            except (CaptureError, OSError) as e:
                for s in sessions:
                    s.close()
                self.call_from_thread(self._fail, f"tlstui: {escape_text(str(e))}")
                return
        self.post_message(SidesOpened(tuple(sessions)))
        last = time.monotonic()
        for s in sessions:
            while s.capture.index_more():
                if self.cancel.is_set():
                    return
                self.yield_to_user()
                if time.monotonic() - last > 0.25:
                    last = time.monotonic()
                    self.post_message(SidesIndexed(tuple(len(x) for x in sessions)))
        self.post_message(SidesIndexed(tuple(len(x) for x in sessions)))
        from .. import diff

        stage = [""]

        def progress(name: str) -> None:  # each stage once (the diff names a stage at each of its steps)
            if name != stage[0]:
                stage[0] = name
                self.post_message(DiffStage(name))

        try:
            # The view's own sessions: their conversation passes serve the diff and then their analysis.
            result = diff.diff_sessions(*sessions, cancel=self.cancel, progress=progress, analyse=lambda s: s.analyze(
                progress=self.yield_to_user, cancel=self.cancel, batch=256))
        except diff.Cancelled:
            return
        except Exception as e:  # noqa: BLE001 - shown in the header, the lists stay usable
            if self.cancel.is_set():
                return  # the sessions were closed under it
            self.post_message(DiffDone(None, f"{type(e).__name__}: {e}"))
        else:
            self.post_message(DiffDone(result))
        for s in sessions:
            if self.cancel.is_set():
                return
            s.analyze(progress=self.yield_to_user, cancel=self.cancel, batch=256)
        self.post_message(SidesAnalysed())

    def _fail(self, message: str) -> None:
        self.exit(None, 2, message)

    def on_sides_opened(self, message: SidesOpened) -> None:
        self.sessions = message.sessions
        for i, s in enumerate(self.sessions):
            low = SIDES[i].lower()
            self.query_one(f"#header-{low}", FrameListHeader).last_number = len(s)
            self.frame_list(i).attach(s)
            self.query_one(f"#title-{low}", Static).update(Text(self._title(i)))
            self._show_status(i)

    def on_sides_indexed(self, message: SidesIndexed) -> None:
        for i, n in enumerate(message.counts):
            low = SIDES[i].lower()
            header = self.query_one(f"#header-{low}", FrameListHeader)
            header.last_number = n
            header.refresh()
            fl = self.frame_list(i)
            if fl.view.frames is None and fl.view.total != n:
                fl.view.total = n
                fl.grow()
            self.query_one(f"#title-{low}", Static).update(Text(self._title(i)))

    def on_diff_stage(self, message: DiffStage) -> None:
        if self.result is None and self.error is None:
            self.query_one("#diff-header", Static).update(Text(f"diffing… {message.stage}"))

    def on_diff_done(self, message: DiffDone) -> None:
        self.result, self.error = message.result, message.error
        header = self.query_one("#diff-header", Static)
        if self.result is None:
            header.update(Text(f"diff failed: {escape_text(self.error or '')}", style="bold red"))
            for i in (0, 1):
                self._show_status(i)
            return
        r = self.result
        self.findings = list(r.findings)
        for f in self.findings:
            for side, frames in ((0, f.frames), (1, f.frames_b)):
                for n in frames:
                    self._kinds[side].setdefault(n, []).append(f.kind)
        rank = {"error": 0, "warning": 1, "note": 2}
        for side, frames_of in ((0, "frames"), (1, "frames_b")):
            flags: dict[int, str] = {}
            for f in self.findings:
                for n in getattr(f, frames_of):
                    if n not in flags or rank[f.severity] < rank[flags[n]]:
                        flags[n] = f.severity
            fl = self.frame_list(side)
            fl.flags = flags
            fl.invalidate(rows=False)
        matched = sum(r.matched.values())
        nf = len(self.findings)
        header.update(Text(f"{matched} connection{'s' if matched != 1 else ''} matched · {clock_text(r)} · "
                           f"{nf or 'no'} finding{'s' if nf != 1 else ''}"))
        self._fill_findings()
        self._table_note(f"diff findings: {nf}" + (" · Enter or n/N: go to one" if nf else ""))
        for i in (0, 1):
            self._show_status(i)

    def on_sides_analysed(self, message: SidesAnalysed) -> None:
        for i in (0, 1):
            self.frame_list(i).invalidate()
        self._want_details()  # the tree now has its TLS layers

    def on_unmount(self) -> None:
        self.cancel.set()
        sys.setswitchinterval(self._switch_interval)
        for s in self.sessions:
            if s is not None:
                try:
                    s.stop_helpers()
                    s.close()
                except Exception:  # noqa: BLE001
                    pass

    # --- findings ---------------------------------------------------------------------------
    def _fill_findings(self) -> None:
        try:
            table = self.query_one("#diff-findings", DataTable)
        except Exception:  # noqa: BLE001 - before compose
            return
        keep = table.cursor_row
        table.clear(columns=True)  # the columns fit the new content (a wider table before a resize)
        table.add_columns("", "Kind", "Streams", "Summary", "A frames", "B frames")
        width, fw, short_kind = self._summary_width or self._widths(self.size.width)
        if self.result is not None and not self.findings:
            table.add_row(Text(""), Text("no differences"), Text(""), Text("every segment seen at both points arrived as sent"),
                          Text("-"), Text("-"), key="none")
            return
        for i, f in enumerate(self.findings):
            summary = _STREAMS.sub("", escape_text(" ".join(f.summary.split())))
            if short_kind:
                summary = _ENDS.sub(r"\1: ", summary)
            u = "u" if f.transport == "udp" else ""  # u3: udp.stream 3 (a bare number is a tcp.stream)
            streams = f"{'-' if f.stream is None else u + str(f.stream)}/{'-' if f.stream_b is None else u + str(f.stream_b)}"
            if len(summary) > width:
                summary = summary[:width - 1] + "…"
            table.add_row(Text(SEV_MARK.get(f.severity, " "), style={"error": "bold red", "warning": "bold yellow"}
                               .get(f.severity, "")),
                          Text(f.kind.removeprefix("diff.") if short_kind else f.kind), Text(streams), Text(summary),
                          Text(_frames_text(f.frames, fw)), Text(_frames_text(f.frames_b, fw)),
                          key=str(i))
        if self.findings and 0 <= keep < len(self.findings):
            table.move_cursor(row=keep)

    @on(DataTable.RowSelected, "#diff-findings")
    def _finding_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None or not event.row_key.value.isdigit():
            return
        i = int(event.row_key.value)
        # Enter again on the same finding: its next evidence frames (a TTL rewrite lists eleven).
        self.jump_to(i, self.finding_step + 1 if i == self.finding_index else 0)

    def action_next_finding(self, step: int) -> None:
        if not self.findings:
            self._table_note("no diff findings" if self.result is not None else "diffing…")
            return
        n = len(self.findings)
        i = (self.finding_index + step) % n if self.finding_index >= 0 else (0 if step > 0 else n - 1)
        self.query_one("#diff-findings", DataTable).move_cursor(row=i)
        self.jump_to(i)

    def _table_note(self, text: str) -> None:
        self.query_one("#diff-findings", DataTable).border_title = Text(text)

    def jump_to(self, i: int, step: int = 0) -> None:
        """Select finding ``i``'s A frame and B frame number ``step`` (the first ones, then the next at each
        Enter); a side it has none of goes to the counterpart of the nearest paired frame before the other's."""
        self.finding_index = i
        f = self.findings[i]
        many = max(len(f.frames), len(f.frames_b), 1)
        self.finding_step = step % many
        picked = [frames[min(self.finding_step, len(frames) - 1)] if frames else None
                  for frames in (f.frames, f.frames_b)]
        for side in (0, 1):
            if picked[side] is not None:
                self._move(side, picked[side])
        links = getattr(self.result, "links", None)
        for side in (0, 1):
            if picked[side] is None and picked[1 - side] is not None and links is not None:
                c = links.nearest(1 - side, picked[1 - side])  # only the other side saw it: where this side stood
                if c is not None:
                    self._move(side, c)
        where = f" · frames {self.finding_step + 1} of {many} (Enter: next)" if many > 1 else ""
        self._table_note(f"finding {i + 1} of {len(self.findings)}{where}")
        for side in (0, 1):
            self._show_status(side)

    def action_focus_side(self, side: int) -> None:
        self.frame_list(side).focus()

    # --- the tree/hex pane ----------------------------------------------------------------
    def on_descendant_focus(self, event) -> None:  # noqa: ANN001
        w = event.widget
        if isinstance(w, FrameList):
            side = 0 if w.id == "frames-a" else 1
            if side != self.details_side:
                self.details_side = side
                self._want_details()

    def action_toggle_details(self) -> None:
        """The bottom pane: the findings table, or the tree and bytes of the focused side's frame."""
        shown = not self.screen.has_class("-details")
        self.screen.set_class(shown, "-details")
        if shown:
            self._want_details()
        elif self.focused is not None and self.focused.id in ("diff-tree", "hex"):
            self.frame_list(self.details_side).focus()

    def _want_details(self) -> None:
        if not self.screen.has_class("-details"):
            return
        side = self.details_side
        fl = self.frame_list(side)
        s = fl.session
        number = fl.selected
        if s is None or not number:
            return
        want = (side, number, s.finished)
        if want == self.details_frame:
            return
        self._tree_wanted = want
        if not self._tree_busy:
            self._build_tree()

    def _build_tree(self) -> None:
        want = self._tree_wanted
        if want is None:
            return
        self._tree_busy = True
        side, number, _ = want
        session = self.sessions[side]
        self.run_worker(lambda: self._tree_worker(session, side, number), thread=True, group="diff-tree",
                        name=f"tree of {SIDES[side]} frame {number}", exit_on_error=False)

    def _tree_worker(self, session, side: int, number: int) -> None:  # noqa: ANN001 - Session
        try:
            tree, error = session.tree(number), None
        except Exception as e:  # noqa: BLE001 - a dissector's bug is shown, not fatal
            tree, error = None, f"{type(e).__name__}: {e}"
        self.post_message(DiffTreeBuilt(side, number, tree, error))

    async def on_diff_tree_built(self, message: DiffTreeBuilt) -> None:
        self._tree_busy = False
        want = self._tree_wanted
        if want is None or want[:2] != (message.side, message.number):
            self._build_tree()  # the user moved on: build the newest wanted
            return
        self._tree_wanted = None
        self.details_frame = want
        pane = self.query_one("#diff-details")
        me = SIDES[message.side]
        if message.tree is None:
            pane.border_title = Text(f"{me} frame {message.number}: dissection failed: {escape_text(message.error or '')}")
            return
        frames_of = "frames_b" if message.side else "frames"
        mine = [_SideFinding(f.kind, f.severity, f.summary, getattr(f, frames_of)) for f in self.findings
                if message.number in getattr(f, frames_of)]
        self.query_one("#diff-tree", ProtoTree).show_frame(message.tree, mine)
        await self.query_one("#diff-hex", HexPane).show_sources(message.tree.sources)
        pane.border_title = Text(f"{me} frame {message.number} · tree and bytes (a/b: side, t: findings)")

    @on(Tree.NodeHighlighted, "#diff-tree")
    def _field_highlighted(self, event: Tree.NodeHighlighted) -> None:
        f = event.node.data
        if not isinstance(f, Field):
            return
        hexpane = self.query_one("#diff-hex", HexPane)
        hexpane.select_source(f.source)
        hexpane.hex.mark(f.offset, f.length, move_cursor=True)

    @on(Tree.NodeSelected, "#diff-tree")
    def _tree_link(self, event: Tree.NodeSelected) -> None:
        n = frame_link(event.node.data)
        if n is not None:
            self.frame_list(self.details_side).select_frame(n)  # as a move of the user's: the other side follows

    def action_focus_findings(self) -> None:
        self.query_one("#diff-findings", DataTable).focus()

    # --- linking ---------------------------------------------------------------------------
    def _counterpart(self, side: int, number: int) -> int | None:
        links = getattr(self.result, "links", None)
        return None if links is None or not number else links.counterpart(side, number)

    def _move(self, side: int, number: int) -> None:
        fl = self.frame_list(side)
        if fl.selected != number and fl.select_frame(number):
            self._driven[side].add(number)

    @on(FrameList.CursorMoved)
    def _cursor_moved(self, event: FrameList.CursorMoved) -> None:
        side = 0 if event.frame_list.id == "frames-a" else 1
        if event.number in self._driven[side]:
            self._driven[side].discard(event.number)  # moved here by the other side or a finding: not passed on
        else:
            c = self._counterpart(side, event.number)
            if c is not None:
                self._move(1 - side, c)
        for s in (0, 1):
            self._show_status(s)
        self._want_details()

    def verdict(self, side: int, number: int) -> str:
        """What the selected frame of one side is on the other side."""
        me, other = SIDES[side], SIDES[1 - side]
        if not number:
            return "no frame"
        if self.result is None:
            return f"frame {number} · " + ("diff failed" if self.error else "diffing…")
        kinds = self._kinds[side].get(number, [])
        words = ", ".join(dict.fromkeys(KIND_WORDS.get(k, k) for k in kinds))
        c = self._counterpart(side, number)
        if c is not None:
            return f"frame {number} ↔ {other} frame {c}" + (f" ({words})" if words else "")
        links = self.result.links
        if links is not None and links.alone(side, number):
            if "diff.dropped" in kinds:
                return f"frame {number}: no counterpart in {other}: dropped before {other}"
            if "diff.injected" in kinds:
                return f"frame {number}: only in {me}: injected?"
            return f"frame {number}: no counterpart in {other}: in flight at a capture's start or end"
        if words:
            return f"frame {number}: no counterpart in {other} ({words})"
        return f"frame {number}: no counterpart in {other}: not a TCP segment or UDP datagram of a matched flow"

    def _show_status(self, side: int) -> None:
        fl = self.frame_list(side)
        text = self.verdict(side, fl.selected) if fl.session is not None else "opening…"
        self.query_one(f"#status-{SIDES[side].lower()}", Static).update(Text(text))


def run_diff(path_a: str, path_b: str, keylog: str | None = None, theme: str | None = None) -> int:
    """`tlstui A B`: the side-by-side view."""
    import sys

    for p in (path_a, path_b):
        if p == "-":
            print("tlstui: two captures side by side are read from files (not standard input)", file=sys.stderr)
            return 2
        if not os.path.exists(p):
            print(f"tlstui: {escape_text(p)}: no such file", file=sys.stderr)
            return 2
    app = DiffApp(path_a, path_b, keylog, theme_name=theme or os.environ.get("TLSTUI_THEME") or None)
    result = app.run()
    if app.return_code:
        return app.return_code
    return 0 if result is None else int(result)
