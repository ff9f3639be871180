"""Conversations for the follow-stream and ladder screens (plain data, no Textual).

Everything here reads the session's conversation arrays, so it needs the analysis pass to
have run; the app calls it from a worker thread after the pass has finished.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..dissect import fast
from ..registry import REGISTRY, format_value


@dataclass(frozen=True, slots=True)
class StreamId:
    kind: str  # "tcp" or "udp"
    number: int

    def filter_text(self) -> str:
        return f"{self.kind}.stream eq {self.number}"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes one side sent, in stream order; ``missing`` > 0: a gap of that many bytes instead."""

    direction: int  # 0: the side that spoke first (the client), 1: the other
    frame: int
    data: bytes = b""
    missing: int = 0


@dataclass(frozen=True, slots=True)
class LadderStep:
    frame: int
    time: float  # seconds since the stream's first frame
    direction: int
    messages: tuple[str, ...]
    bad: bool = False  # an alert or a reset: drawn in the error colour


@dataclass
class Conversation:
    stream: StreamId
    client: str
    server: str
    frames: list[int] = field(default_factory=list)


def _addr_text(addr: tuple[bytes, int]) -> str:
    ip, port = addr
    a = ipaddress.ip_address(ip)
    return f"[{a}]:{port}" if a.version == 6 else f"{a}:{port}"


def stream_of(session, number: int) -> StreamId | None:
    conv = session.conv
    i = number - 1
    if 0 <= i < len(conv.tcp_stream) and conv.tcp_stream[i] >= 0:
        return StreamId("tcp", conv.tcp_stream[i])
    if 0 <= i < len(conv.udp_stream) and conv.udp_stream[i] >= 0:
        return StreamId("udp", conv.udp_stream[i])
    return None


def conversation(session, sid: StreamId) -> Conversation:
    conv = session.conv
    if sid.kind == "tcp":
        st = conv.tcp_streams[sid.number]
        frames = []
        n = st.last_frame
        while n:
            frames.append(n)
            n = conv.prev_in_stream[n - 1]
        frames.reverse()
    else:
        st = conv.udp_streams[sid.number]
        arr = conv.udp_stream
        frames = [i + 1 for i in range(st.first_frame - 1, len(arr)) if arr[i] == sid.number]
    return Conversation(sid, _addr_text(st.addr), _addr_text(st.peer), frames)


def _payload(session, number: int) -> tuple[bytes, int] | None:
    """(captured payload, length on the wire) of a TCP/UDP frame."""
    data = session.frame_bytes(number)
    linktype = session.frame_meta(number)[4]
    t = fast.parse_transport(data, 0, len(data), linktype)
    if t is None:
        return None
    captured = max(0, min(t.payload_len, len(data) - t.payload_off))
    return bytes(data[t.payload_off:t.payload_off + captured]), t.payload_len


def follow_bytes(session, c: Conversation) -> list[Chunk]:
    """The bytes of both directions as each receiver gets them: retransmitted bytes once,
    gaps where bytes were never captured."""
    conv = session.conv
    chunks: list[Chunk] = []
    expect: list[int | None] = [None, None]
    for n in c.frames:
        p = _payload(session, n)
        if p is None:
            continue
        data, wire_len = p
        d = conv.direction[n - 1]
        if c.stream.kind == "udp":
            if data:
                chunks.append(Chunk(d, n, data))
            continue
        if not wire_len:
            continue
        seq = conv.rel_seq[n - 1]
        nxt = expect[d]
        if nxt is None:
            nxt = seq
        if seq + wire_len <= nxt:
            continue  # everything here was already delivered: a retransmission
        if seq < nxt:
            cut = nxt - seq
            data, wire_len, seq = data[cut:], wire_len - cut, nxt
        if seq > nxt:
            chunks.append(Chunk(d, n, missing=seq - nxt))
        if data:
            chunks.append(Chunk(d, n, data))
        if wire_len > len(data):
            chunks.append(Chunk(d, n, missing=wire_len - len(data)))
        expect[d] = seq + wire_len
    return chunks


def _value_name(name: str, value) -> str:
    spec = REGISTRY.get(name)
    if spec is not None and isinstance(value, int) and value in spec.value_names:
        return spec.value_names[value]
    return format_value(spec, value)


CONTENT_TYPES = {20: "ChangeCipherSpec", 21: "Alert", 22: "Handshake", 23: "Application Data", 24: "Heartbeat"}


def record_messages(tree) -> list[tuple[str, bool]]:
    """(text, bad) per TLS/DTLS message of a frame, in record order."""
    out: list[tuple[str, bool]] = []
    for layer in tree.layers:
        if layer.name not in ("tls", "dtls", "ssl"):
            continue
        proto = layer.name if layer.name != "ssl" else "tls"
        records = [f for f in layer.walk() if f.name == f"{proto}.record"] or [layer]
        for rec in records:
            ctype = None
            hs: list[str] = []
            alerts: list[str] = []
            for f in rec.walk():
                if f.name == f"{proto}.record.content_type" and ctype is None:
                    ctype = f.value
                elif f.name == f"{proto}.handshake.type":
                    hs.append(_value_name(f.name, f.value))
                elif f.name == f"{proto}.alert_message.desc":
                    alerts.append(_value_name(f.name, f.value))
            if hs:
                out.extend((h, False) for h in hs)
            elif alerts:
                out.extend((f"Alert: {a}", True) for a in alerts)
            elif ctype == 21:
                out.append(("Encrypted Alert", True))
            elif ctype == 22:
                out.append(("Encrypted Handshake Message", False))
            elif ctype is not None:
                out.append((CONTENT_TYPES.get(ctype, f"Record type {ctype}"), False))
    return out


def tcp_flags_text(tree) -> tuple[str, bool]:
    fs = tree.fields("tcp.flags")
    if not fs or fs[0].value is None:
        return "", False
    v = int(fs[0].value)
    syn, fin, rst, ack = v & 2, v & 1, v & 4, v & 16
    if rst:
        return ("RST, ACK" if ack else "RST"), True
    if syn:
        return ("SYN, ACK" if ack else "SYN"), False
    if fin:
        return "FIN, ACK" if ack else "FIN", False
    return "", False


def ladder(session, c: Conversation) -> list[LadderStep]:
    """One step per frame that carries a message (handshake, alert, data, SYN/FIN/RST)."""
    conv = session.conv
    steps: list[LadderStep] = []
    t0 = session.frame_meta(c.frames[0])[2] if c.frames else 0
    for n in c.frames:
        tree = session.tree(n)
        msgs = record_messages(tree)
        flags, bad = tcp_flags_text(tree)
        texts = [m for m, _ in msgs]
        bad = bad or any(b for _, b in msgs)
        if flags:
            texts.append(flags)
        if not texts:
            p = _payload(session, n)
            if p is None or not p[1]:
                continue  # a bare ACK says nothing on a ladder
            texts.append(f"Data ({p[1]} bytes)")
        # Collapse runs ("Application Data, Application Data" -> "Application Data ×2").
        merged: list[str] = []
        for t in texts:
            if merged and merged[-1].split(" ×")[0] == t:
                base, _, count = merged[-1].partition(" ×")
                merged[-1] = f"{base} ×{int(count or 1) + 1}"
            else:
                merged.append(t)
        steps.append(LadderStep(n, (session.frame_meta(n)[2] - t0) / 1e9, conv.direction[n - 1],
                                tuple(merged), bad))
    return steps


def tls_records(session, c: Conversation) -> list[tuple[int, int, str, bool, bytes]]:
    """(frame, direction, message text, bad, decrypted bytes) for the TLS records of a stream."""
    conv = session.conv
    out = []
    for n in c.frames:
        tree = session.tree(n)
        msgs = record_messages(tree)
        if not msgs:
            continue
        plain = b"".join(data for name, data in tree.sources.items()
                         if name != "frame" and "decrypt" in name.lower())
        d = conv.direction[n - 1]
        for i, (text, bad) in enumerate(msgs):
            out.append((n, d, text, bad, plain if i == len(msgs) - 1 else b""))
    return out


@dataclass(frozen=True, slots=True)
class Compare:
    """A resent segment beside the bytes first sent at its sequence numbers."""

    frame: int
    original_frame: int
    rel_seq: int  # the resend's relative sequence number (its first payload byte)
    original: bytes  # the original's bytes from rel_seq on (as many as overlap)
    resent: bytes  # the resend's payload
    diffs: tuple[int, ...]  # offsets (in the resend's payload) of the bytes that differ
    overlap: tuple[int, int] = (0, 0)  # resend payload offsets that the original also carried

    @property
    def diff_range(self) -> tuple[int, int]:
        """(first, last + 1) of the differing bytes; (0, 0) if none."""
        return (self.diffs[0], self.diffs[-1] + 1) if self.diffs else (0, 0)


def retransmission_compare(session, frame: int, original_frame: int) -> Compare | None:
    """The bytes of a retransmission and of its original, aligned by sequence number (two frames:
    cheap enough for the UI thread)."""
    conv = session.conv
    a, b = _payload(session, original_frame), _payload(session, frame)
    if a is None or b is None:
        return None
    seq_a, seq_b = conv.rel_seq[original_frame - 1], conv.rel_seq[frame - 1]
    skip = seq_b - seq_a
    resent = b[0]
    if skip >= 0:
        original = a[0][skip:]
        lead = 0
    else:  # the original starts after the resend: align on the original's first byte
        original = a[0]
        lead = -skip
    n = min(len(original), max(0, len(resent) - lead))
    diffs = tuple(lead + i for i in range(n) if original[i] != resent[lead + i])
    if lead:
        original = bytes(lead) + original  # offsets line up with the resend's payload
    return Compare(frame, original_frame, seq_b, original, resent, diffs, (lead, lead + n))
