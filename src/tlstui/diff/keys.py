"""`tlstui diff A B --keylog KEYS`: what the key log tells the TLS view of a diff.

An alert record seen at one point only is encrypted once ChangeCipherSpec has passed; its level and
description are in the record's ciphertext.  With a key log, the capture that has the alert is
analysed as ``tlstui findings --keylog`` would (a full ``Session``: TCP reassembly and TLS
decryption), once and only when such an alert is found, and the alert is named from its decrypted
record (tls.alert_message.level / .desc of the frame where the record completes).
"""
from __future__ import annotations


class AlertKeys:
    """Decrypted alerts per capture, each capture analysed with the key log on first need."""

    def __init__(self, paths: tuple[str, str], keylog: str, sessions=None, analyse=None) -> None:  # noqa: ANN001
        """``sessions``: the caller's own two sessions, opened with the key log (the side-by-side view's),
        analysed here with ``analyse(session)`` when an alert needs them (their analysis, done early)."""
        self.paths, self.keylog = paths, keylog
        self._sessions: dict[int, object] = {}
        self._theirs = sessions
        self._analyse = analyse or (lambda s: s.analyze())
        self.problems: list[str] = []  # the decryption's own problems (no key for a client random...)

    def _session(self, side: int):  # noqa: ANN202 - a Session
        if self._theirs is not None:
            s = self._theirs[side]
            if not s.finished:
                self._analyse(s)
            return s
        s = self._sessions.get(side)
        if s is None:
            from ..session import Session

            s = Session.open(self.paths[side], self.keylog)
            s.analyze()
            if s.decryption is not None:
                self.problems += [f"{'AB'[side]}: {p}" for p in s.decryption.problems()]
            self._sessions[side] = s
        return s

    def alert(self, side: int, stream: int, frames: list[int]) -> tuple[int, int] | None:
        """(level, description) of the alert in tcp.stream ``stream`` of capture ``side`` carried by
        ``frames`` (the record's frames, as the TLS view rebuilt them), None if the keys do not read it."""
        s = self._session(side)
        if s.tls is None or not s.finished:  # (a cancelled analysis)
            return None
        st = s.tls.streams().get(("tcp", stream))
        if st is None:
            return None
        want = set(frames)
        for a in st.alerts:
            if a.frame in want and a.description is not None:
                return a.level, a.description
        return None

    def close(self) -> None:
        for s in self._sessions.values():
            s.close()
        self._sessions.clear()
