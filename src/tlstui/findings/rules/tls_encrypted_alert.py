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
from ..tlsinfo import client_dir, handshake_done

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
            in_handshake = not _finished_before(st, a.frame) and not (mine or peer)
            if in_handshake:
                why = ("it comes before the handshake finished in both directions, where a close_notify "
                       "makes no sense: it is almost certainly a fatal alert (for example decrypt_error, "
                       "bad_certificate or handshake_failure after the peer's encrypted Finished)")
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
            summary=f"{plural(len(frames), 'encrypted alert')} closing normal exchanges in {where} (close_notify)",
            explanation=(f"Frames {frame_list(frames)}: encrypted alerts sent after the sender's own "
                         "application data or at the end of a handshake-only connection, each the sender's "
                         "last record. By position and size these are close_notify, the orderly TLS close; "
                         "nothing is wrong. With the key log (--keylog) their description is shown."),
            frames=frames, stream=only))
    return out
