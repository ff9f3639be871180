"""Messages from the app's workers to the UI thread: immutable payloads (progress coalesces).

Also the decryption summary the analysis worker hands over once the pass is done.
"""
from __future__ import annotations

import os
from array import array
from dataclasses import dataclass

from textual.message import Message


class SessionOpened(Message):
    def __init__(self, session, complete: bool = True) -> None:
        super().__init__()
        self.session = session
        self.complete = complete


class IndexGrew(Message):
    """The frame index has ``count`` frames (``complete``: the whole file)."""

    def __init__(self, count: int, complete: bool) -> None:
        super().__init__()
        self.count, self.complete = count, complete

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, IndexGrew) and not message.complete


class AnalysisProgressed(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, AnalysisProgressed)


@dataclass(frozen=True)
class DecryptionSummary:
    """Whether decryption is on, with which key logs, and how many connections it decrypted."""

    sources: tuple[str, ...]
    secrets: int
    decrypted: int
    connections: int
    problems: tuple[str, ...] = ()

    def short(self) -> str:
        names = ", ".join(os.path.basename(x) for x in self.sources) or "key log"
        return f"decrypted {self.decrypted}/{self.connections} ({names})"

    def long(self) -> str:
        names = ", ".join(self.sources) or "(no file)"
        text = (f"Decryption on: key log {names} with {self.secrets} client randoms; "
                f"{self.decrypted} of {self.connections} TLS connections decrypted.")
        if self.problems:
            text += " " + "; ".join(self.problems[:3]) + (" …" if len(self.problems) > 3 else "")
        return text


def decryption_summary(session) -> DecryptionSummary | None:
    """From a worker thread after the analysis pass (one entry per connection, not per frame)."""
    dec = getattr(session, "decryption", None)
    if dec is None:
        return None
    try:
        st = dec.statuses()
        kl = dec.keylog
        return DecryptionSummary(tuple(str(x) for x in getattr(kl, "sources", ())), len(kl),
                                 sum(1 for x in st if x.status == "ok"), len(st),
                                 tuple(dec.problems()))
    except Exception:  # a decryption object of another shape: say nothing rather than fail
        return None


class AnalysisFinished(Message):
    def __init__(self, seconds: float, decryption: DecryptionSummary | None = None) -> None:
        super().__init__()
        self.seconds = seconds
        self.decryption = decryption


class FindingsFound(Message):
    """The findings (most severe first) and their grouping (``findings.grouping.FindingGroups``,
    None: the pane groups them by kind and stream)."""

    def __init__(self, findings: tuple, error: str = "", groups=None) -> None:  # noqa: ANN001
        super().__init__()
        self.findings = findings
        self.error = error
        self.groups = groups


class FollowReloaded(Message):
    """--follow: the grown file, opened and analysed again from the start."""

    def __init__(self, session, findings: tuple, seconds: float, size: int, groups=None,  # noqa: ANN001
                 path: str | None = None) -> None:
        super().__init__()
        self.session, self.findings, self.seconds, self.size = session, findings, seconds, size
        self.groups = groups
        self.path = path  # the file read (-i: the ring may have moved on to a newer one meanwhile)


class FilterMatched(Message):
    """A batch of frames that matched filter ``token`` (in ascending order)."""

    def __init__(self, token: int, frames: array, done: int, total: int, finished: bool) -> None:
        super().__init__()
        self.token, self.frames, self.done, self.total, self.finished = token, frames, done, total, finished


class _FilterCancelled(Exception):
    """A newer filter (or none) replaced the one being applied."""


class FilterWaiting(Message):
    def __init__(self, token: int) -> None:
        super().__init__()
        self.token = token

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, FilterWaiting)


@dataclass(frozen=True)
class Opened:
    """What run_app learned before the UI started (stdin must be read before Textual owns the tty)."""

    session: object
    name: str
