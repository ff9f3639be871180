"""ip.middlebox_signature: packets from different source addresses share one TTL and one
incrementing ip.id sequence: one box answers for many servers."""
from __future__ import annotations

from ..context import Context, fmt_addr, path_device_sentence, plural
from ..model import Finding

KINDS = ("ip.middlebox_signature",)


def check(ctx: Context) -> list[Finding]:
    tcp = ctx.tcp
    groups = list(getattr(tcp, "middlebox_groups", []) or []) if tcp is not None else []
    out = []
    conv = ctx.conv
    for g in groups:
        frames = sorted(g.frames)
        sources = [fmt_addr(s) for s in g.sources]
        streams = sorted({conv.tcp_stream[f - 1] for f in frames if conv.tcp_stream[f - 1] >= 0})
        src_text = ", ".join(sources[:6]) + (f" and {len(sources) - 6} more" if len(sources) > 6 else "")
        out.append(Finding(
            kind="ip.middlebox_signature", severity="warning",
            summary=(f"{plural(len(frames), 'packet')} from {plural(len(sources), 'source address', 'source addresses')} "
                     f"({src_text}) share TTL {g.ttl} and one ip.id counter "
                     f"(0x{g.first_id:04x}..0x{g.last_id:04x})"),
            explanation=(f"The packets from {src_text} all arrive with TTL {g.ttl}, and their IP "
                         f"identification values form one sequence running from 0x{g.first_id:04x} to "
                         f"0x{g.last_id:04x} across the sources"
                         + (f" (TCP streams {', '.join(str(s) for s in streams[:10])})" if streams else "")
                         + ". Separate servers keep separate ip.id counters and sit at different distances, "
                           "so one counter and one TTL mean one device is sending all of these packets: a "
                           "transparent proxy, TLS-inspecting firewall or carrier middlebox terminating TCP "
                           "for every server." + path_device_sentence(ctx, "middlebox")
                         + " Filter ip.ttl == " + str(g.ttl) + " and sort by ip.id to see the sequence."),
            frames=frames, stream=streams[0] if len(streams) == 1 else None))
    return out
