"""The frame list: a Line-API ScrollView over the frame index that draws only visible rows.

As in Textualize/toolong, ``render_line(y)`` looks up the frame of row ``scroll_y + y``,
builds its summary on first sight (one dissection) and caches the rendered strip under a key
that holds every input that changes the line.  Nothing is measured up front, so a million
frames cost nothing until they are on screen.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from .custom_columns import CustomColumn
from .rows import CATEGORIES, Row, RowView, make_row


BUILTIN_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("no", "No.", True), ("time", "Time", True), ("source", "Source", False),
    ("destination", "Destination", False), ("protocol", "Protocol", False), ("length", "Length", True),
)
INFO = ("info", "Info", False)
MIN_CUSTOM = 6
SORT_MARK = {False: "▲", True: "▼"}


@dataclass(frozen=True, slots=True)
class Cell:
    """One column of the list: what it is (a sort key), its title, width and alignment."""

    key: str
    title: str
    width: int
    right: bool


@dataclass(frozen=True, slots=True)
class Columns:
    """Cell layout of the list for one terminal width: the flag glyphs, then each column in order
    (the built-in ones, the custom ones, Info taking what is left)."""

    flag: int
    cells: tuple[Cell, ...]

    @classmethod
    def fit(cls, width: int, last_number: int, customs: tuple[tuple[str, str, int, bool], ...] = ()) -> "Columns":
        return _fit_columns(width, last_number, customs)

    def line(self, flag: str, texts) -> str:  # noqa: ANN001 - one text per cell
        parts = [set_cell_size(flag, self.flag)]
        for c, t in zip(self.cells, texts):
            if c.width <= 0:
                continue
            parts.append((_fit(t, c.width) if not c.right or len(t) > c.width else t.rjust(c.width)) + " ")
        return "".join(parts)

    def key_at(self, x: int) -> str | None:
        """The column under screen column ``x`` (for a click on the header)."""
        pos = self.flag
        for c in self.cells:
            if c.width > 0 and pos <= x < pos + c.width + 1:
                return c.key
            pos += c.width + 1 if c.width > 0 else 0
        return None


@lru_cache(maxsize=64)
def _fit_columns(width: int, last_number: int, customs: tuple[tuple[str, str, int, bool], ...]) -> Columns:
    number = max(4, len(str(last_number)))
    fixed = 2 + (number + 1) + 12 + 9 + 8  # flag, No., Time, Protocol, Length ("Length▲" fits)
    wants = [w for _k, _t, w, _r in customs]
    # Custom columns give way before the addresses and a short Info do.
    room = max(len(wants) * MIN_CUSTOM, width - fixed - 2 * 10 - 13 - len(wants))
    while sum(wants) > room and max(wants, default=0) > MIN_CUSTOM:
        i = wants.index(max(wants))
        wants[i] -= 1
    custom_total = sum(w + 1 for w in wants)
    rest = max(0, width - fixed - custom_total)
    addr = max(9, min(39, rest // 5))
    info = max(0, rest - 2 * (addr + 1) - 1)
    widths = (number, 11, addr, addr, 8, 7)
    cells = [Cell(k, t, w, r) for (k, t, r), w in zip(BUILTIN_COLUMNS, widths)]
    cells += [Cell(k, t, w, r) for (k, t, _w, r), w in zip(customs, wants)]
    cells.append(Cell(*INFO[:2], info, INFO[2]))
    return Columns(2, tuple(cells))


def _fit(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) > width:  # cheap test first: most cells are ASCII and short
        return set_cell_size(text[:width - 1], width - 1) + "…"
    return set_cell_size(text, width)


class FrameListHeader(Widget):
    """The column titles, laid out with the same widths as the rows below; a click sorts."""

    DEFAULT_CSS = """
    FrameListHeader { height: 1; background: $panel; color: $foreground; text-style: bold; }
    """

    class Clicked(Message):
        """A column title was clicked (``key``: the column's sort key)."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def __init__(self, last_number: int = 1, **kwargs) -> None:
        super().__init__(**kwargs)
        self.last_number = last_number
        self.customs: tuple[tuple[str, str, int, bool], ...] = ()
        self.sort: tuple[str, bool] | None = None  # (key, descending)
        self.building: dict[str, str] = {}  # key -> progress text shown before the title

    def layout(self) -> Columns:
        """The rows' layout: the list's width (without its scrollbar), so titles sit over their cells."""
        width = self.size.width
        try:
            rows = self.parent.query_one(FrameList)
            width = rows.scrollable_content_region.width or width
        except Exception:  # noqa: BLE001 - a header alone (tests), or during teardown
            pass
        return Columns.fit(width, self.last_number, self.customs)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        cols = self.layout()
        titles = []
        for c in cols.cells:
            t = self.building.get(c.key, "") + c.title  # progress first: a long title is cut, not it
            if self.sort is not None and self.sort[0] == c.key:
                if len(t) + 1 > c.width:  # the mark stays; the title gives way
                    t = t[:max(0, c.width - 2)] + "…"
                t = t + SORT_MARK[self.sort[1]]
            titles.append(t)
        text = cols.line("", titles)
        return Strip([Segment(set_cell_size(text, width), self.rich_style)], width)

    def on_click(self, event: Click) -> None:
        key = self.layout().key_at(event.x)
        if key is not None:
            self.post_message(self.Clicked(key))


class FrameList(ScrollView, can_focus=True):
    """Frames of the current view; the cursor row is the selected frame."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        *(f"frame-list--{c}" for c in CATEGORIES),
        "frame-list--cursor", "frame-list--cursor-blurred", "frame-list--marked",
        "frame-list--error", "frame-list--warning", "frame-list--note",
    }
    DEFAULT_CSS = """
    FrameList { background: $surface; scrollbar-gutter: stable; overflow-x: hidden; }
    FrameList > .frame-list--tcp { color: $row-tcp-fg; background: $row-tcp-bg; }
    FrameList > .frame-list--udp { color: $row-udp-fg; background: $row-udp-bg; }
    FrameList > .frame-list--tls { color: $row-tls-fg; background: $row-tls-bg; }
    FrameList > .frame-list--dtls { color: $row-dtls-fg; background: $row-dtls-bg; }
    FrameList > .frame-list--synfin { color: $row-synfin-fg; background: $row-synfin-bg; }
    FrameList > .frame-list--rst { color: $row-rst-fg; background: $row-rst-bg; }
    FrameList > .frame-list--bad { color: $row-bad-fg; background: $row-bad-bg; }
    FrameList > .frame-list--alert { color: $row-alert-fg; background: $row-alert-bg; }
    FrameList > .frame-list--other { color: $row-other-fg; background: $row-other-bg; }
    FrameList > .frame-list--marked { color: $row-marked-fg; background: $row-marked-bg; }
    FrameList > .frame-list--cursor { color: $block-cursor-foreground; background: $block-cursor-background;
                                      text-style: bold; }
    FrameList > .frame-list--cursor-blurred { color: $foreground; background: $block-cursor-blurred-background;
                                              text-style: bold; }
    FrameList > .frame-list--error { color: $error; text-style: bold; }
    FrameList > .frame-list--warning { color: $warning; text-style: bold; }
    FrameList > .frame-list--note { color: $primary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "cursor_down", "Next frame", show=False, id="list.down"),
        Binding("up,k", "cursor_up", "Previous frame", show=False, id="list.up"),
        Binding("pagedown,ctrl+f", "page_down", "Page down", show=False, id="list.page_down"),
        Binding("pageup,ctrl+b", "page_up", "Page up", show=False, id="list.page_up"),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False, id="list.half_down"),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False, id="list.half_up"),
        Binding("home,g", "first", "First frame", show=False, id="list.first"),
        Binding("end,G", "last", "Last frame", show=False, id="list.last"),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class CursorMoved(Message):
        """The cursor is on another frame (``number`` 0: the view is empty)."""

        def __init__(self, frame_list: "FrameList", number: int) -> None:
            super().__init__()
            self.frame_list = frame_list
            self.number = number

        @property
        def control(self) -> "FrameList":
            return self.frame_list

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = None
        self.view = RowView(0)
        self.marked: set[int] = set()
        self.flags: dict[int, str] = {}  # frame -> worst finding severity
        self._rows: LRUCache[int, Row] = LRUCache(4096)
        self._strips: LRUCache[tuple, Strip] = LRUCache(1024)
        self._generation = 0
        self._last_posted = -1
        self.custom: list[CustomColumn] = []  # custom columns, left to right (before Info)

    @property
    def custom_layout(self) -> tuple[tuple[str, str, int, bool], ...]:
        """(key, title, wanted width, right-aligned) of each custom column, for ``Columns.fit``."""
        return tuple((c.key, c.title, c.want_width(), c.right_aligned) for c in self.custom)

    # --- data --------------------------------------------------------------------------
    def attach(self, session) -> None:
        self.session = session
        self.view = RowView(len(session))
        self.invalidate()
        self._update_size()
        self.cursor = 0

    def set_view(self, view: RowView, keep: int | None = None) -> None:
        """Show other frames; keep the cursor on frame ``keep`` (or the nearest shown)."""
        self.view = view
        self._strips.clear()
        self._update_size()
        if len(view) == 0:
            self.cursor = 0
        elif keep is not None:
            self.cursor = view.nearest_index(keep)
        else:
            self.cursor = min(self.cursor, len(view) - 1)
        self.refresh()

    def grow(self) -> None:
        """The view got longer (indexing, or a filter still running)."""
        self._strips.clear()  # the No. column may have widened
        self._update_size()
        self.refresh()

    def invalidate(self, rows: bool = True) -> None:
        """Forget rendered rows (analysis finished, findings arrived, the theme changed)."""
        if rows:
            self._rows.clear()
        self._strips.clear()
        self._generation += 1
        self.refresh()

    def _update_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.view))

    @property
    def selected(self) -> int:
        """The frame number under the cursor, 0 if the view is empty."""
        if len(self.view) == 0:
            return 0
        return self.view.number_at(min(self.cursor, len(self.view) - 1))

    def row(self, number: int) -> Row:
        r = self._rows.get(number)
        if r is None:
            r = make_row(self.session, number)
            self._rows[number] = r
        return r

    def select_frame(self, number: int) -> bool:
        """Put the cursor on a frame; False if the view does not show it."""
        i = self.view.index_of(number)
        if i is None:
            return False
        self.cursor = i
        return True

    # --- cursor ------------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.view) - 1)) if len(self.view) else 0

    def watch_cursor(self, old: int, new: int) -> None:
        top = round(self.scroll_y)
        self._scroll_cursor_visible()
        if round(self.scroll_y) == top:  # no scroll: only the two rows change
            self.refresh_line(old)
            self.refresh_line(new)
        else:
            self.refresh()
        number = self.selected
        if number != self._last_posted:
            self._last_posted = number
            self.post_message(self.CursorMoved(self, number))

    def _scroll_cursor_visible(self) -> None:
        height = self.scrollable_content_region.height
        if height <= 0:
            return
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def on_resize(self) -> None:
        self._update_size()
        self._strips.clear()
        self._scroll_cursor_visible()

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_page_down(self) -> None:
        self.scroll_to(y=self.scroll_y + self._page(), animate=False, immediate=True)
        self.cursor += self._page()

    def action_page_up(self) -> None:
        self.scroll_to(y=self.scroll_y - self._page(), animate=False, immediate=True)
        self.cursor -= self._page()

    def action_half_page_down(self) -> None:
        self.cursor += self._page() // 2 or 1

    def action_half_page_up(self) -> None:
        self.cursor -= self._page() // 2 or 1

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.view) - 1

    def on_click(self, event: Click) -> None:
        i = round(self.scroll_y) + event.y
        if 0 <= i < len(self.view):
            self.cursor = i

    # --- drawing -------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        i = round(self.scroll_y) + y
        if self.session is None or i >= len(self.view):
            return Strip.blank(width, self.rich_style)
        number = self.view.number_at(i)
        is_cursor = i == self.cursor
        marked = number in self.marked
        flag = self.flags.get(number, "")
        key = (number, width, is_cursor, is_cursor and self.has_focus, marked, flag, self._generation)
        strip = self._strips.get(key)
        if strip is None:
            strip = self._render_row(number, width, is_cursor, marked, flag)
            self._strips[key] = strip
        return strip

    def _render_row(self, number: int, width: int, is_cursor: bool, marked: bool, flag: str) -> Strip:
        r = self.row(number)
        cols = Columns.fit(width, self.view.total, self.custom_layout)
        texts = [str(r.number), r.time, r.source, r.destination, r.protocol, str(r.length)]
        texts += [c.cell(self.session, number) for c in self.custom]
        texts.append(r.info)
        text = cols.line("", texts)
        style = self.get_component_rich_style(f"frame-list--{r.category}")
        if marked:
            style = style + self.get_component_rich_style("frame-list--marked")
        if is_cursor:
            style = style + self.get_component_rich_style(
                "frame-list--cursor" if self.has_focus else "frame-list--cursor-blurred")
        glyph = {"error": "✖ ", "warning": "▲ ", "note": "• "}.get(flag, "  ")
        if marked:
            glyph = glyph[0] + "◆"
        flag_style = style
        if flag:
            flag_style = style + Style(color=self.get_component_rich_style(f"frame-list--{flag}").color,
                                       bold=True)
        body = set_cell_size(text[cols.flag:], max(0, width - cols.flag))
        return Strip([Segment(glyph, flag_style), Segment(body, style)], width)
