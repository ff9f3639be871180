"""tcp.retransmission, tcp.fast_retransmission, tcp.spurious_retransmission, tcp.out_of_order,
tcp.lost_segment, tcp.duplicate_ack, tcp.zero_window, tcp.reset: Wireshark's TCP analysis
events, one finding per stream and kind ("34 retransmissions in TCP stream 0")."""
from __future__ import annotations

from collections import defaultdict

from ...limits import STREAM_FINDINGS_PER_KIND
from ..context import TH_FIN, TH_SYN, Context, frame_list, plural

TH_ACK = 0x10
from ..model import Finding
from ..oneway import one_direction_streams

# kind -> (analyzer event, singular, plural, severity from this many events on (else note),
#          what it usually means and what to check)
_KINDS: dict[str, tuple[str | tuple[str, ...], str, str, int, str]] = {
    # Wireshark's tcp.analysis.retransmission is also set on fast and spurious retransmissions.
    "tcp.retransmission": (
        ("retransmission", "fast_retransmission", "spurious_retransmission"), "retransmission", "retransmissions", 3,
        "A segment was sent again because the sender saw no acknowledgement in time (RTO) or got "
        "duplicate ACKs. Usually packet loss between the capture point and the receiver, or a "
        "congested or lossy link; Wireshark counts fast and spurious retransmissions here too. "
        "Check where the capture was taken, the interface error counters and the path's loss."),
    "tcp.fast_retransmission": (
        "fast_retransmission", "fast retransmission", "fast retransmissions", 3,
        "Resent after three duplicate ACKs, before the retransmission timer: the receiver saw a hole "
        "in the data. A sign of loss on the path (or heavy reordering)."),
    "tcp.spurious_retransmission": (
        "spurious_retransmission", "spurious retransmission", "spurious retransmissions", 10,
        "Resent data that the receiver had already acknowledged: the sender's timer fired too early "
        "(delay spikes, an ACK lost on the way back), or something in the path injects copies."),
    "tcp.out_of_order": (
        "out_of_order", "out-of-order segment", "out-of-order segments", 3,
        "Segments arrived with lower sequence numbers than ones already seen: reordering on the path "
        "(parallel links, load balancing) or retransmissions of segments lost after the capture point."),
    "tcp.lost_segment": (
        "lost_segment", "gap (previous segment not captured)", "gaps (previous segment not captured)", 3,
        "Sequence numbers jump forward: the bytes in between were never seen here. Either they were "
        "lost before the capture point, or the capture itself dropped them (common at capture start, "
        "or when the capturing host is too busy: check the capture's drop count)."),
    "tcp.duplicate_ack": (
        "duplicate_ack", "duplicate ACK", "duplicate ACKs", 10,
        "The receiver acknowledged the same byte again and again: it is missing a segment and asks "
        "for it. Bursts of duplicate ACKs come with loss and lead to fast retransmissions."),
    "tcp.zero_window": (
        "zero_window", "zero window", "zero windows", 1,
        "The receiver advertised a window of 0: its buffer is full because the application is not "
        "reading fast enough. The sender must stop and probe. Look at the receiving application "
        "(slow reader, blocked thread, small SO_RCVBUF), not at the network."),
    "tcp.reset": (
        "reset", "reset (RST)", "resets (RST)", 1 << 30,
        "The connection was aborted with RST. Normal when a client closes a socket with unread data "
        "(curl, s_client) after the TLS close; a problem when it comes in the middle of an exchange: "
        "a closed port, a crashed or restarted server, a firewall or load balancer timing out the "
        "connection, or data sent on a socket the peer already closed."),
}
KINDS = tuple(_KINDS)


def _group(events) -> dict[int, list[int]]:
    by_stream: dict[int, list[int]] = defaultdict(list)
    for frame, stream in events:
        if stream is not None and stream >= 0:
            by_stream[stream].append(frame)
    return by_stream


def _summed_up(kind: str, one: str, many: str, meaning: str, rest: dict[int, list[int]]) -> Finding:
    """One finding for the streams beyond STREAM_FINDINGS_PER_KIND (its frames: each one's first)."""
    n = sum(len(v) for v in rest.values())
    streams = sorted(rest)
    firsts = sorted(min(v) for v in rest.values())
    return Finding(
        kind=kind, severity="note",
        summary=f"{plural(n, one, many)} in {len(streams)} more TCP streams (fewest events each; "
                f"the {STREAM_FINDINGS_PER_KIND} streams with the most have findings of their own)",
        explanation=(f"So many streams have this event that each would have had its own finding: streams "
                     f"{frame_list(streams)}. The frames listed are the first event of each stream. "
                     "Many short connections each ending the same way usually mean a scan, a health check or "
                     f"a client retrying; look at one of them before the rest. {meaning}"),
        frames=firsts, stream=None)


def check(ctx: Context) -> list[Finding]:
    tcp = ctx.tcp
    if tcp is None or not hasattr(tcp, "events"):
        return _resets_from_conversations(ctx)
    extra = {}
    for aux in ("window_full", "zero_window_probe", "keep_alive"):
        try:
            extra[aux] = _group(ctx.tcp_events(aux))
        except Exception:
            extra[aux] = {}
    out: list[Finding] = []
    tls = {key[1]: st for key, st in ctx.tls_streams.items() if key[0] == "tcp"}
    after_close: list[tuple[int, int]] = []
    after_likely_close: list[tuple[int, int]] = []
    subsets: dict[str, dict[int, int]] = {}
    for ev in ("fast_retransmission", "spurious_retransmission"):
        counts: dict[int, int] = defaultdict(int)
        try:
            for _f, s_ in ctx.tcp_events(ev):
                counts[s_] += 1
        except (KeyError, AttributeError):
            pass
        subsets[ev] = counts
    one_way = {s_ for k_, s_ in one_direction_streams(ctx) if k_ == "tcp"}
    for kind, (event, one, many, warn_from, meaning) in _KINDS.items():
        try:
            if isinstance(event, tuple):
                events = sorted({e for ev in event for e in ctx.tcp_events(ev)})
            else:
                events = ctx.tcp_events(event)
        except (KeyError, AttributeError):
            continue
        if kind == "tcp.reset":
            events, after_close, after_likely_close = _split_resets(ctx, events, tls)
        grouped = _group(events)
        if len(grouped) > STREAM_FINDINGS_PER_KIND:  # a port scan: a finding per stream would bury the rest
            keep = sorted(grouped, key=lambda s_: (-len(grouped[s_]), s_))[:STREAM_FINDINGS_PER_KIND]
            rest = {s_: grouped.pop(s_) for s_ in set(grouped) - set(keep)}
            out.append(_summed_up(kind, one, many, meaning, rest))
        for stream, frames in sorted(grouped.items()):
            frames.sort()
            st = tls.get(stream)
            cdir = st.client_direction if st is not None and st.client_direction in (0, 1) else 0
            n = len(frames)
            per_dir = [0, 0]
            for f in frames:
                d = ctx.direction(f)
                if d in (0, 1):
                    per_dir[d] += 1
            senders = "; ".join(f"{per_dir[d]} sent by {ctx.side('tcp', stream, d, cdir)}"
                                for d in (cdir, 1 - cdir) if per_dir[d])
            expl = f"{plural(n, one, many)} ({senders}) in frames {frame_list(frames)}. {meaning}"
            if kind == "tcp.zero_window":
                wf = extra.get("window_full", {}).get(stream, [])
                probes = extra.get("zero_window_probe", {}).get(stream, []) + extra.get("keep_alive", {}).get(stream, [])
                if wf:
                    expl += f" The sender filled the window {plural(len(wf), 'time')} (tcp.analysis.window_full)."
                if probes:
                    expl += f" {plural(len(probes), 'probe')} were sent while the window was closed."
            if kind == "tcp.retransmission":
                sub = []
                for ev, label in (("fast_retransmission", "fast"), ("spurious_retransmission", "spurious")):
                    k = subsets[ev].get(stream, 0)
                    if k:
                        sub.append(f"{k} {label}")
                if sub:
                    expl += " Of these, " + " and ".join(sub) + " (listed separately as well)."
            severity = "warning" if n >= warn_from else "note"
            oneway = stream in one_way
            if kind == "tcp.retransmission":
                sorts = _retransmission_sorts(ctx, stream, frames)
                if not sorts["data"]:  # none of them is a lost data segment: the general story does not apply
                    expl = f"{plural(n, one, many)} ({senders}) in frames {frame_list(frames)}."
                expl += _sorts_text(sorts)
                data = len(sorts["data"]) - subsets["spurious_retransmission"].get(stream, 0)
                severity = "warning" if data >= warn_from or sorts["syn_unanswered"] or len(sorts["syn_late"]) >= 2 \
                    else "note"
            if oneway:
                # The captured side's own resends are still evidence (a SYN sent again was not answered,
                # at least not in time); what cannot be judged is everything that needs the other side.
                expl += (" Only one direction of this connection was captured (capture.one_direction): the "
                         "events above are what the captured side sent, but whether the other side's ACKs "
                         "arrived cannot be seen, so the fast/spurious classification is unreliable here.")
            summary = f"{plural(n, one, many)} in TCP stream {stream} ({ctx.peers('tcp', stream, cdir)})"
            if kind == "tcp.retransmission" and not sorts["data"]:
                what = _sorts_headline(sorts)
                if what:
                    summary = f"{what} in TCP stream {stream} ({ctx.peers('tcp', stream, cdir)})"
            out.append(Finding(
                kind=kind, severity=severity, summary=summary, explanation=expl, frames=frames, stream=stream))
    if after_close:
        out.append(_after_close(ctx, after_close, True))
    if after_likely_close:
        out.append(_after_close(ctx, after_likely_close, False))
    return out


def _split_resets(ctx: Context, events, tls: dict) -> tuple[list, list, list]:
    """(resets to report per stream, resets after a close known to be close_notify, resets after a
    close that is most likely one: an encrypted alert-sized record)."""
    from ..tlsinfo import close_evidence, tls13_rejection

    keep, known, likely = [], [], []
    rejected: dict[int, int | None] = {}
    for frame, stream in events:
        st = tls.get(stream)
        d = ctx.direction(frame)
        ok = False
        if st is not None and stream not in rejected:
            rejected[stream] = tls13_rejection(ctx, ("tcp", stream), st)
        if st is not None and d in (0, 1) and rejected.get(stream) is None:
            signs = [c for c in close_evidence(ctx, st, d) if c.frame < frame]
            mine = [c.frame for c in signs]
            if mine:
                ok = True
                for f in ctx.tcp_frames(stream):
                    if mine[0] < f < frame and ctx.direction(f) == 1 - d and ctx.tcp_payload_len(f) > 0:
                        recs = [r for r in ctx.records(f) if r.direction == 1 - d]
                        if not recs or not all(_close_sized(st, r) for r in recs):
                            ok = False
                            break
        if not ok:
            keep.append((frame, stream))
        elif signs[0].known:
            known.append((frame, stream))
        else:
            likely.append((frame, stream))
    return keep, known, likely


def _resets_from_conversations(ctx: Context) -> list[Finding]:
    """Without the TCP analysis layer: at least the resets, from the conversation tracker."""
    out = []
    for s in ctx.conv.tcp_streams:
        if s.rst:
            meaning = _KINDS["tcp.reset"][4]
            out.append(Finding(kind="tcp.reset", severity="note",
                               summary=f"reset (RST) in TCP stream {s.number} ({ctx.peers('tcp', s.number)})",
                               explanation=f"First RST in frame {s.rst}. {meaning}",
                               frames=[s.rst], stream=s.number))
    return out


def _close_sized(st, r) -> bool:
    """An alert record, or in TLS 1.3 an application-data record the size of an alert."""
    from ..context import CT_ALERT, CT_APP_DATA, TLS13_ALERT_LENGTHS
    from ..tlsinfo import is_tls13

    return r.content_type == CT_ALERT or (
        r.content_type == CT_APP_DATA and is_tls13(st) and r.length in TLS13_ALERT_LENGTHS)


def _after_close(ctx: Context, resets: list[tuple[int, int]], known: bool) -> Finding:
    """One note for the resets that follow the sender's own TLS close: harmless only when that
    close is known (plaintext or decrypted) to be close_notify."""
    frames = sorted(f for f, _ in resets)
    streams = sorted({s for _, s in resets})
    only = streams[0] if len(streams) == 1 else None
    where = (f"TCP stream {only} ({ctx.peers('tcp', only)})" if only is not None else plural(len(streams), "stream"))
    resets_word = plural(len(frames), "reset (RST)", "resets (RST)")
    if known:
        return Finding(
            kind="tcp.reset", severity="note",
            summary=f"{resets_word} after the TLS close (close_notify) in {where}",
            explanation=(f"Seen: frames {frame_list(frames)}: each RST comes from a side that had already sent a "
                         "close_notify (read in the clear or decrypted), and the peer sent nothing but its own "
                         "close_notify after that. A client that closes its socket while the server's "
                         "close_notify is still unread makes the kernel answer with RST (curl, openssl s_client "
                         "do this). Harmless."),
            frames=frames, stream=only)
    return Finding(
        kind="tcp.reset", severity="note",
        summary=f"{resets_word} after what is most likely the TLS close in {where}",
        explanation=(f"Seen: frames {frame_list(frames)}: each RST comes from a side whose last TLS record before "
                     "it was an encrypted alert-sized record, and the peer sent nothing after that but records of "
                     "the same kind. Inferred: those records are most likely close_notify, and then the RST is "
                     "the usual way a socket with unread data ends (curl, openssl s_client, browsers), which is "
                     "harmless. Without keys this cannot be confirmed: if the connection failed, open the capture "
                     "with the key log (--keylog) to read those alerts."),
        frames=frames, stream=only)


DUPLICATE_GAP_S = 0.0005  # a resend this soon after the original is the capture seeing a packet twice


def _retransmission_sorts(ctx: Context, stream: int, frames: list[int]) -> dict[str, list[int]]:
    """Retransmissions of one stream by what they are: capture duplicates (the same segment again
    within half a millisecond: no TCP stack resends that fast), SYNs never answered, SYN-ACKs the
    client never completed, bare FINs the peer no longer acknowledges, and data."""
    out: dict[str, list[int]] = {"duplicate": [], "syn_unanswered": [], "syn_late": [], "synack_unanswered": [], "fin": [],
                                 "data": []}
    all_frames = ctx.tcp_frames(stream)
    pos = {f: i for i, f in enumerate(all_frames)}
    seq = ctx.conv.rel_seq
    for f in frames:
        flags = ctx.tcp_flags(f)
        plen = ctx.tcp_payload_len(f)
        d = ctx.direction(f)
        i = pos.get(f, 0)
        dup = False
        for g in reversed(all_frames[max(0, i - 4):i]):
            if ctx.direction(g) == d and seq[g - 1] == seq[f - 1] and ctx.tcp_payload_len(g) == plen \
                    and ctx.tcp_flags(g) == flags:
                try:
                    dup = ctx.time(f) - ctx.time(g) < DUPLICATE_GAP_S
                except Exception:
                    dup = False
                break
        if dup:
            out["duplicate"].append(f)
        elif flags & TH_SYN and not flags & TH_ACK:
            answered = any(ctx.direction(g) != d and ctx.tcp_flags(g) & TH_SYN for g in all_frames)
            out["syn_late" if answered else "syn_unanswered"].append(f)
        elif flags & TH_SYN:
            completed = any(ctx.direction(g) != d and ctx.tcp_payload_len(g) > 0 for g in all_frames)
            out["data" if completed else "synack_unanswered"].append(f)
        elif flags & TH_FIN and plen == 0:
            out["fin"].append(f)
        else:
            out["data"].append(f)
    if out["syn_unanswered"]:
        from ..pathmtu import icmp_errors

        out["icmp"] = [m for m in icmp_errors(ctx) if m.kind == "tcp" and m.stream == stream]  # type: ignore[assignment]
    return out


def _sorts_headline(sorts: dict) -> str:
    """The summary when no resend is a lost data segment: what the resends are instead."""
    if sorts["syn_unanswered"]:
        how = "rejected by ICMP" if sorts.get("icmp") else "never answered"
        return f"connection attempt {how} (SYN sent {len(sorts['syn_unanswered']) + 1} times)"
    if sorts["syn_late"]:
        return f"connection answered only after {len(sorts['syn_late']) + 1} SYNs"
    if sorts["synack_unanswered"]:
        return f"half-open connection (SYN-ACK sent {len(sorts['synack_unanswered']) + 1} times)"
    if sorts["duplicate"] and not sorts["fin"]:
        return f"{plural(len(sorts['duplicate']), 'packet')} captured twice (not resends)"
    if sorts["fin"] and not sorts["duplicate"]:
        return f"FIN resent {plural(len(sorts['fin']), 'time')} to a peer that no longer answers"
    return ""


def _sorts_text(sorts: dict[str, list[int]]) -> str:
    parts = []
    if sorts["duplicate"]:
        parts.append(f" {plural(len(sorts['duplicate']), 'of them is', 'of them are')} the same packet captured "
                     f"twice within half a millisecond (frames {frame_list(sorts['duplicate'])}): no TCP stack "
                     "resends that fast, so the capture point saw each packet twice (a mirror/SPAN port "
                     "copying both directions, capturing on two interfaces, a bridge or VPN interface); "
                     "these are not losses.")
    if sorts["syn_unanswered"]:
        icmp = sorts.get("icmp") or []
        if icmp:
            m = icmp[0]
            from ..context import fmt_addr

            parts.append(f" The connection attempt failed: the SYN was sent again in frames "
                         f"{frame_list(sorts['syn_unanswered'])} and no SYN-ACK came; instead "
                         f"{fmt_addr(m.icmp.src)} answered with ICMP {m.icmp.message.describe()} (frame {m.frame}"
                         f"{f' and {len(icmp) - 1} more' if len(icmp) > 1 else ''}). A router or firewall on the "
                         "path rejects this connection: check its rules for this address and port.")
        else:
            parts.append(f" The connection attempt was never answered: the SYN was sent again in frames "
                         f"{frame_list(sorts['syn_unanswered'])} and no SYN-ACK came. The server is down, the "
                         "port is filtered by a firewall that drops instead of rejecting, or the route is "
                         "broken; the client sees a connect timeout.")
    if sorts["syn_late"]:
        parts.append(f" The connection attempt was answered late: the SYN was sent again in frames "
                     f"{frame_list(sorts['syn_late'])} before a SYN-ACK came, so connecting took "
                     f"{plural(len(sorts['syn_late']) + 1, 'attempt')}: SYNs or SYN-ACKs lost on the path, or a "
                     "server whose listen queue was full.")
    if sorts["synack_unanswered"]:
        parts.append(f" The server resent its SYN-ACK (frames {frame_list(sorts['synack_unanswered'])}) and the "
                     "client never completed the connection: a half-open connection, typical of a SYN scan, a "
                     "SYN flood, or a client that gave up; nothing to fix on the server unless it is unexpected.")
    if sorts["fin"]:
        parts.append(f" Frames {frame_list(sorts['fin'])} resend only a FIN that the peer does not acknowledge: "
                     "the peer has most likely already forgotten the connection (it closed or reset it, or a "
                     "NAT or firewall timed it out); not a loss of data.")
    return "".join(parts)
