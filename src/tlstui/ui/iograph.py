"""The IO graph: frames and bytes per interval, drawn with block characters, retransmissions and
resets marked under the bars.

The numbers are ``tlstui stats io``'s (``stats.io_stat``: tshark's ``-z io,stat``), for the frames
the display filter shows (or every frame, ``f`` toggles); the marks count the frames of each
interval that carry ``tcp.analysis.retransmission`` and ``tcp.flags.reset == 1``, from their
columns.  Everything is computed in a worker; the screen draws only what fits.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, ClassVar

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color as TColor
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Label, Static

from ..safe_text import escape_text
from ..stats import io_stat, parse_interval
from ..stats.common import columns as index_columns
from .colors import theme_style
from .footer import FittedFooter

BLOCKS = " ▁▂▃▄▅▆▇█"
RETRANS_MARK = "▲"
RESET_MARK = "✖"
MAX_INTERVALS = 100_000  # more bars than this is not a graph any more (and costs memory)
RETRANSMISSION = "tcp.analysis.retransmission"
RESET = "tcp.flags.reset"


def interval_ladder() -> list[str]:
    """The intervals +/- step through (seconds, as text parse_interval reads): 1-2-5 steps."""
    out = []
    for exp in range(-6, 2):
        for m in (1, 2, 5):
            out.append(f"{Decimal(m).scaleb(exp):f}")
    out.remove("50")
    return out + ["60", "120", "300", "600", "1800", "3600"]


LADDER = interval_ladder()


@dataclass(frozen=True)
class IoGraphData:
    """What the graph shows: per interval (tshark's rows) frames, bytes, retransmissions, resets."""

    interval: str  # as given (seconds)
    filter: str | None
    rows: tuple[tuple[int, int, int, int], ...]  # (start_us, end_us, frames, bytes), as stats io prints
    retransmissions: tuple[int, ...]
    resets: tuple[int, ...]
    marks: bool = True  # False: retransmissions and resets not counted yet

    @property
    def frames(self) -> list[int]:
        return [r[2] for r in self.rows]

    @property
    def bytes(self) -> list[int]:
        return [r[3] for r in self.rows]


def capture_duration_us(session) -> int:  # noqa: ANN001
    _orig, rel = index_columns(session)
    return int(rel.max() // 1000) if len(rel) else 0


def default_interval(session, bars: int) -> str:  # noqa: ANN001
    """The shortest interval of the ladder that shows the whole capture in ``bars`` bars."""
    duration = capture_duration_us(session)
    for text in LADDER:
        us, _ = parse_interval(text)
        if duration // us + 1 <= max(1, bars):
            return text
    return LADDER[-1]


def io_graph_data(session, interval: str, mask: np.ndarray | None = None, filter_text: str | None = None,  # noqa: ANN001
                  get: Callable | None = None, cancel=None, marks: bool = True,  # noqa: ANN001
                  progress: Callable | None = None) -> IoGraphData:
    """Frames, bytes, retransmissions and resets per interval.  ``mask``: bool per frame
    (index number - 1) of the frames to count; ``get(name, progress, cancel)`` a column;
    ``marks=False`` leaves the retransmissions and resets out (no column is read)."""
    us, prec = parse_interval(interval)
    n = len(session)
    if us and capture_duration_us(session) // us > MAX_INTERVALS:
        raise ValueError(f"an interval of {interval} s makes more than {MAX_INTERVALS:,} bars for this capture")
    st = io_stat(session, us, prec, mask, filter_text)
    rows = tuple(st.rows())
    if not marks:
        zeros = (0,) * len(rows)
        return IoGraphData(interval, filter_text, rows, zeros, zeros, marks=False)
    get = get or (lambda name, progress=None, c=None: session.columns.get(name, progress, c))
    base = np.ones(n, dtype=bool) if mask is None else mask[:n]
    def cb(name: str):  # noqa: ANN202
        return None if progress is None else (lambda done, total: progress(name, done, total))

    retr = get(RETRANSMISSION, cb(RETRANSMISSION), cancel).present()[1:n + 1]
    rst_col = get(RESET, cb(RESET), cancel)
    rst = np.zeros(n + 1, dtype=bool)
    if len(rst_col):
        vals = np.asarray(rst_col.values != 0) if rst_col.values.dtype != object else \
            np.array([bool(v) for v in rst_col.values], dtype=bool)
        rst[rst_col.frames[vals]] = True
    rst = rst[1:]

    def per_row(sel: np.ndarray) -> tuple[int, ...]:
        got = io_stat(session, us, prec, base & sel).frames if sel.any() else []
        return tuple((got + [0] * len(rows))[:len(rows)])

    return IoGraphData(interval, filter_text, rows, per_row(retr), per_row(rst))


def human(n: float) -> str:
    """A short count for an axis: 950, 1.2k, 34k, 5.6M."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if n >= div:
            v = n / div
            return f"{v:.1f}{suffix}" if v < 10 else f"{v:.0f}{suffix}"
    return str(int(n))


def bar_cells(value: int, top: int, height: int) -> list[str]:
    """A bar's characters from the bottom row up (eighths; any non-zero value shows)."""
    units = 0 if not value or not top else max(1, round(value / top * height * 8))
    return [BLOCKS[max(0, min(8, units - 8 * r))] for r in range(height)]


def _seconds(us: int) -> str:
    return f"{us / 1e6:g}s"


class IoGraphView(Widget, can_focus=True):
    """Two bar charts (frames, bytes) over the same intervals, marks rows between, a cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right,l", "move(1)", "Next interval", show=False, id="io.right"),
        Binding("left,h", "move(-1)", "Previous interval", show=False, id="io.left"),
        Binding("pagedown", "page(1)", "Page right", show=False, id="io.page_right"),
        Binding("pageup", "page(-1)", "Page left", show=False, id="io.page_left"),
        Binding("home,g", "jump(0)", "First interval", show=False, id="io.first"),
        Binding("end,G", "jump(-1)", "Last interval", show=False, id="io.last"),
    ]
    DEFAULT_CSS = "IoGraphView { height: 1fr; background: $surface; }"
    FIXED_LINES = 5  # two headers, two mark rows, the time axis

    class CursorMoved(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.data: IoGraphData | None = None
        self.cursor = 0
        self.first_bar = 0

    def set_data(self, data: IoGraphData) -> None:
        self.data = data
        self.cursor = min(self.cursor, max(0, len(data.rows) - 1))
        self._keep_visible()
        self.refresh()
        self.post_message(self.CursorMoved(self.cursor))

    def _axis_width(self) -> int:
        d = self.data
        if d is None:
            return 6
        top = max(max(d.frames, default=0), max(d.bytes, default=0))
        return max(6, len(human(top)) + 2)

    def visible_bars(self) -> int:
        return max(1, self.size.width - self._axis_width())

    def _keep_visible(self) -> None:
        n = self.visible_bars()
        if self.cursor < self.first_bar:
            self.first_bar = self.cursor
        elif self.cursor >= self.first_bar + n:
            self.first_bar = self.cursor - n + 1
        count = len(self.data.rows) if self.data else 0
        self.first_bar = max(0, min(self.first_bar, max(0, count - n)))

    def _move_to(self, i: int) -> None:
        if self.data is None or not self.data.rows:
            return
        self.cursor = max(0, min(i, len(self.data.rows) - 1))
        self._keep_visible()
        self.refresh()
        self.post_message(self.CursorMoved(self.cursor))

    def action_move(self, step: int) -> None:
        self._move_to(self.cursor + step)

    def action_page(self, step: int) -> None:
        self._move_to(self.cursor + step * self.visible_bars())

    def action_jump(self, where: int) -> None:
        self._move_to(0 if where == 0 else len(self.data.rows) - 1 if self.data else 0)

    def on_resize(self) -> None:
        self._keep_visible()

    def _cursor_style(self) -> Style:
        """The cursor interval's background: the theme's blurred cursor over the surface."""
        try:
            v = self.app.theme_variables
            over = TColor.parse(v.get("block-cursor-blurred-background", "#4F9FD84C"))
            under = TColor.parse(v.get("surface", "#1C2028"))
            return Style(bgcolor=(under + over).rich_color)
        except Exception:  # noqa: BLE001 - a theme without those variables
            return Style(reverse=True)

    def chart_heights(self) -> tuple[int, int]:
        free = max(2, self.size.height - self.FIXED_LINES)
        return free - free // 2, free // 2

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        d = self.data
        if d is None or not d.rows:
            text = "computing…" if d is None else "no frames"
            return Strip([Segment(text.ljust(width)[:width], base)], width)
        h1, h2 = self.chart_heights()
        axis = self._axis_width()
        first, last = self.first_bar, min(len(d.rows), self.first_bar + self.visible_bars())
        app = self.app
        bar = base + theme_style(app, "primary")
        warn = base + theme_style(app, "warning", bold=True)
        err = base + theme_style(app, "error", bold=True)
        cursor = self._cursor_style()
        dim = base + Style(dim=True)
        frames, nbytes = d.frames, d.bytes

        def chart_line(values: list[int], row_from_top: int, height: int, label_top: str) -> Strip:
            top = max(values, default=0)
            r = height - 1 - row_from_top
            if row_from_top == 0:
                label = human(top)
            elif row_from_top == height - 1:
                label = "0"
            else:
                label = ""
            segs = [Segment(label.rjust(axis - 1)[:axis - 1] + "│", dim)]
            for i in range(first, last):
                ch = bar_cells(values[i], top, height)[r]
                style = err if d.resets[i] else warn if d.retransmissions[i] else bar
                if i == self.cursor:
                    style = style + cursor
                segs.append(Segment(ch, style))
            return Strip(segs).extend_cell_length(width, base).crop(0, width)

        def header(title: str) -> Strip:
            return Strip([Segment(title.ljust(width)[:width], base + Style(bold=True))], width)

        def marks(label: str, counts: tuple[int, ...], glyph: str, style: Style) -> Strip:
            segs = [Segment(label.rjust(axis - 1)[:axis - 1] + "│", dim)]
            for i in range(first, last):
                s = style if counts[i] else dim
                if i == self.cursor:
                    s = s + cursor
                segs.append(Segment(glyph if counts[i] else "·", s))
            return Strip(segs).extend_cell_length(width, base).crop(0, width)

        if y == 0:
            return header(f"Frames per {d.interval} s")
        y -= 1
        if y < h1:
            return chart_line(frames, y, h1, "")
        y -= h1
        if y == 0:
            return marks("retr", d.retransmissions, RETRANS_MARK, warn)
        if y == 1:
            return marks("rst", d.resets, RESET_MARK, err)
        y -= 2
        if y == 0:
            return header(f"Bytes per {d.interval} s")
        y -= 1
        if y < h2:
            return chart_line(nbytes, y, h2, "")
        y -= h2
        if y == 0:  # the time axis: a tick label every 12 columns
            line = [" "] * max(0, last - first)
            i = first
            while i < last:
                lab = "|" + _seconds(d.rows[i][0])
                k = i - first
                for j, ch in enumerate(lab):
                    if k + j < len(line):
                        line[k + j] = ch
                i += max(12, len(lab) + 2)
            return Strip([Segment(" " * axis, dim), Segment("".join(line), dim)]).extend_cell_length(width, base).crop(0, width)
        return Strip.blank(width, base)


class IntervalScreen(ModalScreen[str]):
    """Type an interval in seconds (as `tlstui stats io -i`)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="interval.cancel")]
    DEFAULT_CSS = """
    IntervalScreen { align: center middle; }
    IntervalScreen > Vertical { width: 50; height: auto; border: round $primary; background: $panel; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Interval in seconds (for example 0.01, 1, 60):")
            yield Input(id="interval-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            us, _ = parse_interval(event.value)
        except ValueError:
            self.app.bell()
            return
        if us == 0:
            self.app.bell()
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class IoGraphScreen(Screen):
    """i: the IO graph of the capture (of the filtered frames when a filter is applied)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="io.back"),
        Binding("plus,equals_sign", "interval(1)", "Longer interval", id="io.longer"),
        Binding("minus", "interval(-1)", "Shorter interval", id="io.shorter"),
        Binding("e", "type_interval", "Interval…", id="io.type_interval"),
        Binding("f", "toggle_filter", "Filter / all", id="io.toggle_filter"),
        Binding("enter", "go_to_frame", "Go to frame", id="io.goto"),
    ]
    # The footer's keys by importance (FittedFooter): what does not fit the width is left to ?.
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ("io.back", "io.goto", "io.longer", "io.shorter",
                                               "io.toggle_filter", "io.type_interval")
    DEFAULT_CSS = """
    IoGraphScreen > #io-title { height: auto; max-height: 3; background: $panel; color: $foreground; padding: 0 1; }
    IoGraphScreen > #io-info { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    """

    def __init__(self, session, frames: np.ndarray | None, filter_text: str, get: Callable) -> None:  # noqa: ANN001
        super().__init__()
        self.session = session
        self.frames = frames  # the filtered frames (None: no filter)
        self.filter_text = filter_text
        self.use_filter = frames is not None
        self.get = get
        self.interval: str | None = None
        self.data: IoGraphData | None = None
        self.error = ""
        self.marks_state = ""
        self._cancel = threading.Event()  # set when the screen closes: column builds stop

    def on_unmount(self) -> None:
        self._cancel.set()

    def compose(self) -> ComposeResult:
        yield Static("", id="io-title")
        yield IoGraphView(id="io-graph")
        yield Static("", id="io-info")
        yield FittedFooter()

    @property
    def graph(self) -> IoGraphView:
        return self.query_one(IoGraphView)

    def on_mount(self) -> None:
        self.graph.focus()
        bars = max(10, self.app.size.width - 8)
        self.interval = default_interval(self.session, bars)
        self._show_title()
        self.compute()

    def _mask(self) -> np.ndarray | None:
        if not self.use_filter or self.frames is None:
            return None
        mask = np.zeros(len(self.session), dtype=bool)
        if len(self.frames):
            mask[self.frames - 1] = True
        return mask

    def _show_title(self) -> None:
        from .screens import lay_out_title

        parts = [Text("IO graph", "bold"), Text(f"interval {self.interval} s (+/- e)")]
        if self.frames is not None:
            f = Text("filter: ")
            f.append(escape_text(self.filter_text) if self.use_filter else "off (all frames)",
                     theme_style(self.app, "accent"))
            f.append("  (f)")
            parts.append(f)
        parts.append(Text.assemble((RETRANS_MARK + " retransmission", theme_style(self.app, "warning", bold=True)),
                                   "  ", (RESET_MARK + " reset", theme_style(self.app, "error", bold=True))))
        if self.marks_state:
            parts.append(Text(self.marks_state, "dim"))
        if self.error:
            parts.append(Text(escape_text(self.error), theme_style(self.app, "error")))
        # Narrow: on more lines, broken between the parts (the legend was cut at 80 columns).
        width = (self.size.width or self.app.size.width) - 2
        self.query_one("#io-title", Static).update(lay_out_title(parts, width))

    def on_resize(self, event) -> None:  # noqa: ANN001
        if self.interval is not None:
            self._show_title()

    @work(thread=True, exclusive=True, group="iograph", exit_on_error=False)
    def compute(self) -> None:
        interval, mask = self.interval, self._mask()
        ftext = self.filter_text if self.use_filter and self.frames is not None else None
        worker = get_current_worker()
        last = [0.0]

        def progress(name: str, done: int, total: int) -> None:
            # A newer interval does not stop a column build: the next computation waits for it.
            now = time.monotonic()
            if now - last[0] > 0.25:
                last[0] = now
                self.app.call_from_thread(self._marks_progress, interval, name, done, total)

        try:
            self.app.call_from_thread(self._show, io_graph_data(self.session, interval, mask, ftext, marks=False))
            data = io_graph_data(self.session, interval, mask, ftext, self.get, self._cancel, progress=progress)
        except InterruptedError:
            return
        except ValueError as e:
            self.app.call_from_thread(self._failed, str(e))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show, data)

    def _marks_progress(self, interval: str, name: str, done: int, total: int) -> None:
        if not self.is_attached:  # closed while the worker ran
            return
        if interval == self.interval:
            self.marks_state = f"marks: building {name} {100 * done // max(total, 1)}%"
            self._show_title()

    def _failed(self, text: str) -> None:
        if not self.is_attached:  # closed while the worker ran
            return
        self.error = text
        self._show_title()

    def _show(self, data: IoGraphData) -> None:
        if not self.is_attached:  # closed while the worker ran
            return
        if data.interval != self.interval:
            return
        self.error = ""
        self.data = data
        self.marks_state = "" if data.marks else "marks: counting…"
        self._show_title()
        self.graph.set_data(data)

    def on_io_graph_view_cursor_moved(self, message: IoGraphView.CursorMoved) -> None:
        d = self.data
        if d is None or not d.rows:
            self.query_one("#io-info", Static).update("")
            return
        i = message.index
        s, e, f, b = d.rows[i]
        t = Text()
        t.append(f"{s / 1e6:.6f} <> {e / 1e6:.6f} s", "bold")
        t.append(f"   {f:,} frames   {b:,} bytes")
        t.append(f"   {d.retransmissions[i]:,} retransmissions",
                 theme_style(self.app, "warning", bold=True) if d.retransmissions[i] else "")
        t.append(f"   {d.resets[i]:,} resets", theme_style(self.app, "error", bold=True) if d.resets[i] else "")
        t.append(f"   bar {i + 1}/{len(d.rows)}", "dim")
        if f:
            t.append("   Enter: its first frame", "dim")
        self.query_one("#io-info", Static).update(t)

    def action_interval(self, step: int) -> None:
        cur_us, _ = parse_interval(self.interval or "1")
        values = [parse_interval(v)[0] for v in LADDER]
        if step > 0:
            nxt = next((v for v, us in zip(LADDER, values) if us > cur_us), None)
        else:
            nxt = next((v for v, us in zip(reversed(LADDER), reversed(values)) if us < cur_us), None)
        if nxt is None:
            self.app.bell()
            return
        self._set_interval(nxt)

    def _set_interval(self, text: str) -> None:
        self.interval = text
        self._show_title()
        self.compute()

    def action_type_interval(self) -> None:
        def done(text: str | None) -> None:
            if text:
                self._set_interval(text)

        self.app.push_screen(IntervalScreen(), done)

    def action_toggle_filter(self) -> None:
        if self.frames is None:
            self.app.notify("No display filter is applied: the graph counts every frame.", markup=False)
            return
        self.use_filter = not self.use_filter
        self._show_title()
        self.compute()

    def first_frame(self, i: int) -> int | None:
        """The first counted frame of interval ``i`` (by time, as io_stat bins them)."""
        d = self.data
        if d is None or not 0 <= i < len(d.rows):
            return None
        _orig, rel = index_columns(self.session)
        secs = rel // 1_000_000_000
        rel_us = secs * 1_000_000 + (rel - secs * 1_000_000_000 + 500) // 1000
        s, e, _f, _b = d.rows[i]
        sel = (rel_us >= s) & ((rel_us < e) if i < len(d.rows) - 1 else (rel_us <= e))
        mask = self._mask()
        if mask is not None:
            sel &= mask
        hits = np.flatnonzero(sel)
        return int(hits[0]) + 1 if len(hits) else None

    def action_go_to_frame(self) -> None:
        n = self.first_frame(self.graph.cursor)
        if n is None:
            self.app.bell()
            return
        self.app.pop_screen()
        fl = self.app.frame_list
        if not fl.select_frame(n):
            self.app.notify(f"Frame {n} is hidden by the filter.", severity="warning", markup=False)
        else:
            fl.focus()
