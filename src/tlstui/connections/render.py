"""``tlstui connections`` output: a text table for people, JSON lines for scripts."""
from __future__ import annotations

import json
from typing import Iterable

from ..safe_text import escape_text
from .model import Connection, ConnectionTable, iso_time

_MAX = 44  # the widest a text cell grows; --json has the whole value


def _size(n: int) -> str:
    for unit, div in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= 10 * div:
            return f"{n // div} {unit}"
    return f"{n} B"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def _cn(subject: str | None) -> str:
    """The subject's CN when it has one (the rest is in --json), else the whole subject."""
    if not subject:
        return "-"
    for part in subject.split(","):
        if part.startswith("CN="):
            return part[3:]
    return subject


def _cut(s: str, width: int = _MAX) -> str:
    return s if len(s) <= width else s[:width - 1] + "…"


_COLUMNS = (
    ("STREAM", lambda c: f"{c.transport}/{c.stream}" + (f"#{c.quic_connection}" if c.quic_connection is not None else "")),
    ("PROTO", lambda c: c.protocol.upper()),
    ("CLIENT", lambda c: c.client),
    ("SERVER", lambda c: c.server),
    ("SNI", lambda c: c.sni or "-"),
    ("VERSION", lambda c: c.version or "-"),
    ("CIPHER", lambda c: c.cipher or "-"),
    ("ALPN", lambda c: c.alpn or "-"),
    ("CERT CN", lambda c: _cn(c.cert_subject)),
    ("NOT AFTER", lambda c: (iso_time(c.cert_not_after) or "-")[:10]),
    ("HS ms", lambda c: _ms(c.handshake_duration)),
    ("C→S", lambda c: _size(c.bytes_client_to_server)),
    ("S→C", lambda c: _size(c.bytes_server_to_client)),
    ("OUTCOME", lambda c: c.outcome_text),
)
_RIGHT = {"HS ms", "C→S", "S→C"}
_WHOLE = {"STREAM", "CLIENT", "SERVER", "OUTCOME"}  # never cut: an address cut short is a wrong address


def render_text(table: ConnectionTable | Iterable[Connection]) -> str:
    """One row per connection, columns sized to their contents (long names cut with '…'), then
    a count per outcome; ``--json`` has every field."""
    conns = list(table)
    if not conns:
        return "No TLS, DTLS or QUIC connections in this capture."
    rows = [[escape_text(str(fn(c)) if title in _WHOLE else _cut(str(fn(c)))) for title, fn in _COLUMNS]
            for c in conns]
    widths = [max(len(title), *(len(r[i]) for r in rows)) for i, (title, _) in enumerate(_COLUMNS)]

    def line(cells: list[str]) -> str:
        out = []
        for (title, _), w, cell in zip(_COLUMNS, widths, cells):
            out.append(cell.rjust(w) if title in _RIGHT else cell.ljust(w))
        return "  ".join(out).rstrip()

    lines = [line([t for t, _ in _COLUMNS])] + [line(r) for r in rows]
    counts: dict[str, int] = {}
    for c in conns:
        counts[c.outcome] = counts.get(c.outcome, 0) + 1
    lines.append("")
    lines.append(f"{len(conns)} connection{'s' if len(conns) != 1 else ''}: "
                 + ", ".join(f"{n} {o}" for o, n in sorted(counts.items(), key=lambda kv: -kv[1])))
    return "\n".join(lines)


def render_json_lines(table: ConnectionTable | Iterable[Connection]) -> str:
    """One JSON object per line (``Connection.as_dict``), in capture order; '' for none."""
    return "\n".join(json.dumps(c.as_dict(), ensure_ascii=False) for c in table)
