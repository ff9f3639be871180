"""The selected frame's tree and bytes: the list's cursor -> the tree and hex panes (coalesced
while keys repeat), a tree line <-> its bytes, the retransmission compare view."""
from __future__ import annotations

import time
from functools import partial

from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import Tree

from ..field import Field
from ..safe_text import escape_text
from .frame_list import FrameList
from .hex_view import HexView
from .screens import style_getter
from .tree_pane import MISMATCH, frame_link


class TreeBuilt(Message):
    """A frame's tree, built by the tree worker (``error``: the dissection raised)."""

    def __init__(self, session, number: int, gen: int, tree, error: Exception | None) -> None:  # noqa: ANN001
        super().__init__()
        self.session, self.number, self.gen, self.tree, self.error = session, number, gen, tree, error


class DetailsMixin:
    """TlsTuiApp's frame details (the @on handlers are declared on the app: Textual registers
    decorated handlers only on its own classes)."""

    # The tree worker's state (see _want_tree): the generation of the newest request, the frame
    # wanted as (number, generation, session), whether a build runs, the tree being shown.
    _tree_gen = 0
    _tree_wanted = None
    _tree_busy = False
    _built_tree = None

    def on_frame_list_cursor_moved(self, message: FrameList.CursorMoved) -> None:
        try:
            self._request_details(message.number)
            self._update_status()
        except NoMatches:  # a move delivered while the app tears its widgets down (seen under load)
            pass

    DETAILS_DELAY = 0.06  # while keys repeat, the tree and bytes wait for a pause this long

    DETAILS_MAX_STALE = 0.3  # ... but never lag the list by more than this

    # A single key: the tree and bytes follow this much later, not right after the refresh that
    # moved the list.  Filling them costs the UI thread two full-screen layouts (~30-60 ms); begun
    # at once, they held the GIL while the driver's writer thread still had the moved row to
    # write, and under load that row reached the terminal ~20 ms later (bench/bench_ui.py on 1M
    # frames through the pass: key -> row in tmux p95 113-136 ms with the fill at once, 88-109
    # ms with it 30 ms later; the tree and bytes themselves come ~15 ms later).
    DETAILS_AFTER_KEY = 0.03

    def _request_details(self, number: int, force: bool = False) -> None:
        """Coalesce: while keys repeat, the list moves at once and the tree and bytes (which
        cost a layout) follow when the keys pause.  ``force``: build the tree again (the
        analysis or the findings changed it), and drop any tree being built before now."""
        self._pending_frame = number
        if force:
            self.current_tree = None
            self._tree_gen += 1
        now = time.monotonic()
        if self._details_timer is not None:
            self._details_timer.stop()
            self._details_timer = None
        repeating = now - self._last_request < self.DETAILS_DELAY * 2
        self._last_request = now
        if repeating and now - self._last_details < self.DETAILS_MAX_STALE:
            self._details_timer = self.set_timer(self.DETAILS_DELAY, self._flush_details)
        else:
            self._details_timer = self.set_timer(self.DETAILS_AFTER_KEY, self._flush_details)

    async def _flush_details(self) -> None:
        self._details_timer = None
        number = self._pending_frame
        self._pending_frame = None
        if number is None:
            return
        self._last_details = time.monotonic()
        try:
            await self._want_tree(number)
        except NoMatches:  # the app is tearing its widgets down (a test that ends at once)
            pass

    # The tree is built off the UI thread (a slow dissection, e.g. a big reassembled record, must
    # not hold the keys behind it; most selections are cache hits, as the list's row for the
    # frame was made from the same tree): one build at a time, in a thread worker; the newest
    # selection wins.  A
    # request while a build runs only records what is wanted: when the build ends, its tree is
    # shown if it is still the one wanted (same frame, same generation, same session), dropped
    # otherwise, and the newest wanted frame is built next (frames passed over are never built).
    # ``Session.tree`` is safe from any thread: its lock guards the cache of trees, and the
    # dissection reads the capture and the pass's state as the filter worker's trees already do.

    async def _want_tree(self, number: int) -> None:
        if self.session is None:
            return
        self._tree_gen += 1
        if not number:
            self._tree_wanted = None
            await self._show_frame(0)
            return
        if self.current_tree is not None and self.current_tree.number == number:
            self._tree_wanted = None  # back on the frame shown: a build in flight is stale
            return
        self._tree_wanted = (number, self._tree_gen, self.session)
        if not self._tree_busy:
            self._start_tree_build()

    def _start_tree_build(self) -> None:
        want = self._tree_wanted
        if want is None:
            return
        self._tree_busy = True
        number, gen, session = want
        self.run_worker(partial(self._tree_worker, session, number, gen), thread=True, group="tree",
                        name=f"tree of frame {number}", exit_on_error=False)

    def _tree_worker(self, session, number: int, gen: int) -> None:  # noqa: ANN001 - Session
        """In a thread: build the tree, hand it to the UI (never raises: an error is handed too)."""
        try:
            tree, error = session.tree(number), None
        except Exception as e:  # noqa: BLE001 - a dissector's bug is shown, not fatal
            tree, error = None, e
        self.post_message(TreeBuilt(session, number, gen, tree, error))

    async def on_tree_built(self, message: "TreeBuilt") -> None:
        self._tree_busy = False
        want = self._tree_wanted
        if want is None or want != (message.number, message.gen, message.session):
            self._start_tree_build()  # stale (the user moved on): dropped; build the newest
            return
        self._tree_wanted = None
        if message.error is not None:
            self.notify(escape_text(f"frame {message.number}: dissection failed: {message.error}"),
                        severity="error", markup=False)
            return
        self._built_tree = message.tree
        try:
            await self._show_frame(message.number)
        except NoMatches:  # the app is tearing its widgets down
            pass
        finally:
            self._built_tree = None

    async def _show_frame(self, number: int) -> None:
        """Fill the tree and hex panes with frame ``number``'s tree (the one just built; 0: empty)."""
        if self.session is None:
            return
        if not number:
            self.current_tree = None
            self.tree_pane.show_frame(None)
            await self.hex_pane.show_sources({})
            return
        tree = self._built_tree
        if tree is None or tree.number != number:
            if self.current_tree is not None and self.current_tree.number == number:
                return
            tree = self.session.tree(number)  # not through the worker (a direct call): built here
        self.current_tree = tree
        self.tree_pane.show_frame(tree, self.findings_by_frame.get(number, []))
        await self.hex_pane.show_sources(tree.sources)

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
