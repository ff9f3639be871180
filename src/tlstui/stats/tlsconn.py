"""The TLS/DTLS block of ``tlstui stats conv``: one row per connection, who, what was negotiated,
and how it ended.

A view of ``tlstui.connections`` (the one definition of a connection and of how it ended); this
module only keeps the shape the stats JSON has had since it was added (``end`` as one of
END_KINDS).  QUIC connections are left to ``tlstui connections``.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..connections import Connection, build, connections


@dataclass(slots=True)
class TlsConnection:
    transport: str  # "tcp" | "udp"
    stream: int
    dtls: bool
    client: str  # "addr:port" ([v6]:port)
    server: str
    sni: str | None
    version: str | None
    cipher: str | None
    alpn: str | None
    end: str  # machine-readable: see END_KINDS
    ended: str  # the same in words
    first_frame: int

    def as_dict(self) -> dict:
        return {"transport": self.transport, "stream": self.stream, "protocol": "dtls" if self.dtls else "tls",
                "client": self.client, "server": self.server, "sni": self.sni, "version": self.version,
                "cipher": self.cipher, "alpn": self.alpn, "end": self.end, "ended": self.ended,
                "first_frame": self.first_frame}


END_KINDS = ("alert", "handshake_incomplete", "close_notify_both", "close_notify_client", "close_notify_server",
             "fin", "rst", "open")


def end_kind(c: Connection) -> str:
    """The connection's ending as one of END_KINDS (a close_notify is named before the RST or FIN
    that followed it; ``Connection.outcome`` is the coarser verdict)."""
    if c.outcome == "alert":
        return "alert"
    if c.outcome == "incomplete":
        return "handshake_incomplete"
    if len(c.close_notify) == 2:
        return "close_notify_both"
    if c.close_notify:
        return f"close_notify_{c.close_notify[0]}"
    if c.outcome == "reset" or (c.reset_by and not c.fin):
        return "rst"
    if c.fin:
        return "fin"
    return "open"


def tls_connections(session, mask=None) -> list[TlsConnection]:  # noqa: ANN001
    """Every TLS/DTLS connection of the capture, in stream order (TCP first, then UDP); with a
    ``mask`` (from ``frame_mask``) only those with at least one frame the filter keeps."""
    table = connections(session) if mask is None else build(session, mask)
    rows = [TlsConnection(c.transport, c.stream, c.protocol == "dtls", c.client, c.server, c.sni, c.version,
                          c.cipher, c.alpn, end_kind(c), c.ended, c.handshake_start_frame or c.first_frame)
            for c in table if c.protocol in ("tls", "dtls")]
    rows.sort(key=lambda r: (r.transport, r.stream))
    return rows
