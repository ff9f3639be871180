"""tls.reuse_after_close_notify: a new request sent on a connection after the server's close_notify
or FIN, answered by RST (the keep-alive race of case 004).

Only the server closing first and the client then sending a *request* is this diagnosis.  A client
that closes first and gets RST-provoking data back (a session ticket, the server's own close_notify,
the rest of a response) is a client that left; and after a close a client may still send its own
close_notify or, with HTTP/2, small control frames (GOAWAY, SETTINGS ack): none of these is a request.
What a record is comes from the key log when there is one (the decrypted HTTP request or HTTP/2
HEADERS frame), else from its size and the negotiated ALPN, and the explanation says which.
"""
from __future__ import annotations

from ..context import CT_ALERT, CT_APP_DATA, TLS13_ALERT_LENGTHS, Context
from ..model import Finding
from ..tlsinfo import client_dir, close_evidence, is_tls13

KINDS = ("tls.reuse_after_close_notify",)

H2_HEADERS = 1
# Plaintext bytes under which an HTTP/2 record is most likely control frames only: GOAWAY (17+),
# SETTINGS ack (9), PING (17), WINDOW_UPDATE (13), RST_STREAM (13), or two of them.
H2_CONTROL_MAX = 40


def _overhead(st, r) -> int:
    """Bytes of a protected record that are not plaintext (best guess without keys)."""
    if is_tls13(st):
        return 17  # inner content type + 16-byte AEAD tag
    return 24  # AES-GCM / ChaCha: 8-byte explicit nonce + 16-byte tag (CBC adds more; a lower bound is fine)


def _h2_frame_types(data: bytes) -> list[int]:
    out, p = [], 0
    if data.startswith(b"PRI * HTTP/2.0"):
        p = 24
    while p + 9 <= len(data):
        n = int.from_bytes(data[p:p + 3], "big")
        out.append(data[p + 3])
        p += 9 + n
    return out


def _classify(ctx: Context, st, frame: int, direction: int, h2: bool) -> tuple[str, str] | None:
    """What ``direction`` sent in ``frame``: ('request', what), ('other', what) or None (no record)."""
    tls = ctx.tls
    try:
        pairs = tls.plaintexts(frame) if hasattr(tls, "plaintexts") else [(r, None) for r in ctx.records(frame)]
    except Exception:
        pairs = []
    pairs = [(r, p) for r, p in pairs if r.direction == direction]
    if not pairs:
        return None
    others = []
    for r, plain in pairs:
        if plain is not None:
            if plain.content_type != CT_APP_DATA:
                others.append("its own alert (decrypted)" if plain.content_type == CT_ALERT else "a TLS message")
                continue
            if h2:
                types = _h2_frame_types(plain.plaintext)
                if H2_HEADERS in types:
                    return "request", f"an HTTP/2 HEADERS frame, a new request (decrypted, frame {frame})"
                others.append("HTTP/2 control frames (decrypted)")
                continue
            what = f"'{ctx.esc(plain.http.strip())}'" if plain.http and plain.http.strip() else f"{len(plain.plaintext)} bytes of application data"
            return "request", f"{what} (decrypted, frame {frame})"
        if r.content_type == CT_ALERT:
            others.append("an encrypted alert")
            continue
        if r.content_type != CT_APP_DATA:
            others.append("a TLS message")
            continue
        if is_tls13(st) and r.length in TLS13_ALERT_LENGTHS:
            others.append(f"a {r.length}-byte encrypted record (most likely its own close_notify)")
            continue
        est = max(0, r.length - _overhead(st, r))
        if h2 and est <= H2_CONTROL_MAX:
            others.append(f"a {r.length}-byte encrypted record (about {est} bytes of HTTP/2: most likely control "
                          "frames such as GOAWAY or a SETTINGS ack, not a request)")
            continue
        proto = "HTTP/2" if h2 else "application data"
        return "request", (f"a {r.length}-byte encrypted application-data record (frame {frame}; about {est} bytes "
                           f"of {proto}, large enough to be a request: inferred from its size, not read)")
    return "other", "; ".join(dict.fromkeys(others))


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if kind != "tcp" or st.client_direction not in (0, 1):
            continue
        conv_st = ctx.tcp_stream(stream)
        if conv_st is None or not conv_st.rst:
            continue
        cdir = client_dir(st)
        sdir = 1 - cdir
        closes = close_evidence(ctx, st, sdir)
        fin = conv_st.fin[sdir]
        marks = [f for f in ([closes[0].frame] if closes else []) + ([fin] if fin else []) if f]
        if not marks:
            continue
        start = min(marks)
        # TLS 1.3 hides the server's ALPN choice (EncryptedExtensions): offered h2 counts then.
        h2 = st.alpn_selected == "h2" or (st.alpn_selected is None and "h2" in (st.alpn_offered or []))
        reuse = None
        for f in ctx.tcp_frames(stream):
            if f <= start or ctx.direction(f) != cdir or ctx.tcp_payload_len(f) <= 0:
                continue
            got = _classify(ctx, st, f, cdir, h2)
            if got is not None and got[0] == "request":
                reuse = (f, got[1])
                break
        if reuse is None:
            continue
        rf, what = reuse
        # ... and the server, whose socket is gone, answers with RST.
        rst = next((r for r in ctx.rst_frames(stream) if r > rf and ctx.direction(r) == sdir), None)
        if rst is None:
            continue
        cn = closes[0] if closes else None
        told = ", then ".join(x for x in ((cn.seen if cn else ""), (f"FIN (frame {fin})" if fin else "")) if x)
        try:
            lead = f"{(ctx.time(rf) - ctx.time(start)) * 1000:.0f} ms later the client sent"
        except Exception:
            lead = "The client then sent"
        decrypted = "(decrypted" in what
        sev = "error" if decrypted or not h2 else "warning"
        inferred = "" if decrypted else (" Without the key log the record's content is inferred from its size "
                                         "(open with --keylog to read it).")
        out.append(Finding(
            kind="tls.reuse_after_close_notify", severity=sev,
            summary=(f"the client sent a request after the server's {'close_notify' if cn else 'FIN'} and got "
                     f"RST in {ctx.where(kind, stream, cdir)}"),
            explanation=(f"Seen: the {ctx.side(kind, stream, sdir, cdir)} closed with {told}. {lead} {what} on "
                         f"the same connection, and the server answered with RST (frame {rst}).{inferred} "
                         "Inferred: the keep-alive race. The server closed an idle persistent connection while "
                         "the client picked it from its pool for the next request; the request is lost and the "
                         "client sees 'connection reset' / 'page cannot be displayed'. Check the two idle "
                         "timeouts: make the client's shorter than the server's keep-alive timeout, have the "
                         "client honour close_notify/FIN before reuse, or retry idempotent requests on a new "
                         "connection."),
            frames=[f for f in ((cn.frame if cn else None), fin, rf, rst) if f], stream=stream))
    return out
