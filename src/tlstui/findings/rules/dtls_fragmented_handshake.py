"""dtls.fragmented_handshake: handshake messages split into fragments across records and
datagrams, and how many records share a datagram."""
from __future__ import annotations

from ..context import Context, frame_list, plural
from ..model import Finding
from ..tlsinfo import client_dir, handshake_name

KINDS = ("dtls.fragmented_handshake",)

# Wireshark before 3.x and some middleboxes choke on more records than this in one datagram.
MANY_RECORDS = 5


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if not st.dtls or not st.dtls_fragmented:
            continue
        frames = sorted(set(st.dtls_fragmented))
        cdir = client_dir(st)
        msgs: dict[tuple[int, int], set] = {}
        for f in frames:
            for r in ctx.records(f):
                if r.fragment is not None and r.handshake_types:
                    msgs.setdefault((r.direction, r.fragment[0]), set()).add((r.fragment[1], r.handshake_types[0]))
        names = []
        for (d, _seq), frs in sorted(msgs.items()):
            t = next(iter(frs))[1]
            names.append(f"{handshake_name(t)} from the {'client' if d == cdir else 'server'} in "
                         f"{plural(len({o for o, _ in frs}), 'fragment')}")
        most = st.dtls_max_records_per_datagram
        many = most > MANY_RECORDS
        out.append(Finding(
            kind="dtls.fragmented_handshake", severity="note",
            summary=(f"DTLS handshake messages fragmented across {plural(len(frames), 'datagram')} "
                     f"(up to {most} records per datagram) in {ctx.where(kind, stream, cdir)}"),
            explanation=(f"{'; '.join(names[:6]) or 'Handshake messages'} (frames {frame_list(frames)}); up to "
                         f"{plural(most, 'record')} share one datagram. DTLS fragments messages larger than the "
                         "path MTU (usually the Certificate flight) itself, so IP fragmentation is avoided; "
                         "this is normal, but every fragment is one more datagram that can be lost, and a lost "
                         "fragment costs the whole flight a retransmission. "
                         + ("More than five records in one datagram trips some older decoders and middleboxes "
                            "(Wireshark once reported it as malformed). " if many else "")
                         + "If the handshake is slow or stalls, look at the MTU setting and at loss."),
            frames=frames, stream=stream))
    return out
