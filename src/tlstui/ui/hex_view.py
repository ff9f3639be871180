"""The bytes pane: offset, hex and ASCII of one data source, a tab per source.

A Line-API ScrollView (a reassembled buffer can be megabytes).  The selected field's bytes are
highlighted; moving the byte cursor posts ``HexView.CursorMoved`` so that the app can select
the field covering that byte.
"""
from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from ..field import FRAME
from ..safe_text import escape_text
from .colors import theme_style

PRINTABLE = bytes(range(0x20, 0x7F))
_ASCII = "".join(chr(b) if b in PRINTABLE else "." for b in range(256))


def hex_width(bytes_per_row: int) -> int:
    """Cells one row needs (4 offset digits; 8 past 64 KiB, then it scrolls), gaps, the hex bytes and the ASCII column."""
    return 4 + 2 + bytes_per_row * 3 + (bytes_per_row // 8 - 1) + 1 + bytes_per_row


class HexView(ScrollView, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {"hex-view--offset", "hex-view--field", "hex-view--cursor",
                                             "hex-view--cursor-blurred"}
    DEFAULT_CSS = """
    HexView { background: $surface; scrollbar-gutter: stable; }
    HexView > .hex-view--offset { color: $foreground 55%; }
    HexView > .hex-view--field { background: $hex-field-bg; color: $foreground; text-style: bold; }
    HexView > .hex-view--cursor { background: $hex-cursor-bg; color: $background; text-style: bold; }
    HexView > .hex-view--cursor-blurred { text-style: underline; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,l", "move(1)", "Next byte", show=False, id="hex.right"),
        Binding("left,h", "move(-1)", "Previous byte", show=False, id="hex.left"),
        Binding("down,j", "move_rows(1)", "Next row", show=False, id="hex.down"),
        Binding("up,k", "move_rows(-1)", "Previous row", show=False, id="hex.up"),
        Binding("pagedown", "move_rows(8)", "Page down", show=False, id="hex.page_down"),
        Binding("pageup", "move_rows(-8)", "Page up", show=False, id="hex.page_up"),
        Binding("home,g", "goto(0)", "First byte", show=False, id="hex.first"),
        Binding("end,G", "goto(-1)", "Last byte", show=False, id="hex.last"),
    ]

    cursor: reactive[int] = reactive(0, init=False)

    class CursorMoved(Message):
        """The user moved the byte cursor (not sent when the app moves it)."""

        def __init__(self, hex_view: "HexView", source: str, offset: int) -> None:
            super().__init__()
            self.hex_view = hex_view
            self.source = source
            self.offset = offset

        @property
        def control(self) -> "HexView":
            return self.hex_view

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data = b""
        self.source = FRAME
        self.highlight: tuple[int, int] = (0, 0)
        self.bytes_per_row = 16
        self._strips: LRUCache[tuple, Strip] = LRUCache(256)
        self._generation = 0

    def show(self, data: bytes, source: str) -> None:
        self._generation += 1
        self.data = data
        self.source = source
        self.highlight = (0, 0)
        self.set_reactive(HexView.cursor, 0)
        self._update_size()
        self.scroll_to(y=0, animate=False, immediate=True)
        self.refresh()

    def mark(self, start: int, length: int, move_cursor: bool = True) -> None:
        """Highlight ``length`` bytes at ``start``; put the cursor on the first (without a message)."""
        self.highlight = (start, length)
        if move_cursor and self.data:
            self.set_reactive(HexView.cursor, max(0, min(start, len(self.data) - 1)))
            self._scroll_to_range(start, max(1, length))
        self.refresh()

    def _offset_digits(self) -> int:
        return 8 if len(self.data) > 0xFFFF else 4

    def _rows(self) -> int:
        return (len(self.data) + self.bytes_per_row - 1) // self.bytes_per_row

    def _update_size(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        self.bytes_per_row = 16 if width >= hex_width(16) else 8
        self.virtual_size = Size(hex_width(self.bytes_per_row), self._rows())

    def on_resize(self) -> None:
        self._update_size()

    def _scroll_to_range(self, start: int, length: int) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        first = start // self.bytes_per_row
        last = (start + length - 1) // self.bytes_per_row
        top = round(self.scroll_y)
        if first < top or last >= top + height:
            target = first if last - first + 1 > height else max(0, last - height + 1) if last >= top + height \
                else first
            self.scroll_to(y=target, animate=False, immediate=True)

    def _set_cursor(self, value: int) -> None:
        if not self.data:
            return
        value = max(0, min(value, len(self.data) - 1))
        if value != self.cursor:
            self.cursor = value
            self._scroll_to_range(value, 1)
            self.refresh()
            self.post_message(self.CursorMoved(self, self.source, value))

    def action_move(self, delta: int) -> None:
        self._set_cursor(self.cursor + delta)

    def action_move_rows(self, rows: int) -> None:
        self._set_cursor(self.cursor + rows * self.bytes_per_row)

    def action_goto(self, offset: int) -> None:
        self._set_cursor(offset if offset >= 0 else len(self.data) - 1)

    def on_click(self, event: Click) -> None:
        row = round(self.scroll_y) + event.y
        x = event.x + round(self.scroll_x) - self._offset_digits() - 2
        bpr = self.bytes_per_row
        if x < 0:
            return
        col = None
        ascii_start = bpr * 3 + (bpr // 8 - 1) + 1
        if x >= ascii_start:
            col = x - ascii_start
        else:
            for i in range(bpr):
                start = i * 3 + i // 8
                if start <= x < start + 2:
                    col = i
                    break
        if col is not None and col < bpr:
            self._set_cursor(row * bpr + col)

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        bpr = self.bytes_per_row
        if row >= self._rows():
            return Strip.blank(width, self.rich_style)
        start = row * bpr
        h0, hl = self.highlight
        # Only what changes this row's look is in the key (the highlight clipped to the row).
        lo, hi = max(h0, start), min(h0 + hl, start + bpr)
        cur = self.cursor if start <= self.cursor < start + bpr else -1
        key = (row, width, bpr, round(self.scroll_x), (lo, hi) if lo < hi else None, cur, self.has_focus,
               self._generation)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(row, width)
            self._strips[key] = strip
        return strip

    def _render_row(self, row: int, width: int) -> Strip:
        bpr = self.bytes_per_row
        base = self.rich_style
        start = row * bpr
        chunk = self.data[start:start + bpr]
        off_style = base + self.get_component_rich_style("hex-view--offset")
        field_style = base + self.get_component_rich_style("hex-view--field")
        # Unfocused, the cursor is only underlined so that the field's highlight shows through.
        cur_style = (self.get_component_rich_style("hex-view--cursor") if self.has_focus
                     else Style(underline=True, bold=True))
        h0, hl = self.highlight
        hexpart: list[list] = []  # [text, style] runs, merged while the style stays the same
        asc: list[list] = []

        def put(runs: list[list], text: str, style: Style) -> None:
            if runs and runs[-1][1] is style:
                runs[-1][0] += text
            else:
                runs.append([text, style])

        cursor = self.cursor
        cursor_field = None
        for i, b in enumerate(chunk):
            pos = start + i
            style: Style = field_style if h0 <= pos < h0 + hl else base
            if pos == cursor:
                if cursor_field is None:
                    cursor_field = style + cur_style
                cstyle = cursor_field
            else:
                cstyle = style
            sep = " " if (i + 1) % 8 or i + 1 == bpr else "  "
            # The gap after a byte belongs to the highlight only if the next byte does too.
            gap_style = style if h0 <= pos + 1 < h0 + hl and i + 1 < len(chunk) else base
            put(hexpart, f"{b:02x}", cstyle)
            put(hexpart, sep, gap_style)
            put(asc, _ASCII[b], cstyle)
        n = len(chunk)
        if n < bpr:
            put(hexpart, " " * ((bpr * 3 + bpr // 8 - 1) - (n * 3 + n // 8)), base)
        put(hexpart, " ", base)
        segs = [Segment(f"{start:0{self._offset_digits()}x}  ", off_style)]
        segs.extend(Segment(t, st) for t, st in hexpart)
        segs.extend(Segment(t, st) for t, st in asc)
        strip = Strip(segs).crop(round(self.scroll_x), round(self.scroll_x) + width)
        return strip.extend_cell_length(width, base)


class SourceTabs(Widget):
    """One line of tabs, one per data source ("Frame", reassembled buffers); hidden when there
    is only the frame.  Drawn as text: switching frames never mounts widgets."""

    DEFAULT_CSS = """
    SourceTabs { height: 1; background: $panel; }
    SourceTabs.single { display: none; }
    """

    class Chosen(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.labels: list[str] = []
        self.active = 0
        self._spans: list[tuple[int, int]] = []

    def set_tabs(self, labels: list[str], active: int = 0) -> None:
        self.labels = labels
        self.active = active
        self.set_class(len(labels) <= 1, "single")
        self.refresh()

    def set_active(self, i: int) -> None:
        if i != self.active:
            self.active = i
            self.refresh()

    def render(self) -> Text:
        t = Text()
        self._spans = []
        active = theme_style(self.app, "accent", bold=True) + Style(reverse=True)
        for i, label in enumerate(self.labels):
            start = len(t)
            t.append(f" {label} ", active if i == self.active else Style(dim=True))
            self._spans.append((start, len(t)))
            t.append(" ")
        t.append(" (s: next source)", Style(dim=True))
        return t

    def on_click(self, event: Click) -> None:
        for i, (a, b) in enumerate(self._spans):
            if a <= event.x < b:
                self.post_message(self.Chosen(i))


class HexPane(Vertical):
    """A tab per data source of the frame ("Frame", reassembled buffers) above one HexView."""

    DEFAULT_CSS = """
    HexPane { width: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "next_source", "Next data source", show=False, id="hex.next_source"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources: dict[str, bytes] = {}
        self._names: list[str] = []

    def compose(self) -> ComposeResult:
        yield SourceTabs(id="hex-tabs", classes="single")
        yield HexView(id="hex")

    @property
    def hex(self) -> HexView:
        return self.query_one(HexView)

    async def show_sources(self, sources: dict[str, bytes]) -> None:
        """Show a frame's data sources; the frame's own bytes first."""
        names = sorted(sources, key=lambda n: (n != FRAME, n))
        self.sources = sources
        self._names = names
        labels = [f"Frame ({len(sources[n])} B)" if n == FRAME else
                  escape_text(n) if n.endswith(")") else f"{escape_text(n)} ({len(sources[n])} B)" for n in names]
        tabs = self.query_one(SourceTabs)
        if labels != tabs.labels or tabs.active:
            tabs.set_tabs(labels, 0)
        self.hex.show(sources.get(FRAME, b""), FRAME)

    def select_source(self, source: str) -> None:
        if source == self.hex.source or source not in self.sources:
            return
        self.hex.show(self.sources[source], source)
        self.query_one(SourceTabs).set_active(self._names.index(source))

    def on_source_tabs_chosen(self, event: SourceTabs.Chosen) -> None:
        event.stop()
        if event.index < len(self._names):
            self.select_source(self._names[event.index])

    def action_next_source(self) -> None:
        if len(self._names) > 1:
            i = (self._names.index(self.hex.source) + 1) % len(self._names)
            self.select_source(self._names[i])
