"""The connection record and the table of them: plain, immutable data (no session, no UI).

One ``Connection`` per TLS or DTLS stream and per QUIC connection.  Every text that came from
packets (SNI, ALPN, certificate names) is already escaped (``safe_text.escape_text``).  Times are
seconds since the epoch (UTC) as floats, frames are frame numbers (1-based), bytes are frame
bytes (``frame.len``, as ``tshark -z conv`` and ``tlstui stats conv`` count them).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

# How a connection ended, worst first (the order a table sorted by outcome shows them in).
OUTCOMES = ("alert", "reset", "incomplete", "open", "ok")
OUTCOME_RANK = MappingProxyType({o: i for i, o in enumerate(OUTCOMES)})
HANDSHAKE_STATES = ("complete", "incomplete", "not_seen")
# What the handshake duration runs to (see Connection.handshake_duration).
HANDSHAKE_ENDS = ("finished", "client_encrypted")


@dataclass(frozen=True, slots=True)
class Connection:
    """One TLS, DTLS or QUIC connection, as ``tlstui connections`` prints it.

    Identity: ``transport`` ("tcp"/"udp") and ``stream`` (tcp.stream / udp.stream: the display
    filter ``filter`` selects its frames); ``protocol`` "tls", "dtls" or "quic" (``quic_connection``
    is the QUIC connection number, several may share one UDP stream).  ``client`` is the side that
    sent the ClientHello (QUIC: the first Initial); when no hello was seen, the sender of the SYN,
    else the side with the higher port (``client_inferred`` says so).

    Negotiated: ``version`` (tshark's name: "TLS 1.2", "DTLS 1.2"; QUIC: "QUIC 1"), ``cipher``
    (IANA name as tshark prints it), ``alpn`` (the server's choice), ``sni`` (the first
    ClientHello's), ``resumed`` (abbreviated TLS <= 1.2 handshake; None: cannot tell).
    Certificate: the server's leaf as sent (None when not seen, e.g. TLS 1.3 without keys).

    Handshake: ``handshake`` is one of HANDSHAKE_STATES.  ``handshake_duration`` (seconds) runs
    from the first ClientHello's frame to ``handshake_end_frame``: with ``handshake_end``
    "finished", the later of the two sides' first Finished messages (TLS <= 1.2 and DTLS, where
    the Finished is the first encrypted handshake record after ChangeCipherSpec, and TLS 1.3 when
    the key log opened them); with "client_encrypted", the client's first encrypted record after
    the ServerHello (TLS 1.3 without keys: that record carries the client's Finished, which ends
    the handshake, so the duration is ClientHello -> client Finished as the capture point saw it;
    QUIC: from the client's first Initial to its first 1-RTT packet, sent after its Finished).
    None when the handshake was not seen from its ClientHello or did not complete.

    Ending: ``outcome`` is one of OUTCOMES, decided in this order --
    "alert": a readable fatal alert (or any non-close_notify alert before the handshake
    completed), or an encrypted alert that ended a handshake (TLS 1.3: alert-sized record right
    after the client's Finished; TLS <= 1.2: an encrypted alert before the handshake completed);
    ``alert`` is its RFC name ("handshake_failure"), "encrypted" when it could not be read, and
    QUIC's CONNECTION_CLOSE error names; ``outcome_by`` who sent it.
    "incomplete": the handshake started (ClientHello seen) and did not complete.
    "reset": a TCP RST from ``outcome_by`` before any close (close_notify or FIN) from either
    side, or a server's RST answering TLS records the client sent after the server's own close
    (the keep-alive race); an RST after a close is "ok", with the RST in ``ended``.
    "ok": closed with close_notify (seen, decrypted or inferred from an encrypted alert-sized
    record) or FIN, and no reset as above (QUIC: CONNECTION_CLOSE without error).
    "open": none of these: still open when the capture ends.
    ``close_notify`` lists the sides whose close_notify was seen (``close_notify_inferred`` the
    sides where it is inferred, not read), ``fin`` the sides that sent FIN, ``reset_by`` the sender
    of the first RST (whatever the outcome); ``ended`` says all of it in words; ``end_frame`` is
    the frame that decided the outcome (the alert, the RST, the last close), None for "open".
    """

    transport: str
    stream: int
    protocol: str
    client: str  # "addr:port", "[v6]:port"
    server: str
    client_addr: str
    client_port: int
    server_addr: str
    server_port: int
    client_inferred: bool
    sni: str | None
    version: str | None
    cipher: str | None
    alpn: str | None
    resumed: bool | None
    cert_subject: str | None
    cert_issuer: str | None
    cert_not_after: float | None
    cert_sha256: str | None
    handshake: str
    handshake_start_frame: int | None
    handshake_end_frame: int | None
    handshake_end: str | None
    handshake_duration: float | None
    first_frame: int
    last_frame: int
    start_time: float
    end_time: float
    frames_client_to_server: int
    frames_server_to_client: int
    bytes_client_to_server: int
    bytes_server_to_client: int
    outcome: str
    outcome_by: str | None
    alert: str | None
    alert_code: int | None
    end_frame: int | None
    ended: str
    close_notify: tuple[str, ...] = ()
    close_notify_inferred: tuple[str, ...] = ()
    fin: tuple[str, ...] = ()
    reset_by: str | None = None
    quic_connection: int | None = None

    @property
    def key(self) -> tuple[str, int, int | None]:
        """Unique in a capture: (transport, stream, QUIC connection number or None)."""
        return self.transport, self.stream, self.quic_connection

    @property
    def filter(self) -> str:
        """The display filter that selects this connection's frames ('tcp.stream eq 3')."""
        return f"{self.transport}.stream eq {self.stream}"

    @property
    def duration(self) -> float:
        return self.end_time - self.start_time

    @property
    def bytes(self) -> int:
        return self.bytes_client_to_server + self.bytes_server_to_client

    @property
    def frames(self) -> int:
        return self.frames_client_to_server + self.frames_server_to_client

    @property
    def outcome_text(self) -> str:
        """The outcome in a few words: 'ok', 'alert handshake_failure (server)', 'reset (client)'."""
        if self.outcome == "alert":
            return f"alert {self.alert or '?'}" + (f" ({self.outcome_by})" if self.outcome_by else "")
        if self.outcome == "reset":
            return f"reset ({self.outcome_by})" if self.outcome_by else "reset"
        return self.outcome

    def as_dict(self) -> dict:
        """The object of ``tlstui connections --json`` (README.md: stable keys, in this order)."""
        d = {name: getattr(self, name) for name in _FIELD_NAMES}
        d["close_notify"] = list(self.close_notify)
        d["close_notify_inferred"] = list(self.close_notify_inferred)
        d["fin"] = list(self.fin)
        d["cert_not_after"] = iso_time(self.cert_not_after)
        d["handshake_duration"] = None if self.handshake_duration is None else round(self.handshake_duration, 6)
        d["start_time"] = round(self.start_time, 6)
        d["end_time"] = round(self.end_time, 6)
        d["duration"] = round(self.duration, 6)
        d["filter"] = self.filter
        return d


_FIELD_NAMES = tuple(f.name for f in fields(Connection))


def iso_time(ts: float | None) -> str | None:
    """'2025-03-01T12:00:00Z' (UTC), None for None or a date the platform cannot show."""
    if ts is None:
        return None
    try:
        return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return None


def _none_last(v):
    return (v is None, v if v is not None else 0)


# Sort keys a table can offer (missing values sort last); each takes a Connection.
SORT_KEYS: Mapping[str, Callable[[Connection], object]] = MappingProxyType({
    "stream": lambda c: (c.transport, c.stream, c.quic_connection or 0),
    "first_frame": lambda c: c.first_frame,
    "start_time": lambda c: c.start_time,
    "client": lambda c: (c.client_addr, c.client_port),
    "server": lambda c: (c.server_addr, c.server_port),
    "sni": lambda c: _none_last(c.sni),
    "version": lambda c: _none_last(c.version),
    "cipher": lambda c: _none_last(c.cipher),
    "alpn": lambda c: _none_last(c.alpn),
    "cert_subject": lambda c: _none_last(c.cert_subject),
    "cert_not_after": lambda c: _none_last(c.cert_not_after),
    "handshake_duration": lambda c: _none_last(c.handshake_duration),
    "duration": lambda c: c.duration,
    "bytes": lambda c: c.bytes,
    "bytes_client_to_server": lambda c: c.bytes_client_to_server,
    "bytes_server_to_client": lambda c: c.bytes_server_to_client,
    "outcome": lambda c: (OUTCOME_RANK.get(c.outcome, len(OUTCOMES)), c.alert or ""),
})


@dataclass(frozen=True, slots=True)
class ConnectionTable:
    """Every connection of one capture, in capture order (by first frame), and ways to look.

    Immutable: safe to hand from a worker to the UI.  ``by_key`` maps ``Connection.key``, and
    ``by_stream`` (transport, stream) to the stream's first connection."""

    connections: tuple[Connection, ...] = ()
    by_key: Mapping[tuple, Connection] = field(default_factory=lambda: MappingProxyType({}))
    by_stream: Mapping[tuple[str, int], Connection] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def of(cls, conns: Iterable[Connection]) -> "ConnectionTable":
        ordered = tuple(sorted(conns, key=lambda c: (c.first_frame, c.transport, c.stream, c.quic_connection or 0)))
        by_stream: dict[tuple[str, int], Connection] = {}
        for c in ordered:
            by_stream.setdefault((c.transport, c.stream), c)
        return cls(ordered, MappingProxyType({c.key: c for c in ordered}), MappingProxyType(by_stream))

    def __len__(self) -> int:
        return len(self.connections)

    def __iter__(self):
        return iter(self.connections)

    def __getitem__(self, i: int) -> Connection:
        return self.connections[i]

    def counts(self) -> dict[str, int]:
        """{outcome: how many}, every outcome present (0 where none)."""
        out = {o: 0 for o in OUTCOMES}
        for c in self.connections:
            out[c.outcome] = out.get(c.outcome, 0) + 1
        return out

    def sorted(self, key: str, reverse: bool = False) -> tuple[Connection, ...]:
        """The connections ordered by one of SORT_KEYS (stable: ties keep capture order;
        missing values last whichever the direction)."""
        fn = SORT_KEYS[key]
        if not reverse:
            return tuple(sorted(self.connections, key=fn))
        present = [c for c in self.connections if fn(c) is not None]
        return tuple(sorted(present, key=_reverse_key(fn)))

    def matching(self, text: str) -> tuple[Connection, ...]:
        """Connections whose client, server, SNI, version, cipher, ALPN, certificate subject or
        outcome contain ``text`` (case-insensitive)."""
        t = text.strip().lower()
        if not t:
            return self.connections
        return tuple(c for c in self.connections if t in search_text(c))


def _reverse_key(fn):
    def key(c):
        k = fn(c)
        # (missing?, value): reverse the value but keep missing values last.
        if isinstance(k, tuple) and len(k) == 2 and isinstance(k[0], bool):
            return (k[0], _Rev(k[1]))
        return _Rev(k)
    return key


class _Rev:
    __slots__ = ("v",)

    def __init__(self, v) -> None:
        self.v = v

    def __lt__(self, other: "_Rev") -> bool:
        return other.v < self.v

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Rev) and other.v == self.v


def search_text(c: Connection) -> str:
    """The lower-cased text ``ConnectionTable.matching`` looks in."""
    parts = (c.client, c.server, c.sni, c.version, c.cipher, c.alpn, c.cert_subject, c.outcome_text, c.protocol,
             c.filter)
    return "\n".join(p for p in parts if p).lower()
