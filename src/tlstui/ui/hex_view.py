"""The bytes pane: offset, hex and ASCII of one data source, a tab per source.

A Line-API ScrollView (a reassembled buffer can be megabytes).  The selected field's bytes are
highlighted; moving the byte cursor posts ``HexView.CursorMoved`` so that the app can select
the field covering that byte.
"""
from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Tab, Tabs

from ..field import FRAME
from ..safe_text import escape_text

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

    def show(self, data: bytes, source: str) -> None:
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

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        row = round(self.scroll_y) + y
        bpr = self.bytes_per_row
        base = self.rich_style
        if row >= self._rows():
            return Strip.blank(width, base)
        start = row * bpr
        chunk = self.data[start:start + bpr]
        off_style = base + self.get_component_rich_style("hex-view--offset")
        field_style = base + self.get_component_rich_style("hex-view--field")
        # Unfocused, the cursor is only underlined so that the field's highlight shows through.
        cur_style = (self.get_component_rich_style("hex-view--cursor") if self.has_focus
                     else Style(underline=True, bold=True))
        h0, hl = self.highlight
        segs: list[Segment] = [Segment(f"{start:0{self._offset_digits()}x}  ", off_style)]
        asc: list[Segment] = []
        for i, b in enumerate(chunk):
            pos = start + i
            style: Style = base
            if h0 <= pos < h0 + hl:
                style = field_style
            if pos == self.cursor:
                cstyle = style + cur_style
            else:
                cstyle = style
            sep = " " if (i + 1) % 8 or i + 1 == bpr else "  "
            # The gap after a byte belongs to the highlight only if the next byte does too.
            gap_style = style if h0 <= pos + 1 < h0 + hl and i + 1 < len(chunk) else base
            segs.append(Segment(f"{b:02x}", cstyle))
            segs.append(Segment(sep, gap_style))
            asc.append(Segment(_ASCII[b], cstyle))
        n = len(chunk)
        if n < bpr:
            segs.append(Segment(" " * ((bpr * 3 + bpr // 8 - 1) - (n * 3 + n // 8)), base))
        segs.append(Segment(" ", base))
        segs.extend(asc)
        strip = Strip(segs).crop(round(self.scroll_x), round(self.scroll_x) + width)
        return strip.extend_cell_length(width, base)


class HexPane(Vertical):
    """A tab per data source of the frame ("Frame", reassembled buffers) above one HexView."""

    DEFAULT_CSS = """
    HexPane { width: auto; }
    HexPane > Tabs { height: 2; }
    HexPane > Tabs.single { display: none; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sources: dict[str, bytes] = {}
        self._names: list[str] = []

    def compose(self) -> ComposeResult:
        yield Tabs(id="hex-tabs")
        yield HexView(id="hex")

    @property
    def hex(self) -> HexView:
        return self.query_one(HexView)

    async def show_sources(self, sources: dict[str, bytes]) -> None:
        """Show a frame's data sources; the frame's own bytes first."""
        names = sorted(sources, key=lambda n: (n != FRAME, n))
        self.sources = sources
        tabs = self.query_one(Tabs)
        if names != self._names:
            self._names = names
            await tabs.clear()
            for i, name in enumerate(names):
                label = "Frame" if name == FRAME else escape_text(name)
                await tabs.add_tab(Tab(f"{label} ({len(sources[name])} B)", id=f"src-{i}"))
            tabs.set_class(len(names) <= 1, "single")
            if names:
                tabs.active = "src-0"
        else:
            for i, name in enumerate(names):
                tab = tabs.get_tab(f"src-{i}")
                if tab is not None:
                    label = "Frame" if name == FRAME else escape_text(name)
                    tab.label = f"{label} ({len(sources[name])} B)"
        self.hex.show(sources.get(FRAME, b""), FRAME)
        if names and tabs.active != "src-0":
            tabs.active = "src-0"

    def select_source(self, source: str) -> None:
        if source == self.hex.source or source not in self.sources:
            return
        self.hex.show(self.sources[source], source)
        self.query_one(Tabs).active = f"src-{self._names.index(source)}"

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab is None or event.tab.id is None:
            return
        i = int(event.tab.id.split("-", 1)[1])
        if i < len(self._names):
            name = self._names[i]
            if name != self.hex.source:
                self.hex.show(self.sources[name], name)
