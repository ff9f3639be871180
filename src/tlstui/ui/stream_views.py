"""The screens about one stream or every connection: follow TCP/UDP, follow TLS, the ladder
(built in a thread worker from the stream's frames) and the connections view."""
from __future__ import annotations

from textual import work
from textual.screen import Screen

from .screens import FollowScreen, LadderScreen, TlsStreamScreen, style_getter


class StreamViewsMixin:
    """TlsTuiApp's follow / ladder / connections screens."""

    def _stream_ready(self):
        from .streams import stream_of

        if self.session is None or not self.frame_list.selected:
            return None
        if not self.analysis_done.is_set():
            done, total = self.analysis_progress
            self.notify(f"Streams are known when the analysis is done ({100 * done // max(total, 1)}%).",
                        markup=False)
            return None
        sid = stream_of(self.session, self.frame_list.selected)
        if sid is None:
            self.notify("This frame is neither TCP nor UDP.", markup=False)
        return sid

    def action_follow_stream(self) -> None:
        sid = self._stream_ready()
        if sid is not None:
            self._build_stream_screen("bytes", sid)

    def action_follow_tls(self) -> None:
        sid = self._stream_ready()
        if sid is not None:
            self._build_stream_screen("tls", sid)

    def action_ladder(self) -> None:
        sid = self._stream_ready()
        if sid is not None:
            self._build_stream_screen("ladder", sid)

    def action_connections(self) -> None:
        """The connections view; Enter there shows that connection's frames here."""
        from .connections_view import ConnectionsScreen

        def chosen(conn) -> None:
            if conn is None:
                return
            self.apply_filter_text(conn.filter)
            self.frame_list.focus()

        self.push_screen(ConnectionsScreen(self.display_name), chosen)

    @work(thread=True, exclusive=True, group="stream", name="follow stream", exit_on_error=False)
    def _build_stream_screen(self, what: str, sid) -> None:
        from .streams import conversation, follow_bytes, ladder, tls_records

        conv = conversation(self.session, sid)
        if what == "bytes":
            data = follow_bytes(self.session, conv)
        elif what == "tls":
            data = tls_records(self.session, conv)
        else:
            data = ladder(self.session, conv)
        self.call_from_thread(self._push_stream_screen, what, conv, data)

    def _push_stream_screen(self, what: str, conv, data) -> None:
        getter = style_getter(self)
        if what == "bytes":
            screen: Screen = FollowScreen(conv, data, getter)
        elif what == "tls":
            screen = TlsStreamScreen(conv, data, getter)
        else:
            screen = LadderScreen(conv, data, self.frame_list.flags, getter)
        self.push_screen(screen)
