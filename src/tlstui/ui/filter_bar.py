"""The display-filter bar: validity as you type (with the column), field-name completion,
history across runs.  Enter applies (an empty bar shows every frame), Ctrl+L clears, Escape
leaves the bar and keeps the applied filter."""
from __future__ import annotations

import re
from os.path import commonprefix
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..safe_text import escape_text
from .colors import theme_style
from .settings import FilterHistory

try:
    from ..filter import check_filter, complete_field
except ImportError:  # pragma: no cover - the filter package is written beside the UI
    check_filter = None  # type: ignore[assignment]
    complete_field = None  # type: ignore[assignment]

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*$")
PROMPT = "Filter "


def field_candidates(prefix: str, limit: int = 200) -> list[str]:
    if complete_field is not None:
        return complete_field(prefix, limit=limit)
    from ..registry import REGISTRY

    return [s.name for s in REGISTRY.with_prefix(prefix)][:limit]


def last_word(value: str) -> str:
    m = _WORD.search(value)
    if not m:
        return ""
    # A word right after a digit or a quote is part of a literal (0x1a, "ab"), not a field name.
    start = m.start()
    if start and (value[start - 1].isalnum() or value[start - 1] in "\"'"):
        return ""
    return m.group()


class FieldSuggester(Suggester):
    """Completes the field name being typed at the end of the filter (ghost text; Tab/→ accept)."""

    def __init__(self) -> None:
        super().__init__(use_cache=True, case_sensitive=True)

    async def get_suggestion(self, value: str) -> str | None:
        word = last_word(value)
        if not word:
            return None
        names = field_candidates(word, limit=2)
        if not names or names[0] == word:
            return None
        return value[:len(value) - len(word)] + names[0]


def field_description(name: str) -> str:
    from ..registry import REGISTRY

    spec = REGISTRY.get(name.rstrip("("))
    if spec is not None:
        return spec.description
    return "function" if name.endswith("(") else ""


class CompletionList(OptionList):
    """The field names that complete the word being typed, each with its description; drawn
    over the frame list under the bar (Tab / Shift+Tab / arrows move, Enter takes, Esc closes)."""

    DEFAULT_CSS = """
    CompletionList { overlay: screen; display: none; height: auto; max-height: 12; width: 100%;
                     border: round $primary; background: $panel; padding: 0 1; }
    CompletionList.-open { display: block; }
    """
    can_focus = False


class FilterInput(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "complete(1)", "Complete field name / next candidate", show=False, priority=True,
                id="filter.complete"),
        Binding("shift+tab", "complete(-1)", "Previous candidate", show=False, priority=True,
                id="filter.complete_back"),
        Binding("up", "history(-1)", "Older filter", show=False, id="filter.history_back"),
        Binding("down", "history(1)", "Newer filter", show=False, id="filter.history_forward"),
        Binding("escape", "leave", "Leave the bar (keeps the applied filter)", show=False, id="filter.leave"),
        Binding("ctrl+l", "clear_filter", "Clear the filter (every frame)", show=False, id="filter.clear"),
    ]

    def __init__(self, history: FilterHistory, **kwargs) -> None:
        super().__init__(placeholder="display filter, e.g. tcp.stream eq 3 and tls.alert_message  (/ to edit)",
                         suggester=FieldSuggester(), compact=True, **kwargs)
        self.history = history
        self._hist_pos: int | None = None

    @property
    def bar(self) -> "FilterBar":
        return next(a for a in self.ancestors if isinstance(a, FilterBar))

    def action_complete(self, step: int = 1) -> None:
        bar = self.bar
        if bar.completing:
            bar.move_completion(step)
            return
        value = self.value[:self.cursor_position]
        word = last_word(value)
        if not word:
            if step > 0:
                self.app.action_focus_next()
            else:
                self.app.action_focus_previous()
            return
        names = field_candidates(word)
        if not names:
            self.app.bell()
            return
        start = len(value) - len(word)
        if len(names) == 1:
            self.replace_word(start, names[0])
            return
        prefix = commonprefix(names)
        if len(prefix) > len(word):
            self.replace_word(start, prefix)
        bar.open_completion(names, start)

    def replace_word(self, start: int, new: str) -> None:
        """Put ``new`` in place of the word from ``start`` to the cursor."""
        self.value = self.value[:start] + new + self.value[self.cursor_position:]
        self.cursor_position = start + len(new)

    def action_history(self, step: int) -> None:
        if self.bar.completing:
            self.bar.move_completion(step)
            return
        items = self.history.items
        if not items:
            return
        pos = len(items) if self._hist_pos is None else self._hist_pos
        pos = max(0, min(len(items), pos + step))
        self._hist_pos = pos
        self.value = items[pos] if pos < len(items) else ""
        self.cursor_position = len(self.value)
        self._hist_pos = pos  # setting value resets it in the Changed handler

    def action_clear_filter(self) -> None:
        self.post_message(FilterBar.Cleared())

    def on_blur(self) -> None:
        try:
            if self.bar.completing:
                self.bar.close_completion()
        except Exception:  # torn down
            pass

    def action_leave(self) -> None:
        if self.bar.completing:
            self.bar.close_completion()
            return
        self.post_message(FilterBar.Left())


class FilterBar(Vertical):
    """Input plus a status line: valid, or the error with a caret under its column."""

    DEFAULT_CSS = """
    FilterBar { height: 2; background: $panel; }
    FilterBar > Horizontal { height: 1; }
    FilterBar Label#filter-prompt { width: auto; color: $foreground; text-style: bold; background: $panel; }
    FilterBar FilterInput { width: 1fr; }
    FilterBar FilterInput.-valid { background: $success 15%; }
    FilterBar FilterInput.-invalid { background: $error 20%; }
    FilterBar #filter-status { height: 1; background: $panel; color: $foreground 70%; }
    """

    class Applied(Message):
        """Enter in the bar: apply this filter text."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Cleared(Message):
        """Ctrl+L in the bar: show every frame."""

    class Left(Message):
        """Escape in the bar: back to the frame list, the applied filter unchanged."""

    def __init__(self, history: FilterHistory | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.history = history or FilterHistory()
        self.error = None
        self.applied = ""  # the filter the frame list shows (set by the app)
        self.completing = False  # the candidate list is open
        self._comp_start = 0
        self._comp_names: list[str] = []
        self._filled: set[str] = set()

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(PROMPT, id="filter-prompt")
            yield FilterInput(self.history, id="filter-input")
        yield Static("", id="filter-status")
        yield CompletionList(id="filter-completions")

    @property
    def completions(self) -> CompletionList:
        return self.query_one(CompletionList)

    def open_completion(self, names: list[str], start: int) -> None:
        self._comp_names = list(names)
        self._comp_start = start
        ol = self.completions
        ol.clear_options()
        width = max(len(n) for n in names)
        ol.add_options(Option(Text.assemble((n.ljust(width), "bold"), "  ",
                                            (escape_text(field_description(n)), "dim")), id=n) for n in names)
        ol.highlighted = None
        ol.add_class("-open")
        self.completing = True
        self.status.update(Text(" " * len(PROMPT) + f"{len(names)} candidates — Tab / Shift+Tab / ↑↓ choose, "
                                "Enter takes, Esc closes", style="dim"), layout=False)

    def move_completion(self, step: int) -> None:
        ol = self.completions
        n = len(self._comp_names)
        if not n:
            return
        h = ol.highlighted
        h = (0 if step > 0 else n - 1) if h is None else (h + step) % n
        ol.highlighted = h
        self.input.replace_word(self._comp_start, self._comp_names[h])
        self._filled.add(self.input.value)  # its Changed message comes later (keys may be quicker): not typing

    def close_completion(self) -> None:
        self.completing = False
        self._filled = set()
        self.completions.remove_class("-open")
        self.validate_text(self.input.value)

    @property
    def input(self) -> FilterInput:
        return self.query_one(FilterInput)

    @property
    def status(self) -> Static:
        return self.query_one("#filter-status", Static)

    def set_text(self, text: str) -> None:
        self.input.value = text
        self.input.cursor_position = len(text)

    def note(self, text: Text | str) -> None:
        """Show a message in the status line (progress of an applied filter)."""
        if self.error is None:
            self.status.update(text)

    @on(Input.Changed, "#filter-input")
    def _changed(self, event: Input.Changed) -> None:
        inp = self.input
        if self.completing:
            if event.value in self._filled:
                return
            # Typing on: the list follows the word (and closes when nothing completes it).
            word = last_word(event.value[:inp.cursor_position])
            names = field_candidates(word) if word else []
            if len(names) > 1 and inp.cursor_position - len(word) == self._comp_start:
                self.open_completion(names, self._comp_start)
                return
            self.close_completion()
        if event.value and (inp._hist_pos is None or event.value != (
                self.history.items[inp._hist_pos] if inp._hist_pos < len(self.history.items) else "")):
            inp._hist_pos = None
        self.validate_text(event.value)

    def validate_text(self, value: str) -> None:
        inp = self.input
        err = check_filter(value) if check_filter is not None and value.strip() else None
        self.error = err
        inp.set_class(bool(value.strip()) and err is None, "-valid")
        inp.set_class(err is not None, "-invalid")
        cur = inp.cursor_position if inp.cursor_position <= len(value) else len(value)
        word = last_word(value[:cur])
        names = field_candidates(word, limit=8) if word else []
        if err is None and value.strip() and value.strip() == self.applied.strip():
            self.status.update(self.hint(value), layout=False)  # what is applied, first
            return
        if err is not None and names and names != [word] and err.column >= cur - len(word):
            # Still typing a field name: completions help more than "not a field".
            self._show_completions(names)
            return
        if err is not None:
            pad = len(PROMPT) + min(err.column, len(value))
            caret = "^" + "~" * (max(1, min(err.length, len(value) - err.column)) - 1)
            t = Text(" " * pad)
            t.append(caret + " ", theme_style(self.app, "error", bold=True))
            t.append(escape_text(f"{err.message} (column {err.column + 1})"), theme_style(self.app, "error"))
            self.status.update(t, layout=False)
            return
        if names and names != [word]:
            self._show_completions(names)
            return
        self.status.update(self.hint(value), layout=False)

    def hint(self, value: str) -> Text:
        """The line under a valid (or empty) bar: what is applied and what Enter would do."""
        pad = " " * len(PROMPT)
        applied = self.applied.strip()
        if value.strip() and value.strip() == applied:
            return Text(pad + "✓ applied — Ctrl+L clears, Esc goes back to the frames", style=theme_style(
                self.app, "success"))
        if value.strip():
            tail = f" (applied now: {applied})" if applied else ""
            return Text(pad + "✓ valid filter — Enter applies" + escape_text(tail), style=theme_style(
                self.app, "success"))
        if applied:
            return Text(pad + escape_text(f"applied: {applied} — Enter on the empty bar (or Ctrl+L) shows every frame"),
                        style=theme_style(self.app, "accent"))
        return Text(pad + "no filter: every frame shown", style="dim")

    def _show_completions(self, names: list[str]) -> None:
        more = " …" if len(names) == 8 else ""
        self.status.update(Text(" " * len(PROMPT) + "Tab completes: " + "  ".join(names) + more, style="dim"),
                           layout=False)

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.completing:  # Enter takes the candidate; the next Enter applies
            ol = self.completions
            if ol.highlighted is not None:
                self.input.replace_word(self._comp_start, self._comp_names[ol.highlighted])
            self.close_completion()
            return
        if self.error is not None:
            self.app.bell()
            return
        if event.value.strip():
            self.history.add(event.value)
        self.input._hist_pos = None
        self.post_message(self.Applied(event.value))

    def on_filter_bar_cleared(self, event: "FilterBar.Cleared") -> None:
        self.set_text("")
        self.validate_text("")

    def set_applied(self, text: str) -> None:
        self.applied = text
        self.validate_text(self.input.value)

    def on_filter_bar_left(self, event: "FilterBar.Left") -> None:
        # The bar shows what is applied again (an edit not applied is dropped, as in Wireshark).
        self.set_text(self.applied)
        self.validate_text(self.applied)
