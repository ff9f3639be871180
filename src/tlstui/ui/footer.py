"""The footer of a screen pushed over the main one (follow, ladder, compare, connections, IO graph).

Textual's Footer shows every active binding with ``show=True``, the app's included, and cuts what
does not fit ("…f F", "…Connecti").  ``FittedFooter`` shows the screen's own keys (those of the
screen and of the focused widget, not the app's: the main screen's "f Findings" means nothing over
a follow view) in the screen's order of importance (``FOOTER_ORDER``, binding ids; keys not listed
follow in their declaration order), then "? Help", and stops at the first key that does not fit the
width, as the main screen's footer does (``TlsTuiApp._fit_footer``).  What is left out is in the
help (?) and the command palette.
"""
from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE_COST = 14  # "^p palette" at the right end


def key_cost(app, binding: Binding) -> int:  # noqa: ANN001
    """Columns one key takes in the footer: " key description " and the gap (as app._fit_footer)."""
    return len(app.get_key_display(binding)) + len(binding.description) + 3


def fitted(screen, app, width: int) -> list[tuple[Binding, bool, str]]:  # noqa: ANN001
    """The bindings a pushed screen's footer shows at ``width`` columns, most important first."""
    order = list(getattr(screen, "FOOTER_ORDER", ()))
    own: list[tuple[Binding, bool, str]] = []
    help_b = None
    seen_actions: set[str] = set()
    for node, binding, enabled, tooltip in screen.active_bindings.values():
        if node is app:
            if binding.action == "help" and help_b is None:
                help_b = (binding, enabled, tooltip)
            continue
        if not binding.show or binding.action in seen_actions:
            continue
        seen_actions.add(binding.action)
        own.append((binding, enabled, tooltip))

    def rank(pair) -> tuple[int, int]:  # noqa: ANN001
        i, (b, _, _) = pair
        return (order.index(b.id) if b.id in order else len(order), i)

    own = [item for _, item in sorted(enumerate(own), key=rank)]
    if help_b is not None:
        own.append(help_b)
    out = []
    used = PALETTE_COST
    for item in own:
        cost = key_cost(app, item[0])
        if used + cost > width:
            break  # the rest, less important, is left to ? and Ctrl+P
        out.append(item)
        used += cost
    return out


class FittedFooter(Footer):
    """A pushed screen's footer: its own keys by importance, as many as fit, never cut."""

    _fitted_width = 0

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        self._fitted_width = width
        shown = fitted(self.screen, self.app, width)
        self.styles.grid_size_columns = len(shown)
        for binding, enabled, tooltip in shown:
            yield FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            try:
                _node, binding, enabled, tooltip = self.screen.active_bindings[self.app.COMMAND_PALETTE_BINDING]
            except KeyError:
                return
            yield FooterKey(binding.key, self.app.get_key_display(binding), binding.description, binding.action,
                            classes="-command-palette", disabled=not enabled,
                            tooltip=binding.tooltip or binding.description)

    def on_resize(self, event) -> None:  # noqa: ANN001
        if event.size.width != self._fitted_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)
