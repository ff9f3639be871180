"""`tlstui -i IFACE` in the TUI: the capture's rate and drops in the status line, the frame list
following the end (F stops and restarts following), Ctrl-C quitting (the CLI then stops the
capture and offers to save it), and the ring buffer's rotation: when the capture program starts a
new file, the view moves on to it (the earlier files stay in the ring's directory, which the
status line names).

The capture itself (capture/live.py's LiveCapture) is started and stopped by the CLI; the app only
reads its ``status()`` and ``files()`` once a second on the UI thread (both cost a ``poll()`` and a
directory listing of at most a ring's worth of files).
"""
from __future__ import annotations

import os

from ..safe_text import escape_text


class LiveMixin:
    """TlsTuiApp's live-capture status, follow-the-end toggle and Ctrl-C (state in its __init__)."""

    LIVE_POLL = 1.0  # seconds between two looks at the capture's counters and ring files

    def _start_live_polling(self) -> None:
        if self.live is not None:
            self._poll_live()
            self.set_interval(self.LIVE_POLL, self._poll_live, name="live")

    def _poll_live(self) -> None:
        import time

        live = self.live
        try:
            self.live_status = live.status()
            files = live.files()
        except Exception as e:  # the ring's directory removed under us: say it, keep the view
            self.live_status = f"capture: {type(e).__name__}: {e}"
            files = []
        # The rate shown is the recent one (the last 5 s of the program's count), not the average
        # since the start, which a long quiet capture would keep near zero after a burst.
        now = time.monotonic()
        samples = self._live_samples
        samples.append((now, getattr(live, "packets", 0)))
        while len(samples) > 2 and now - samples[0][0] > 5.0:
            samples.pop(0)
        from textual.css.query import NoMatches

        try:
            if files and self.path not in files[-1:]:
                newest = files[-1]
                if self.path in files or not os.path.exists(self.path or ""):
                    self._move_to_ring_file(newest)
            self._update_status()
        except NoMatches:  # the app is closing: its widgets are gone
            pass

    def live_rate(self) -> float:
        s = self._live_samples
        if len(s) < 2 or s[-1][0] <= s[0][0]:
            return 0.0
        return (s[-1][1] - s[0][1]) / (s[-1][0] - s[0][0])

    def _move_to_ring_file(self, newest: str) -> None:
        """The capture program started a new file: follow it (the next poll of --follow reads it)."""
        self.path = newest
        self.live_file += 1
        self.display_name = os.path.basename(newest)
        self._followed_size = -1  # never the size of a file: the next growth poll reads it
        self.notify(escape_text(f"The capture moved on to {os.path.basename(newest)} (file {self.live_file} of the "
                                f"ring); the earlier frames are in {os.path.dirname(newest)}."),
                    markup=False, timeout=6)

    def live_status_text(self, narrow: bool = False) -> str:
        """The status line's live part: the capture's packets, recent rate and drops (dumpcap and
        tcpdump report drops when they stop: '?' until then), and where the earlier ring files are."""
        live = self.live
        packets = getattr(live, "packets", None)
        if packets is None:  # not a LiveCapture: its own line
            return self.live_status
        dropped = getattr(live, "dropped", None)
        drops = "?" if dropped is None else f"{dropped:,}"
        stopped = "" if live.running() else " stopped"
        if narrow:
            text = f"{packets:,} pkts {self.live_rate():.0f}/s drop {drops}{stopped}"
        else:
            text = (f"{live.kind} on {escape_text(str(live.interface))}: {packets:,} packets, "
                    f"{self.live_rate():.0f}/s, dropped {drops}{' (stopped)' if stopped else ''}")
        if self.live_file > 1:
            where = os.path.dirname(self.path or "")
            text += f"; file {self.live_file}" if narrow else f"; ring file {self.live_file}, earlier ones in {where}"
        return text

    def action_toggle_follow_end(self) -> None:
        if not self.follow:
            self.notify("Not following a capture (tlstui -i IFACE, or --follow FILE).", markup=False)
            return
        self.follow_end = not self.follow_end
        if self.follow_end:
            fl = self.frame_list
            view = fl.view
            if len(view):
                fl.select_frame(max(view.number_at(i) for i in (0, len(view) - 1)))
        self.notify("Following the end of the capture." if self.follow_end else
                    "Not following the end: F follows it again.", markup=False, timeout=3)
        self._update_status()

    def action_live_quit(self) -> None:
        """Ctrl-C.  In -i: quit (the CLI stops the capture, says where it is and offers to save).
        Otherwise what Textual does with it: copy in a text box, else say which key quits."""
        if self.live is not None:
            self.exit(None)
            return
        copy = getattr(self.focused, "action_copy", None)
        if copy is not None:
            copy()
        else:
            self.action_help_quit()
