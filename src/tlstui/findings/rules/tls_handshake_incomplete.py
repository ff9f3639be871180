"""tls.handshake_incomplete: a handshake that never reached Finished in both directions (and no
alert or other finding explains why).

How it ended decides how much it says.  Real captures are full of handshakes that are simply not
finished *in the capture*: the capture stops, or stops following the connection; a browser
closes a spare connection it opened in advance; only one direction was captured.  Those are
notes.  A warning needs evidence that the handshake failed: the server closed or reset it, the
client closed it after the server's flight (a certificate it rejected without an alert), the
client gave up after waiting, or the ClientHello was sent again and again without an answer.
"""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..oneway import one_direction_streams
from ..tlsinfo import client_dir, fatal_alerts, handshake_done, handshake_started, tls13_rejection

KINDS = ("tls.handshake_incomplete",)

GAVE_UP_AFTER_S = 3.0  # a client closing later than this after its ClientHello was waiting, not abandoning
CAUSES = ("Common causes: the server is not speaking TLS on this port, a firewall or IPS dropping the "
          "flow after inspecting the ClientHello (SNI filtering), a client that gave up (timeout, "
          "certificate rejected without sending an alert), or packet loss that the capture does not show.")


def _tcp_ending(ctx: Context, stream: int, cdir: int, st, first: int) -> tuple[str, str, list[int]]:
    """(severity, what happened, extra frames) for a TCP stream whose handshake did not finish."""
    cs = ctx.tcp_stream(stream)
    if cs is None:
        return "note", "", []
    sdir = 1 - cdir
    rsts = ctx.rst_frames(stream)
    ends = []  # (frame, direction, how)
    for d in (0, 1):
        if cs.fin[d]:
            ends.append((cs.fin[d], d, "FIN"))
    for r in rsts:
        ends.append((r, ctx.direction(r), "RST"))
    sh = st.server_hellos[0].frame if st.server_hellos else None
    if not ends:
        retrans = []
        try:
            retrans = [f for f, s in ctx.tcp_events("retransmission") if s == stream and f > first
                       and ctx.direction(f) == cdir]
        except (KeyError, AttributeError):
            pass
        server_bytes = [f for f in ctx.tcp_frames(stream) if f > first and ctx.direction(f) == sdir
                        and ctx.tcp_payload_len(f) > 0]
        if sh is None and server_bytes:
            return ("note", f" The server did send data (frames {', '.join(map(str, server_bytes[:6]))}"
                    f"{' ...' if len(server_bytes) > 6 else ''}) but it could not be read as TLS records here "
                    "(sequence numbers that do not line up with the connection's start, or bytes before the "
                    "capture began), so the handshake may well have finished in a way this capture cannot "
                    "show.", server_bytes[:1])
        if sh is None and retrans:
            return ("warning", f" The server never answered: the client sent its data again in frames "
                    f"{', '.join(map(str, retrans[:6]))} without a reply, and the capture holds nothing more of "
                    "this connection.", retrans[:1])
        last = cs.last_frame
        tail = " (the last frame of the capture)" if last == ctx.total else ""
        return ("note", f" Nothing closes the connection: the capture holds no more of it after frame {last}{tail}, "
                "so the capture most likely stopped, or stopped following this connection, before the handshake "
                "could finish. Not a failure by itself; capture longer if this connection matters.", [])
    frame, d, how = min(ends)
    who = "client" if d == cdir else "server"
    try:
        waited = ctx.time(frame) - ctx.time(first)
    except Exception:
        waited = 0.0
    if who == "server":
        return ("warning", f" Then the server ended the connection with {how} (frame {frame}) without an alert: "
                "a server (or a device in front of it) refusing the connection without saying why. Check the "
                "server's log and any firewall or load balancer in between.", [frame])
    if sh is None or sh > frame or not _server_flight_before(ctx, stream, st, sdir, frame):
        if waited < GAVE_UP_AFTER_S:
            return ("note", f" The client itself closed the connection with {how} (frame {frame}) "
                    f"{waited * 1000:.0f} ms after its ClientHello, before the server's answer was complete. "
                    "Inferred: a "
                    "connection the client opened in advance and then did not need (browsers do this), or a "
                    "client that lost interest; not a server failure.", [frame])
        return ("warning", f" The client gave up with {how} (frame {frame}) after waiting {waited:.1f} s for an "
                "answer to its ClientHello that never came (or was not captured). Check that the server "
                "speaks TLS on this port and that nothing in the path drops the connection.", [frame])
    return ("warning", f" After the server's flight (ServerHello in frame {sh}) the client ended the connection "
            f"with {how} (frame {frame}) instead of continuing the handshake, without an alert. Inferred: the "
            "client rejected something in the server's answer without saying so (often its certificate: "
            "some Java and embedded clients close without an alert), or the user cancelled.", [frame])


SERVER_HELLO_DONE = 14


def _server_flight_before(ctx: Context, stream: int, st, sdir: int, frame: int) -> bool:
    """Had the server's whole first flight arrived before ``frame``: its ServerHelloDone (TLS 1.2),
    its Finished (resumption) or its encrypted flight (TLS 1.3)?"""
    if any(f < frame for f in st.finished_frames[sdir]):
        return True
    first = st.first_app_data[sdir]
    if first is not None and first < frame:
        return True
    for f in ctx.tcp_frames(stream):
        if f >= frame:
            break
        if any(r.direction == sdir and SERVER_HELLO_DONE in r.handshake_types for r in ctx.records(f)):
            return True
    return False


def check(ctx: Context) -> list[Finding]:
    out = []
    oneway = None
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if not handshake_started(st) or handshake_done(st):
            continue
        if fatal_alerts(st) or any(a.level is None for a in st.alerts) or tls13_rejection(ctx, key, st) is not None:
            continue  # an alert ended it: tls.alert / tls.encrypted_alert say why
        if st.incomplete_frames:
            continue  # records cut or lost: capture.snaplen_truncated / TCP gaps say why
        if st.app_data_frames[0] and st.app_data_frames[1]:
            continue  # data flowed both ways, so the handshake finished where we could not see it
        if st.dtls and st.dtls_retransmissions and _dtls_last_flight_retransmitted(st):
            stalled_note = " The last flight was retransmitted without an answer: the peer is unreachable or drops it."
        elif st.dtls:
            continue  # dtls.handshake_stalled covers a DTLS handshake that just stops
        else:
            stalled_note = ""
        if oneway is None:
            oneway = one_direction_streams(ctx)
        cdir = client_dir(st)
        first = st.client_hellos[0].frame if st.client_hellos else st.sslv2_client_hello
        last = max([f for f in st.last_record_frame if f] or [first])
        seen = []
        if st.server_hellos:
            seen.append(f"ServerHello (frame {st.server_hellos[0].frame})")
        for d, who in ((cdir, "client"), (1 - cdir, "server")):
            if st.finished_frames[d]:
                seen.append(f"{who} Finished (frame {st.finished_frames[d][0]})")
        missing = [who for d, who in ((cdir, "client"), (1 - cdir, "server")) if not st.finished_frames[d]]
        frames = [first, last]
        if key in oneway:
            sev, end = "note", (" Only one direction of this connection was captured (see capture.one_direction), "
                                "so the other side's messages are missing from the capture, not necessarily from "
                                "the wire: this cannot be judged from here.")
        elif kind == "tcp":
            sev, end, extra = _tcp_ending(ctx, stream, cdir, st, first)
            frames += extra
        else:
            sev, end = "warning", ""
        causes = f" {CAUSES}" if sev == "warning" else ""
        out.append(Finding(
            kind="tls.handshake_incomplete", severity=sev,
            summary=(f"{'DTLS' if st.dtls else 'TLS'} handshake "
                     f"{'never finished' if sev == 'warning' else 'not seen to finish'} "
                     f"({' and '.join(missing)} Finished missing) in {ctx.where(kind, stream, cdir)}"),
            explanation=(f"Seen: the handshake starts with the ClientHello in frame {first}; after it: "
                         f"{', '.join(seen) or 'nothing from the server'}; the last TLS record is in frame "
                         f"{last}. No {' and no '.join(missing)} Finished follows, and no alert says why."
                         f"{end}{stalled_note}{causes}"),
            frames=frames, stream=stream))
    return out


def _dtls_last_flight_retransmitted(st) -> bool:
    if not st.dtls_flights:
        return False
    last_frame = st.dtls_flights[-1][0]
    return any(f >= last_frame for f in st.dtls_retransmissions)
