"""Moving around: frame links (Enter on 'frame N', Backspace back), go to frame, and the walk
through the findings (n/N members in frame order, ]/[ the same kind, }/{ the groups)."""
from __future__ import annotations

from ..safe_text import escape_text
from .findings_pane import SEVERITY_RANK, FindingsPane
from .screens import GotoScreen


class NavigationMixin:
    """TlsTuiApp's jumps, back, go to frame and findings navigation."""

    def jump_to_frame(self, n: int) -> bool:
        """Follow a link to frame ``n`` (Backspace comes back)."""
        if self.session is None or not 1 <= n <= len(self.session):
            self.notify(f"There is no frame {n}.", severity="warning", markup=False)
            return False
        here = self.frame_list.selected
        if n == here:
            return True
        if not self.frame_list.select_frame(n):
            self.notify(f"Frame {n} is hidden by the filter (Ctrl+L in the filter bar clears it).",
                        severity="warning", markup=False)
            return False
        if here:
            self._back.append(here)
            del self._back[:-100]
        return True

    def action_back(self) -> None:
        while self._back:
            n = self._back.pop()
            if self.frame_list.select_frame(n):
                return
        self.notify("Nothing to go back to (Backspace returns after following a frame link).", markup=False)

    def action_goto(self) -> None:
        if self.session is None:
            return

        def done(n: int | None) -> None:
            if n is None:
                return
            if not 1 <= n <= len(self.session):
                self.notify(f"There is no frame {n} (1–{len(self.session)}).", severity="warning", markup=False)
            elif not self.frame_list.select_frame(n):
                self.notify(f"Frame {n} is hidden by the filter.", severity="warning", markup=False)
            else:
                self.frame_list.focus()

        self.push_screen(GotoScreen(len(self.session)), done)

    def _nav(self) -> list:
        return sorted(self.findings, key=lambda f: (f.frames[0] if f.frames else 0,
                                                     SEVERITY_RANK.get(f.severity, 3)))

    def action_next_finding(self, step: int = 1, same_kind: bool = False) -> None:
        if not self.analysis_done.is_set():
            self.notify("Findings come when the analysis pass is done.", markup=False)
            return
        nav = [f for f in self._nav() if f.frames]
        if same_kind:
            ref = self.current_finding or next(iter(self.findings_by_frame.get(self.frame_list.selected, [])), None)
            if ref is None:
                self.notify("Jump to a finding first (n), then ] / [ move through its kind.", markup=False)
                return
            nav = [f for f in nav if f.kind == ref.kind]
        if not nav:
            self.notify("No findings in this capture.", markup=False)
            return
        cur = self.frame_list.selected
        key = lambda f: f.frames[0]  # noqa: E731
        pos = None
        if self.current_finding in nav and key(self.current_finding) == cur:
            pos = nav.index(self.current_finding) + step
        elif step > 0:
            pos = next((i for i, f in enumerate(nav) if key(f) > cur), len(nav))
        else:
            pos = next((i for i in range(len(nav) - 1, -1, -1) if key(nav[i]) < cur), -1)
        wrapped = not 0 <= pos < len(nav)
        pos %= len(nav)
        for attempt in range(len(nav)):
            f = nav[(pos + attempt * step) % len(nav)]
            shown = next((n for n in f.frames if self.frame_list.view.index_of(n) is not None), None)
            if shown is not None:
                self._go_to_finding(f, shown, wrapped)
                return
        self.notify("The filter hides every frame of those findings.", severity="warning", markup=False)

    def action_next_group(self, step: int = 1) -> None:
        """} / {: the first shown finding of the next / previous group (kind, then server or
        certificate), in the findings pane's order."""
        if not self.analysis_done.is_set() or not self._findings_in:
            self.notify("Findings come when the analysis pass is done.", markup=False)
            return
        groups = self.findings_pane.groups
        order = list(groups.groups()) if groups is not None else []
        if not order:
            self.notify("No findings in this capture.", markup=False)
            return
        loc = groups.locate(self.current_finding) if self.current_finding is not None else None
        if loc is not None:
            here = order.index(groups.kinds[loc[0]].groups[loc[1]])
            pos = here + step
        else:
            pos = 0 if step > 0 else len(order) - 1
        wrapped = not 0 <= pos < len(order)
        for attempt in range(len(order)):
            g = order[(pos + attempt * step) % len(order)]
            for f in g.findings:
                shown = next((n for n in f.frames if self.frame_list.view.index_of(n) is not None), None)
                if shown is None:
                    continue
                self.current_finding = f
                self.frame_list.select_frame(shown)
                self.findings_pane.show_group(g)
                i = order.index(g)
                self.notify(f"{'(wrapped) ' if wrapped else ''}{g.kind}: {g.label}: {g.count} "
                            f"({'} / {'}: next / previous group)", title=f"Group {i + 1}/{len(order)}",
                            severity="error" if g.severity == "error" else "warning" if g.severity == "warning"
                            else "information", markup=False, timeout=4)
                return
        self.notify("The filter hides every frame of those findings.", severity="warning", markup=False)

    def _go_to_finding(self, f, frame: int, wrapped: bool = False) -> None:
        self.current_finding = f
        self.frame_list.select_frame(frame)
        self.findings_pane.show_finding(f)
        msg = f"{escape_text(f.summary)}   (n / N: next / previous)"
        if wrapped:
            msg = "(wrapped) " + msg
        self.notify(msg, title=f"Finding {self._nav().index(f) + 1}/{len(self.findings)}",
                    severity="error" if f.severity == "error" else "warning" if f.severity == "warning"
                    else "information", markup=False, timeout=4)

    def on_findings_pane_finding_highlighted(self, message: FindingsPane.FindingHighlighted) -> None:
        f = message.finding
        self.current_finding = f
        shown = next((n for n in f.frames if self.frame_list.view.index_of(n) is not None), None)
        if shown is None:
            if f.frames:
                self.notify("Its frames are hidden by the filter (Ctrl+L in the filter bar clears it).",
                            markup=False)
            return
        self.frame_list.select_frame(shown)

    def action_toggle_findings(self) -> None:
        pane = self.findings_pane
        pane.toggle_class("-hidden")
        self.settings.show_findings = not pane.has_class("-hidden")
        self.settings.save()
        if self.settings.show_findings:
            pane.table.focus()
        elif self.focused is None or pane in self.focused.ancestors_with_self:
            self.frame_list.focus()
