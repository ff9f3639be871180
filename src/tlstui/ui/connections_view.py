"""The connections view: one row per TLS, DTLS and QUIC connection (``tlstui connections`` in the TUI).

The table comes from ``tlstui.connections`` (computed once per session, after the analysis pass),
built in a thread worker and handed to the screen as one immutable message; sorting and the text
filter work on that immutable table (``ConnectionTable.sorted`` / ``matching``) on the UI thread,
which is a few milliseconds for thousands of connections.  Enter closes the screen with the chosen
connection: the app applies its ``tcp.stream eq N`` / ``udp.stream eq N`` to the frame list.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from ..safe_text import escape_text
from .colors import theme_style
from .footer import FittedFooter
from .screens import cut_middle

# Theme colour of each outcome (connections.OUTCOMES); rows that did not end well are coloured whole.
OUTCOME_STYLE = {"alert": "error", "reset": "warning", "incomplete": "warning", "open": "accent", "ok": "success"}
WHOLE_ROW = {"alert", "reset", "incomplete"}


def _cn(subject: str | None) -> str:
    if not subject:
        return "-"
    for part in subject.split(","):
        part = part.strip()
        if part.startswith("CN="):
            return part[3:]
    return subject


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def _expiry(ts: float | None) -> str:
    from ..connections import iso_time

    return (iso_time(ts) or "-")[:10]


def _stream(c) -> str:  # noqa: ANN001
    return f"{c.transport}/{c.stream}" + (f"#{c.quic_connection}" if c.quic_connection is not None else "")


@dataclass(frozen=True)
class Column:
    """One column: its title, the ``SORT_KEYS`` name it sorts by, its cell text, and the widest
    its cells grow at a narrow (< 120) and a wide terminal (longer values end in '…')."""

    key: str
    title: str
    sort: str
    cell: Callable
    narrow: int
    wide: int
    right: bool = False


# The columns most needed at 80 columns come first; the detail line shows every value in full.
COLUMNS: tuple[Column, ...] = (
    Column("stream", "Stream", "stream", _stream, 7, 9),
    Column("outcome", "Outcome", "outcome", lambda c: c.outcome_text, 16, 34),
    Column("server", "Server", "server", lambda c: c.server, 21, 40),
    Column("sni", "SNI", "sni", lambda c: c.sni or "-", 18, 32),
    Column("client", "Client", "client", lambda c: c.client, 21, 40),
    Column("version", "Version", "version", lambda c: c.version or "-", 8, 9),
    Column("cipher", "Cipher", "cipher", lambda c: c.cipher or "-", 16, 40),
    Column("alpn", "ALPN", "alpn", lambda c: c.alpn or "-", 8, 12),
    Column("cert", "Certificate", "cert_subject", lambda c: _cn(c.cert_subject), 18, 32),
    Column("expires", "Expires", "cert_not_after", lambda c: _expiry(c.cert_not_after), 10, 10),
    Column("handshake", "HS ms", "handshake_duration", lambda c: _ms(c.handshake_duration), 8, 9, right=True),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"


# Which columns stay when the width does not hold them all (the detail lines show every value).
PRIORITY = ("stream", "outcome", "server", "sni", "version", "cipher", "alpn", "client", "handshake",
            "cert", "expires")
FULL = {"stream", "outcome"}  # never cut (up to their ``wide`` limit): how the connection ended
SQUEEZE = {"server", "sni"}  # cut to the room left rather than left out
PADDING = 2  # DataTable's cell padding, one column each side
SCROLLBAR = 2  # the vertical scrollbar, when the rows do not fit


def fit_columns(cells: list[tuple[str, ...]], width: int, sorted_by: str = "", scrollbar: bool = False,
                ) -> dict[str, int]:
    """The columns shown at ``width`` and their widths.

    Each column is as wide as its longest cell (and its title, with the sort mark on the sorted
    one), up to its ``wide`` limit.  When they do not all fit: in ``PRIORITY`` order a column gets
    its full width (``FULL``) or up to its ``narrow`` limit, a ``SQUEEZE`` column the room left,
    the others are left out when they do not fit; the room left then widens the kept ones towards
    their longest cell, a column at a time each, in priority order.  Never wider than ``width``:
    no horizontal scroll."""
    room = max(20, width - (SCROLLBAR if scrollbar else 0))
    natural = {}
    for i, col in enumerate(COLUMNS):
        longest = max((len(r[i]) for r in cells), default=1)
        title = len(col.title) + (2 if col.sort == sorted_by else 0)
        natural[col.key] = max(title, min(longest, col.wide))
    if sum(w + PADDING for w in natural.values()) <= room:
        return natural
    out: dict[str, int] = {}
    used = 0
    for key in PRIORITY:
        col = COLUMN_BY_KEY[key]
        title = len(col.title) + (2 if col.sort == sorted_by else 0)
        w = natural[key] if key in FULL else max(title, min(natural[key], col.narrow))
        if used + w + PADDING > room and key in SQUEEZE:
            w = room - used - PADDING
            if w < 8:
                continue
        if used + w + PADDING <= room:
            out[key] = w
            used += w + PADDING
    # The room left, a column at a time to each kept column still cut, in priority order (the
    # server's address does not take it all from the SNI).
    while used < room:
        grew = False
        for key in PRIORITY:
            if key in out and used < room and out[key] < natural[key]:
                out[key] += 1
                used += 1
                grew = True
        if not grew:
            break
    return out


def row_cells(c) -> tuple[str, ...]:  # noqa: ANN001
    """Every column's text of one connection, escaped (packet text never reaches the terminal raw)."""
    return tuple(escape_text(str(col.cell(c))) for col in COLUMNS)


def detail_text(c) -> str:  # noqa: ANN001
    """Everything about one connection in a few lines (the table cuts long values)."""
    if c is None:
        return ""
    cert = f"{c.cert_subject} (expires {_expiry(c.cert_not_after)})" if c.cert_subject else "no certificate seen"
    hs = f"handshake {c.handshake}" + (f" in {_ms(c.handshake_duration)} ms" if c.handshake_duration is not None
                                       else "")
    lines = [
        f"{c.protocol.upper()} {c.filter}: {c.client} → {c.server}, frames {c.first_frame}-{c.last_frame} "
        f"({c.frames}), {c.bytes_client_to_server} B → / {c.bytes_server_to_client} B ←",
        f"SNI {c.sni or '-'}  {c.version or '-'}  {c.cipher or '-'}  ALPN {c.alpn or '-'}; {hs}",
        cert,
        f"{c.outcome_text}: {c.ended}",
    ]
    return "\n".join(escape_text(line) for line in lines)


class ConnectionsBuilt(Message):
    """The worker's result: the session's ``ConnectionTable`` (immutable), or why there is none."""

    def __init__(self, table, cells: dict, error: str = "") -> None:  # noqa: ANN001
        super().__init__()
        self.table, self.cells, self.error = table, cells, error


class ConnectionsTable(DataTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next connection", show=False, id="connections.down"),
        Binding("k", "cursor_up", "Previous connection", show=False, id="connections.up"),
    ]


class ConnectionFilter(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back to the table (the filter stays)", show=False, id="connections.leave"),
    ]

    def action_leave(self) -> None:
        self.screen.query_one(ConnectionsTable).focus()


class ConnectionsScreen(Screen):
    """Every connection of the capture; Enter shows its frames in the frame list.

    ``dismiss(connection)`` hands the chosen one to the app (None: nothing chosen)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back", id="connections.back"),
        Binding("slash", "focus_filter", "Filter rows", id="connections.filter"),
        Binding("o", "next_sort", "Sort by next column", id="connections.sort"),
        Binding("O", "reverse_sort", "Reverse sort", id="connections.reverse"),
    ]
    # The footer's keys by importance (FittedFooter): what does not fit the width is left to ?.
    FOOTER_ORDER: ClassVar[tuple[str, ...]] = ("connections.back", "connections.filter", "connections.sort",
                                               "connections.reverse")
    DEFAULT_CSS = """
    ConnectionsScreen > #conn-title { height: 1; background: $panel; color: $foreground; padding: 0 1; }
    ConnectionsScreen > #conn-filter-row { height: 1; background: $panel; }
    ConnectionsScreen #conn-filter-label { width: auto; background: $panel; text-style: bold; padding: 0 0 0 1; }
    ConnectionsScreen ConnectionFilter { width: 1fr; }
    ConnectionsScreen > ConnectionsTable { height: 1fr; background: $surface; }
    ConnectionsScreen > #conn-detail { height: auto; min-height: 4; max-height: 10; background: $panel;
                                       color: $foreground; padding: 0 1; }
    """

    POLL = 0.2  # seconds between two looks at the analysis while it runs
    # Above this many connections the text filter waits for a pause in typing (a refill of
    # 8,000 rows costs about a second: once per pause, not once per key).
    DEBOUNCE_ROWS = 1000
    ROWS_MAX = 1000
    DEBOUNCE = 0.3

    def __init__(self, name: str = "capture") -> None:
        super().__init__()
        self.capture_name = name
        self.table = None  # ConnectionTable, once built
        self.cells: dict = {}  # Connection.key -> row_cells
        self.sort_key = "stream"
        self.reverse = False
        self.text = ""
        self.shown: tuple = ()  # the connections in the table's rows, in row order
        self._poll = None
        self._building = False
        self._texts: dict = {}  # Connection.key -> its row's Text cells (for _texts_for)
        self._texts_for: tuple = ()  # (column widths, theme) the cached cells were made for
        self._width = 0  # the width the columns were fitted to
        self._filter_timer = None

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal
        from textual.widgets import Label

        yield Static(Text(f"Connections of {escape_text(self.capture_name)}", style="bold"), id="conn-title")
        with Horizontal(id="conn-filter-row"):
            yield Label("Filter ", id="conn-filter-label")
            yield ConnectionFilter(placeholder="text in any column (/ here, Esc back to the table)",
                                   compact=True, id="conn-filter")
        table = ConnectionsTable(id="conn-table", cursor_type="row", zebra_stripes=False)
        yield table
        yield Static(Text("analysing…", style="dim"), id="conn-detail")
        yield FittedFooter()

    def on_resize(self, event) -> None:  # noqa: ANN001
        if event.size.width != self._width:
            self._width = event.size.width
            self.refill()

    def on_mount(self) -> None:
        self.query_one(ConnectionsTable).focus()
        self._check_analysis()
        if not self._building:
            self._poll = self.set_interval(self.POLL, self._check_analysis)

    # --- building ---------------------------------------------------------------------------
    def _check_analysis(self) -> None:
        app = self.app
        if self._building:
            return
        if getattr(app, "session", None) is None or not app.analysis_done.is_set():
            done, total = getattr(app, "analysis_progress", (0, 0))
            pct = f" {100 * done // total}%" if total else ""
            self._say(Text(f"analysing…{pct}  (the connections are known when the analysis is done)",
                           style="dim"))
            return
        self._building = True
        if self._poll is not None:
            self._poll.stop()
            self._poll = None
        self._say(Text("building the connections…", style="dim"))
        self.run_worker(self._build_worker, thread=True, exclusive=True, group="connections",
                        name="connections", exit_on_error=False)

    def _build_worker(self) -> None:
        from ..connections import ConnectionTable, connections

        session = self.app.session
        try:
            table = connections(session)
        except Exception as e:  # a capture the table cannot read: say so, keep the app
            self.post_message(ConnectionsBuilt(ConnectionTable.of([]), {}, f"{type(e).__name__}: {e}"))
            return
        self.post_message(ConnectionsBuilt(table, {c.key: row_cells(c) for c in table}))

    def on_connections_built(self, message: ConnectionsBuilt) -> None:
        self.table = message.table
        self.cells = message.cells
        if message.error:
            self._say(Text(f"the connections could not be built: {escape_text(message.error)}",
                           style=theme_style(self.app, "error")))
        self.refill()

    def _say(self, text: Text) -> None:
        text.no_wrap = False
        self.query_one("#conn-detail", Static).update(text)

    # --- the rows -----------------------------------------------------------------------------
    def _widths(self, rows) -> dict[str, int]:  # noqa: ANN001
        """Each shown column's width, from the screen's width (see ``fit_columns``)."""
        cells = [self.cells.get(c.key) or row_cells(c) for c in rows]
        size = self.size if self.size.width else self.app.size
        # The rows the table shows: the screen less the title, filter, header, detail and footer.
        return fit_columns(cells, size.width, self.sort_key, scrollbar=len(rows) > size.height - 9)

    def _title(self, col: Column) -> Text:
        mark = ""
        if col.sort == self.sort_key:
            mark = " ▼" if self.reverse else " ▲"
        return Text(col.title + mark, style="bold")

    def refill(self) -> None:
        """Rows for the current sort and filter; the cursor stays on the connection it was on."""
        if self.table is None:
            return
        dt = self.query_one(ConnectionsTable)
        keep = self.current
        rows = self.table.sorted(self.sort_key, self.reverse) if self.sort_key != "stream" or self.reverse \
            else self.table.connections
        if self.text.strip():
            wanted = {c.key for c in self.table.matching(self.text)}
            rows = tuple(c for c in rows if c.key in wanted)
        matched = len(rows)
        # DataTable measures every row it holds: the first ROWS_MAX in this order (sorting and
        # the filter work on all of them).
        rows = rows[:self.ROWS_MAX]
        self.shown = rows
        widths = self._widths(rows)
        tag = (tuple(sorted(widths.items())), self.app.theme)
        if tag != self._texts_for:
            self._texts, self._texts_for = {}, tag
        styles = {o: theme_style(self.app, name) for o, name in OUTCOME_STYLE.items()}
        dt.clear(columns=True)
        for col in COLUMNS:
            if col.key in widths:
                dt.add_column(self._title(col), key=col.key, width=widths[col.key])
        texts = self._texts
        for i, c in enumerate(rows):
            cells = texts.get(c.key)
            if cells is None:
                cells = texts[c.key] = self._cells(c, widths, styles)
            dt.add_row(*cells, key=str(i))
        counts = self.table.counts()
        summary = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
        head = f"Connections of {escape_text(self.capture_name)}: {len(self.table)}"
        if summary:
            head += f" ({summary})"
        if self.text.strip():
            head += f"; {matched} match '{escape_text(self.text.strip())}'"
        if matched > len(rows):
            head += f"; the first {len(rows)} shown (sort with o/O or a header, narrow with /)"
        self.query_one("#conn-title", Static).update(Text(head, style="bold", no_wrap=True, overflow="ellipsis"))
        if keep is not None and keep in rows:
            dt.move_cursor(row=rows.index(keep), animate=False)
        if not len(self.table):
            self._say(Text("No TLS, DTLS or QUIC connections in this capture.", style="dim"))
        elif not rows:
            self._say(Text("No connection matches the filter.", style="dim"))
        else:
            self._explain(self.current)

    def _cells(self, c, widths: dict[str, int], styles: dict) -> list[Text]:  # noqa: ANN001
        cells = self.cells.get(c.key) or row_cells(c)
        style = styles.get(c.outcome) or theme_style(self.app, "foreground")
        out = []
        for col, text in zip(COLUMNS, cells):
            if col.key not in widths:
                continue
            # Addresses are cut in the middle: the port and the address's two ends stay.
            shown = cut_middle(text, widths[col.key]) if col.key in ("server", "client") else cut(text, widths[col.key])
            t = Text(shown, justify="right" if col.right else "left")
            if c.outcome in WHOLE_ROW or col.key in ("outcome", "stream"):
                t.stylize(style)
            if col.key == "outcome":
                t.stylize("bold")
            out.append(t)
        return out

    @property
    def current(self):  # noqa: ANN201
        """The connection under the cursor (None: no rows)."""
        if not self.shown:
            return None
        row = self.query_one(ConnectionsTable).cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _explain(self, c) -> None:  # noqa: ANN001
        if c is None:
            return
        t = Text(detail_text(c), overflow="fold")  # wrapped: every value in full
        self.query_one("#conn-detail", Static).update(t)

    @on(DataTable.RowHighlighted, "#conn-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.shown):
            self._explain(self.shown[event.cursor_row])

    @on(DataTable.RowSelected, "#conn-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if 0 <= event.cursor_row < len(self.shown):
            self.dismiss(self.shown[event.cursor_row])

    # --- sorting and filtering ----------------------------------------------------------------
    def sort_by(self, sort_key: str, reverse: bool | None = None) -> None:
        """Sort by one of ``connections.SORT_KEYS``; the same key again reverses the order."""
        if reverse is None:
            reverse = not self.reverse if sort_key == self.sort_key else False
        self.sort_key, self.reverse = sort_key, reverse
        self.refill()

    @on(DataTable.HeaderSelected, "#conn-table")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        col = COLUMN_BY_KEY.get(str(event.column_key.value))
        if col is not None:
            self.sort_by(col.sort)

    def action_next_sort(self) -> None:
        sorts = [c.sort for c in COLUMNS]
        i = sorts.index(self.sort_key) if self.sort_key in sorts else -1
        self.sort_by(sorts[(i + 1) % len(sorts)], False)

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort_key, not self.reverse)

    def action_focus_filter(self) -> None:
        self.query_one(ConnectionFilter).focus()

    @on(Input.Changed, "#conn-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.text = event.value
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        if self.table is not None and len(self.table) > self.DEBOUNCE_ROWS:
            self._filter_timer = self.set_timer(self.DEBOUNCE, self._filter_pause)
        else:
            self.refill()

    def _filter_pause(self) -> None:
        self._filter_timer = None
        self.refill()

    @on(Input.Submitted, "#conn-filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._filter_timer is not None:  # Enter applies a filter still waiting for the pause
            self._filter_pause()
        self.query_one(ConnectionsTable).focus()

    def action_close(self) -> None:
        self.dismiss(None)
