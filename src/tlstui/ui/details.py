"""The selected frame's tree and bytes: the list's cursor -> the tree and hex panes (coalesced
while keys repeat), a tree line <-> its bytes, the retransmission compare view."""
from __future__ import annotations

import time

from textual.css.query import NoMatches
from textual.widgets import Tree

from ..field import Field
from ..safe_text import escape_text
from .frame_list import FrameList
from .hex_view import HexView
from .screens import style_getter
from .tree_pane import MISMATCH, frame_link


class DetailsMixin:
    """TlsTuiApp's frame details (the @on handlers are declared on the app: Textual registers
    decorated handlers only on its own classes)."""

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
