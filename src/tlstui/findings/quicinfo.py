"""What the QUIC rules read about each QUIC connection, from the QUIC analyzer's public results
(``session.tls.quic``: ``tracker.all`` and the per-frame ``datagrams``), derived once per Context.

    quic_connections(ctx) -> list[QuicConn]       # in connection order

A ``QuicConn`` says what was *seen*, frame by frame: the client's Initial datagrams and their
versions, the ServerHello (decrypted from the Initial keys, no key log needed), Handshake and
1-RTT packets per side, HANDSHAKE_DONE, Version Negotiation and Retry packets, each
CONNECTION_CLOSE with the packet type that carried it.  The rules decide what it means.

The handshake counts as complete, as in the connections view (``connections/build.py``), on a
HANDSHAKE_DONE frame, on both Finished messages (read with a key log), or on the client's first
1-RTT (short header) packet: a client sends those only after its Finished (RFC 9001 4.1.1), so
without keys that packet is the evidence.  A server's 1-RTT packets prove nothing (0.5-RTT data).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..quic import versions as V

_KEY = "_tlstui_quic_conns"
HS_CLIENT_HELLO, HS_SERVER_HELLO = 1, 2
FT_HANDSHAKE_DONE = 0x1E
CC_TRANSPORT, CC_APPLICATION = 0x1C, 0x1D
LEVEL_NAMES = {V.INITIAL: "Initial", V.ZERO_RTT: "0-RTT", V.HANDSHAKE: "Handshake", V.SHORT: "1-RTT"}


@dataclass
class Close:
    frame: int
    side: int  # 0 client, 1 server
    frame_type: int  # 0x1c transport, 0x1d application
    code: int
    reason: str
    level: int | None  # packet type that carried it (V.INITIAL, V.HANDSHAKE, V.SHORT), None if not known


@dataclass
class QuicConn:
    conn: object  # quic.connection.Connection
    number: int
    stream: int  # udp.stream of the client's first Initial
    cdir: int  # that stream's direction the client sends in
    first_version: int | None = None  # the version of the client's first Initial
    client_frames: list[int] = field(default_factory=list)
    server_frames: list[int] = field(default_factory=list)
    client_initials: list[int] = field(default_factory=list)  # datagrams holding a client Initial
    client_initial_versions: list[tuple[int, int]] = field(default_factory=list)  # (frame, version)
    client_initial_resent: list[int] = field(default_factory=list)  # client Initials whose CRYPTO was sent before
    client_hello_frame: int | None = None
    client_hello: dict | None = None  # what tls.handshake read of it (ciphers, sni, alpn, ...)
    server_hello_frame: int | None = None
    client_handshake: list[int] = field(default_factory=list)  # datagrams with a client Handshake packet
    server_handshake: list[int] = field(default_factory=list)
    handshake_decrypted: bool = False  # some Handshake packet was read (a key log)
    client_short: list[int] = field(default_factory=list)
    server_short: list[int] = field(default_factory=list)
    handshake_done_frame: int | None = None
    vn_frames: list[int] = field(default_factory=list)
    retry_frames: list[int] = field(default_factory=list)
    closes: list[Close] = field(default_factory=list)

    @property
    def client_finished(self) -> bool:
        return bool(getattr(self.conn, "client_finished", False))

    @property
    def server_finished(self) -> bool:
        return bool(getattr(self.conn, "server_finished", False))

    @property
    def complete(self) -> bool:
        return bool(self.handshake_done_frame or getattr(self.conn, "handshake_done", False)
                    or (self.client_finished and self.server_finished) or self.client_short)

    @property
    def completed_at(self) -> int | None:
        """The frame where the handshake is known to be complete (None: not seen)."""
        got = [f for f in (self.handshake_done_frame, self.client_short[0] if self.client_short else None) if f]
        return min(got) if got else None

    @property
    def forced_negotiation(self) -> bool:
        """The client's first Initial used a reserved version (0x?a?a?a?a, RFC 9000 6.3), which no
        server accepts: it asks for Version Negotiation on purpose."""
        return self.first_version is not None and V.forces_negotiation(self.first_version)

    @property
    def probe(self) -> bool:
        """A forced negotiation the client never followed with a real version on this connection."""
        return self.forced_negotiation and all(V.forces_negotiation(v) for _, v in self.client_initial_versions)

    @property
    def last_frame(self) -> int:
        return max(self.client_frames[-1:] + self.server_frames[-1:] or [0])

    @property
    def alpn(self) -> str | None:
        return getattr(self.conn, "alpn", None)

    @property
    def sni(self) -> str | None:
        return getattr(self.conn, "sni", None)


def version_label(v: int | None) -> str:
    if v is None:
        return "?"
    try:
        from ..quic.versions import version_name

        name = version_name(v)
    except Exception:
        name = "Unknown"
    if V.forces_negotiation(v):
        return f"0x{v:08x} (reserved)"
    if name.isdigit():
        name = f"QUIC v{name}"
    return f"{name} (0x{v:08x})" if name and name != "Unknown" else f"0x{v:08x}"


def _client_hello(seen, frame: int, out: QuicConn) -> None:  # noqa: ANN001
    """Read the ClientHello of a delivery with the TLS handshake code (ciphers, ALPN, SNI)."""
    from ..quic.handshake import decode_message
    from ..tls import handshake as tls_hs

    d = seen.delivery
    for m in seen.handled.messages:
        if m.hs_type != HS_CLIENT_HELLO:
            continue
        raw = m.reassembled if m.reassembled is not None else d.data[m.pos:m.pos + m.length]
        try:
            _node, _t, info = decode_message(raw, 0, "", tls_hs.Ctx(False, 0x0304, None), False)
        except Exception:  # a message the decoder cannot read is still a ClientHello seen
            info = {}
        out.client_hello_frame = frame
        out.client_hello = info
        return


def quic_connections(ctx) -> list[QuicConn]:  # noqa: ANN001
    got = ctx.__dict__.get(_KEY)
    if got is not None:
        return got
    quic = getattr(getattr(ctx, "tls", None), "quic", None)
    conns = list(getattr(getattr(quic, "tracker", None), "all", None) or [])
    out = [QuicConn(c, c.number, c.stream, c.client_dir if c.client_dir in (0, 1) else 0) for c in conns]
    by_number = {q.number: q for q in out}
    close_levels: dict[tuple[int, int], int] = {}  # (frame, side) -> packet type of a CONNECTION_CLOSE
    for frame in sorted(getattr(quic, "datagrams", {}) or {}):
        dg = quic.datagrams[frame]
        q = by_number.get(dg.conn)
        if q is None:
            continue
        side = 1 if dg.from_server else 0
        (q.server_frames if side else q.client_frames).append(frame)
        for pkt in dg.packets:
            kind, ptype = pkt.kind, pkt.ptype
            if kind == "vn":
                if side and (not q.vn_frames or q.vn_frames[-1] != frame):
                    q.vn_frames.append(frame)
                continue
            if kind == "retry":
                if side:
                    q.retry_frames.append(frame)
                continue
            if pkt.frame_types and (0x1C in pkt.frame_types or 0x1D in pkt.frame_types):
                close_levels.setdefault((frame, side), ptype)
            if kind == "long" and ptype == V.INITIAL:
                if not side:
                    if not q.client_initials or q.client_initials[-1] != frame:
                        q.client_initials.append(frame)
                        q.client_initial_versions.append((frame, pkt.version))
                        if q.first_version is None:
                            q.first_version = pkt.version
                    if any(s.delivery.kind == "retransmission" for s in pkt.crypto) and \
                            (not q.client_initial_resent or q.client_initial_resent[-1] != frame):
                        q.client_initial_resent.append(frame)
                for s in pkt.crypto:
                    if s.handled is None:
                        continue
                    types = {m.hs_type for m in s.handled.messages}
                    if not side and HS_CLIENT_HELLO in types and q.client_hello_frame is None:
                        _client_hello(s, frame, q)
                    if side and HS_SERVER_HELLO in types and q.server_hello_frame is None:
                        q.server_hello_frame = frame
            elif kind == "long" and ptype == V.HANDSHAKE:
                lst = q.server_handshake if side else q.client_handshake
                if not lst or lst[-1] != frame:
                    lst.append(frame)
                if pkt.plain is not None:
                    q.handshake_decrypted = True
            elif kind == "short":
                lst = q.server_short if side else q.client_short
                if not lst or lst[-1] != frame:
                    lst.append(frame)
                if side and FT_HANDSHAKE_DONE in pkt.frame_types and q.handshake_done_frame is None:
                    q.handshake_done_frame = frame
    for q in out:
        for frame, side, ftype, code, reason in getattr(q.conn, "closes", []) or []:
            q.closes.append(Close(frame, side, ftype, code, reason or "", close_levels.get((frame, side))))
    ctx.__dict__[_KEY] = out
    return out


def is_h3(alpn: str | None) -> bool:
    return bool(alpn) and (alpn == "h3" or alpn.startswith("h3-"))


def is_error_close(q: QuicConn, c: Close) -> bool:
    """A close that quic.connection_close reports: anything but NO_ERROR (transport), 0 or, under
    HTTP/3, H3_NO_ERROR (application)."""
    if c.frame_type == CC_APPLICATION:
        return not (c.code == 0 or (is_h3(q.alpn) and c.code == 0x100))
    return c.code != 0


def frames_text(frames: list[int], limit: int = 6) -> str:
    """'frame 7' / 'frames 7, 9'."""
    from .context import frame_list

    return ("frame " if len(frames) == 1 else "frames ") + frame_list(frames, limit)


def who(side: int) -> str:
    return "server" if side else "client"


def later_connection(ctx, q: QuicConn, after: int, versions: set[int]) -> tuple[QuicConn, int, int] | None:  # noqa: ANN001
    """The client's first Initial after frame ``after`` with one of ``versions``, on this
    connection or on another one from the same client address to the same server endpoint:
    (connection, frame, version)."""
    peers = _by_peers(ctx)
    best = None
    for other in peers.get(_peer_key(ctx, q), [q]) if _peer_key(ctx, q) is not None else [q]:
        for frame, v in other.client_initial_versions:
            if frame > after and v in versions:
                if best is None or frame < best[1]:
                    best = (other, frame, v)
                break
    return best


def _peer_key(ctx, q: QuicConn):  # noqa: ANN001, ANN202
    eps = ctx.endpoints("udp", q.stream)
    if eps is None:
        return None
    return eps[q.cdir][0], eps[1 - q.cdir]


def _by_peers(ctx) -> dict:  # noqa: ANN001
    """{(client address, server endpoint): [connections]}, built once per Context."""
    got = ctx.__dict__.get(_KEY + "_peers")
    if got is None:
        got = {}
        for q in quic_connections(ctx):
            k = _peer_key(ctx, q)
            if k is not None:
                got.setdefault(k, []).append(q)
        ctx.__dict__[_KEY + "_peers"] = got
    return got
