"""tls.malformed: a record or handshake message that does not parse."""
from __future__ import annotations

from ..context import Context, frame_list, plural
from ..model import Finding
from ..tlsinfo import client_dir

KINDS = ("tls.malformed",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        frames = sorted(set(st.malformed_frames))
        # DTLS fragments that overlap an already whole message are retransmissions that were
        # re-fragmented (tshark calls them malformed); dtls.handshake_retransmission reports them.
        frames = [f for f in frames
                  if not (st.dtls and ctx.records(f) and all(r.reassembly_error for r in ctx.records(f)))]
        if not frames:
            continue
        cdir = client_dir(st)
        proto = "DTLS" if st.dtls else "TLS"
        infos = []
        for f in frames[:3]:
            bad = [r.info for r in ctx.records(f) if r.info]
            if bad:
                infos.append(f"frame {f}: {ctx.esc(bad[-1])}")
        out.append(Finding(
            kind="tls.malformed", severity="warning",
            summary=f"{plural(len(frames), f'{proto} record')} that do not parse in {ctx.where(kind, stream, cdir)}",
            explanation=(f"Frames {frame_list(frames)} hold {proto} records or handshake messages whose lengths "
                         "or fields are inconsistent" + (f" ({'; '.join(infos)})" if infos else "") + ". Causes: "
                         "a non-TLS protocol on a TLS port, a buggy implementation, data altered in transit, or "
                         "a capture that lost or cut bytes. The tree shows where parsing stopped."),
            frames=frames, stream=stream))
    return out
