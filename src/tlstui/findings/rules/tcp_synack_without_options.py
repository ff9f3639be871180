"""tcp.synack_without_options: a SYN-ACK with no TCP options at all (not even MSS)."""
from __future__ import annotations

from ..context import Context, path_device_sentence
from ..model import Finding

KINDS = ("tcp.synack_without_options",)


def _from_headers(ctx: Context) -> list[tuple[int, int]]:
    """Fallback without the TCP analysis layer: SYN-ACKs whose header is 20 bytes long."""
    out = []
    for s in ctx.conv.tcp_streams:
        for f in ctx.tcp_frames(s.number)[:8]:
            t = ctx.transport(f)
            if t is not None and (t.flags & 0x12) == 0x12 and t.payload_off - t.l4_off == 20:
                out.append((f, s.number))
    return out


def check(ctx: Context) -> list[Finding]:
    tcp = ctx.tcp
    if tcp is not None and hasattr(tcp, "synacks_without_options"):
        found = list(tcp.synacks_without_options)
    else:
        found = _from_headers(ctx)
    out = []
    for frame, stream in sorted(found):
        st = ctx.tcp_stream(stream)
        server_dir = ctx.direction(frame)
        cdir = 1 - server_dir if server_dir in (0, 1) else 0
        out.append(Finding(
            kind="tcp.synack_without_options", severity="warning",
            summary=f"SYN-ACK without any TCP options in TCP stream {stream} ({ctx.peers('tcp', stream, cdir)})",
            explanation=(f"Frame {frame} answers the SYN with a bare 20-byte TCP header: no MSS, no window "
                         "scale, no SACK permission, no timestamps. Every current operating system sends at "
                         "least MSS, so the answer usually comes from an old embedded stack or from a proxy, "
                         "firewall or load balancer that answers the handshake on the server's behalf. "
                         "Without window scaling the window is capped at 64 KB, and without SACK loss "
                         "recovery is slow." + (path_device_sentence(ctx, "synack")
                                                 or " Compare with a SYN-ACK captured on the server itself.")),
            frames=[frame], stream=stream if st is not None else None))
    return out
