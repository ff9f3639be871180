"""Screens over the main view: help, go to frame, follow stream, handshake ladder."""
from __future__ import annotations

from typing import Callable, ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import DataTable, Input, Label, Static

from ..safe_text import escape_text
from .colors import theme_style
from .footer import FittedFooter
from .streams import Chunk, Conversation, LadderStep

_PRINTABLE = {b for b in range(0x20, 0x7F)}


class LinesView(ScrollView, can_focus=True):
    """Pre-built Rich Text lines drawn with the Line API (a stream can be megabytes)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j,down", "scroll_down", "Down", show=False, id="lines.down"),
        Binding("k,up", "scroll_up", "Up", show=False, id="lines.up"),
        Binding("g,home", "scroll_home", "Top", show=False, id="lines.top"),
        Binding("G,end", "scroll_end", "Bottom", show=False, id="lines.bottom"),
        Binding("space,pagedown", "page_down", "Page down", show=False, id="lines.page_down"),
        Binding("b,pageup", "page_up", "Page up", show=False, id="lines.page_up"),
    ]
    DEFAULT_CSS = "LinesView { background: $surface; }"

    def __init__(self, build: Callable[[int], list[Text]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.build = build
        self.lines: list[Text] = []
        self._cache: LRUCache[tuple, Strip] = LRUCache(512)
        self._built_for = -1
        self.term = ""  # the search term (matches drawn reversed); "" draws none
        self.found = -1  # the line of the current match (or the cursor line, see cursor_lines)
        self.cursor_lines = False  # True: up/down move a cursor line (the ladder), not the view

    def find(self, term: str, step: int = 1) -> int | None:
        """The next (step 1) or previous (-1) line holding ``term`` (case-insensitive), from the
        current match, wrapping; scrolls it into view.  None: no line holds it."""
        self.term = term
        self._cache.clear()
        self.refresh()
        if not term or not self.lines:
            return None
        low = term.lower()
        n = len(self.lines)
        start = self.found if self.found >= 0 else (round(self.scroll_y) - step if step > 0 else round(self.scroll_y))
        for k in range(1, n + 1):
            i = (start + k * step) % n
            if low in self.lines[i].plain.lower():
                self.found = i
                self._show_line(i)
                return i
        return None

    def matches(self) -> int:
        low = self.term.lower()
        return sum(1 for l in self.lines if low in l.plain.lower()) if low else 0

    def _show_line(self, i: int) -> None:
        h = self.scrollable_content_region.height or 1
        top = round(self.scroll_y)
        if not top <= i < top + h:
            self.scroll_to(y=max(0, i - h // 3), animate=False, immediate=True)
        self._cache.clear()
        self.refresh()

    def move_cursor_line(self, step: int) -> None:
        if not self.lines:
            return
        self.found = max(0, min(len(self.lines) - 1, (self.found if self.found >= 0 else 0) + step))
        self._show_line(self.found)

    def action_scroll_down(self) -> None:
        if self.cursor_lines:
            self.move_cursor_line(1)
        else:
            super().action_scroll_down()

    def action_scroll_up(self) -> None:
        if self.cursor_lines:
            self.move_cursor_line(-1)
        else:
            super().action_scroll_up()

    def rebuild(self) -> None:
        width = self.scrollable_content_region.width or self.app.size.width
        self.lines = self.build(width)
        height = self.scrollable_content_region.height or self.app.size.height
        if len(self.lines) > height and width >= self.size.width > 0:
            # The lines will not fit: the vertical scrollbar is coming and takes its columns;
            # built for the width left, they never scroll sideways.
            width = max(20, width - self.styles.scrollbar_size_vertical)
            self.lines = self.build(width)
        self._built_for = width
        self._cache.clear()
        widest = max((l.cell_len for l in self.lines[:5000]), default=0)
        self.virtual_size = Size(max(widest, width), len(self.lines))
        self.refresh()

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._built_for:
            self.rebuild()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        i = round(self.scroll_y) + y
        if i >= len(self.lines):
            return Strip.blank(width, self.rich_style)
        current = i == self.found and (self.cursor_lines or bool(self.term))
        key = (i, self._built_for, self.term, current)
        strip = self._cache.get(key)
        if strip is None:
            line = self.lines[i]
            if self.term and self.term.lower() in line.plain.lower():
                line = line.copy()
                low, tl = line.plain.lower(), self.term.lower()
                at = low.find(tl)
                while at >= 0:
                    line.stylize(Style(reverse=True, bold=True), at, at + len(tl))
                    at = low.find(tl, at + len(tl))
            if current:
                line = line.copy()
                line.stylize(Style(underline=True, bold=True))
                if self.cursor_lines:
                    line.stylize(Style(reverse=True))
            segs = list(line.render(self.app.console))
            # Text.render leaves a line's own style off the segments when it has no spans (the
            # follow screen's direction colours were lost that way): put it under every segment.
            base = self.rich_style + self.app.console.get_style(line.style) if line.style else self.rich_style
            strip = Strip([Segment(s.text.replace("\n", ""), base + s.style if s.style else base)
                           for s in segs])
            self._cache[key] = strip
        x = round(self.scroll_x)
        return strip.crop(x, x + width).extend_cell_length(width, self.rich_style)


class SearchInput(Input):
    """The search line of a follow / ladder screen: Enter finds, Escape closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close search", show=False, id="search.close"),
    ]

    def action_close(self) -> None:
        self.screen.close_search()


def lay_out_title(parts: list, width: int, sep: str = "   ") -> Text:
    """``parts`` (Text, or None for a line break) joined by ``sep``, a line broken between two
    parts where the next would pass ``width``."""
    out = Text()
    line = 0
    for part in parts:
        if part is None:
            out.append("\n")
            line = 0
            continue
        if line and line + len(sep) + part.cell_len > width:
            out.append("\n")
            line = 0
        elif line:
            out.append(sep)
            line += len(sep)
        out.append_text(part)
        line += part.cell_len
    return out


class TitledScreen(Screen):
    """A full screen with a title line, a LinesView and the footer; Escape/q go back; / searches."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back", id="screen.back"),
        Binding("slash", "search", "Search", id="screen.search"),
        Binding("n", "find(1)", "Next match", id="screen.next_match"),
        Binding("N", "find(-1)", "Previous match", show=False, id="screen.prev_match"),
    ]
    # The footer's keys by importance (FittedFooter): what does not fit the width is left to ?.
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ("screen.back", "screen.search", "screen.next_match")
    DEFAULT_CSS = """
    TitledScreen > #title { height: auto; background: $panel; color: $foreground; padding: 0 1; }
    TitledScreen > LinesView { height: 1fr; }
    TitledScreen > #search-box { height: 1; display: none; background: $panel; }
    TitledScreen > #search-box.-open { display: block; }
    TitledScreen #search-label { width: auto; background: $panel; text-style: bold; }
    TitledScreen SearchInput { width: 1fr; }
    TitledScreen > #search-status { height: 1; background: $panel; color: $foreground 70%; padding: 0 1;
                                    display: none; }
    TitledScreen > #search-status.-shown { display: block; }
    """

    def __init__(self, title: Text | list, build: Callable[[int], list[Text]]) -> None:
        super().__init__()
        # A list: the title's parts (Text; None breaks the line), laid out for the width so that
        # a line breaks between two parts, never inside one ("✖▲" / "frame has findings").
        self.title_parts = title if isinstance(title, list) else None
        self.title_text = lay_out_title(self.title_parts, 200) if self.title_parts is not None else title
        self.build = build

    def on_resize(self, event) -> None:  # noqa: ANN001
        if self.title_parts is None:
            return
        title = lay_out_title(self.title_parts, event.size.width - 2)  # - 2: the title's padding
        if title.plain != self.title_text.plain:
            self.title_text = title
            self.query_one("#title", Static).update(title)

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal

        yield Static(self.title_text, id="title")
        yield LinesView(self.build, id="lines")
        with Horizontal(id="search-box"):
            yield Label("Search ", id="search-label")
            yield SearchInput(placeholder="text to find (Enter finds, n/N next/previous, Esc closes)",
                              compact=True, id="search-input")
        yield Static("", id="search-status")
        yield FittedFooter()

    def on_mount(self) -> None:
        lines = self.query_one(LinesView)
        lines.rebuild()
        lines.focus()

    def action_search(self) -> None:
        self.query_one("#search-box").add_class("-open")
        self.query_one(SearchInput).focus()

    def close_search(self) -> None:
        self.query_one("#search-box").remove_class("-open")
        self.query_one(LinesView).focus()

    @on(Input.Submitted, "#search-input")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        lines = self.query_one(LinesView)
        lines.found = -1
        self._report(event.value, lines.find(event.value, 1))
        self.close_search()

    def action_find(self, step: int) -> None:
        lines = self.query_one(LinesView)
        if not lines.term:
            self.action_search()
            return
        self._report(lines.term, lines.find(lines.term, step))

    def _report(self, term: str, line: int | None) -> None:
        status = self.query_one("#search-status", Static)
        lines = self.query_one(LinesView)
        if not term:
            status.remove_class("-shown")
            return
        if line is None:
            msg = Text(f"'{escape_text(term)}' not found", style=theme_style(self.app, "warning"))
        else:
            msg = Text(f"'{escape_text(term)}': line {line + 1} of {len(lines.lines)}, "
                       f"{lines.matches()} matching lines   (n / N: next / previous, /: new search)")
        status.update(msg)
        status.add_class("-shown")


def _printable_lines(data: bytes, wrap: int) -> list[str]:
    """Wireshark's ASCII view: printable bytes and newlines, '.' for the rest."""
    text = "".join(chr(b) if b in _PRINTABLE or b == 10 else "." for b in data if b != 13)
    out: list[str] = []
    for line in text.split("\n"):
        while len(line) > wrap:
            out.append(line[:wrap])
            line = line[wrap:]
        out.append(line)
    if out and out[-1] == "":
        out.pop()
    return out


def _hexdump_lines(data: bytes, base: int, per: int = 16) -> list[str]:
    out = []
    for i in range(0, len(data), per):
        chunk = data[i:i + per]
        hexpart = " ".join(f"{b:02x}" for b in chunk)
        out.append(f"{base + i:08x}  {hexpart:<{per * 3 - 1}}  " + "".join(chr(b) if b in _PRINTABLE else "." for b in chunk))
    return out


PLAIN_MAX_LINES = 200
HEX_MAX_LINES = 16


def is_text(data: bytes) -> bool:
    """Mostly printable (HTTP, SMTP...): shown as text; otherwise (certificates, tickets) as hex."""
    if not data:
        return True
    sample = data[:4096]
    good = sum(1 for b in sample if b in _PRINTABLE or b in (9, 10, 13))
    return good >= 0.9 * len(sample)


def plain_lines(data: bytes, wrap: int) -> list[str]:
    """Decrypted bytes of a TLS record: text as text, binary as a hex dump (never dot-garbage)."""
    if is_text(data):
        out = _printable_lines(data, wrap)
        if len(out) > PLAIN_MAX_LINES:
            out = out[:PLAIN_MAX_LINES] + [f"[… {len(out) - PLAIN_MAX_LINES} more lines]"]
        return out
    # 16 bytes a line take 75 columns; narrower, 8 (never cut by the screen's edge).
    out = _hexdump_lines(data[:16 * HEX_MAX_LINES], 0, 16 if wrap >= 75 else 8)
    if len(data) > 16 * HEX_MAX_LINES:
        out.append(f"[… {len(data) - 16 * HEX_MAX_LINES} more bytes (binary; the frame's hex pane has them all)]")
    return out


class FollowScreen(TitledScreen):
    """Follow TCP/UDP stream: both directions' bytes in order, client and server colours."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "toggle_hex", "ASCII / hex", id="follow.toggle_hex"),
        Binding("f", "filter_stream", "Filter on stream", id="follow.filter"),
    ]
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ("screen.back", "follow.toggle_hex", "follow.filter",
                                               "screen.search", "screen.next_match")
    MAX_BYTES = 4 << 20

    def __init__(self, conv: Conversation, chunks: list[Chunk], app_style) -> None:
        self.conv = conv
        self.chunks = chunks
        self.hex_mode = False
        sent = [sum(len(c.data) for c in chunks if c.direction == d) for d in (0, 1)]
        title = [
            Text(f"Follow {conv.stream.kind.upper()} stream {conv.stream.number}", "bold"),
            Text(f"{escape_text(conv.client)} → {escape_text(conv.server)}: {sent[0]} bytes", app_style("direction-client")),
            Text(f"{escape_text(conv.server)} → {escape_text(conv.client)}: {sent[1]} bytes", app_style("direction-server")),
            Text("(x: hex/ASCII, f: filter on this stream, Esc: back)", "dim")]
        self._style = app_style
        super().__init__(title, self._build)

    def _build(self, width: int) -> list[Text]:
        styles = (self._style("direction-client"), self._style("direction-server"))
        lines: list[Text] = []
        total = 0
        offsets = [0, 0]
        for c in self.chunks:
            if total > self.MAX_BYTES:
                lines.append(Text(f"[… display stops after {self.MAX_BYTES >> 20} MB]", style="dim"))
                break
            st = styles[c.direction]
            if c.missing:
                lines.append(Text(f"[{c.missing} bytes missing in capture]", style=st + Style(italic=True)))
                offsets[c.direction] += c.missing
                continue
            total += len(c.data)
            if self.hex_mode:
                # 16 bytes a line and the server's indent take 79 columns; narrower, 8.
                body = _hexdump_lines(c.data, offsets[c.direction], 16 if width >= 79 else 8)
                indent = "    " if c.direction else ""
                lines.extend(Text(indent + l, style=st) for l in body)
            else:
                # A gutter mark as well as the colour: the two sides stay apart without colour too.
                mark = "▶ " if c.direction == 0 else "◀ "
                lines.extend(Text(mark + l, style=st) for l in _printable_lines(c.data, max(20, width - 4)))
            offsets[c.direction] += len(c.data)
        if not lines:
            lines.append(Text("No payload in this stream.", style="dim"))
        return lines

    def action_toggle_hex(self) -> None:
        self.hex_mode = not self.hex_mode
        self.query_one(LinesView).rebuild()

    def action_filter_stream(self) -> None:
        self.app.pop_screen()
        self.app.apply_filter_text(self.conv.stream.filter_text())


class TlsStreamScreen(TitledScreen):
    """Follow TLS stream: the records of both directions in order, decrypted data where keys allow."""

    def __init__(self, conv: Conversation, records: list, app_style) -> None:
        self.conv = conv
        self.records = records
        self._style = app_style
        title = [Text(f"Follow TLS stream ({conv.stream.kind} stream {conv.stream.number})", "bold"),
                 Text(f"client {escape_text(conv.client)}", app_style("direction-client")),
                 Text(f"server {escape_text(conv.server)}", app_style("direction-server")),
                 Text(f"{len(records)} messages   (Esc: back)", "dim")]
        super().__init__(title, self._build)

    def _build(self, width: int) -> list[Text]:
        styles = (self._style("direction-client"), self._style("direction-server"))
        err = self._style("error")
        lines: list[Text] = []
        for frame, d, text, bad, plain in self.records:
            arrow = "client → server" if d == 0 else "server → client"
            line = Text(f"{frame:>7}  {arrow}  ", style=styles[d])
            line.append(escape_text(text), err if bad else styles[d] + Style(bold=True))
            lines.append(line)
            if plain:
                for l in plain_lines(plain, max(20, width - 12)):
                    lines.append(Text("           " + l, style=styles[d] + Style(dim=True)))
        if not lines:
            lines.append(Text("No TLS records in this stream (not TLS, or the decoder did not recognise it).",
                              style="dim"))
        return lines


def cut_middle(text: str, width: int) -> str:
    """``text`` in ``width`` cells, its middle cut ('…') when longer: both ends of an address stay."""
    if cell_len(text) <= width or width < 5:
        return text
    keep = width - 1
    return text[:keep - keep // 2] + "…" + text[len(text) - keep // 2:]


class LadderScreen(TitledScreen):
    """The handshake ladder: client and server columns, one line per message; Enter selects
    the message's frame in the main view."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_frame", "Select this frame", id="ladder.select"),
    ]
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ("screen.back", "ladder.select", "screen.search", "screen.next_match")
    HEAD_LINES = 2  # the client/server heading and the lanes' top

    def __init__(self, conv: Conversation, steps: list[LadderStep], flagged: dict[int, str], app_style) -> None:
        self.conv = conv
        self.steps = steps
        self.flagged = flagged
        self._style = app_style
        first = conv.frames[0] if conv.frames else 0
        # The legend is drawn with the very styles of the lines (so colours match it).
        title = [Text(f"Ladder of {conv.stream.kind.upper()} stream {conv.stream.number}", "bold"),
                 Text.assemble(("client → server", self.client_style), "  ", ("server → client", self.server_style),
                               "  ", ("✖ alert / reset", self.bad_style), "  ",
                               ("✖▲ frame has findings", self.flag_style)),
                 None, Text(f"time: seconds since frame {first}, the stream's first frame", "dim"),
                 Text("↑↓ move, Enter: select the frame, Esc: back", "dim")]
        super().__init__(title, self._build)

    @property
    def client_style(self) -> Style:
        return self._style("direction-client")

    @property
    def server_style(self) -> Style:
        return self._style("direction-server")

    @property
    def bad_style(self) -> Style:
        return self._style("error") + Style(bold=True, reverse=True)

    @property
    def flag_style(self) -> Style:
        return self._style("error") + Style(bold=True)

    def _build(self, width: int) -> list[Text]:
        cs, ss = self.client_style, self.server_style
        left = 19  # "  frame    time   " gutter
        lane = max(30, width - left - 1)
        client, server = escape_text(self.conv.client), escape_text(self.conv.server)
        head = Text(f"{'frame':>7} {'t+ (s)':>10} ", style="dim")
        cname, sname = f"client {client}", f"server {server}"
        pad = lane - cell_len(cname) - cell_len(sname)
        if pad >= 1:  # both names on the heading line
            head.append(cname, cs + Style(bold=True))
            head.append(" " * pad)
            head.append(sname, ss + Style(bold=True))
            top = Text(" " * left + "│" + " " * (lane - 2) + "│", style="dim")
        else:  # long (IPv6) names: the server's goes on the lanes' top line, right-aligned
            head.append(cut_middle(cname, lane), cs + Style(bold=True))
            sname = cut_middle(sname, lane - 4)
            top = Text(" " * left + "│", style="dim")
            top.append(" " * max(1, lane - 3 - cell_len(sname)))
            top.append(sname, ss + Style(bold=True))
            top.append(" │", "dim")
        lines = [head, top]
        for s in self.steps:
            msg = escape_text(", ".join(s.messages))
            if s.bad:
                msg = "✖ " + msg
            room = lane - 4
            if cell_len(msg) > room:
                msg = msg[:max(1, room - 1)] + "…"
            mark = {"error": "✖", "warning": "▲"}.get(self.flagged.get(s.frame, ""), " ")
            line = Text(f"{mark}{s.frame:>6} {s.time:>10.6f} ", style=self.flag_style if mark != " " else "dim")
            style = self.bad_style if s.bad else (cs if s.direction == 0 else ss)
            dashes = "─" * max(1, lane - cell_len(msg) - 3)
            if s.direction == 0:
                line.append(msg, style)
                line.append(f" {dashes}▶", cs)
            else:
                line.append(f"◀{dashes} ", ss)
                line.append(msg, style)
            lines.append(line)
        if len(lines) == 2:
            lines.append(Text("No messages in this stream.", style="dim"))
        return lines

    def on_mount(self) -> None:
        super().on_mount()
        view = self.query_one(LinesView)
        view.cursor_lines = True
        view.found = self.HEAD_LINES if self.steps else -1
        view.refresh()

    def selected_step(self) -> LadderStep | None:
        i = self.query_one(LinesView).found - self.HEAD_LINES
        return self.steps[i] if 0 <= i < len(self.steps) else None

    def action_select_frame(self) -> None:
        step = self.selected_step()
        if step is None:
            return
        self.app.pop_screen()
        self.app.jump_to_frame(step.frame)


class GotoScreen(ModalScreen[int]):
    """Ctrl+G: go to a frame number."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="goto.cancel")]
    DEFAULT_CSS = """
    GotoScreen { align: center middle; }
    GotoScreen > Vertical { width: 44; height: auto; border: round $primary; background: $panel; padding: 0 1; }
    """

    def __init__(self, last: int) -> None:
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Go to frame (1–{self.last}):")
            yield Input(type="integer", id="goto-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            self.dismiss(int(event.value))
        except ValueError:
            self.app.bell()

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key binding, read from the widgets' BINDINGS (so it cannot go stale)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark,f1", "close", "Close",
                                                     id="help.close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Vertical { width: 90%; height: 90%; border: round $primary; background: $panel; }
    HelpScreen #help-title { padding: 0 1; text-style: bold; }
    HelpScreen DataTable { height: 1fr; }
    """

    def __init__(self, sections: list[tuple[str, list]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("tlstui keys — Esc closes.  Ctrl+P opens the command palette with every action.",
                         id="help-title")
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Keys", "Does", "Binding id")
        for where, bindings in self.sections:
            for b in bindings:
                keys = ", ".join(self.app.get_key_display(b.with_key(k)) if hasattr(b, "with_key") else k
                                 for k in b.key.split(","))
                table.add_row(where, keys, b.description or b.action, b.id or "")
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)


def style_getter(app):
    return lambda name: theme_style(app, name)


class CompareScreen(TitledScreen):
    """A retransmission beside the original: the same sequence numbers, differing bytes marked."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open_frame('original')", "Go to the original", id="compare.original"),
        Binding("r", "open_frame('resent')", "Go to the resend", id="compare.resent"),
    ]
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ("screen.back", "compare.original", "compare.resent",
                                               "screen.search", "screen.next_match")

    def __init__(self, cmp, app_style) -> None:
        self.cmp = cmp
        self._style = app_style
        lo, hi = cmp.diff_range
        title = [
            Text(f"Retransmission in frame {cmp.frame} against the original in frame {cmp.original_frame}", "bold"),
            Text(f"{len(cmp.diffs)} of {cmp.overlap[1] - cmp.overlap[0]} overlapping bytes differ"
                 + (f" (payload offsets {lo}–{hi - 1})" if cmp.diffs else ""), app_style("error")),
            None, Text("o: go to the original, r: go to the resend, /: search, Esc: back", "dim")]
        super().__init__(title, self._build)

    def _build(self, width: int) -> list[Text]:
        c = self.cmp
        per = 16 if width >= 2 * (16 * 3) + 14 else 8
        bad = self._style("error") + Style(bold=True, reverse=True)
        orig_st, new_st = self._style("direction-client"), self._style("direction-server")
        diffs = set(c.diffs)
        head = Text(f"{'offset':<8}")
        head.append(f"{'frame ' + str(c.original_frame) + ' (original)':<{per * 3 + 2}}", orig_st + Style(bold=True))
        head.append(f"frame {c.frame} (resend)", new_st + Style(bold=True))
        lines = [head]
        lo, hi = c.overlap
        for row in range(0, len(c.resent), per):
            t = Text(f"{row:06x}  ", style="dim")
            for side, data, st in ((0, c.original, orig_st), (1, c.resent, new_st)):
                for i in range(row, row + per):
                    if i >= len(c.resent):
                        t.append("   ")
                        continue
                    known = side == 1 or lo <= i < hi
                    cell = f"{data[i]:02x}" if known and i < len(data) else "··"
                    t.append(cell, bad if i in diffs else st)
                    t.append(" ")
                t.append(" ")
            if diffs.intersection(range(row, row + per)):
                t.append("◀ differs", self._style("error"))
            lines.append(t)
        if not c.resent:
            lines.append(Text("The resend carries no captured payload.", style="dim"))
        return lines

    def on_mount(self) -> None:
        super().on_mount()
        lines = self.query_one(LinesView)
        if self.cmp.diffs:  # open on the first differing row
            per = 16 if lines.scrollable_content_region.width >= 110 else 8
            lines.found = 1 + self.cmp.diffs[0] // per
            lines.cursor_lines = True
            lines._show_line(lines.found)

    def action_open_frame(self, which: str) -> None:
        n = self.cmp.original_frame if which == "original" else self.cmp.frame
        self.app.pop_screen()
        self.app.jump_to_frame(n)
