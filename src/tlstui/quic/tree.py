"""One QUIC datagram's protocol tree, rebuilt from what the pass kept (``records.Datagram``):
one ``quic`` item per packet, as tshark 4.0 lays them out, with byte ranges in the frame, the
decrypted payloads and the reassembled CRYPTO data."""
from __future__ import annotations

from ..field import FRAME, Field
from ..tls import handshake as tls_hs
from . import versions as V
from .connection import Connection
from .frames import parse_frames
from .handshake import Fragment, Message, decode_message, message_name
from .header import parse_long
from .records import CryptoSeen, Datagram, Packet


def _bits(byte: int, mask: int, text: str) -> str:
    """tshark's bit-field label: '..00 .... = Packet Type: Initial (0)'."""
    cells = []
    for i in range(8):
        bit = 0x80 >> i
        cells.append(("1" if byte & bit else "0") if mask & bit else ".")
    s = "".join(cells)
    return f"{s[:4]} {s[4:]} = {text}"


class _Sources:
    def __init__(self) -> None:
        self.named: dict[str, bytes] = {}

    def add(self, stem: str, data: bytes) -> str:
        name = f"{stem} ({len(data)} bytes)"
        k = 2
        base = name
        while name in self.named and self.named[name] != data:
            name = f"{base} #{k}"
            k += 1
        self.named[name] = data
        return name


def build(dg: Datagram, frame_bytes: bytes, conn: Connection | None) -> tuple[list[Field], dict[str, bytes]]:
    base = dg.frame_offset
    data = frame_bytes[base:base + dg.length]
    srcs = _Sources()
    layers: list[Field] = []
    for i, pkt in enumerate(dg.packets):
        top = Field("quic", "QUIC IETF", None, base + pkt.off, pkt.end - pkt.off)
        if i == 0:
            ci = top.add(Field("", "QUIC Connection information", None, base, 0))
            if conn is None:
                ci.add(Field("_ws.expert", "[Unknown QUIC connection. Missing Initial Packet or migrated connection?]",
                             None, base, 0))
            else:
                ci.add(Field("quic.connection.number", f"[Connection Number: {conn.number}]", conn.number, base, 0))
        if pkt.kind == "reset":
            _reset(top, data, base)
            layers.append(top)
            continue
        top.add(Field("quic.packet_length", f"[Packet Length: {pkt.end - pkt.off}]", pkt.end - pkt.off,
                      base + pkt.off, 0))
        try:
            if pkt.kind == "short":
                _short(top, data, base, pkt, conn, srcs)
            else:
                _long(top, data, base, pkt, conn, srcs)
        except IndexError:
            top.add(Field("_ws.malformed", "[Malformed Packet: QUIC]", None, base + pkt.off, 0))
        if pkt.malformed and not any(f.name == "_ws.malformed" for f in top.walk()):
            top.add(Field("_ws.malformed", "[Malformed Packet: QUIC]", None, base + pkt.off, 0))
        layers.append(top)
        if any(f.name == "tls" for f in top.walk()):
            # TLS inside CRYPTO frames is a protocol of the frame too (frame.protocols "quic:tls"),
            # named by a hidden top-level item: the visible one sits under its CRYPTO frame
            layers.append(Field("tls", "tls", None, base + pkt.off, 0, hidden=True))
    if dg.padding_at >= 0:
        pad = Field("quic", "QUIC IETF", None, base + dg.padding_at, dg.length - dg.padding_at)
        pad.add(Field("_ws.expert", "[(Random) padding data appended to the datagram]", None,
                      base + dg.padding_at, 0))
        layers.append(pad)
    if dg.malformed and not dg.packets:
        bad = Field("quic", "QUIC IETF", None, base, dg.length)
        bad.add(Field("_ws.malformed", dg.info or "[Malformed Packet: QUIC]", None, base, 0))
        layers.append(bad)
    return layers, srcs.named


def _reset(top: Field, data: bytes, base: int) -> None:
    n = len(data)
    top.add(Field("quic.packet_length", f"[Packet Length: {n}]", n, base, 0))
    b = data[0]
    top.add(Field("quic.header_form", _bits(b, 0x80, f"Header Form: {'Long' if b & 0x80 else 'Short'} Header "
                                                    f"({b >> 7})"), b >> 7, base, 1))
    top.add(Field("quic.fixed_bit", _bits(b, 0x40, f"Fixed Bit: {bool(b & 0x40)}"), (b >> 6) & 1, base, 1))
    top.add(Field("quic.unpredictable_bits", None, bytes(data[:n - 16]), base, n - 16))
    top.add(Field("quic.stateless_reset_token", None, bytes(data[n - 16:]), base + n - 16, 16))


def _header_common(top: Field, data: bytes, base: int, h) -> None:  # noqa: ANN001
    ver = h.version
    label = f"Version: {V.version_name(ver)} (0x{ver:08x})"
    if V.forces_negotiation(ver):
        label += " (Forcing Version Negotiation)"
    top.add(Field("quic.version", label, ver, base + h.off + 1, 4))
    if h.dcid_off:
        top.add(Field("quic.dcil", None, h.dcil, base + h.dcid_off - 1, 1))
        if h.dcil and (h.cut < 0 or h.cut > h.dcid_off):
            top.add(Field("quic.dcid", None, h.dcid, base + h.dcid_off, h.dcil))
    if h.scid_off:
        top.add(Field("quic.scil", None, h.scil, base + h.scid_off - 1, 1))
        if h.scil and (h.cut < 0 or h.cut > h.scid_off):
            top.add(Field("quic.scid", None, h.scid, base + h.scid_off, h.scil))


def _long(top: Field, data: bytes, base: int, pkt: Packet, conn: Connection | None, srcs: _Sources) -> None:
    h = parse_long(data, pkt.off, pkt.end)
    b = data[pkt.off]
    top.add(Field("quic.header_form", _bits(b, 0x80, "Header Form: Long Header (1)"), 1, base + pkt.off, 1))
    if pkt.kind in ("vn", "forcing"):
        top.add(Field("quic.vn.unused", _bits(b, 0x7F, f"Unused: 0x{b & 0x7F:02x}"), b & 0x7F, base + pkt.off, 1))
        _header_common(top, data, base, h)
        if pkt.kind == "vn" and h.cut < 0:
            p = h.pn_off
            while p + 4 <= pkt.end:
                v = int.from_bytes(data[p:p + 4], "big")
                lab = f"Supported Version: {V.version_name(v)} (0x{v:08x})"
                if V.forces_negotiation(v):
                    lab += " (GREASE)"
                top.add(Field("quic.supported_version", lab, v, base + p, 4))
                p += 4
        if pkt.kind == "forcing" and pkt.end < len(data):
            top.add(Field("_ws.expert", "[Data appended after a Forcing VN can't be decrypted]", None,
                          base + pkt.off, 0))
        return
    bits = (b & 0x30) >> 4
    v2 = V.is_v2(h.version)
    type_name = V.PACKET_TYPE_NAMES.get(V.long_packet_type(b, h.version if h.version else 1), "Unknown")
    if pkt.kind != "retry":
        top.add(Field("quic.fixed_bit", _bits(b, 0x40, f"Fixed Bit: {bool(b & 0x40)}"), (b >> 6) & 1,
                      base + pkt.off, 1))
    top.add(Field("quic.long.packet_type_v2" if v2 else "quic.long.packet_type",
                  _bits(b, 0x30, f"Packet Type: {type_name} ({bits})"), bits, base + pkt.off, 1))
    if pkt.kind == "long" and pkt.pn_len:
        f = pkt.first
        top.add(Field("quic.long.reserved", _bits(f, 0x0C, f"Reserved: {(f & 0x0C) >> 2}"), (f & 0x0C) >> 2,
                      base + pkt.off, 1))
        top.add(Field("quic.packet_number_length", _bits(f, 0x03, f"Packet Number Length: {(f & 3) + 1} bytes "
                                                                     f"({f & 3})"), f & 3, base + pkt.off, 1))
    _header_common(top, data, base, h)
    if h.cut >= 0:
        top.add(Field("_ws.malformed", "[Malformed Packet: QUIC]", None, base + h.cut, 0))
        return
    if pkt.kind == "retry":
        if h.odcil >= 0:
            top.add(Field("quic.odcil", None, h.odcil, base + h.odcid_off - 1, 1))
            top.add(Field("quic.odcid", None, bytes(data[h.odcid_off:h.odcid_off + h.odcil]), base + h.odcid_off,
                          h.odcil))
        tag = 0 if V.draft_max(h.version, 24) else 16
        tok_end = max(h.pn_off, pkt.end - tag)
        top.add(Field("quic.retry_token", None, bytes(data[h.pn_off:tok_end]), base + h.pn_off, tok_end - h.pn_off))
        if tag and pkt.end - h.pn_off >= 16:
            f = top.add(Field("quic.retry_integrity_tag", None, bytes(data[tok_end:pkt.end]), base + tok_end, 16))
            if pkt.retry_verified:
                f.label = f"Retry Integrity Tag: {bytes(data[tok_end:pkt.end]).hex()} [verified]"
            else:
                msg = "Retry Integrity Tag verification failure" if pkt.retry_verified is False else \
                    "Cannot verify Retry Packet due to unknown ODCID"
                f.add(Field("_ws.expert", f"[{msg}]", None, base + tok_end, 0))
        return
    if h.ptype == V.INITIAL:
        top.add(Field("quic.token_length", None, h.token_len, base + h.token_len_off, h.token_len_size))
        if h.token_len:
            tok = h.token_len_off + h.token_len_size
            top.add(Field("quic.token", None, bytes(data[tok:tok + h.token_len]), base + tok, h.token_len))
    top.add(Field("quic.length", None, h.length, base + h.length_off, h.length_size))
    _protected(top, top, data, base, pkt, h.pn_off, conn, srcs, "quic.payload")


def _short(top: Field, data: bytes, base: int, pkt: Packet, conn: Connection | None, srcs: _Sources) -> None:
    b = data[pkt.off]
    dcid = bytes(data[pkt.off + 1:pkt.off + 1 + pkt.dcid_len])
    hdr_label = "QUIC Short Header"
    if pkt.dcid_len:
        hdr_label += f" DCID={dcid.hex()}"
    shown_pn = pkt.error is None and conn is not None and not conn.skip_decryption and pkt.pn_len
    if shown_pn:
        hdr_label += f" PKN={pkt.pn}"
    hdr = top.add(Field("quic.short", hdr_label, None, base + pkt.off, pkt.end - pkt.off))
    hdr.add(Field("quic.header_form", _bits(b, 0x80, "Header Form: Short Header (0)"), 0, base + pkt.off, 1))
    hdr.add(Field("quic.fixed_bit", _bits(b, 0x40, f"Fixed Bit: {bool(b & 0x40)}"), (b >> 6) & 1, base + pkt.off, 1))
    hdr.add(Field("quic.spin_bit", _bits(b, 0x20, f"Spin Bit: {bool(b & 0x20)}"), (b >> 5) & 1, base + pkt.off, 1))
    if pkt.pn_len:
        f = pkt.first
        hdr.add(Field("quic.short.reserved", _bits(f, 0x18, f"Reserved: {(f & 0x18) >> 3}"), (f & 0x18) >> 3,
                      base + pkt.off, 1))
        hdr.add(Field("quic.key_phase", _bits(f, 0x04, f"Key Phase Bit: {bool(f & 4)}"), (f >> 2) & 1,
                      base + pkt.off, 1))
        hdr.add(Field("quic.packet_number_length", _bits(f, 0x03, f"Packet Number Length: {(f & 3) + 1} bytes "
                                                                     f"({f & 3})"), f & 3, base + pkt.off, 1))
    if pkt.dcid_len:
        hdr.add(Field("quic.dcid", None, dcid, base + pkt.off + 1, pkt.dcid_len))
    if pkt.error is not None:
        top.add(Field("_ws.expert", f"[Failed to create decryption context: {pkt.error}]", None, base + pkt.off, 0))
        _remaining(top, data, base, pkt.off + 1 + pkt.dcid_len, pkt.end)
        return
    if conn is None or conn.skip_decryption or not pkt.pn_len:
        _remaining(top, data, base, pkt.off + 1 + pkt.dcid_len, pkt.end)
        return
    _protected(top, hdr, data, base, pkt, pkt.off + 1 + pkt.dcid_len, conn, srcs, "quic.protected_payload")


def _remaining(top: Field, data: bytes, base: int, start: int, end: int) -> None:
    if end > start:
        top.add(Field("quic.remaining_payload", None, bytes(data[start:end]), base + start, end - start))


def _protected(top: Field, hdr: Field, data: bytes, base: int, pkt: Packet, pn_off: int, conn: Connection | None,
               srcs: _Sources, payload_name: str) -> None:
    if pkt.error is not None:
        top.add(Field("_ws.expert", f"[Failed to create decryption context: {pkt.error}]", None, base + pkt.off, 0))
        _remaining(top, data, base, pn_off, pkt.end)
        return
    if conn is None or not pkt.pn_len:
        top.add(Field("_ws.expert", "[Failed to decrypt packet number]", None, base + pkt.off, 0))
        _remaining(top, data, base, pn_off, pkt.end)
        return
    hdr.add(Field("quic.packet_number", None, pkt.pn, base + pn_off, pkt.pn_len))
    start = pn_off + pkt.pn_len
    hdr.add(Field(payload_name, None, bytes(data[start:pkt.end]), base + start, pkt.end - start))
    if pkt.plain is None:
        return
    src = srcs.add("Decrypted QUIC", pkt.plain)
    parsed = parse_frames(pkt.plain, src, tree=True, gquic=V.is_gquic_tls(conn.version))
    seen = iter(pkt.crypto)
    for c in parsed.crypto:
        s = next(seen, None)
        if s is not None:
            _crypto(parsed.nodes[c.index], s, c, src, srcs, conn)
    top.children.extend(parsed.nodes)


def _crypto(node: Field, seen: CryptoSeen, c, src: str, srcs: _Sources, conn: Connection | None) -> None:  # noqa: ANN001
    d = seen.delivery
    if d.kind == "retransmission":
        node.add(Field("_ws.expert", "[This QUIC frame has a reused stream offset (retransmission?)]", None,
                       c.data_pos, c.length, source=src))
        return
    if d.trim:
        node.add(Field("_ws.expert", "[This QUIC frame overlaps a previous frame in the stream]", None,
                       c.data_pos, c.length, source=src))
    if seen.handled is None:
        return
    if d.kind == "reassembled":
        dsrc = srcs.add("Reassembled QUIC CRYPTO", d.data)
        dbase = 0
        n = len(d.pieces)
        desc = ", ".join(f"#{f}({ln})" for f, _o, ln in d.pieces)
        frag = node.add(Field("quic.crypto.fragments", f"[{n} Reassembled QUIC CRYPTO Data Fragments "
                                                        f"({len(d.data)} bytes): {desc}]", None, 0, len(d.data),
                              source=dsrc))
        for f, o, ln in d.pieces:
            frag.add(Field("quic.crypto.fragment", f"[Frame: {f}, payload: {o - d.offset}-{o - d.offset + ln - 1} "
                                                   f"({ln} byte{'s' if ln != 1 else ''})]", f, o - d.offset, ln,
                           source=dsrc))
        frag.add(Field("quic.crypto.fragment.count", f"[Fragment count: {n}]", n, 0, 0, source=dsrc))
    else:
        dsrc = src
        dbase = c.data_pos + d.trim
    _tls(node, seen, d.data, dsrc, dbase, srcs, conn)


def _tls(node: Field, seen: CryptoSeen, data: bytes, dsrc: str, dbase: int, srcs: _Sources,
         conn: Connection | None) -> None:
    ctx = tls_hs.Ctx(False, 0x0304, conn.cipher if conn else None)
    tls = node.add(Field("tls", "TLSv1.3 Record Layer: Handshake Protocol", None, dbase, len(data), source=dsrc))
    names = []
    for item in seen.handled.order:
        if isinstance(item, Message):
            if item.reassembled is not None:
                rsrc = srcs.add("Reassembled TLS handshake", item.reassembled)
                hnode, t, info = decode_message(item.reassembled, 0, rsrc, ctx, True)
            else:
                hnode, t, info = decode_message(data[item.pos:item.pos + item.length], dbase + item.pos, dsrc, ctx,
                                                True)
            tls.add(hnode)
            names.append(message_name(t, info))
        elif isinstance(item, Fragment):
            nm = message_name(item.hs_type, {}) if item.hs_type is not None else "Unknown"
            fnode = tls.add(Field("", f"Handshake Protocol: {nm} (fragment)", None, dbase + item.pos, item.length,
                                  source=dsrc))
            if item.completed_in:
                fnode.add(Field("tls.handshake.reassembled_in", f"Reassembled Handshake Message in frame: "
                                                                f"{item.completed_in}", item.completed_in,
                                dbase + item.pos, 0, source=dsrc))
    if len(names) > 1:
        tls.label = "TLSv1.3 Record Layer: Handshake Protocol: Multiple Handshake Messages"
    elif names:
        tls.label = f"TLSv1.3 Record Layer: Handshake Protocol: {names[0]}"
    elif seen.handled.fragments:
        f = seen.handled.fragments[0]
        nm = message_name(f.hs_type, {}) if f.hs_type is not None else "Unknown"
        tls.label = f"TLSv1.3 Record Layer: Handshake Protocol: {nm} (fragment)"


__all__ = ["build", "FRAME"]
