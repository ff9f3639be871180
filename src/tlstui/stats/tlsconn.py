"""One row per TLS/DTLS connection: who, what was negotiated, and how it ended.

How it ended is read from what the findings read (``findings.tlsinfo``): a close_notify seen
(in the clear or decrypted) or inferred (an encrypted alert-sized record at the end), readable
fatal alerts, the TCP FIN and RST of the stream, and whether the handshake finished.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..findings.context import Context, fmt_endpoint
from ..findings.tlsinfo import close_evidence, client_dir, fatal_alerts, handshake_done, handshake_started
from ..safe_text import escape_text
from ..tls.names import ALERT_DESCRIPTIONS, ALERT_LEVELS, CIPHER_SUITES, VERSION_NAMES


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


def _first_frame(ctx: Context, st) -> int:  # noqa: ANN001
    frames = [h.frame for h in st.client_hellos + st.server_hellos]
    if st.sslv2_client_hello:
        frames.append(st.sslv2_client_hello)
    frames += [f for f in st.last_record_frame if f]
    return min(frames) if frames else 0


def _ending(ctx: Context, key, st, cdir: int) -> tuple[str, str]:  # noqa: ANN001
    kind, stream = key
    who = {cdir: "client", 1 - cdir: "server"}
    alerts = fatal_alerts(st)
    if alerts:
        a = alerts[0]
        name = ALERT_DESCRIPTIONS.get(a.description, f"alert {a.description}")
        level = ALERT_LEVELS.get(a.level, str(a.level))
        return "alert", f"alert {name} ({level}) from {who[a.direction]}, frame {a.frame}"
    tcp = ctx.tcp_stream(stream) if kind == "tcp" else None
    fins = {d: tcp.fin[d] for d in (0, 1) if tcp is not None and tcp.fin[d]}
    rsts = ctx.rst_frames(stream) if tcp is not None and tcp.rst else []
    rst = rsts[0] if rsts else 0
    transport_end = []
    if fins:
        sides = sorted(fins, key=lambda d: fins[d])
        transport_end.append("FIN " + ("both ways" if len(sides) == 2 else f"from {who[sides[0]]}"))
    if rst:
        transport_end.append(f"RST from {who[ctx.direction(rst)]}, frame {rst}")
    tail = ", then " + " and ".join(transport_end) if transport_end else ""
    if handshake_started(st) and not handshake_done(st):
        return "handshake_incomplete", "handshake not finished" + (tail.replace(", then", ";") if tail else "")
    signs = {d: close_evidence(ctx, st, d) for d in (0, 1)}
    closed = [d for d in (cdir, 1 - cdir) if signs[d]]

    inferred = [who[d] for d in closed if not any(c.known for c in signs[d])]
    note = f" (inferred for the {' and '.join(inferred)}: an encrypted alert-sized record, no keys)" if inferred else ""
    if len(closed) == 2:
        return "close_notify_both", "close_notify both ways" + note + tail
    if closed:
        d = closed[0]
        return f"close_notify_{who[d]}", f"close_notify from the {who[d]} only" + note + tail
    if rst:
        return "rst", f"RST from {who[ctx.direction(rst)]} without close_notify, frame {rst}"
    if fins:
        return "fin", "FIN without close_notify (" + transport_end[0] + ")"
    return "open", "no close seen (capture ends first)"


def tls_connections(session, mask=None) -> list[TlsConnection]:  # noqa: ANN001
    """Every TLS/DTLS connection of the capture, in stream order (TCP first, then UDP); with a
    ``mask`` (from ``frame_mask``) only those with at least one frame the filter keeps."""
    ctx = Context(session)
    keep = None
    if mask is not None:
        import numpy as np

        conv = session.conv
        n = len(conv.direction)
        m = mask[:n]
        keep = {("tcp", int(x)) for x in np.unique(np.frombuffer(conv.tcp_stream, np.int32, n)[m]) if x >= 0}
        keep |= {("udp", int(x)) for x in np.unique(np.frombuffer(conv.udp_stream, np.int32, n)[m]) if x >= 0}
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if keep is not None and key not in keep:
            continue
        eps = ctx.endpoints(kind, stream)
        if eps is None:
            continue
        cdir = client_dir(st)
        client, server = fmt_endpoint(eps[cdir]), fmt_endpoint(eps[1 - cdir])
        version = VERSION_NAMES.get(st.version, f"0x{st.version:04x}") if st.version is not None else None
        cipher = CIPHER_SUITES.get(st.cipher, f"0x{st.cipher:04x}") if st.cipher is not None else None
        end, ended = _ending(ctx, key, st, cdir)
        out.append(TlsConnection(kind, stream, bool(st.dtls), client, server,
                                 escape_text(st.sni) if st.sni is not None else None, version, cipher,
                                 escape_text(st.alpn_selected) if st.alpn_selected else None, end, ended,
                                 _first_frame(ctx, st)))
    return out
