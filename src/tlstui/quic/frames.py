"""QUIC frames of a decrypted payload (RFC 9000 19 and the extensions tshark 4.0 knows), as
tshark shows them: one ``quic.frame`` subtree each, and the short words of the Info column.

``parse_frames`` serves the analysis pass (``parent=None``: no Fields, only what the pass needs)
and the tree (Fields with their ranges in the decrypted payload), so the two cannot disagree.
A frame that runs past the payload stops the parse (``Parsed.malformed``), as tshark's
exception does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..field import Field
from .names import TRANSPORT_ERRORS, frame_type_name, transport_error_name
from .varint import read_varint
from ..tls.names import ALERT_DESCRIPTIONS

FT_PADDING, FT_PING, FT_ACK, FT_ACK_ECN, FT_RESET_STREAM, FT_STOP_SENDING, FT_CRYPTO, FT_NEW_TOKEN = range(8)
FT_NEW_CONNECTION_ID, FT_CC_TRANSPORT, FT_CC_APP = 0x18, 0x1C, 0x1D


class _Short(Exception):
    """A frame that runs past the payload."""


@dataclass(slots=True)
class Crypto:
    """A CRYPTO frame: its stream offset and where its data lies in the payload."""

    index: int  # position among the packet's frames
    offset: int
    length: int
    data_pos: int


@dataclass(slots=True)
class Close:
    """A CONNECTION_CLOSE frame."""

    frame_type: int  # 0x1c transport, 0x1d application
    error: int
    reason: str
    offending_frame: int | None


@dataclass
class Parsed:
    types: list[int] = field(default_factory=list)
    info: list[str] = field(default_factory=list)
    crypto: list[Crypto] = field(default_factory=list)
    new_cids: list[tuple[bytes, bytes]] = field(default_factory=list)  # (connection ID, reset token)
    closes: list[Close] = field(default_factory=list)
    streams: list[tuple[int, int, int, int]] = field(default_factory=list)  # (id, offset, data pos, length)
    malformed: bool = False
    nodes: list[Field] = field(default_factory=list)  # the quic.frame subtrees (tree mode)


class _R:
    """A cursor over the payload that adds Fields when a tree is built."""

    __slots__ = ("buf", "pos", "src", "tree")

    def __init__(self, buf: bytes, src: str, tree: bool) -> None:
        self.buf = buf
        self.pos = 0
        self.src = src
        self.tree = tree

    def varint(self, parent: Field | None, name: str, label: str | None = None) -> int:
        got = read_varint(self.buf, self.pos)
        if got is None:
            raise _Short()
        v, n = got
        if parent is not None:
            parent.add(Field(name, label if label is not None else None, v, self.pos, n, source=self.src))
        self.pos += n
        return v

    def uint(self, parent: Field | None, name: str, size: int) -> int:
        if self.pos + size > len(self.buf):
            raise _Short()
        v = int.from_bytes(self.buf[self.pos:self.pos + size], "big")
        if parent is not None:
            parent.add(Field(name, None, v, self.pos, size, source=self.src))
        self.pos += size
        return v

    def raw(self, parent: Field | None, name: str, n: int, label: str | None = None) -> bytes:
        if n < 0 or self.pos + n > len(self.buf):
            raise _Short()
        v = bytes(self.buf[self.pos:self.pos + n])
        if parent is not None:
            parent.add(Field(name, label, v, self.pos, n, source=self.src))
        self.pos += n
        return v


def parse_frames(buf: bytes, src: str, tree: bool = False, gquic: bool = False) -> Parsed:
    """Every frame of a decrypted payload ``buf`` (ranges in source ``src``).  ``gquic``: Google
    QUIC with TLS (Q050, T050, T051), whose frames tshark reads as gQUIC's, not ``quic.frame``."""
    out = Parsed()
    r = _R(buf, src, tree)
    if gquic:
        _gquic_frames(r, out)
        return out
    while r.pos < len(buf):
        start = r.pos
        node = Field("quic.frame", "", None, start, 1, source=src) if tree else None
        try:
            got = read_varint(buf, r.pos)
            if got is None:
                raise _Short()
            ft, n = got
            name = frame_type_name(ft)
            if node is not None:
                node.add(Field("quic.frame_type", f"Frame Type: {name} (0x{ft:016x})", ft, start, n, source=src))
                node.label = name
                out.nodes.append(node)
            out.types.append(ft)
            r.pos += n
            _frame_body(r, ft, node, out, len(out.types) - 1)
        except _Short:
            out.malformed = True
            if node is not None:
                node.length = max(1, len(buf) - start)
                node.add(Field("_ws.malformed", "[Malformed Packet: QUIC]", None, start, 0, source=src))
            break
        if node is not None:
            node.length = r.pos - start
    return out


def _gquic_frames(r: _R, out: Parsed) -> None:
    """gQUIC frames of a TLS-based Google QUIC packet: CRYPTO (type 0x08, IETF varints) is what
    carries the handshake; PADDING ends the packet; tshark stops at anything else it cannot read."""
    buf = r.buf
    while r.pos < len(buf):
        start = r.pos
        ft = buf[r.pos]
        if ft == 0x08:
            node = Field("", "CRYPTO", None, start, 1, source=r.src) if r.tree else None
            r.pos += 1
            try:
                off = r.varint(None, "")
                ln = r.varint(None, "")
            except _Short:
                out.malformed = True
                return
            if ln > len(buf) - r.pos:
                out.malformed = True
                return
            out.info.append("CRYPTO")
            out.crypto.append(Crypto(len(out.nodes) if r.tree else len(out.crypto), off, ln, r.pos))
            if node is not None:
                node.add(Field("", f"Offset: {off}", None, start + 1, 0, source=r.src))
                node.add(Field("", f"Length: {ln}", None, start + 1, 0, source=r.src))
                node.length = r.pos + ln - start
                out.nodes.append(node)
            r.pos += ln
        elif ft & 0xC0 == 0x40:  # ACK: 01NULLMM
            sizes = (1, 2, 4, 6)
            r.pos += 1
            try:
                r.raw(None, "", sizes[(ft >> 2) & 3])  # largest acked
                r.raw(None, "", 2)  # ack delay
                blocks = r.uint(None, "", 1) if ft & 0x20 else 0
                r.raw(None, "", sizes[ft & 3])
                for _ in range(blocks):
                    r.raw(None, "", 1 + sizes[ft & 3])
                stamps = r.uint(None, "", 1)
                if stamps:
                    r.raw(None, "", 5 + 3 * (stamps - 1))
            except _Short:
                out.malformed = True
                return
            if r.tree:
                out.nodes.append(Field("", "ACK (Special Frame Type)", None, start, r.pos - start, source=r.src))
        else:
            if r.tree:
                out.nodes.append(Field("", "PADDING" if ft == 0 else f"Frame Type 0x{ft:02x}", None, start,
                                       len(buf) - start, source=r.src))
            return


def _frame_body(r: _R, ft: int, node: Field | None, out: Parsed, index: int) -> None:
    info = out.info
    if ft == FT_PADDING:
        info.append("PADDING")
        p = r.pos
        buf = r.buf
        while p < len(buf) and buf[p] == 0:
            p += 1
        pad = 1 + p - r.pos
        if node is not None:
            node.add(Field("quic.padding_length", f"[Padding Length: {pad}]", pad, r.pos, 0, source=r.src))
            node.label = f"PADDING Length: {pad}"
        r.pos = p
    elif ft == FT_PING:
        info.append("PING")
    elif ft in (FT_ACK, FT_ACK_ECN, 0x42, 0x43):
        info.append({FT_ACK: "ACK", FT_ACK_ECN: "ACK_ECN", 0x42: "MP_ACK", 0x43: "MP_ACK_ECN"}[ft])
        if ft in (0x42, 0x43):
            r.varint(node, "quic.mp_uniflow_id")
        r.varint(node, "quic.ack.largest_acknowledged")
        r.varint(node, "quic.ack.ack_delay")
        count = r.varint(node, "quic.ack.ack_range_count")
        r.varint(node, "quic.ack.first_ack_range")
        for _ in range(count):
            r.varint(node, "quic.ack.gap")
            r.varint(node, "quic.ack.ack_range")
        if ft == FT_ACK_ECN:
            r.varint(node, "quic.ack.ect0_count")
            r.varint(node, "quic.ack.ect1_count")
            r.varint(node, "quic.ack.ecn_ce_count")
    elif ft == FT_RESET_STREAM:
        sid = r.varint(node, "quic.rsts.stream_id")
        info.append(f"RS({sid})")
        err = r.varint(node, "quic.rsts.application_error_code")
        r.varint(node, "quic.rsts.final_size")
        if node is not None:
            node.label += f" id={sid} Error code: {err:#x}"
    elif ft == FT_STOP_SENDING:
        sid = r.varint(node, "quic.ss.stream_id")
        info.append(f"SS({sid})")
        err = r.varint(node, "quic.ss.application_error_code")
        if node is not None:
            node.label += f" id={sid} Error code: {err:#x}"
    elif ft == FT_CRYPTO:
        info.append("CRYPTO")
        off = r.varint(node, "quic.crypto.offset")
        ln = r.varint(node, "quic.crypto.length")
        pos = r.pos
        if ln > len(r.buf) - pos:
            raise _Short()
        if node is not None:
            node.add(Field("quic.crypto.crypto_data", "Crypto Data", None, pos, ln, source=r.src))
        out.crypto.append(Crypto(index, off, ln, pos))
        r.pos += ln
    elif ft == FT_NEW_TOKEN:
        info.append("NT")
        n = r.varint(node, "quic.nt.length")
        r.raw(node, "quic.nt.token", n)
    elif 0x08 <= ft <= 0x0F:
        _stream(r, ft, node, out)
    elif ft == 0x10:
        info.append("MD")
        r.varint(node, "quic.md.maximum_data")
    elif ft == 0x11:
        sid = r.varint(node, "quic.msd.stream_id")
        info.append(f"MSD({sid})")
        r.varint(node, "quic.msd.maximum_stream_data")
        if node is not None:
            node.label += f" id={sid}"
    elif ft in (0x12, 0x13):
        info.append("MS")
        r.varint(node, "quic.ms.max_streams")
    elif ft == 0x14:
        info.append("DB")
        r.varint(node, "quic.sb.stream_data_limit")
    elif ft == 0x15:
        sid = r.varint(node, "quic.sdb.stream_id")
        info.append(f"SDB({sid})")
        r.varint(node, "quic.sdb.stream_data_limit")
        if node is not None:
            node.label += f" id={sid}"
    elif ft in (0x16, 0x17):
        info.append("SB")
        r.varint(node, "quic.sb.stream_limit")
    elif ft in (FT_NEW_CONNECTION_ID, 0x40):
        info.append("NCI" if ft == FT_NEW_CONNECTION_ID else "MP_NCI")
        if ft == 0x40:
            r.varint(node, "quic.mp_uniflow_id")
        r.varint(node, "quic.nci.sequence")
        r.varint(node, "quic.nci.retire_prior_to")
        n = r.uint(node, "quic.nci.connection_id.length", 1)
        cid = r.raw(node, "quic.nci.connection_id", n)
        token = r.raw(node, "quic.stateless_reset_token", 16)
        if 1 <= n <= 20:
            out.new_cids.append((cid, token))
        elif node is not None:
            node.add(Field("_ws.expert", "[Connection ID Length must be between 1 and 20 bytes]", None,
                           node.offset, 0, source=r.src))
    elif ft in (0x19, 0x41):
        info.append("RC" if ft == 0x19 else "MP_RC")
        if ft == 0x41:
            r.varint(node, "quic.mp_uniflow_id")
        r.varint(node, "quic.rci.sequence")
    elif ft == 0x1A:
        info.append("PC")
        r.raw(node, "quic.path_challenge.data", 8)
    elif ft == 0x1B:
        info.append("PR")
        r.raw(node, "quic.path_response.data", 8)
    elif ft in (FT_CC_TRANSPORT, FT_CC_APP):
        _close(r, ft, node, out)
    elif ft == 0x1E:
        info.append("DONE")
    elif ft in (0x30, 0x31):
        info.append("DG")
        n = r.varint(node, "quic.dg.length") if ft == 0x31 else len(r.buf) - r.pos
        r.raw(node, "quic.dg", n)
    elif ft == 0xAC:
        info.append("IA")
    elif ft == 0xAF:
        info.append("AF")
        r.varint(node, "quic.af.sequence_number")
        r.varint(node, "quic.af.ack_eliciting_threshold")
        r.varint(node, "quic.af.request_max_ack_delay")
        r.uint(node, "quic.af.last_byte", 1)
    elif ft == 0x02F5:
        info.append("TS")
        r.varint(node, "quic.ts")
    elif node is not None:  # tshark goes on with the next byte as a frame type
        node.add(Field("_ws.expert", f"[Unknown Frame Type {ft:#x}]", None, node.offset, 0, source=r.src))


def _stream(r: _R, ft: int, node: Field | None, out: Parsed) -> None:
    if node is not None:
        flags = node.children[-1]
        for bit, name, text in ((0x01, "quic.stream.fin", "Fin"), (0x02, "quic.stream.len", "Len(gth)"),
                                (0x04, "quic.stream.off", "Off(set)")):
            on = bool(ft & bit)
            dots = "".join("1" if (bit >> (7 - i)) & 1 and on else ("0" if (bit >> (7 - i)) & 1 else ".")
                           for i in range(8))
            flags.add(Field(name, f"{dots[:4]} {dots[4:]} = {text}: {on}", int(on), flags.offset,
                            1, source=r.src))
    sid = r.varint(node, "quic.stream.stream_id")
    out.info.append(f"STREAM({sid})")
    offset = r.varint(node, "quic.stream.offset") if ft & 0x04 else 0
    length = r.varint(node, "quic.stream.length") if ft & 0x02 else len(r.buf) - r.pos
    if length > len(r.buf) - r.pos:
        raise _Short()
    if node is not None:
        direction = "Unidirectional" if sid & 2 else "Bidirectional"
        origin = "Server-initiated" if sid & 1 else "Client-initiated"
        node.label += f" id={sid} fin={ft & 1} off={offset} len={length} dir={direction} origin={origin}"
        node.add(Field("quic.stream_data", None, bytes(r.buf[r.pos:r.pos + length]), r.pos, length, source=r.src))
    out.streams.append((sid, offset, r.pos, length))
    r.pos += length


def _close(r: _R, ft: int, node: Field | None, out: Parsed) -> None:
    out.info.append("CC")
    offending = None
    alert = None
    if ft == FT_CC_TRANSPORT:
        start = r.pos
        err = r.varint(node, "quic.cc.error_code",
                       None)
        if node is not None:
            node.children[-1].label = f"Error code: {transport_error_name(err)} ({err})"
        if err >> 8 == 1:
            alert = ALERT_DESCRIPTIONS.get(err & 0xFF)
            if alert is not None and node is not None:
                node.add(Field("quic.cc.error_code.tls_alert", f"TLS Alert Description: {alert} ({err & 0xFF})",
                               err & 0xFF, r.pos - 1, 1, source=r.src))
        del start
        offending = r.varint(node, "quic.cc.frame_type")
    else:
        err = r.varint(node, "quic.cc.error_code.app")
    n = r.varint(node, "quic.cc.reason_phrase.length")
    raw = r.raw(None, "", n)
    reason = raw.decode("ascii", "replace")
    if node is not None:
        node.add(Field("quic.cc.reason_phrase", None, reason, r.pos - n, n, source=r.src))
        if ft == FT_CC_TRANSPORT and err <= 0x3FFF:
            node.label += f" Error code: {transport_error_name(err)}"
        else:
            node.label += f" Error code: {err:#x}"
        if alert is not None:
            node.label += f" ({alert})"
    out.closes.append(Close(ft, err, reason, offending))


__all__ = ["parse_frames", "Parsed", "Crypto", "Close", "TRANSPORT_ERRORS"]
