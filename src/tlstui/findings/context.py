"""What every rule reads: the session's analysis, with small helpers and caches.

Rules never reach into the analyzers' private state; where the public API lacks something,
the helper derives it here once (and says so), so that when the layer exposes it only this
file changes.
"""
from __future__ import annotations

import ipaddress
from datetime import datetime, timezone
from functools import cached_property

from ..safe_text import escape_text

CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APP_DATA = 20, 21, 22, 23
TH_FIN, TH_SYN, TH_RST = 1, 2, 4
# TLS 1.3 hides alerts in application-data records: 2 bytes of alert + 1 byte inner type +
# 16 bytes AEAD tag = 19 (11 with an 8-byte CCM tag).  Nothing else that small is usual.
TLS13_ALERT_LENGTHS = (11, 19)
# TLS 1.2 encrypted alert: 2 bytes + explicit nonce/IV + tag or MAC and padding.
MAX_TLS12_ALERT_LENGTH = 64


def fmt_addr(addr: bytes) -> str:
    try:
        if len(addr) == 4:
            return str(ipaddress.IPv4Address(addr))
        if len(addr) == 16:
            return str(ipaddress.IPv6Address(addr))
    except ValueError:
        pass
    return addr.hex() if isinstance(addr, (bytes, bytearray)) else str(addr)


def fmt_endpoint(ep: tuple) -> str:
    addr, port = ep
    a = fmt_addr(addr)
    return f"[{a}]:{port}" if ":" in a else f"{a}:{port}"


def fmt_time(ts: float | None) -> str:
    if ts is None:
        return "?"
    try:
        return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return str(ts)


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def frame_list(frames, limit: int = 12) -> str:
    frames = list(frames)
    if len(frames) <= limit:
        return ", ".join(str(f) for f in frames)
    return ", ".join(str(f) for f in frames[:limit]) + f", ... ({len(frames)} frames)"


class Context:
    """One session, read by all rules.  Build after ``session.analyze()`` has finished."""

    def __init__(self, session) -> None:
        self.session = session
        self.conv = session.conv
        self.tls = getattr(session, "tls", None)
        self.tcp = getattr(session, "tcp_analyzer", None)
        self._tcp_frames: dict[int, list[int]] = {}
        self.total = len(session)

    # --- TLS --------------------------------------------------------------------------
    @cached_property
    def tls_streams(self) -> dict:
        """{("tcp"|"udp", stream): StreamTls}, in stream order."""
        if self.tls is None:
            return {}
        return dict(sorted(self.tls.streams().items(), key=lambda kv: (kv[0][0], kv[0][1])))

    def records(self, frame: int) -> list:
        if self.tls is None:
            return []
        try:
            return self.tls.records(frame)
        except Exception:
            return []

    def alert_record(self, frame: int, direction: int | None = None):
        for r in self.records(frame):
            if r.content_type == CT_ALERT and (direction is None or r.direction == direction):
                return r
        return None

    # --- TCP/UDP streams ------------------------------------------------------------------
    def endpoints(self, kind: str, stream: int) -> tuple[tuple, tuple] | None:
        """(endpoint of direction 0, endpoint of direction 1), each (address bytes, port)."""
        streams = self.conv.tcp_streams if kind == "tcp" else self.conv.udp_streams
        if 0 <= stream < len(streams):
            s = streams[stream]
            return s.addr, s.peer
        return None

    def peers(self, kind: str, stream: int, client_direction: int | None = 0) -> str:
        """'client:port → server:port' (first-seen sender first when the client is unknown)."""
        eps = self.endpoints(kind, stream)
        if eps is None:
            return f"{kind.upper()} stream {stream}"
        a, b = eps
        if client_direction == 1:
            a, b = b, a
        return f"{fmt_endpoint(a)} → {fmt_endpoint(b)}"

    def where(self, kind: str, stream: int, client_direction: int | None = 0) -> str:
        """'TCP stream 3 (10.0.0.5:49421 → 93.184.216.34:443)' for summaries."""
        return f"{kind.upper()} stream {stream} ({self.peers(kind, stream, client_direction)})"

    def side(self, kind: str, stream: int, direction: int, client_direction: int | None) -> str:
        """'client 10.0.0.5:49421' / 'server 93.184.216.34:443' for explanations."""
        eps = self.endpoints(kind, stream)
        ep = fmt_endpoint(eps[direction]) if eps else f"direction {direction}"
        if client_direction is None:
            return ep
        return ("client " if direction == client_direction else "server ") + ep

    def tcp_stream(self, stream: int):
        s = self.conv.tcp_streams
        return s[stream] if 0 <= stream < len(s) else None

    def tcp_frames(self, stream: int) -> list[int]:
        """Frames of one TCP stream in capture order.

        Derived by walking ``conv.prev_in_stream`` back from the stream's last frame
        (cost: the stream's length), because the tracker keeps no per-stream frame list.
        """
        got = self._tcp_frames.get(stream)
        if got is None:
            st = self.tcp_stream(stream)
            got = []
            if st is not None:
                prev = self.conv.prev_in_stream
                f = st.last_frame
                while f:
                    got.append(f)
                    f = prev[f - 1]
                got.reverse()
            self._tcp_frames[stream] = got
        return got

    def direction(self, frame: int) -> int:
        return self.conv.direction[frame - 1]

    def transport(self, frame: int):
        try:
            return self.session.view(frame).transport()
        except Exception:
            return None

    def tcp_flags(self, frame: int) -> int:
        t = self.transport(frame)
        return t.flags if t is not None else 0

    def tcp_payload_len(self, frame: int) -> int:
        t = self.transport(frame)
        return t.payload_len if t is not None else 0

    @cached_property
    def _all_events(self) -> dict[str, list[tuple[int, int]]]:
        """Every TCP analysis event, {kind: [(frame, stream)]}, from one pass over the flag array.

        ``TcpAnalyzer.events(kind)`` scans every frame per call; rules ask for a dozen kinds and
        for resets per stream, so the scan is done once here."""
        tcp = self.tcp
        if tcp is None:
            return {}
        try:
            from ..tcp.analysis import EVENT_BITS

            flags = tcp.flags
            streams = self.conv.tcp_stream
        except (ImportError, AttributeError):
            return {}
        bits = list(EVENT_BITS.items())
        any_bit = 0
        for _, b in bits:
            any_bit |= b
        out: dict[str, list[tuple[int, int]]] = {k: [] for k, _ in bits}
        for i, f in enumerate(flags):
            if f & any_bit:
                for k, b in bits:
                    if f & b:
                        out[k].append((i + 1, streams[i]))
        return out

    def tcp_events(self, kind: str) -> list[tuple[int, int]]:
        """(frame, tcp.stream) of one analysis event kind (see ``tcp.analysis.EVENT_BITS``)."""
        got = self._all_events.get(kind)
        if got is not None:
            return got
        if self.tcp is None:
            return []
        return self.tcp.events(kind)  # raises KeyError for an unknown kind, as the analyzer does

    @cached_property
    def _resets_by_stream(self) -> dict[int, list[int]]:
        out: dict[int, list[int]] = {}
        try:
            events = self.tcp_events("reset")
        except (KeyError, AttributeError):
            return {}
        for f, s in events:
            out.setdefault(s, []).append(f)
        return out

    def rst_frames(self, stream: int) -> list[int]:
        if self.tcp is not None and self._resets_by_stream is not None and self._all_events:
            return self._resets_by_stream.get(stream, [])
        st = self.tcp_stream(stream)
        if st is None or not st.rst:
            return []
        return [f for f in self.tcp_frames(stream) if f >= st.rst and self.tcp_flags(f) & TH_RST]

    def time(self, frame: int) -> float:
        """Absolute time of a frame, seconds since the epoch."""
        return self.session.frame_meta(frame)[2] / 1e9

    def esc(self, s: str | None) -> str:
        return escape_text(s or "")


def path_device_clues(ctx: Context) -> dict[str, int]:
    """How many of each of the three signs of a device answering for the server the capture has:
    retransmissions whose bytes differ, SYN-ACKs without options, a shared TTL/ip.id sequence."""
    tcp = ctx.tcp
    out = {"mismatch": 0, "synack": 0, "middlebox": 0}
    if tcp is None:
        return out
    out["mismatch"] = len(getattr(tcp, "mismatches", []) or [])
    out["synack"] = len(getattr(tcp, "synacks_without_options", []) or [])
    out["middlebox"] = len(getattr(tcp, "middlebox_groups", []) or [])
    return out


def path_device_sentence(ctx: Context, me: str) -> str:
    """One sentence tying the signs together when more than one is present (the Android case)."""
    clues = path_device_clues(ctx)
    names = {"mismatch": "retransmissions whose bytes differ from the original",
             "synack": "SYN-ACKs without TCP options", "middlebox": "one TTL/ip.id sequence shared by several servers"}
    others = [names[k] for k, n in clues.items() if n and k != me]
    if not others or not clues.get(me):
        return ""
    return (" This capture also shows " + " and ".join(others) + ": together these point to one device in the "
            "path (transparent proxy, TLS-inspecting firewall, carrier middlebox) answering for the servers. "
            "Capture on the server side too and compare.")
