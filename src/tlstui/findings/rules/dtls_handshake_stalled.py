"""dtls.handshake_stalled: a DTLS handshake that stops: the last flight was not retransmitted and
nothing followed (a retransmission timer that is never serviced, case 002)."""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir, handshake_done

KINDS = ("dtls.handshake_stalled",)

INITIAL_TIMER_S = 1.0


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if not st.dtls or not st.dtls_flights or handshake_done(st):
            continue
        if any(a.level is not None and a.description not in (0, None) for a in st.alerts):
            continue  # ended by an alert
        if st.app_data_frames[0] and st.app_data_frames[1]:
            continue
        last_frame, last_dir, _seqs = st.dtls_flights[-1]
        if any(f >= last_frame for f in st.dtls_retransmissions):
            continue  # retransmitted, not stalled (tls.handshake_incomplete if it never completed)
        later = [f for f in st.last_record_frame if f and f > last_frame]
        if later and any(ctx.direction(f) != last_dir for f in later):
            continue
        if _datagrams_after(ctx, stream, last_frame, 1 - last_dir):
            continue  # the peer did answer (DTLS 1.3 unified headers, or records we cannot read)
        cdir = client_dir(st)
        waiting = "server" if last_dir == cdir else "client"
        sender = "client" if last_dir == cdir else "server"
        idle, hole = _covered_after(ctx, last_frame)
        if idle is not None and idle < INITIAL_TIMER_S and hole:
            sev, tail = "note", (f" The capture holds only {idle:.2f} s of traffic after it and then has a gap of "
                                 f"{hole:.0f} s (several captures joined, or a capture that was paused), so whether "
                                 "the flight was resent cannot be seen.")
        elif idle is not None and idle < INITIAL_TIMER_S:
            sev, tail = "note", (f" The capture ends only {idle:.2f} s later, before a retransmission timer "
                                 "would fire: it may just have been stopped too early.")
        else:
            sev = "error"
            tail = (f" The capture goes on for {idle:.1f} s without a resend." if idle is not None else "")
        out.append(Finding(
            kind="dtls.handshake_stalled", severity=sev,
            summary=f"DTLS handshake stalled after the {sender}'s flight in {ctx.where(kind, stream, cdir)}",
            explanation=(f"The {sender}'s handshake flight in frame {last_frame} got no answer from the {waiting}, "
                         f"and the {sender} never resent it.{tail} DTLS relies on each side retransmitting its "
                         "last flight when the timer expires; when that timer is not serviced (an application "
                         "that does not call DTLSv1_handle_timeout / the library's timer hook, a blocked event "
                         "loop) a single lost datagram stalls the handshake for good. Check the "
                         f"{sender}'s timer handling and whether the {waiting} received the flight."),
            frames=[last_frame], stream=stream))
    return out


def _datagrams_after(ctx: Context, stream: int, frame: int, direction: int, limit: int = 200_000) -> bool:
    """Whether ``direction`` sent any datagram of the UDP stream after ``frame``.

    Derived from the per-frame ``conv.udp_stream``/``conv.direction`` arrays (the tracker keeps no
    per-stream frame list); bounded so a huge capture is not scanned to the end."""
    us, dirs = ctx.conv.udp_stream, ctx.conv.direction
    end = min(len(us), frame + limit)
    for i in range(frame, end):
        if us[i] == stream and dirs[i] == direction:
            return True
    return False


CAPTURE_HOLE_S = 30.0  # no frame at all for this long: the capture was not running (joined files, a pause)


def _covered_after(ctx: Context, frame: int, limit: int = 200_000) -> tuple[float | None, float | None]:
    """(seconds of capture after ``frame`` before the first hole or the end, the hole's length or None)."""
    try:
        t0 = prev = ctx.time(frame)
        end = min(ctx.total, frame + limit)
        for f in range(frame + 1, end + 1):
            t = ctx.time(f)
            if t - prev > CAPTURE_HOLE_S:
                return prev - t0, t - prev
            prev = t
        return prev - t0, None
    except Exception:
        return None, None
