"""tls.handshake_incomplete: a handshake that never reached Finished in both directions (and no
alert or other finding explains why)."""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir, fatal_alerts, handshake_done, handshake_started

KINDS = ("tls.handshake_incomplete",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if not handshake_started(st) or handshake_done(st):
            continue
        if fatal_alerts(st) or any(a.level is None for a in st.alerts):
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
        end = ""
        frames = [first, last]
        if kind == "tcp":
            cs = ctx.tcp_stream(stream)
            if cs is not None:
                closers = [f for f in (cs.fin[0], cs.fin[1], cs.rst) if f]
                if closers:
                    end = f" The connection was then closed (FIN/RST in frame {min(closers)})."
                    frames.append(min(closers))
                elif cs.last_frame and ctx.total - cs.last_frame < 3 and cs.last_frame == ctx.total:
                    end = " The capture ends right after it: it may simply have been stopped too early."
        out.append(Finding(
            kind="tls.handshake_incomplete", severity="warning",
            summary=(f"{'DTLS' if st.dtls else 'TLS'} handshake never finished "
                     f"({' and '.join(missing)} Finished missing) in {ctx.where(kind, stream, cdir)}"),
            explanation=(f"The handshake starts with the ClientHello in frame {first}; seen after it: "
                         f"{', '.join(seen) or 'nothing from the server'}; the last TLS record is in frame "
                         f"{last}. No {' and no '.join(missing)} Finished follows, and no alert says why."
                         f"{end}{stalled_note} Common causes: the server is not speaking TLS on this port, a "
                         "firewall or IPS dropping the flow after inspecting the ClientHello (SNI filtering), "
                         "a client that gave up (timeout, certificate rejected without sending an alert), or "
                         "packet loss that the capture does not show."),
            frames=frames, stream=stream))
    return out


def _dtls_last_flight_retransmitted(st) -> bool:
    if not st.dtls_flights:
        return False
    last_frame = st.dtls_flights[-1][0]
    return any(f >= last_frame for f in st.dtls_retransmissions)
