"""quic.handshake_incomplete: a QUIC connection whose client Initial was seen but whose handshake
was never seen to complete (no HANDSHAKE_DONE, no Finished both ways read with a key log, no 1-RTT
packet from the client), and that no other finding explains (a CONNECTION_CLOSE with an error,
Version Negotiation, a version probe).

As for TLS (tls.handshake_incomplete), a warning needs evidence of failure: the client sent its
Initial again and again without any answer, the server's flight was repeated without a word from
the client, or the client ignored a Retry.  A connection the capture simply stops following, or
whose end is hidden in Handshake packets nobody can read without keys, is a note.
"""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..oneway import one_direction_streams
from ..quicinfo import frames_text, is_error_close, quic_connections, version_label

KINDS = ("quic.handshake_incomplete",)

RESENT_AFTER_S = 0.2  # a client Initial later than this after the first one is a resend (RFC 9002: PTO >= 1 RTT)
CAUSES = ("Common causes: UDP to this port filtered by a firewall (QUIC is often blocked while TCP 443 is "
          "open; browsers then fall back to TCP), no QUIC server on this port, or replies lost on the way back.")


def _time(ctx: Context, frame: int) -> float:
    try:
        return ctx.time(frame)
    except Exception:
        return 0.0


def _resends(ctx: Context, q) -> list[int]:  # noqa: ANN001
    """Client Initial datagrams that repeat the first flight: CRYPTO data sent before, or sent
    later than a first flight's datagrams travel together."""
    if not q.client_initials:
        return []
    t0 = _time(ctx, q.client_initials[0])
    return sorted({f for f in q.client_initial_resent}
                  | {f for f in q.client_initials[1:] if _time(ctx, f) - t0 >= RESENT_AFTER_S})


def check(ctx: Context) -> list[Finding]:
    out = []
    oneway = None
    for q in quic_connections(ctx):
        if not q.client_initials or q.complete or q.forced_negotiation or q.vn_frames:
            continue
        if any(is_error_close(q, c) for c in q.closes):
            continue  # quic.connection_close says why
        if oneway is None:
            oneway = one_direction_streams(ctx)
        first = q.client_initials[0]
        ch = q.client_hello_frame or first
        where = ctx.where("udp", q.stream, q.cdir)
        seen = [f"the client's {version_label(q.first_version)} Initial in frame {first}"
                + (f" (its ClientHello complete in frame {ch})" if q.client_hello_frame and ch != first else "")]
        frames = [first]
        sev, end = "note", ""
        last = q.last_frame
        tail = (f" The capture holds nothing more of this connection after frame {last}"
                + (" (the last frame of the capture)" if last == ctx.total else "") + ".")
        no_error_close = q.closes[:1]  # none of them is an error (see above)
        if ("udp", q.stream) in oneway:
            end = (" Only one direction of this connection was captured (see capture.one_direction): the other "
                   "side's packets are missing from the capture, not necessarily from the wire.")
        elif not q.server_frames:
            resent = _resends(ctx, q)
            if resent:
                waited = _time(ctx, resent[-1]) - _time(ctx, first)
                seen.append(f"sent again in {frames_text(resent, 12)} over {waited:.1f} s")
                frames.append(resent[-1])
                sev = "warning"
                end = (" The server never answered: nothing came back to any of the client's Initials." + tail
                       + " " + CAUSES)
            else:
                end = (" Nothing came back from the server, and the client did not send its Initial again." + tail
                       + " Inferred: most likely the capture stopped, or stopped following this connection, "
                       "before an answer could arrive; not a failure by itself.")
        elif q.retry_frames and not [f for f, _v in q.client_initial_versions if f > q.retry_frames[-1]]:
            r = q.retry_frames[-1]
            seen.append(f"the server's Retry in frame {r}")
            frames.append(r)
            sev = "warning"
            end = (" The client never sent the new Initial with the Retry's token that the server asked for." + tail
                   + " Inferred: a client that does not handle Retry (or gave up); the server, or a load "
                     "balancer in front of it, demands address validation before it spends anything on a client.")
        else:
            if q.server_hello_frame:
                seen.append(f"the server's ServerHello in frame {q.server_hello_frame}")
                frames.append(q.server_hello_frame)
            if q.server_handshake:
                seen.append(f"server Handshake packets in {frames_text(q.server_handshake)}")
            if q.client_handshake:
                seen.append(f"client Handshake packets in {frames_text(q.client_handshake)}")
            after = [f for f in q.client_frames if f > q.server_frames[0]]
            answered = q.server_frames[0]
            if not after:
                late = [f for f in q.server_frames if _time(ctx, f) - _time(ctx, answered) >= 1.0]
                if late:
                    frames.append(late[-1])
                    sev = "warning"
                    end = (f" The client sent nothing after the server's first answer (frame {answered}), "
                           f"which the server sent again up to frame {late[-1]}." + tail
                           + " Inferred: the server's packets do not reach the client (lost on the way back, "
                             "often large datagrams dropped on a path with a smaller MTU), or the client gave up.")
                else:
                    end = (f" The client sent nothing after the server's answer (frame {answered})." + tail
                           + " Inferred: most likely the capture stopped (or stopped following this connection) "
                             "there; not a failure by itself.")
            elif q.handshake_decrypted or (q.client_handshake and q.client_finished):
                missing = [w for w, done in (("client", q.client_finished), ("server", q.server_finished)) if not done]
                end = (f" The key log opens the Handshake packets: no {' and no '.join(missing)} Finished in them, "
                       "and no CONNECTION_CLOSE." + tail
                       + " Inferred: the handshake stopped where the capture cannot show why (a client "
                         "abandoning a connection it opened in advance, or the capture ending).")
            else:
                last_client = q.client_frames[-1]
                end = (f" The client's last packet (frame {last_client}) is "
                       + ("a Handshake packet" if last_client in q.client_handshake else "an Initial packet")
                       + " and no 1-RTT packet of the client follows." + tail
                       + " Without the key log the Handshake packets cannot be read: they hold the client's "
                         "Finished, or a CONNECTION_CLOSE with a TLS alert (a rejected certificate), and this "
                         "capture cannot tell which. Run with --keylog to see.")
        if no_error_close:
            c = no_error_close[0]
            frames.append(c.frame)
            end += (f" The {'server' if c.side else 'client'} closed the connection with NO_ERROR in frame {c.frame} "
                    "before the handshake completed: "
                    + ("a client abandoning a connection it no longer needed (browsers race several)."
                       if c.side == 0 else "the server ending it without giving a reason."))
            if c.side == 1 and sev == "note":
                sev = "warning"
        out.append(Finding(
            kind="quic.handshake_incomplete", severity=sev,
            summary=(f"QUIC handshake {'never completed' if sev == 'warning' else 'not seen to complete'} in {where}"),
            explanation=(f"Seen: {'; '.join(seen)}. No HANDSHAKE_DONE, no 1-RTT packet from the client and no "
                         f"readable CONNECTION_CLOSE with an error follow.{end}"),
            frames=frames, stream=q.stream))
    return out

