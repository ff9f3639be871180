"""`w`: save the shown (filtered) frames, or the marked ones, as a pcapng file (capture/writer.py).

The modal asks for the path (default beside the capture: ``NAME-filtered.pcapng``, or
``NAME-marked.pcapng`` for the marked frames) and, when frames are marked, which frames to write
(the marked ones by default).  It refuses the capture being read, asks again before replacing
another file, and shows a failure as one error line, staying open.  The file is written by a
thread worker (a million frames take seconds); the secrets the session knows (the key log,
the input's own Decryption Secrets Blocks) are written as a DSB, so the file decrypts alone.
"""
from __future__ import annotations

import os
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from ..safe_text import escape_text
from .colors import theme_style


def default_save_path(capture_path: str | None, suffix: str) -> str:
    """``NAME-SUFFIX.pcapng`` beside the capture (the working directory when the capture's folder
    cannot be written, or for a capture read from standard input)."""
    if not capture_path or capture_path == "-":
        return os.path.abspath(f"capture-{suffix}.pcapng")
    folder, base = os.path.split(os.path.abspath(capture_path))
    for ext in (".gz", ".zst", ".xz", ".bz2"):
        if base.endswith(ext):
            base = base[: -len(ext)]
    stem, ext = os.path.splitext(base)
    if ext.lower() not in (".pcap", ".pcapng", ".cap", ".ntar", ".dmp"):
        stem = base
    if not os.access(folder, os.W_OK):
        folder = os.getcwd()
    return os.path.join(folder, f"{stem or 'capture'}-{suffix}.pcapng")


def _same_file(a: str, b: str | None) -> bool:
    if not b or b == "-":
        return False
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


class SaveScreen(ModalScreen[None]):
    """The path (and, with marks, which frames) to save; Enter writes, Escape cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel", id="save.cancel")]
    DEFAULT_CSS = """
    SaveScreen { align: center middle; }
    SaveScreen > Vertical { width: 80%; max-width: 100; height: auto; border: round $primary;
                            background: $panel; padding: 0 1; }
    SaveScreen RadioSet { width: 1fr; height: auto; border: none; background: $panel; padding: 0; }
    SaveScreen Input { width: 1fr; }
    SaveScreen #save-hint { color: $foreground 70%; }
    """

    def __init__(self, choices: list[tuple[str, str, list[int]]], capture_path: str | None,
                 secrets: bool, default_base: str | None = None) -> None:
        """``choices``: (label, path suffix, frame numbers), the default first; ``default_base``:
        the name the default path is made from (else the capture's)."""
        super().__init__()
        self.choices = choices
        self.capture_path = capture_path
        self.default_base = default_base or capture_path
        self.secrets = secrets
        self.choice = 0
        self._confirm: str | None = None  # an existing file Enter was pressed on once
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Save as pcapng", id="save-title")
            if len(self.choices) > 1:
                with RadioSet(id="save-which"):
                    for k, (label, _s, _f) in enumerate(self.choices):
                        yield RadioButton(escape_text(label), value=k == 0)
            else:
                yield Static(Text(escape_text(self.choices[0][0])), id="save-which-label")
            yield Input(value=self.default_path(0), id="save-path")
            yield Static(self._hint(), id="save-hint")

    def on_mount(self) -> None:
        self.query_one("#save-path", Input).focus()

    @property
    def frames(self) -> list[int]:
        return self.choices[self.choice][2]

    def default_path(self, k: int) -> str:
        return default_save_path(self.default_base, self.choices[k][1])

    def _hint(self) -> Text:
        keys = "the key log's secrets are kept (DSB): the file decrypts alone" if self.secrets else \
            "no decryption secrets to keep"
        more = "; Tab: which frames" if len(self.choices) > 1 else ""
        return Text(f"Enter: write, Escape: cancel{more}; {keys}")

    def show_line(self, text: str, style: str = "") -> None:
        hint = self.query_one("#save-hint", Static)
        hint.update(Text(escape_text(text), theme_style(self.app, style, bold=True) if style else ""))

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        old = self.choice
        self.choice = event.radio_set.pressed_index
        box = self.query_one("#save-path", Input)
        if box.value == self.default_path(old):
            box.value = self.default_path(self.choice)
        self._confirm = None

    def on_input_changed(self, event: Input.Changed) -> None:
        self._confirm = None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.busy:
            return
        path = os.path.expanduser(event.value.strip())
        if not path:
            self.show_line("✖ Give a file name.", "error")
            return
        if os.path.isdir(path):
            self.show_line(f"✖ {path} is a directory: give a file name.", "error")
            return
        if _same_file(path, self.capture_path):
            self.show_line(f"✖ {path} is the capture being read: choose another name.", "error")
            return
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            self.show_line(f"✖ {folder}: no such directory.", "error")
            return
        if os.path.exists(path) and self._confirm != path:
            self._confirm = path
            self.show_line(f"▲ {path} exists: Enter again replaces it.", "warning")
            return
        self.busy = True
        self.query_one("#save-path", Input).disabled = True
        self.show_line(f"Writing {len(self.frames):,} frames to {path} …")
        self.app.start_save(self, path, self.frames)

    def failed(self, error: str) -> None:
        """The write failed: one error line, the modal stays for another name."""
        self.busy = False
        box = self.query_one("#save-path", Input)
        box.disabled = False
        box.focus()
        self._confirm = None
        self.show_line(f"✖ {error}", "error")

    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveMixin:
    """TlsTuiApp's `w`: which frames, the modal, the writing worker."""

    def save_choices(self) -> list[tuple[str, str, list[int]]]:
        """(label, path suffix, frames): the marked frames first when there are any, then the
        frames the list shows (capture order, whatever the sort)."""
        view = self.frame_list.view
        if view.frames is None:
            shown = list(range(1, len(view) + 1))
        else:
            import numpy as np

            shown = np.sort(np.asarray(view.frames, dtype=np.int64)).tolist()
        what = f"the {len(shown):,} frames shown (filter: {self.applied_filter})" if self.applied_filter \
            else f"all {len(shown):,} frames"
        out = [(what, "filtered" if self.applied_filter else "all", shown)]
        marked = sorted(n for n in self.frame_list.marked if 1 <= n <= len(self.session))
        if marked:
            out.insert(0, (f"the {len(marked):,} marked frame{'s' if len(marked) != 1 else ''}", "marked", marked))
        return out

    def action_save(self) -> None:
        if self.session is None:
            self.notify("Nothing to save yet: the capture is still opening.", markup=False)
            return
        if getattr(self, "_saving", None) is not None:
            self.notify("A save is still being written.", markup=False)
            return
        from ..capture.writer import session_secrets

        try:
            secrets = bool(session_secrets(self.session))
        except Exception:
            secrets = False
        # The bundled demo lives in the package: its default goes to the working directory.
        demo = self.display_name.endswith("(bundled demo)")
        screen = SaveScreen(self.save_choices(), self.path, secrets,
                            os.path.join(os.getcwd(), "demo.pcapng") if demo else None)
        screen.source = self._session_path  # -i: the file the frame numbers belong to
        self.push_screen(screen)

    def start_save(self, screen: SaveScreen, path: str, frames: list[int]) -> None:
        from functools import partial

        if getattr(screen, "source", self._session_path) != self._session_path:
            # -i: the ring moved on to another file while the dialog was open (a --follow re-read of
            # the same file is fine: the grown session holds the same frames under the same numbers)
            screen.failed("the capture moved on to another file meanwhile: Escape, then w again")
            return
        self._saving = self.session
        self.run_worker(partial(self._save_worker, screen, self.session, path, frames), thread=True,
                        group="save", name="save", exit_on_error=False)

    def _save_worker(self, screen: SaveScreen, session, path: str, frames: list[int]) -> None:  # noqa: ANN001
        from ..capture.writer import WriteError, session_secrets, write_pcapng

        try:
            secrets = session_secrets(session)
            n = write_pcapng(path, session, frames, secrets)
        except WriteError as e:
            self.call_from_thread(self._save_done, screen, session, path, None, str(e))
            return
        except Exception as e:  # a bug must not take the capture away: say it, keep the app
            self.call_from_thread(self._save_done, screen, session, path, None, f"{path}: {type(e).__name__}: {e}")
            return
        self.call_from_thread(self._save_done, screen, session, path, (n, bool(secrets)), None)

    def _save_done(self, screen: SaveScreen, session, path: str, result, error: str | None) -> None:  # noqa: ANN001
        self._saving = None
        if session is not self.session:  # --follow replaced it while it was written: close it now
            session.close()
        open_here = screen in self.screen_stack
        if error is not None:
            if open_here:
                screen.failed(error)
            else:
                self.notify(escape_text(error), severity="error", markup=False, timeout=10)
            return
        if open_here:
            screen.dismiss(None)
        n, secrets = result
        where = os.path.abspath(path)
        keys = " with the decryption secrets" if secrets else ""
        self.notify(escape_text(f"Wrote {n:,} frame{'s' if n != 1 else ''} to {where}{keys}."),
                    markup=False, timeout=8)
