"""Questions about one TLS/DTLS stream that several rules ask (derived from ``StreamTls``)."""
from __future__ import annotations

from dataclasses import dataclass

from .context import CT_ALERT, CT_APP_DATA, MAX_TLS12_ALERT_LENGTH, TLS13_ALERT_LENGTHS, Context

TLS13 = 0x0304


def is_tls13(st) -> bool:
    return st.version == TLS13 or any(h.selected_version == TLS13 for h in st.server_hellos)


def client_dir(st) -> int:
    """The client's direction: from the hellos, else as the pass guessed it (SYN, ports)."""
    if st.client_direction in (0, 1):
        return st.client_direction
    return getattr(st, "guessed_client_direction", 0)


def server_dir(st) -> int:
    return 1 - client_dir(st)


def handshake_done(st) -> bool:
    """Finished seen both ways; for TLS 1.3 without keys, encrypted records both ways after the
    ServerHello (the client's first one is its Finished)."""
    if st.finished_frames[0] and st.finished_frames[1]:
        return True
    if is_tls13(st) and st.server_hellos and st.app_data_frames[0] and st.app_data_frames[1]:
        return True
    return False


def handshake_started(st) -> bool:
    return bool(st.client_hellos) or st.sslv2_client_hello is not None


def readable_alerts(st) -> list:
    """Alerts whose level and description are known (plaintext, or decrypted with keys)."""
    return [a for a in st.alerts if a.level is not None and a.description is not None]


def fatal_alerts(st, direction: int | None = None) -> list:
    """Readable alerts that end the connection: level fatal, or any non-close_notify alert
    during the handshake (some stacks send handshake_failure as a warning)."""
    out = []
    for a in st.alerts:
        if a.level is None or a.description is None or a.description in (0, 90, 100):
            continue
        if direction is not None and a.direction != direction:
            continue
        if a.level == 2 or not handshake_done(st):
            out.append(a)
    return out


@dataclass(frozen=True, slots=True)
class CloseSign:
    """One sign that a side closed the TLS session.  ``known``: a close_notify read in the clear
    or decrypted with the key log; otherwise an encrypted record that is most likely one, and
    ``seen`` says what was actually seen."""

    frame: int
    direction: int
    known: bool
    seen: str


def close_evidence(ctx: Context, st, direction: int) -> list[CloseSign]:
    """What ``direction`` sent that closes the session: a readable close_notify (known), an
    encrypted alert record (TLS <= 1.2), or, in TLS 1.3 without keys, an alert-sized
    application-data record as the sender's last record (both inferred)."""
    out: list[CloseSign] = []
    for a in st.alerts:
        if a.direction != direction:
            continue
        if a.description == 0:
            how = "decrypted with the key log" if a.encrypted or _decrypted(ctx, a.frame, direction) else "in the clear"
            out.append(CloseSign(a.frame, direction, True, f"a close_notify alert ({how}, frame {a.frame})"))
        elif a.level is None:
            rec = ctx.alert_record(a.frame, direction)
            size = f"{rec.length}-byte " if rec is not None else ""
            out.append(CloseSign(a.frame, direction, False,
                                 f"a {size}encrypted alert record (frame {a.frame}), most likely close_notify "
                                 "by its position at the end of the exchange"))
    last = st.last_record_frame[direction] if st.last_record_frame else None
    if last and is_tls13(st) and all(c.frame != last for c in out):
        for r in ctx.records(last):
            if r.direction == direction and r.content_type == CT_APP_DATA and r.length in TLS13_ALERT_LENGTHS:
                out.append(CloseSign(last, direction, False,
                                     f"a {r.length}-byte encrypted record (frame {last}), most likely an alert: "
                                     "close_notify by its position at the end of the exchange"))
                break
    out.sort(key=lambda c: c.frame)
    return out


def _decrypted(ctx: Context, frame: int, direction: int) -> bool:
    try:
        return any(p is not None for r, p in ctx.tls.plaintexts(frame) if r.direction == direction)
    except Exception:
        return False


def close_signals(ctx: Context, st, direction: int) -> list[int]:
    """Frames of ``close_evidence`` (known or inferred closes of ``direction``)."""
    return [c.frame for c in close_evidence(ctx, st, direction)]


def alert_sized(r) -> bool:
    return r is not None and r.content_type == CT_ALERT and r.length <= MAX_TLS12_ALERT_LENGTH


def stream_kind(key) -> tuple[str, int]:
    return key[0], key[1]


def stream_frames_before(ctx: Context, key, frame: int, limit: int = 4000) -> list[int]:
    """Frames of the stream up to ``frame`` (inclusive), most recent last, at most ``limit``."""
    kind, stream = key
    if kind == "tcp":
        frames = ctx.tcp_frames(stream)
        return [f for f in frames if f <= frame][-limit:]
    arr = ctx.conv.udp_stream
    out = []
    f = frame
    while f >= 1 and len(out) < limit and frame - f < limit * 8:
        if arr[f - 1] == stream:
            out.append(f)
        f -= 1
    out.reverse()
    return out


def handshake_name(t: int) -> str:
    try:
        from ..tls.names import HANDSHAKE_TYPES

        return HANDSHAKE_TYPES.get(t, f"handshake type {t}")
    except Exception:
        return f"handshake type {t}"


def last_message_before(ctx: Context, key, frame: int, direction: int | None = None) -> tuple[int, str] | None:
    """The last record (of ``direction``, any if None) before the alert in ``frame``, described:
    (frame, 'Certificate, Server Key Exchange')."""
    for f in reversed(stream_frames_before(ctx, key, frame, limit=400)):
        recs = [r for r in ctx.records(f) if (direction is None or r.direction == direction)
                and r.content_type != CT_ALERT]
        if not recs:
            continue
        names = []
        for r in recs:
            if r.handshake_types:
                names.extend(handshake_name(t) for t in r.handshake_types)
            elif r.content_type == 0:
                names.append("SSLv2 Client Hello")
            elif r.content_type == 20:
                names.append("Change Cipher Spec")
            elif r.content_type == CT_APP_DATA:
                names.append("Application Data")
            elif r.content_type == 22:
                names.append("Encrypted Handshake Message")
        if names:
            uniq = list(dict.fromkeys(names))
            return f, ", ".join(uniq)
    return None


def chains(st, who: str = "any") -> list:
    """Certificate messages with at least one certificate: who = 'server', 'client' or 'any'."""
    cdir = client_dir(st)
    out = []
    for c in st.certificates:
        if not c.certs:
            continue
        if who == "server" and c.direction == cdir and st.client_direction is not None:
            continue
        if who == "client" and c.direction != cdir:
            continue
        out.append(c)
    return out


def rejecting_alert(st, chain_direction: int, descs: tuple[int, ...] | None = None):
    """The first readable fatal alert sent by the receiver of a chain (optionally one of ``descs``)."""
    for a in st.alerts:
        if a.direction == chain_direction or a.level is None or a.description is None:
            continue
        if a.description == 0:
            continue
        if descs is None or a.description in descs:
            return a
    return None


def _stream_frames(ctx: Context, key) -> list[int]:
    kind, stream = key
    if kind == "tcp":
        return ctx.tcp_frames(stream)
    return stream_frames_before(ctx, key, ctx.total)


def tls13_rejection(ctx: Context, key, st) -> int | None:
    """See ``_tls13_rejection``; asked by several rules, decided once per stream."""
    memo = ctx.__dict__.setdefault("_tls13_rejection", {})
    if key not in memo:
        memo[key] = _tls13_rejection(ctx, key, st)
    return memo[key]


def _tls13_rejection(ctx: Context, key, st) -> int | None:
    """The frame of an encrypted TLS 1.3 record that is most likely the server rejecting the
    handshake: the server's first record after the client's encrypted flight (its Certificate and
    Finished) is alert-sized, comes quickly, before the client closed, and the server sends nothing
    larger after it.  Without keys the alert cannot be read; its position says what it is."""
    if st.dtls or not is_tls13(st) or st.client_direction not in (0, 1) or not st.server_hellos:
        return None
    cdir = st.client_direction
    sdir = 1 - cdir
    client_first = st.first_app_data[cdir]
    if client_first is None:
        return None
    server_recs = []
    client_closed_at = None
    for f in _stream_frames(ctx, key):
        if f <= client_first:
            continue
        if len(server_recs) > 8 or any(r.length not in TLS13_ALERT_LENGTHS for r in server_recs[:1]):
            break  # the server's first record after the flight is not an alert, or it went on: decided
        for r in ctx.records(f):
            if r.direction == sdir and r.content_type == CT_APP_DATA:
                server_recs.append(r)
            elif r.direction == cdir and r.content_type == CT_ALERT and client_closed_at is None:
                client_closed_at = f
        if key[0] == "tcp" and client_closed_at is None:
            cs = ctx.tcp_stream(key[1])
            if cs is not None and cs.fin[cdir] and cs.fin[cdir] <= f:
                client_closed_at = cs.fin[cdir]
    if not server_recs or server_recs[0].length not in TLS13_ALERT_LENGTHS:
        return None
    if any(r.length not in TLS13_ALERT_LENGTHS for r in server_recs[1:]):
        return None  # the server went on talking: not a rejection
    alert = server_recs[0]
    if client_closed_at is not None and client_closed_at <= alert.frame:
        return None  # an answer to the client's own close
    # Quickly: a rejection follows the client's flight within a few round trips; an idle
    # timeout's close_notify comes seconds later.
    try:
        ch = st.client_hellos[0].frame if st.client_hellos else None
        rtt = ctx.time(st.server_hellos[0].frame) - ctx.time(ch) if ch else 0.0
        if ctx.time(alert.frame) - ctx.time(client_first) > max(0.5, 4 * max(rtt, 0.0)):
            return None
    except Exception:
        pass
    return alert.frame
