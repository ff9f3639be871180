"""tls.encrypted_alert: an alert after ChangeCipherSpec, unreadable without keys.

Position and size tell the likely story: an encrypted alert at the end of a normal exchange
(after the sender's own application data, or closing a handshake-only connection) is almost
always close_notify; one sent during the handshake, or in place of an answer right after the
peer's first application data, is almost always fatal (bad_record_mac, decrypt_error,
certificate problems).  With keys the description is known and reported as is."""
from __future__ import annotations

from ..alerts import alert_label, alert_meaning, alert_name
from ..context import Context, frame_list, plural
from ..model import Finding
from ..tlsinfo import client_dir, handshake_done, handshake_started, tls13_rejection

KINDS = ("tls.encrypted_alert",)


def _own_app_data_before(ctx: Context, key, st, frame: int, direction: int) -> tuple[bool, bool]:
    """(sender sent application data before ``frame``, peer did)."""
    first = st.first_app_data
    mine = first[direction] is not None and first[direction] < frame
    peer = first[1 - direction] is not None and first[1 - direction] < frame
    return mine, peer


def _finished_before(st, frame: int) -> bool:
    return all(any(f < frame for f in st.finished_frames[d]) for d in (0, 1)) or (
        handshake_done(st) and not (st.finished_frames[0] and st.finished_frames[1]))


def check(ctx: Context) -> list[Finding]:
    out = []
    benign: list[tuple[int, int, str]] = []  # (frame, stream, kind)
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        cdir = client_dir(st)
        proto = "DTLS" if st.dtls else "TLS"
        rejected = tls13_rejection(ctx, key, st)
        if rejected is not None:
            out.append(_rejection(ctx, key, st, rejected))
        for a in st.alerts:
            if not a.encrypted:
                continue
            role = "client" if a.direction == cdir else "server"
            who = ctx.side(kind, stream, a.direction, cdir)
            rec = ctx.alert_record(a.frame, a.direction)
            size = f", record length {rec.length}" if rec is not None else ""
            if a.description is not None:  # decrypted with keys
                if a.description == 0:
                    benign.append((a.frame, stream, kind))
                    continue
                fatal = a.level == 2
                out.append(Finding(
                    kind="tls.encrypted_alert", severity="error" if fatal else "warning",
                    summary=(f"encrypted {proto} alert {alert_label(a.level, a.description)} (decrypted) from the "
                             f"{role} in {ctx.where(kind, stream, cdir)}"),
                    explanation=(f"Frame {a.frame}: {who} sent an encrypted alert that the key log decrypts to "
                                 f"{alert_label(a.level, a.description)}. {alert_name(a.description)}: "
                                 f"{alert_meaning(a.description)}"),
                    frames=[a.frame], stream=stream))
                continue
            mine, peer = _own_app_data_before(ctx, key, st, a.frame, a.direction)
            # A capture that starts mid-connection shows no handshake: nothing says the alert is in one.
            in_handshake = handshake_started(st) and not _finished_before(st, a.frame) and not (mine or peer)
            if in_handshake and a.direction != cdir and st.client_direction is not None and any(
                    f < a.frame for f in st.finished_frames[cdir]):
                out.append(Finding(
                    kind="tls.encrypted_alert", severity="error",
                    summary=(f"the server rejected the handshake with an encrypted alert right after the client's "
                             f"Finished in {ctx.where(kind, stream, cdir)}"),
                    explanation=(f"Seen: frame {a.frame}, {who} sent an encrypted alert record{size} right after "
                                 f"the client's encrypted Finished (frame {min(st.finished_frames[cdir])}), before "
                                 "its own ChangeCipherSpec and Finished. Its description is encrypted. Inferred: a "
                                 "fatal alert ending the handshake; the server could not verify the client's "
                                 "Finished (decrypt_error, bad_record_mac: different keys, a broken PSK or "
                                 "session resumption, or bytes altered in transit) or refused the client's "
                                 "certificate after checking it. Read it with the key log (--keylog) and check "
                                 "the server's log for the reason."),
                    frames=[min(st.finished_frames[cdir]), a.frame], stream=stream))
                continue
            if in_handshake:
                why = ("it comes before the handshake finished in both directions: most likely a fatal alert "
                       "(decrypt_error, bad_record_mac or handshake_failure after the peer's encrypted Finished); "
                       "a client that only wanted the handshake (a scanner or a certificate checker) also ends "
                       "this way, with a close_notify right after its Finished")
            elif peer and not mine:
                why = ("it comes right after the peer's first application data, in place of an answer: the "
                       "usual story is a record the sender could not decrypt or verify (bad_record_mac), "
                       "for example because something in the path altered it, or an application-level "
                       "refusal")
            else:
                benign.append((a.frame, stream, kind))
                continue
            out.append(Finding(
                kind="tls.encrypted_alert", severity="warning",
                summary=(f"encrypted {proto} alert from the {role} "
                         f"{'during the handshake' if in_handshake else 'right after the first application data'}"
                         f" in {ctx.where(kind, stream, cdir)}"),
                explanation=(f"Frame {a.frame}: {who} sent an alert after ChangeCipherSpec{size}. Its level "
                             f"and description are encrypted, but by its position {why}. Open the capture with "
                             "the key log (--keylog, SSLKEYLOGFILE) to read it, and check the sender's logs."),
                frames=[a.frame], stream=stream))
    if benign:
        frames = sorted(f for f, _, _ in benign)
        streams = sorted({(k, s) for _, s, k in benign})
        only = streams[0][1] if len(streams) == 1 else None
        where = (ctx.where(streams[0][0], only) if only is not None else plural(len(streams), "stream"))
        out.append(Finding(
            kind="tls.encrypted_alert", severity="note",
            summary=(f"{plural(len(frames), 'encrypted alert')} closing normal exchanges in {where} "
                     "(most likely close_notify)"),
            explanation=(f"Seen: frames {frame_list(frames)} hold encrypted alerts sent after the sender's own "
                         "application data or at the end of a handshake-only connection, each the sender's "
                         "last record. Inferred: by position and size these are most likely close_notify, the "
                         "orderly TLS close; their description cannot be read without keys. Open the capture "
                         "with the key log (--keylog) to confirm it."),
            frames=frames, stream=only))
    return out


def _rejection(ctx: Context, key, st, frame: int) -> Finding:
    """TLS 1.3: an alert-sized encrypted record from the server right after the client's flight."""
    kind, stream = key
    cdir = client_dir(st)
    sdir = 1 - cdir
    rec = next((r for r in ctx.records(frame) if r.direction == sdir), None)
    size = f"{rec.length}-byte " if rec is not None else ""
    client_first = st.first_app_data[cdir]
    ends = ""
    if kind == "tcp":
        rst = next((r for r in ctx.rst_frames(stream) if r >= frame), None)
        if rst:
            ends = f", and the connection ended with RST (frame {rst})"
    return Finding(
        kind="tls.encrypted_alert", severity="error",
        summary=(f"the server most likely rejected the TLS 1.3 handshake (encrypted alert right after the client's "
                 f"Finished) in {ctx.where(kind, stream, cdir)}"),
        explanation=(f"Seen: the client's encrypted handshake flight (its Finished, and its Certificate if it sent "
                     f"one) starts in frame {client_first}; the server's next record, frame {frame}, is a "
                     f"{size}encrypted record, the size of an alert, and the server sent nothing larger after "
                     f"it{ends}. No application data came from the server. Inferred: the server refused the "
                     "handshake with a fatal alert. In TLS 1.3 the alert, the server's CertificateRequest and the "
                     "client's Certificate are all encrypted, so without keys the reason cannot be read: most "
                     "often certificate_required (the server requires a client certificate and the client sent "
                     "none), bad_certificate / unknown_ca (the client's certificate is not issued by a CA the "
                     "server accepts, or is expired), or a post-handshake check by the server application. "
                     "Check that the client has a certificate and key configured and that its issuer is one the "
                     "server trusts; read the server's log for the reason; or open the capture with the key log "
                     "(--keylog) to read the alert."),
        frames=[f for f in (client_first, frame) if f], stream=stream)
