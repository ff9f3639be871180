"""ip.fragmentation_needed: ICMP "fragmentation needed" (type 3 code 4) or ICMPv6 Packet Too Big.

Severity: a note when the message did its job (nothing larger followed it in that direction:
path MTU discovery working as designed, usually a tunnel or PPPoE link on the path); a warning
when packets larger than the MTU still followed in the same direction (the sender ignored the
message, or it was lost between the capture point and the sender: the connection stalls or
depends on retransmissions) or when the MTU itself is implausible (below 576 for IPv4, below
1280 for IPv6: a broken tunnel or a forged message).
"""
from __future__ import annotations

from collections import defaultdict

from ..context import Context, fmt_addr, fmt_endpoint, frame_list, plural
from ..model import Finding
from ..pathmtu import segments, too_big_messages

KINDS = ("ip.fragmentation_needed",)


def _name(m) -> str:
    return "ICMP fragmentation needed" if m.version == 4 else "ICMPv6 Packet Too Big"


def _quote_text(q) -> str:
    if q is None:
        return "it quotes no readable IP header"
    ep_a = fmt_endpoint((q.src, q.sport)) if q.sport is not None else fmt_addr(q.src)
    ep_b = fmt_endpoint((q.dst, q.dport)) if q.dport is not None else fmt_addr(q.dst)
    proto = {6: "TCP", 17: "UDP"}.get(q.proto, f"protocol {q.proto}")
    seq = f", seq {q.seq} (raw)" if q.seq is not None else ""
    df = ", DF set" if q.version == 4 and q.dont_fragment else ""
    return f"it quotes a {q.length}-byte {proto} packet {ep_a} → {ep_b}{seq}{df}"


def _udp_lengths(ctx: Context, stream: int, direction: int, after: int, limit: int = 20000) -> list[tuple[int, int]]:
    """(frame, IP length) of one UDP stream's datagrams in one direction after a frame."""
    from ..dissect import fast

    cap = ctx.session.capture
    data, idx = cap.data, cap.index
    linktypes = [i.linktype for i in cap.interfaces]
    conv = ctx.conv
    out = []
    for i in range(after, min(len(conv.udp_stream), after + limit)):
        if conv.udp_stream[i] == stream and conv.direction[i] == direction:
            t = fast.parse_transport(data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]])
            if t is not None:
                out.append((i + 1, t.payload_off - t.ip_off + t.payload_len))
    return out


def check(ctx: Context) -> list[Finding]:
    msgs = too_big_messages(ctx)
    if not msgs:
        return []
    groups: dict[tuple, list] = defaultdict(list)
    for tb in msgs:
        q = tb.icmp.message.quoted
        key = (tb.kind, tb.stream, tb.direction) if tb.kind is not None else \
            ("?", q.src if q else None, q.dst if q else None, q.sport if q else None, q.dport if q else None)
        groups[key].append(tb)
    out = []
    for key, tbs in sorted(groups.items(), key=lambda kv: kv[1][0].frame):
        first = tbs[0]
        m = first.icmp.message
        mtus = sorted({tb.mtu for tb in tbs})
        mtu = min((x for x in mtus if x), default=0)
        routers = sorted({fmt_addr(tb.icmp.src) for tb in tbs})
        icmp_frames = [tb.frame for tb in tbs]
        q = m.quoted
        seen = (f"{plural(len(tbs), _name(m) + ' message')} (frame {frame_list(icmp_frames, 6)}) from "
                f"{', '.join(routers)} to {fmt_addr(first.icmp.dst)}"
                + (" inside a tunnel" if first.icmp.tunnelled else "")
                + ": " + (f"{'next-hop ' if m.version == 4 else ''}MTU {', '.join(str(x) for x in mtus)} bytes" if mtu else
                          "no next-hop MTU given (0: a router older than RFC 1191; the sender has to guess)")
                + "; " + _quote_text(q))
        if first.stream is not None:
            where = f"{first.kind.upper()} stream {first.stream}"
            seen += f", which is {where} (matched by {first.matched_by})"
            if first.quoted_frame:
                seen += f", the packet of frame {first.quoted_frame}"
        else:
            where = None
            seen += (", a connection not in this capture as a TCP/UDP stream"
                     + (" (its packets travel inside the tunnel)" if first.icmp.tunnelled else ""))
        if q is not None and any(tb.icmp.src == q.dst for tb in tbs):
            seen += ("; it comes from the quoted packet's destination itself (the host, or a load balancer or "
                     "tunnel endpoint in front of it), not from a router in between")
        seen += "."
        frames = list(icmp_frames)
        severity = "note"
        after = []
        if first.stream is not None and mtu:
            d = first.direction
            if first.kind == "tcp":
                segs = [s for s in segments(ctx, first.stream) if s.frame > first.frame and s.direction == d]
                bigger = [s.frame for s in segs if s.ip_len > mtu]
                smaller = None
                if first.quoted_frame:
                    qseq = ctx.conv.rel_seq[first.quoted_frame - 1]
                    for s in segs:
                        if s.length and s.ip_len <= mtu and ((qseq - s.seq) & 0xFFFFFFFF) < max(1, s.length):
                            smaller = s
                            break
                if bigger:
                    severity = "warning"
                    after.append(f"After it, {plural(len(bigger), 'packet')} larger than {mtu} bytes still went out "
                                 f"in the same direction (frame {frame_list(bigger, 6)}): the sender did not lower "
                                 "its packet size. Inferred: the message was ignored, or lost between this capture "
                                 "point and the sender.")
                    frames.extend(bigger[:20])
                if smaller is not None:
                    after.append(f"The sender resent the quoted data in frame {smaller.frame} as a {smaller.ip_len}-byte "
                                 f"packet ({smaller.length} bytes of TCP payload), within the MTU: path MTU discovery "
                                 "worked.")
                    frames.append(smaller.frame)
                elif not bigger:
                    after.append(f"No later packet in that direction is larger than {mtu} bytes.")
            else:
                lens = _udp_lengths(ctx, first.stream, d, first.frame)
                bigger = [f for f, n in lens if n > mtu]
                if bigger:
                    severity = "warning"
                    after.append(f"After it, {plural(len(bigger), 'datagram')} larger than {mtu} bytes still went out "
                                 f"(frame {frame_list(bigger, 6)}): the sender did not lower its datagram size "
                                 "(DTLS/QUIC must fragment or shrink their flights themselves).")
                    frames.extend(bigger[:20])
                else:
                    after.append(f"No later datagram in that direction is larger than {mtu} bytes.")
        low = 1280 if m.version == 6 else 576
        if mtu and mtu < low:
            severity = "warning"
            after.append(f"An MTU of {mtu} is below {low}, the minimum {'IPv6 requires' if low == 1280 else 'every IPv4 path should carry'}: "
                         "a misconfigured tunnel or a forged message.")
        expl = (f"Seen: {seen} " + "".join(a + " " for a in after)
                + "What it means: a router on the path cannot forward packets this large and, as the Don't-Fragment bit (or IPv6) "
                  "asks, told the sender instead of fragmenting. Usual cause: a tunnel or PPPoE link with a smaller "
                  "MTU (VPN, GRE, IPsec, PPPoE 1492). Check: the MTU of the tunnel and the MSS clamping on it "
                  "(e.g. TCPMSS --clamp-mss-to-pmtu) so that endpoints never send too large, and that firewalls on "
                  "the way back let these ICMP messages through (if they do not, the same path becomes a silent "
                  "black hole: tcp.pmtu_blackhole).")
        quoted = ""
        if q is not None and q.sport is not None:
            quoted = f" for {fmt_endpoint((q.src, q.sport))} → {fmt_endpoint((q.dst, q.dport))}"
        out.append(Finding(
            kind="ip.fragmentation_needed", severity=severity,
            summary=(f"{_name(m)}{' (MTU ' + str(mtu) + ')' if mtu else ''} from {routers[0]}{quoted}"
                     + (f" in {where}" if where else "")),
            explanation=expl, frames=frames, stream=first.stream))
    return out
