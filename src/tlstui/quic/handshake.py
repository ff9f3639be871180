"""The TLS handshake carried in CRYPTO frames (RFC 9001 4): messages cut out of the in-order
bytes one encryption level delivers, reassembled when one spans several deliveries, decoded
by the project's TLS handshake code (``tls.handshake``) into ``tls.handshake.*`` Fields.

tshark shows each delivery as one ``tls`` item ("TLSv1.3 Record Layer: Handshake Protocol: ...")
holding the messages that complete in it, with "(fragment)" for one that goes on later.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..field import Field
from ..tls import handshake as hs
from ..tls.names import HANDSHAKE_TYPES
from ..tls.reader import Cut, Malformed, Reader

MAX_MESSAGE = 1 << 20


@dataclass(slots=True)
class Message:
    """A handshake message that completes in a delivery: its bytes (header included) lie at
    ``pos`` in the delivery's data, or in ``reassembled`` when earlier deliveries hold its start."""

    hs_type: int
    pos: int
    length: int
    reassembled: bytes | None = None
    first_frame: int = 0


@dataclass(slots=True)
class Fragment:
    """The start (or a middle part) of a message completed by a later delivery."""

    hs_type: int | None
    pos: int
    length: int
    completed_in: int = 0  # frame, once known


@dataclass
class Handled:
    """One delivery as the TLS layer saw it."""

    messages: list[Message] = field(default_factory=list)
    fragments: list[Fragment] = field(default_factory=list)
    order: list[object] = field(default_factory=list)  # messages and fragments in byte order


class HandshakeStream:
    """In-order handshake bytes of one direction and level -> messages."""

    __slots__ = ("pending", "pending_frame", "pending_frags")

    def __init__(self) -> None:
        self.pending = bytearray()
        self.pending_frame = 0
        self.pending_frags: list[Fragment] = []

    def feed(self, data: bytes, frame: int) -> Handled:
        out = Handled()
        pos = 0
        if self.pending:
            buf = self.pending
            while pos < len(data):
                need = _need(buf)
                if need and len(buf) >= need:
                    break
                take = min((need or 4) - len(buf), len(data) - pos)
                buf += data[pos:pos + take]
                pos += take
            need = _need(buf)
            if not (need and len(buf) >= need):
                f = Fragment(buf[0], 0, pos)
                out.fragments.append(f)
                out.order.append(f)
                self.pending_frags.append(f)
                if len(buf) > MAX_MESSAGE:
                    self.pending = bytearray()
                return out
            m = Message(buf[0], 0, need, bytes(buf), self.pending_frame)
            out.messages.append(m)
            out.order.append(m)
            for f in self.pending_frags:
                f.completed_in = frame
            self.pending = bytearray()
            self.pending_frags = []
        while pos < len(data):
            left = len(data) - pos
            if left >= 4:
                mlen = int.from_bytes(data[pos + 1:pos + 4], "big")
                if 4 + mlen <= left:
                    m = Message(data[pos], pos, 4 + mlen)
                    out.messages.append(m)
                    out.order.append(m)
                    pos += 4 + mlen
                    continue
            f = Fragment(data[pos], pos, left)
            out.fragments.append(f)
            out.order.append(f)
            self.pending = bytearray(data[pos:])
            self.pending_frame = frame
            self.pending_frags = [f]
            break
        return out


def _need(buf: bytearray) -> int:
    """The whole length of the message in ``buf`` (0 while its header is incomplete)."""
    if len(buf) < 4:
        return 0
    return 4 + int.from_bytes(buf[1:4], "big")


def message_name(t: int, info: dict) -> str:
    if t == 2 and info.get("hrr"):
        return "Hello Retry Request"
    return HANDSHAKE_TYPES.get(t, f"Unknown ({t})")


def decode_message(data: bytes, base: int, src: str, ctx: hs.Ctx, tree: bool) -> tuple[Field | None, int, dict]:
    """One whole handshake message at ``base`` in source ``src`` -> its ``tls.handshake`` node
    (None without a tree), type and the facts the analysis keeps (randoms, cipher, ALPN...)."""
    from ..field import NULL_FIELD

    t = data[0]
    mlen = int.from_bytes(data[1:4], "big")
    r = Reader(data, base, src, "tls", 0, 4 + mlen)
    info: dict = {}
    node = Field("tls.handshake", "Handshake Protocol", None, base, 4 + mlen, source=src) if tree else NULL_FIELD
    try:
        r.uint(node, "handshake.type", 1)
        r.uint(node, "handshake.length", 3)
        with r.limit(mlen):
            hs.body(r, t, node, ctx, info)
    except (Cut, Malformed) as e:
        if tree:
            node.add(Field("_ws.malformed", f"[Malformed Packet: {e or 'TLS'}]", None, r.off(), 0, source=src))
        info["malformed"] = True
    except Exception as e:  # a decoder bug must not take the frame down
        if tree:
            node.add(Field("_ws.malformed", f"[Malformed Packet: {e.__class__.__name__}]", None, r.off(), 0,
                           source=src))
        info["malformed"] = True
    if tree:
        node.label = f"Handshake Protocol: {message_name(t, info)}"
    return (node if tree else None), t, info
