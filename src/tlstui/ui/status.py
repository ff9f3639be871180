"""The status line and the app's messages: one message at a time, in the status line, never a
toast over the panes (a screen on top shows one toast at a time)."""
from __future__ import annotations

import os

from rich.text import Text
from textual.widgets import Static

from ..safe_text import escape_text
from .colors import severity_style, theme_style


FIXED_ANALYSIS_ENV = "TLSTUI_FIXED_ANALYSIS_SECONDS"


class StatusMixin:
    """TlsTuiApp's status line and notifications."""

    def shown_analysis_seconds(self) -> float:
        """The status line's "analysed in X s": the measured time, or $TLSTUI_FIXED_ANALYSIS_SECONDS
        when set (snapshot tests pin the one clock of the main screen with it)."""
        fixed = os.environ.get(FIXED_ANALYSIS_ENV, "")
        if fixed:
            try:
                return float(fixed)
            except ValueError:
                pass
        return self.analysis_seconds or 0.0

    def _on_main_screen(self) -> bool:
        try:
            return len(self.screen_stack) == 1
        except Exception:
            return False

    def _on_notify(self, event) -> None:
        n = event.notification
        if not self._on_main_screen():
            self._toast_id = n.identity  # one toast at a time over a follow / ladder screen
            self._notifications.add(n)
            self._refresh_notifications()
            return
        self._notifications.add(n)  # kept for the record; drawn in the status line, not as a toast
        msg = n.message
        if n.markup:
            try:
                msg = Text.from_markup(msg).plain
            except Exception:
                pass
        msg = " ".join(msg.split())
        if n.title:
            msg = f"{n.title}: {msg}"
        mark = {"error": "✖ ", "warning": "▲ "}.get(n.severity, "")
        style = {"error": "error", "warning": "warning"}.get(n.severity, "accent")
        self.message = (mark + msg, style)
        if self._message_timer is not None:
            self._message_timer.stop()
        self._message_timer = self.set_timer(max(1.0, n.timeout), self._message_expired)
        self._update_status()

    def _message_expired(self) -> None:
        self._message_timer = None
        self.message = None
        self._update_status()

    def _refresh_notifications(self) -> None:
        """Toasts: none on the main screen (its messages are in the status line); on a screen
        on top, only the last message raised there (not the main screen's, shown already)."""
        if not self._toasts_pending:  # a burst of messages draws once, with the last one
            self._toasts_pending = True
            self.call_after_refresh(self._show_toasts)

    def _show_toasts(self) -> None:
        from textual.notifications import Notifications
        from textual.widgets._toast import ToastRack

        self._toasts_pending = False
        try:
            rack = self.screen.get_child_by_type(ToastRack)
        except Exception:
            return
        shown = Notifications()
        if not self._on_main_screen():
            for n in self._notifications:
                if n.identity == self._toast_id:
                    shown.add(n)
        rack.show(shown)

    def _set_status(self, text: Text) -> None:
        text.no_wrap = True
        text.overflow = "ellipsis"
        status = self.query_one("#status", Static)
        # One line, never wrapped out of sight: a long message ends in '…' (Static wraps words).
        status.styles.text_wrap = "nowrap"
        status.styles.text_overflow = "ellipsis"
        status.update(text, layout=False)

    def _update_status(self) -> None:
        s = self.session
        if self.message is not None:
            msg, style = self.message
            t = Text(msg, theme_style(self, style, bold=True))
            n = self.frame_list.selected if s is not None else 0
            if n:
                t = Text.assemble((f"frame {n}  ", "bold"), t)
            self._set_status(t)
            return
        if s is None:
            return
        t = Text()
        narrow = self.size.width < 120  # 80 and 100 columns: the short forms, frame N in sight
        name = escape_text(self.display_name)
        room = max(16, self.size.width // 4)
        if narrow and len(name) > room:
            name = name[:room - 1] + "…"
        t.append(name, "bold")
        t.append(f"  {len(s):,} frames")
        if self.follow:
            state = {None: "following", True: "following the end", False: "not following the end (F)"}[self.follow_end]
            if narrow and self.follow_end is not None:
                state = "⇣end" if self.follow_end else "⇣off (F)"
            t.append(f"  {state}" + (" (re-reading…)" if self._follow_busy and not narrow else ""),
                     theme_style(self, "accent"))
            if self.live is not None and self.live_status:
                t.append("  ● " + escape_text(self.live_status_text(narrow)), theme_style(self, "warning"))
        shown = len(self.frame_list.view)
        if self.applied_filter:
            t.append(f"  shown {shown:,}", theme_style(self, "accent"))
        if self.filter_state:
            t.append(f"  {self.filter_state}", theme_style(self, "accent"))
        sort = self.sort_status()
        if sort:
            t.append(f"  {sort}", theme_style(self, "accent"))
        done, total = self.analysis_progress
        if not self.index_complete:
            t.append("  indexing…", theme_style(self, "warning"))
        elif self.analysis_seconds is not None:
            if not narrow:
                t.append(f"  analysed in {self.shown_analysis_seconds():.1f}s", "dim")
        elif total:
            pct = 100 * done // total
            bar = "█" * (pct // 10) + "░" * (10 - pct // 10)
            t.append(f"  analysing {bar} {pct}%" if not narrow else f"  analysing {pct}%",
                     theme_style(self, "warning"))
        if self.decryption is not None:
            d = self.decryption
            t.append("  🔑 " + escape_text(d.short() if not narrow else f"{d.decrypted}/{d.connections}"),
                     theme_style(self, "success" if d.decrypted else "warning"))
        if self.analysis_done.is_set():
            counts = {k: sum(1 for f in self.findings if f.severity == k) for k in ("error", "warning", "note")}
            if self.findings:
                t.append("  findings:")
                for k, label in (("error", "✖"), ("warning", "▲"), ("note", "•")):
                    if counts[k]:
                        t.append(f" {label}{counts[k]}", severity_style(self, k, bold=True))
            else:
                t.append("  no findings", "dim")
        n = self.frame_list.selected
        if n:
            tail = Text(f"  frame {n}", "bold")
            if n in self.frame_list.marked:
                tail.append(" ◆marked")
            # 'frame N' stays in sight: what does not fit before it is cut ('…'), not it.
            room = self.size.width - 2 - tail.cell_len
            if t.cell_len > room > 1:
                t.truncate(room, overflow="ellipsis")
            t.append_text(tail)
        self._set_status(t)
