"""The connection records of one analysed session, from what the pass already keeps.

Per stream, the TLS analyzer's handshake state (``tls.model.StreamTls``: hellos, certificates,
alerts, Finished frames, first application data), the conversation tracker's streams (FIN and
RST frames, first and last frame) and the frame index (times, lengths); QUIC connections from
``quic.connection.Tracker``.  Frames and bytes per direction are whole-column sums (NumPy), so
the cost is a few array passes over the capture plus a little Python per connection.  How a
close reads is decided by the findings' own helpers (``findings.tlsinfo``), so the table and the
diagnoses cannot disagree on what a close_notify is.
"""
from __future__ import annotations

import hashlib
import weakref
from functools import lru_cache

import numpy as np

from ..findings.alerts import ALERT_NAMES, LEVELS
from ..findings.context import Context, fmt_addr
from ..findings.tlsinfo import close_evidence, fatal_alerts, handshake_done, handshake_started, is_tls13, \
    tls13_rejection
from ..safe_text import escape_text
from ..tcp.conversations import client_side
from ..tls.names import CIPHER_SUITES, VERSION_NAMES, version_name
from .model import Connection, ConnectionTable

_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
# The same server (and often the same client) on thousands of connections: format each once.
_addr = lru_cache(maxsize=65536)(fmt_addr)


def _endpoint(ep: tuple) -> str:
    a = _addr(ep[0])
    return f"[{a}]:{ep[1]}" if ":" in a else f"{a}:{ep[1]}"

_EXT_PRE_SHARED_KEY = 41


def connections(session) -> ConnectionTable:  # noqa: ANN001
    """The session's connections, computed once and kept for the session.

    Only after ``session.analyze()`` has finished: before, the analyzers are still changing what
    this reads (RuntimeError)."""
    if not getattr(session, "finished", True):
        raise RuntimeError("the analysis of this capture has not finished: connections come after it")
    got = _CACHE.get(session)
    if got is None:
        got = _CACHE[session] = build(session)
    return got


def build(session, mask: np.ndarray | None = None) -> ConnectionTable:  # noqa: ANN001
    """Every TLS/DTLS/QUIC connection of ``session``; with a boolean ``mask`` over frames (index =
    frame number - 1), only the connections with at least one frame it keeps."""
    ctx = Context(session)
    sums = _Sums(session)
    keep = _streams_kept(session, mask) if mask is not None else None
    out: list[Connection] = []
    for key, st in ctx.tls_streams.items():
        if st.kind == "udp" and not st.dtls:
            continue
        if keep is not None and key not in keep:
            continue
        c = _tls_connection(ctx, sums, key, st)
        if c is not None:
            out.append(c)
    for c in _quic_connections(ctx, sums):
        if keep is None or ("udp", c.stream) in keep:
            out.append(c)
    return ConnectionTable.of(out)


# --- whole-column facts ---------------------------------------------------------------------------
def _col(a, dtype, n: int) -> np.ndarray:  # noqa: ANN001
    return np.frombuffer(a, dtype=dtype, count=n) if n else np.zeros(0, dtype=dtype)


class _Sums:
    """Frames and bytes per (stream, direction), last frame per UDP stream, frame times."""

    def __init__(self, session) -> None:  # noqa: ANN001
        conv = session.conv
        idx = session.capture.index
        n = min(len(conv.direction), len(idx))
        self.n = n
        self.time_ns = _col(idx.time_ns, np.int64, len(idx))
        self.orig_len = _col(idx.orig_len, np.uint32, len(idx))
        direction = _col(conv.direction, np.int8, n)
        self._per = {}
        for kind, arr, table in (("tcp", conv.tcp_stream, conv.tcp_streams), ("udp", conv.udp_stream, conv.udp_streams)):
            ids = _col(arr, np.int32, n)
            rows = np.nonzero(ids >= 0)[0]
            s = ids[rows].astype(np.int64)
            k = s * 2 + (direction[rows] == 1)
            m = 2 * len(table)
            frames = np.bincount(k, minlength=m) if len(k) else np.zeros(m, dtype=np.int64)
            nbytes = np.bincount(k, weights=self.orig_len[rows], minlength=m) if len(k) else np.zeros(m)
            last = np.zeros(len(table), dtype=np.int64)
            if len(s):
                uniq, at = np.unique(s[::-1], return_index=True)
                last[uniq] = rows[len(s) - 1 - at] + 1
            self._per[kind] = (frames.astype(np.int64), nbytes.astype(np.int64), last)

    def span(self, a: int | None, b: int | None) -> float | None:
        """Seconds from frame ``a`` to frame ``b`` (integer nanoseconds first: epoch floats lose
        microseconds)."""
        if not a or not b or a > len(self.time_ns) or b > len(self.time_ns):
            return None
        return int(self.time_ns[b - 1] - self.time_ns[a - 1]) / 1e9

    def time(self, frame: int | None) -> float | None:
        if not frame or frame > len(self.time_ns):
            return None
        return int(self.time_ns[frame - 1]) / 1e9

    def direction_sums(self, kind: str, stream: int, d: int) -> tuple[int, int]:
        frames, nbytes, _ = self._per[kind]
        i = 2 * stream + d
        return (int(frames[i]), int(nbytes[i])) if i < len(frames) else (0, 0)

    def last_frame(self, kind: str, stream: int) -> int:
        last = self._per[kind][2]
        return int(last[stream]) if stream < len(last) else 0


def _streams_kept(session, mask: np.ndarray) -> set[tuple[str, int]]:  # noqa: ANN001
    conv = session.conv
    n = min(len(conv.direction), len(mask))
    m = np.asarray(mask[:n], dtype=bool)
    keep = {("tcp", int(x)) for x in np.unique(_col(conv.tcp_stream, np.int32, n)[m]) if x >= 0}
    keep |= {("udp", int(x)) for x in np.unique(_col(conv.udp_stream, np.int32, n)[m]) if x >= 0}
    return keep


# --- TLS and DTLS ------------------------------------------------------------------------------
def guess_client(ctx: Context, kind: str, stream: int, eps) -> int:  # noqa: ANN001
    """No hello seen: the first-seen sender when both SYNs were seen (it sent the SYN), else the
    side with the higher port (servers listen on the lower one), else the first-seen sender."""
    st = ctx.tcp_stream(stream) if kind == "tcp" else None
    if st is not None:
        return client_side(st)
    p0, p1 = eps[0][1], eps[1][1]
    return 1 if p1 > p0 else 0  # client_side's port rule


def _version(st) -> str | None:  # noqa: ANN001
    v = st.version
    if v is None:
        return None
    if not st.server_hellos and v != 0x0002 and (st.client_hellos or st.sslv2_client_hello):
        return None  # a ClientHello and no answer: nothing was negotiated (the record version is the client's)
    name = VERSION_NAMES.get(v) or version_name(v)
    return name if name != "Unknown" else f"0x{v:04x}"


def _resumed(st) -> bool | None:  # noqa: ANN001
    real = [h for h in st.server_hellos if not h.hrr]
    if real and is_tls13(st):
        return _EXT_PRE_SHARED_KEY in real[-1].extensions
    return st.resumed


def _leaf(st, cdir: int):  # noqa: ANN001
    for chain in st.certificates:
        if chain.direction != cdir and chain.certs:
            return chain.certs[0]
    return None


def _handshake_span(st, cdir: int, done: bool) -> tuple[int | None, int | None, str | None]:  # noqa: ANN001
    start = st.client_hellos[0].frame if st.client_hellos else st.sslv2_client_hello
    if not start or not done:
        return start or None, None, None
    ff = st.finished_frames
    if ff[0] and ff[1]:
        return start, max(ff[0][0], ff[1][0]), "finished"
    if is_tls13(st) and st.server_hellos:
        first = st.first_app_data[cdir]
        if first and first >= st.server_hellos[-1].frame:  # not 0-RTT early data
            return start, first, "client_encrypted"
    return start, None, None


def _side_names(cdir: int) -> dict[int, str]:
    return {cdir: "client", 1 - cdir: "server"}


def _alert_name(desc: int | None) -> str:
    if desc is None:
        return "encrypted"
    return ALERT_NAMES.get(desc, f"alert_{desc}")


def _tls_connection(ctx: Context, sums: _Sums, key, st) -> Connection | None:  # noqa: ANN001
    kind, stream = key
    eps = ctx.endpoints(kind, stream)
    if eps is None:
        return None
    inferred = st.client_direction not in (0, 1)
    cdir = guess_client(ctx, kind, stream, eps) if inferred else st.client_direction
    started, done = handshake_started(st), handshake_done(st)
    state = "complete" if done else ("incomplete" if started else "not_seen")
    hs_start, hs_end, hs_basis = _handshake_span(st, cdir, done)
    leaf = _leaf(st, cdir)

    tcp = ctx.tcp_stream(stream) if kind == "tcp" else None
    if tcp is not None:
        first, last = tcp.first_frame, tcp.last_frame
    else:
        first, last = ctx.conv.udp_streams[stream].first_frame, sums.last_frame(kind, stream)
    f_cs, b_cs = sums.direction_sums(kind, stream, cdir)
    f_sc, b_sc = sums.direction_sums(kind, stream, 1 - cdir)
    end = _ending(ctx, key, st, cdir, started, done, tcp)
    cipher = None
    if st.cipher is not None:
        cipher = CIPHER_SUITES.get(st.cipher, f"0x{st.cipher:04x}")
    return Connection(
        transport=kind, stream=stream, protocol="dtls" if st.dtls else "tls",
        client=_endpoint(eps[cdir]), server=_endpoint(eps[1 - cdir]),
        client_addr=_addr(eps[cdir][0]), client_port=int(eps[cdir][1]),
        server_addr=_addr(eps[1 - cdir][0]), server_port=int(eps[1 - cdir][1]), client_inferred=inferred,
        sni=escape_text(st.sni) if st.sni is not None else None, version=_version(st), cipher=cipher,
        alpn=escape_text(st.alpn_selected) if st.alpn_selected else None, resumed=_resumed(st),
        cert_subject=escape_text(leaf.subject) if leaf is not None and leaf.subject else None,
        cert_issuer=escape_text(leaf.issuer) if leaf is not None and leaf.issuer else None,
        cert_not_after=leaf.not_after if leaf is not None else None,
        cert_sha256=hashlib.sha256(leaf.der).hexdigest() if leaf is not None and leaf.der else None,
        handshake=state, handshake_start_frame=hs_start, handshake_end_frame=hs_end, handshake_end=hs_basis,
        handshake_duration=sums.span(hs_start, hs_end),
        first_frame=first, last_frame=last or first,
        start_time=sums.time(first) or 0.0, end_time=sums.time(last or first) or 0.0,
        frames_client_to_server=f_cs, frames_server_to_client=f_sc,
        bytes_client_to_server=b_cs, bytes_server_to_client=b_sc,
        **end)


def _ending(ctx: Context, key, st, cdir: int, started: bool, done: bool, tcp) -> dict:  # noqa: ANN001
    """outcome, outcome_by, alert, alert_code, end_frame, ended and the close facts (see Connection)."""
    who = _side_names(cdir)
    signs = {d: close_evidence(ctx, st, d) for d in (0, 1)}
    cn = tuple(who[d] for d in (cdir, 1 - cdir) if signs[d])
    cn_inferred = tuple(who[d] for d in (cdir, 1 - cdir) if signs[d] and not any(c.known for c in signs[d]))
    fins = {d: tcp.fin[d] for d in (0, 1) if tcp is not None and tcp.fin[d]}
    rst = tcp.rst if tcp is not None else 0
    rst_dir = ctx.direction(rst) if rst else None
    facts = dict(close_notify=cn, close_notify_inferred=cn_inferred,
                 fin=tuple(who[d] for d in (cdir, 1 - cdir) if d in fins),
                 reset_by=who[rst_dir] if rst else None)

    transport = []
    if fins:
        sides = sorted(fins, key=lambda d: fins[d])
        transport.append("FIN " + ("both ways" if len(sides) == 2 else f"from the {who[sides[0]]}"))
    if rst:
        transport.append(f"RST from the {who[rst_dir]} (frame {rst})")
    then = (", then " + " and ".join(transport)) if transport else ""

    def result(outcome: str, ended: str, by: int | None = None, frame: int | None = None,
               alert: str | None = None, code: int | None = None) -> dict:
        return dict(facts, outcome=outcome, outcome_by=who[by] if by is not None else None, alert=alert,
                    alert_code=code, end_frame=frame, ended=ended)

    alerts = fatal_alerts(st)
    if alerts:
        a = alerts[0]
        name = _alert_name(a.description)
        level = LEVELS.get(a.level, f"level {a.level}")
        return result("alert", f"{level} alert {name} from the {who[a.direction]} (frame {a.frame}){then}",
                      a.direction, a.frame, name, a.description)
    rejected = tls13_rejection(ctx, key, st) if done else None
    if rejected is not None:
        return result("alert", f"encrypted alert from the server right after the client's Finished (frame "
                               f"{rejected}): most likely a rejection of the handshake{then}",
                      1 - cdir, rejected, "encrypted")
    if started and not done:
        enc = [a for a in st.alerts if a.level is None and a.description is None]
        if enc:
            a = enc[0]
            return result("alert", f"encrypted alert from the {who[a.direction]} during the handshake (frame "
                                   f"{a.frame}){then}", a.direction, a.frame, "encrypted")
        tail = ("; " + " and ".join(transport)) if transport else "; no close seen (capture ends first)"
        return result("incomplete", "handshake not finished" + tail, None, rst or (max(fins.values()) if fins else None))

    closes = {d: min([c.frame for c in signs[d]] + ([fins[d]] if d in fins else [])) for d in (0, 1)
              if signs[d] or d in fins}
    note = f" (inferred for the {' and '.join(cn_inferred)}: an encrypted alert-sized record, no keys)" \
        if cn_inferred else ""
    if len(cn) == 2:
        how = "close_notify both ways" + note
    elif cn:
        how = f"close_notify from the {cn[0]} only" + note
    else:
        how = ""
    if rst:
        first_close = min((f for f in closes.values() if f < rst), default=None)
        own = closes.get(rst_dir)
        peer = 1 - rst_dir
        peer_last = st.last_record_frame[peer] if st.last_record_frame else None
        # The keep-alive race: the server closed, the client sent more (a request), the server
        # answered with RST.  (A client that closed and then resets what the server still sends
        # is how sockets with unread data end: not a reset of the exchange.)
        answered = bool(rst_dir != cdir and own and own < rst and peer_last and own < peer_last < rst
                        and all(c.frame != peer_last for c in signs[peer]))
        if first_close is None or answered:
            why = (f"after the {who[peer]} sent TLS records (frame {peer_last}) following the "
                   f"{who[rst_dir]}'s close" if answered else "before any close")
            pre = (how + ", then ") if how else ""
            return result("reset", f"{pre}RST from the {who[rst_dir]} (frame {rst}) {why}", rst_dir, rst)
    if closes:
        last_close = max([c.frame for d in (0, 1) for c in signs[d]] + list(fins.values()))
        if not how:
            how = "FIN without close_notify"
        return result("ok", how + then, None, max([last_close] + ([rst] if rst else [])))
    return result("open", "no close seen (capture ends first)")


# --- QUIC ------------------------------------------------------------------------------------------
def _quic_version(v: int, name_of) -> str:  # noqa: ANN001
    name = name_of(v)
    return f"QUIC {name}" if name != "Unknown" else f"QUIC 0x{v:08x}"


def _quic_connections(ctx: Context, sums: _Sums) -> list[Connection]:
    """One record per QUIC connection the QUIC analyzer tracked (``quic.connection.Tracker.all``).

    The handshake runs from the client's first Initial to its first 1-RTT (short header) packet,
    which it sends only after its Finished ("client_encrypted", as TLS 1.3 without keys).  Not
    known here: the certificate (in encrypted Handshake packets; the QUIC layer keeps no chain yet
    -- a hook for when ``quic.connection.Connection`` does), and the TLS version (always 1.3:
    ``version`` names the QUIC version instead)."""
    quic = getattr(ctx.tls, "quic", None)
    tracker = getattr(quic, "tracker", None)
    conns = list(getattr(tracker, "all", None) or [])
    if not conns:
        return []
    per: dict[int, list[int]] = {c.number: [0, 0, 0, 0] for c in conns}  # frames c->s, s->c, bytes c->s, s->c
    client_short: dict[int, int] = {}  # the client's first 1-RTT (short header) packet
    for frame, dg in quic.datagrams.items():
        p = per.get(dg.conn)
        if p is None or frame > len(sums.orig_len):
            continue
        side = 1 if dg.from_server else 0
        p[side] += 1
        p[2 + side] += int(sums.orig_len[frame - 1])
        if not side and any(pk.kind == "short" for pk in dg.packets) and frame < client_short.get(dg.conn, 1 << 62):
            client_short[dg.conn] = frame
    from ..quic.names import transport_error_name
    from ..quic.versions import version_name as quic_version_name

    out = []
    for c in conns:
        eps = ctx.endpoints("udp", c.stream)
        if eps is None:
            continue
        cdir = c.client_dir if c.client_dir in (0, 1) else 0
        who = {0: "client", 1: "server"}  # QUIC numbers sides client 0, server 1
        # The client sends 1-RTT packets only once it has sent its Finished: without keys, its
        # first short-header packet is where the handshake is known to be complete.
        hs_end = client_short.get(c.number)
        done = bool(c.handshake_done or (c.client_finished and c.server_finished) or hs_end)
        state = "complete" if done else "incomplete"
        end: dict
        if c.closes:
            frame, side, ftype, code, reason = c.closes[0]
            why = f": {escape_text(reason)}" if reason else ""
            if ftype == 0x1D:  # the application closed: its own codes (HTTP/3's H3_NO_ERROR is 0x100)
                end = dict(outcome="ok" if done else "incomplete", outcome_by=who[side], alert=None,
                           alert_code=None, end_frame=frame,
                           ended=f"application close (code 0x{code:x}) from the {who[side]} (frame {frame}){why}")
            elif code == 0:
                end = dict(outcome="ok" if done else "incomplete", outcome_by=who[side], alert=None,
                           alert_code=None, end_frame=frame,
                           ended=f"CONNECTION_CLOSE NO_ERROR from the {who[side]} (frame {frame}){why}")
            else:
                if 0x100 <= code <= 0x1FF:
                    name, acode = _alert_name(code - 0x100), code - 0x100
                else:
                    name, acode = transport_error_name(code), None
                end = dict(outcome="alert", outcome_by=who[side], alert=name, alert_code=acode, end_frame=frame,
                           ended=f"CONNECTION_CLOSE {name} from the {who[side]} (frame {frame}){why}")
            end.update(close_notify=(), close_notify_inferred=(), fin=(), reset_by=None)
        else:
            end = dict(outcome="open" if done else "incomplete", outcome_by=None, alert=None, alert_code=None,
                       end_frame=None, close_notify=(), close_notify_inferred=(), fin=(), reset_by=None,
                       ended="no CONNECTION_CLOSE seen (idle timeout, or the capture ends first)" if done
                       else "handshake not finished; no CONNECTION_CLOSE seen")
        p = per.get(c.number, [0, 0, 0, 0])
        first, last = c.first_frame or 0, c.last_frame or c.first_frame or 0
        out.append(Connection(
            transport="udp", stream=c.stream, protocol="quic",
            client=_endpoint(eps[cdir]), server=_endpoint(eps[1 - cdir]),
            client_addr=_addr(eps[cdir][0]), client_port=int(eps[cdir][1]),
            server_addr=_addr(eps[1 - cdir][0]), server_port=int(eps[1 - cdir][1]), client_inferred=False,
            sni=escape_text(c.sni) if c.sni else None, version=_quic_version(c.version, quic_version_name),
            cipher=CIPHER_SUITES.get(c.cipher, f"0x{c.cipher:04x}") if c.cipher is not None else None,
            alpn=escape_text(c.alpn) if c.alpn else None, resumed=None,
            cert_subject=None, cert_issuer=None, cert_not_after=None, cert_sha256=None,
            handshake=state, handshake_start_frame=first or None, handshake_end_frame=hs_end,
            handshake_end="client_encrypted" if hs_end else None, handshake_duration=sums.span(first, hs_end),
            first_frame=first, last_frame=last,
            start_time=sums.time(first) or 0.0, end_time=sums.time(last) or 0.0,
            frames_client_to_server=p[0], frames_server_to_client=p[1],
            bytes_client_to_server=p[2], bytes_server_to_client=p[3], quic_connection=c.number, **end))
    return out
