"""quic.version_negotiation: a server answered a client's Initial with Version Negotiation (the
QUIC counterpart of a protocol_version refusal), or a client probed with a reserved version.

What was seen: the client's Initial and the version it used; the server's Version Negotiation
packet(s) and the versions they list; whether the client then sent an Initial of a listed version
(on this connection, or a new one from the same address to the same server).

- The client offered a version the server does not list and never came back with one it lists:
  error (no common QUIC version; the connection failed, clients usually fall back to TCP).
- It came back with a listed version: a note (negotiated, at the cost of a round trip).
- The list holds the very version the client used: a warning (RFC 9000 6.2: a client must ignore
  such a packet; it was forged by something in the path, or the servers behind one address
  disagree).
- The client used a reserved version (0x?a?a?a?a) that exists to force negotiation (RFC 9000 6.3):
  a probe, a note whether the server answered or not.
"""
from __future__ import annotations

from ..context import Context, frame_list, plural
from ..model import Finding
from ..quicinfo import quic_connections, version_label

KINDS = ("quic.version_negotiation",)


def _versions(vs: list[int]) -> str:
    out: list[int] = []
    for v in vs:
        if v not in out:
            out.append(v)
    return ", ".join(version_label(v) for v in out) or "none"


def check(ctx: Context) -> list[Finding]:
    from ...quic import versions as V

    out = []
    for q in quic_connections(ctx):
        if not q.vn_frames and not q.forced_negotiation:
            continue
        first = q.client_initials[0] if q.client_initials else q.conn.first_frame
        offered = q.first_version
        listed = list(getattr(q.conn, "versions_offered", []) or [])
        real = {v for v in listed if not V.forces_negotiation(v)}
        where = ctx.where("udp", q.stream, q.cdir)
        seen_client = (f"the client's Initial in frame {first} uses version {version_label(offered)}"
                       + (", one of the versions reserved to force negotiation" if q.forced_negotiation else "")
                       + (f" (sent {plural(len(q.client_initials), 'time')}: frames {frame_list(q.client_initials)})"
                          if len(q.client_initials) > 1 and not q.vn_frames else ""))
        if q.vn_frames:
            vn = q.vn_frames[0]
            seen_vn = (f"the server answered with Version Negotiation in frame{'s' if len(q.vn_frames) > 1 else ''} "
                       f"{frame_list(q.vn_frames)}, listing {_versions(listed)}")
            later = _later(ctx, q, vn, real) if real else None
            if later is not None:
                other, frame, v = later
                how = "on the same connection" if other is q else f"on a new connection (UDP stream {_stream(ctx, frame)})"
                done = other.complete
                end = ("and that handshake completed" if done else
                       "but that handshake was not seen to complete (see quic.handshake_incomplete)")
                frames = [first, vn, frame]
                if q.forced_negotiation:
                    summary = f"QUIC version negotiation forced by the client (reserved version), then {version_label(v)} in {where}"
                    why = ("Inferred: the client chose a reserved version on purpose to learn the server's versions "
                           "(RFC 9000 6.3, as some clients and test tools do); nothing failed.")
                else:
                    summary = f"QUIC version negotiated: {version_label(offered)} refused, {version_label(v)} used in {where}"
                    why = ("Inferred: the client's preferred version is not enabled on this server; negotiation "
                           "worked but cost a round trip. Configure both sides for a common first version "
                           "(or advertise it in Alt-Svc) to save it.")
                out.append(Finding(
                    kind="quic.version_negotiation", severity="note", summary=summary,
                    explanation=(f"Seen: {seen_client}; {seen_vn}; the client then sent an Initial of "
                                 f"{version_label(v)} in frame {frame} {how}, {end}. {why}"),
                    frames=frames, stream=q.stream))
                continue
            if q.forced_negotiation:
                out.append(Finding(
                    kind="quic.version_negotiation", severity="note",
                    summary=f"QUIC version probe: the server lists {_versions(listed)} in {where}",
                    explanation=(f"Seen: {seen_client}; {seen_vn}; the client sent no Initial of a listed version "
                                 "afterwards. Inferred: a probe of the server's versions (RFC 9000 6.3 reserves "
                                 "these versions to force negotiation); no connection was meant to be made, so "
                                 "nothing failed."),
                    frames=[first] + q.vn_frames, stream=q.stream))
                continue
            if offered is not None and offered in listed:
                out.append(Finding(
                    kind="quic.version_negotiation", severity="warning",
                    summary=f"QUIC Version Negotiation listing the version the client used ({version_label(offered)}) in {where}",
                    explanation=(f"Seen: {seen_client}; {seen_vn}, which includes that very version. A client must "
                                 "ignore such a packet (RFC 9000 6.2). Inferred: the packet was not sent by the "
                                 "server that handles the connection: forged by a device in the path, or sent by "
                                 "one of several servers behind this address that does not share the others' "
                                 "configuration (a load balancer whose back ends run different versions)."),
                    frames=[first] + q.vn_frames, stream=q.stream))
                continue
            out.append(Finding(
                kind="quic.version_negotiation", severity="error",
                summary=(f"no common QUIC version: the server refused {version_label(offered)} with Version "
                         f"Negotiation in {where}"),
                explanation=(f"Seen: {seen_client}; {seen_vn}; the client sent no Initial of a listed version "
                             "afterwards in this capture (on this or a new connection to the same server). "
                             "Inferred: the connection failed for want of a common version; browsers then fall back "
                             "to TCP and TLS, other clients just fail. Enable one of the server's versions in the "
                             "client, or the client's version on the server."),
                frames=[first] + q.vn_frames, stream=q.stream))
            continue
        # A reserved version with no Version Negotiation in reply.
        if q.server_frames:
            continue  # the server answered otherwise (a Retry, an Initial): the other rules judge it
        closes = [c for c in q.closes if c.side == 0]
        tail = (f" The client then closed with a CONNECTION_CLOSE (frame {closes[0].frame}, error code "
                f"0x{closes[0].code:x}), its way of ending the probe." if closes else "")
        out.append(Finding(
            kind="quic.version_negotiation", severity="note",
            summary=f"QUIC version probe (reserved version) never answered in {where}",
            explanation=(f"Seen: {seen_client}; nothing came back from the server.{tail} A server should answer a "
                         "reserved version with Version Negotiation when the datagram is at least 1200 bytes "
                         "(RFC 9000 6.1) but may stay silent (rate limits, no QUIC server on this port, UDP "
                         "filtered on the way). Inferred: a version probe, not a connection attempt that failed; "
                         "whether this server speaks QUIC at all cannot be told from here."),
            frames=[first] + [c.frame for c in closes[:1]], stream=q.stream))
    return out


def _later(ctx: Context, q, after: int, versions: set[int]):  # noqa: ANN001, ANN202
    from ..quicinfo import later_connection

    return later_connection(ctx, q, after, versions)


def _stream(ctx: Context, frame: int) -> int:
    try:
        return int(ctx.conv.udp_stream[frame - 1])
    except (AttributeError, IndexError):
        return -1
