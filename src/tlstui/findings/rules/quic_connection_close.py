"""quic.connection_close: a QUIC CONNECTION_CLOSE frame with an error, the QUIC counterpart of a
fatal alert.  A TLS alert travels in QUIC as the crypto error 0x100 + its description (RFC 9001
4.8): it is named as the alert, with what it usually means.

Seen: the frame, who sent it, the packet type that carried it (Initial packets are read with
keys every observer can derive; Handshake and 1-RTT packets only with a key log), the error code
and reason phrase.  Severity: a crypto error or a transport error ends the connection in failure
(error; APPLICATION_ERROR, an application's close sent before the handshake allows its own
codes, is a warning).  NO_ERROR, and HTTP/3's H3_NO_ERROR, are orderly closes: no finding.  Other
application codes are named for HTTP/3 (warning); for other applications their meaning is the
application's own (note).  Resends of the same close (endpoints answer each late packet with it,
and send it at several encryption levels) are one finding.
"""
from __future__ import annotations

from ..alerts import alert_label, alert_meaning, alert_name
from ..context import Context, frame_list
from ..model import Finding
from ..quicinfo import CC_APPLICATION, LEVEL_NAMES, is_error_close, is_h3, quic_connections, who

KINDS = ("quic.connection_close",)

APPLICATION_ERROR = 0x0C
TRANSPORT_MEANINGS = {
    0x01: "the sender hit an internal error unrelated to the peer; its logs say more.",
    0x02: "the server refused the connection (overload, or a policy such as an address it does not serve).",
    0x03: "the peer sent more data than the flow-control limits it was given allow.",
    0x04: "the peer opened more streams than allowed (STREAM_LIMIT_ERROR).",
    0x05: "a frame arrived for a stream in a state that does not allow it.",
    0x06: "a stream's final size changed or was exceeded.",
    0x07: "a frame could not be decoded: a broken implementation or data changed in transit.",
    0x08: "the peer's transport parameters (in its ClientHello or EncryptedExtensions) were missing, "
          "malformed or invalid: compare the two implementations' QUIC drafts/versions.",
    0x09: "the peer supplied more connection IDs than allowed.",
    0x0A: "the peer broke the protocol in a way no more specific code covers.",
    0x0B: "the token in the client's Initial (from a Retry or NEW_TOKEN) was refused: often a load balancer "
          "that sent the Retry from one server and the new Initial to another.",
    0x0C: "the application closed the connection before the handshake allowed it to send its own code.",
    0x0D: "the peer sent more CRYPTO data than the receiver buffers (an oversized certificate chain).",
    0x0E: "a key update was done wrongly.",
    0x0F: "too many packets were protected with one key; the sender closed rather than risk it.",
    0x10: "no network path is usable (all paths failed validation).",
    0x11: "version negotiation went wrong (RFC 9368: a downgrade or inconsistent versions).",
}
H3_ERRORS = {
    0x100: "H3_NO_ERROR", 0x101: "H3_GENERAL_PROTOCOL_ERROR", 0x102: "H3_INTERNAL_ERROR",
    0x103: "H3_STREAM_CREATION_ERROR", 0x104: "H3_CLOSED_CRITICAL_STREAM", 0x105: "H3_FRAME_UNEXPECTED",
    0x106: "H3_FRAME_ERROR", 0x107: "H3_EXCESSIVE_LOAD", 0x108: "H3_ID_ERROR", 0x109: "H3_SETTINGS_ERROR",
    0x10A: "H3_MISSING_SETTINGS", 0x10B: "H3_REQUEST_REJECTED", 0x10C: "H3_REQUEST_CANCELLED",
    0x10D: "H3_REQUEST_INCOMPLETE", 0x10E: "H3_MESSAGE_ERROR", 0x10F: "H3_CONNECT_ERROR",
    0x110: "H3_VERSION_FALLBACK", 0x200: "QPACK_DECOMPRESSION_FAILED", 0x201: "QPACK_ENCODER_STREAM_ERROR",
    0x202: "QPACK_DECODER_STREAM_ERROR",
}


def _level(level: int | None) -> str:
    name = LEVEL_NAMES.get(level) if level is not None else None
    if name is None:
        return "a packet"
    how = (" (read with the Initial keys, which any observer derives from the client's first Destination "
           "Connection ID)" if name == "Initial" else " (read with the key log)")
    return f"{'an' if name[0] in 'AEIOU' else 'a'} {name} packet{how}"


def _answers(q, c) -> str:  # noqa: ANN001
    """What the close answers, from what was seen before it."""
    if c.side == 1:
        if q.server_hello_frame is None or q.server_hello_frame > c.frame:
            if q.client_hello_frame and q.client_hello_frame <= c.frame:
                return f" It answers the client's ClientHello (frame {q.client_hello_frame}), before any ServerHello."
            return " No ServerHello came before it."
        return (f" It comes after the server's ServerHello (frame {q.server_hello_frame})"
                + (", once the handshake was complete." if q.completed_at and q.completed_at < c.frame else
                   ", while the handshake was still running."))
    if q.server_hello_frame and q.server_hello_frame <= c.frame:
        if q.completed_at and q.completed_at < c.frame:
            return " It comes after the handshake completed."
        return (f" It answers the server's flight (ServerHello in frame {q.server_hello_frame}): the client "
                "rejected something in it, most often the certificate.")
    return ""


def check(ctx: Context) -> list[Finding]:
    out = []
    for q in quic_connections(ctx):
        if q.probe:
            continue  # a version probe's end: quic.version_negotiation
        groups: dict[tuple[int, int, int], list] = {}
        for c in q.closes:
            if not is_error_close(q, c):
                continue  # NO_ERROR / H3_NO_ERROR: an orderly close
            groups.setdefault((c.side, c.frame_type, c.code), []).append(c)
        for (side, ftype, code), cs in groups.items():
            c = cs[0]
            frames = [x.frame for x in cs]
            reason = f', reason phrase "{ctx.esc(c.reason)}"' if c.reason else ""
            again = f" (sent again in frames {frame_list(frames[1:])})" if len(frames) > 1 else ""
            where = ctx.where("udp", q.stream, q.cdir)
            role = who(side)
            seen = (f"Seen: frame {c.frame}: the {ctx.side('udp', q.stream, q.cdir if side == 0 else 1 - q.cdir, q.cdir)} "
                    f"sent a CONNECTION_CLOSE ({'Application' if ftype == CC_APPLICATION else 'Transport'}) frame in "
                    f"{_level(c.level)}{again}, error code 0x{code:x}")
            if ftype == CC_APPLICATION:
                if is_h3(q.alpn):
                    name = H3_ERRORS.get(code, f"H3 code 0x{code:x}")
                    out.append(Finding(
                        kind="quic.connection_close", severity="warning",
                        summary=f"QUIC connection closed by the {role} with HTTP/3 error {name} in {where}",
                        explanation=(f"{seen} ({name}){reason}.{_answers(q, c)} Inferred: the HTTP/3 layer of the "
                                     f"{role} ended the connection; {name} is defined by RFC 9114 8.1 (RFC 9204 for "
                                     "QPACK). The sender's logs say more."),
                        frames=frames, stream=q.stream))
                else:
                    app = f" (ALPN {ctx.esc(q.alpn)})" if q.alpn else ""
                    out.append(Finding(
                        kind="quic.connection_close", severity="note",
                        summary=f"QUIC connection closed by the {role} with application code 0x{code:x} in {where}",
                        explanation=(f"{seen}{reason}.{_answers(q, c)} The code belongs to the application "
                                     f"protocol{app}: whether it reports a failure depends on that protocol's "
                                     "definitions, which tlstui does not know."),
                        frames=frames, stream=q.stream))
                continue
            if 0x100 <= code <= 0x1FF:
                desc = code - 0x100
                label = alert_label(2, desc)
                out.append(Finding(
                    kind="quic.connection_close", severity="error",
                    summary=f"QUIC CONNECTION_CLOSE with TLS alert {label} from the {role} in {where}",
                    explanation=(f"{seen} = CRYPTO_ERROR carrying TLS alert {desc} ({alert_name(desc)}){reason}."
                                 f"{_answers(q, c)} QUIC sends no alert records: the TLS stack's alert becomes this "
                                 f"error code (RFC 9001 4.8), and the connection ends. {alert_name(desc)}: "
                                 f"{alert_meaning(desc)} The sender's logs usually say more."),
                    frames=frames, stream=q.stream))
                continue
            from ...quic.names import transport_error_name

            name = transport_error_name(code)
            meaning = TRANSPORT_MEANINGS.get(code, "see RFC 9000 20.1 for the transport error codes.")
            out.append(Finding(
                kind="quic.connection_close", severity="warning" if code == APPLICATION_ERROR else "error",
                summary=f"QUIC CONNECTION_CLOSE {name} (0x{code:x}) from the {role} in {where}",
                explanation=(f"{seen} ({name}){reason}.{_answers(q, c)} {name}: {meaning} The connection ends "
                             "here; the sender's logs usually say more."),
                frames=frames, stream=q.stream))
    return out
