"""NSS key log files (SSLKEYLOGFILE): parse, merge, look up by client random.

The format (one secret a line, ``#`` comments)::

    CLIENT_RANDOM <64 hex client random> <96 hex master secret>          TLS 1.2 and earlier
    CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>             TLS 1.3 (and the others below)
    SERVER_HANDSHAKE_TRAFFIC_SECRET / CLIENT_TRAFFIC_SECRET_0 / SERVER_TRAFFIC_SECRET_0
    EXPORTER_SECRET / EARLY_EXPORTER_SECRET / CLIENT_EARLY_TRAFFIC_SECRET

Bad lines never raise: they become :class:`KeyLogProblem` entries with their line number,
and every good line around them is kept.  Sources: a file, the bytes of pcapng Decryption
Secrets Blocks, and the ``SSLKEYLOGFILE`` environment variable.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Iterable

CLIENT_RANDOM = "CLIENT_RANDOM"
CLIENT_HANDSHAKE = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
SERVER_HANDSHAKE = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
CLIENT_TRAFFIC_0 = "CLIENT_TRAFFIC_SECRET_0"
SERVER_TRAFFIC_0 = "SERVER_TRAFFIC_SECRET_0"
CLIENT_EARLY = "CLIENT_EARLY_TRAFFIC_SECRET"
EXPORTER = "EXPORTER_SECRET"
EARLY_EXPORTER = "EARLY_EXPORTER_SECRET"

LABELS = frozenset({CLIENT_RANDOM, CLIENT_HANDSHAKE, SERVER_HANDSHAKE, CLIENT_TRAFFIC_0, SERVER_TRAFFIC_0,
                    CLIENT_EARLY, EXPORTER, EARLY_EXPORTER})
# Labels that NSS/OpenSSL write but that need the server's private key or are for
# SSLv3-era RSA key exchange: recognised, kept out of the table, never an error.
IGNORED_LABELS = frozenset({"RSA", "PMS_CLIENT_RANDOM"})
SECRETS_TYPE_TLS = 0x544C534B  # pcapng DSB secrets type 'TLSK': an NSS key log


@dataclass(frozen=True, slots=True)
class KeyLogProblem:
    """A line that could not be used: where it was and why."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}"


@dataclass
class KeyLog:
    """Secrets by client random.  ``secrets[client_random][label] = secret``."""

    secrets: dict[bytes, dict[str, bytes]] = field(default_factory=dict)
    problems: list[KeyLogProblem] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.secrets)

    def __bool__(self) -> bool:  # an empty key log is still a key log that was asked for
        return True

    def get(self, client_random: bytes, label: str) -> bytes | None:
        """The secret logged for this connection under ``label``, or None."""
        entry = self.secrets.get(bytes(client_random))
        return entry.get(label) if entry else None

    def has(self, client_random: bytes) -> bool:
        return bytes(client_random) in self.secrets

    def add(self, client_random: bytes, label: str, secret: bytes) -> None:
        self.secrets.setdefault(bytes(client_random), {})[label] = bytes(secret)

    def merge(self, other: "KeyLog") -> "KeyLog":
        """Add ``other``'s secrets and problems to this one (later sources do not override)."""
        for cr, entry in other.secrets.items():
            mine = self.secrets.setdefault(cr, {})
            for label, secret in entry.items():
                mine.setdefault(label, secret)
        self.problems.extend(other.problems)
        self.sources.extend(other.sources)
        return self

    # -- constructors -----------------------------------------------------------------
    @classmethod
    def parse(cls, text: str | bytes, source: str = "<keylog>") -> "KeyLog":
        """Parse NSS key log text; bad lines are reported in ``problems``, never raised."""
        if isinstance(text, (bytes, bytearray, memoryview)):
            text = bytes(text).decode("utf-8", "replace")
        kl = cls(sources=[source])
        for n, raw in enumerate(text.splitlines(), 1):
            line = raw.strip().lstrip("\ufeff")
            if not line or line.startswith("#"):
                continue
            msg = kl._parse_line(line)
            if msg:
                kl.problems.append(KeyLogProblem(source, n, msg))
        return kl

    def _parse_line(self, line: str) -> str:
        parts = line.split()
        label = parts[0]
        if label in IGNORED_LABELS:
            return ""
        if label not in LABELS:
            return f"unknown label {_short(label)!r}"
        if len(parts) != 3:
            return f"{label}: expected 3 fields (label, client random, secret), found {len(parts)}"
        try:
            cr = bytes.fromhex(parts[1])
            secret = bytes.fromhex(parts[2])
        except ValueError:
            return f"{label}: client random or secret is not hex"
        if len(cr) != 32:
            return f"{label}: client random is {len(cr)} bytes, expected 32"
        if label == CLIENT_RANDOM and len(secret) != 48:
            return f"{label}: master secret is {len(secret)} bytes, expected 48"
        if label != CLIENT_RANDOM and len(secret) not in (32, 48, 64):
            return f"{label}: secret is {len(secret)} bytes, expected 32 or 48"
        self.add(cr, label, secret)
        return ""

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "KeyLog":
        """Read a key log file; an unreadable file is one problem, not an exception."""
        name = os.fspath(path)
        try:
            with open(name, "rb") as fh:
                data = fh.read()
        except OSError as e:
            kl = cls(sources=[name])
            kl.problems.append(KeyLogProblem(name, 0, f"cannot read key log: {e.strerror or e}"))
            return kl
        return cls.parse(data, name)

    @classmethod
    def from_dsb(cls, blocks: Iterable[object]) -> "KeyLog":
        """Secrets from pcapng Decryption Secrets Blocks: objects with ``secrets_type`` and
        ``data`` (or ``(secrets_type, data)`` pairs).  Blocks of other types are skipped."""
        kl = cls()
        for i, b in enumerate(blocks, 1):
            stype, data = (b if isinstance(b, tuple) else (getattr(b, "secrets_type", None), getattr(b, "data", b"")))
            if stype != SECRETS_TYPE_TLS:
                continue
            kl.merge(cls.parse(data, f"pcapng decryption secrets block {i}"))
        return kl

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "KeyLog | None":
        """The file named by ``SSLKEYLOGFILE``, or None when it is not set."""
        path = (os.environ if environ is None else environ).get("SSLKEYLOGFILE")
        return cls.from_file(path) if path else None


def load_keylog(path: str | None = None, dsb: Iterable[object] = (), use_env: bool = True,
                environ: dict[str, str] | None = None) -> KeyLog | None:
    """Everything the user gave: ``--keylog`` file, pcapng DSBs, then ``$SSLKEYLOGFILE``.

    None when there is no source at all (decryption off)."""
    out: KeyLog | None = None
    parts: list[KeyLog | None] = [KeyLog.from_file(path) if path else None]
    dsb = list(dsb)
    if dsb:
        parts.append(KeyLog.from_dsb(dsb))
    if use_env:
        parts.append(KeyLog.from_env(environ))
    for p in parts:
        if p is None:
            continue
        out = p if out is None else out.merge(p)
    return out


def _short(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[:n] + "…"
