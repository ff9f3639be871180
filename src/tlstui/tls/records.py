"""One TLS/SSLv2/DTLS record -> Fields.  Pure functions of the record's bytes and a small context.

The same functions serve the analysis pass (which keeps only the summary) and the lazy
rebuild of one frame's tree, so what a filter sees and what the tree shows cannot differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..field import FRAME, NULL_FIELD, Field
from . import handshake as hs
from .names import ALERT_DESCRIPTIONS, HANDSHAKE_TYPES, VERSION_SHORT
from .reader import Cut, Malformed, Reader, mk

CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APP_DATA, CT_HEARTBEAT = 20, 21, 22, 23, 24
TLS_CONTENT_TYPES = (20, 21, 22, 23, 24)
MAX_RECORD = 16384 + 2048
SSL2_TYPES = {0: "Error", 1: "Client Hello", 2: "Client Master Key", 3: "Client Finished", 4: "Server Hello",
              5: "Server Verify", 6: "Server Finished", 7: "Request Certificate", 8: "Client Certificate"}
CUT_NOTE = "[Packet size limited during capture]"
CT_NAMES = {20: "Change Cipher Spec", 21: "Alert", 22: "Handshake", 23: "Application Data", 24: "Heartbeat"}
CT_TREE = {20: "Change Cipher Spec Protocol", 21: "Alert Protocol", 22: "Handshake Protocol",
           23: "Application Data Protocol", 24: "Heartbeat Protocol"}


@dataclass
class Decoded:
    """What one record decode found (besides the Fields)."""

    info: list[str] = field(default_factory=list)  # Info column parts
    hs_types: list[int] = field(default_factory=list)
    hs_infos: list[tuple[int, dict]] = field(default_factory=list)  # (type, info dict) of decoded messages
    alert: tuple[int, int] | None = None
    encrypted: bool = False
    cut: bool = False
    malformed: str = ""


def plausible_tls_header(b: bytes, pos: int = 0) -> bool:
    """Could a TLS record start at ``pos``?  (Used to resynchronise after a gap.)"""
    if len(b) - pos < 5:
        return False
    return b[pos] in TLS_CONTENT_TYPES and b[pos + 1] == 3 and b[pos + 2] <= 4 and \
        int.from_bytes(b[pos + 3:pos + 5], "big") <= MAX_RECORD


def looks_like_sslv2(b: bytes, pos: int = 0) -> bool:
    if len(b) - pos < 3 or not b[pos] & 0x80:
        return False
    ln = ((b[pos] & 0x7F) << 8) | b[pos + 1]
    return ln >= 1 and b[pos + 2] in (1, 4) and ln < 32768


def handshake_fits(body: bytes, declared: int) -> bool:
    """Does the record body read as whole plaintext handshake messages?  tshark 4.0 shows
    anything else (encrypted Finished, a message continued in the next record) as
    'Encrypted Handshake Message'."""
    p = 0
    while p < declared:
        if p + 4 > len(body):
            return p > 0 or len(body) >= 1 and body[0] in hs.KNOWN_HS_TYPES
        t = body[p]
        ln = int.from_bytes(body[p + 1:p + 4], "big")
        if t not in hs.KNOWN_HS_TYPES or p + 4 + ln > declared:
            return False
        p += 4 + ln
    return p == declared


def _handshake_name(t: int, info: dict) -> str:
    if t == 2 and info.get("hrr"):
        return "Hello Retry Request"
    return HANDSHAKE_TYPES.get(t, f"Unknown ({t})")


def decode_tls(rec: bytes, declared: int, base: int, src: str, ctx: hs.Ctx, tls13_final: bool,
               sslv2_encrypted: bool = False, tree: bool = True,
               bodies: frozenset[int] | None = None) -> tuple[Field, Decoded]:
    """A TLS (or SSLv2) record at ``rec`` (available bytes; ``declared`` = header + body length).

    ``tree=False``: only the Decoded summary is wanted (the analysis pass); no Fields are kept.
    ``bodies``: decode only the handshake messages of these types past their headers (a column
    asks for one field: ``handshake.bodies_holding``); the others are stepped over.  Only for a
    record whose bytes are all here: a body cut short stops the record, so it is always read.
    """
    if bodies is not None and len(rec) < declared:
        bodies = None
    d = Decoded()
    if rec and (sslv2_encrypted or rec[0] & 0x80) and rec[0] not in TLS_CONTENT_TYPES:
        return _decode_sslv2(rec, declared, base, src, d, sslv2_encrypted)
    ct = rec[0]
    ver = int.from_bytes(rec[1:3], "big")
    ln = int.from_bytes(rec[3:5], "big")
    opaque = ct == CT_APP_DATA and tls13_final
    r = Reader(rec, base, src, "tls", 0, declared)
    vname = VERSION_SHORT.get(ver, "SSL").replace("TLSv1", "TLSv1", 1)
    top = Field("tls.record", "", None, base, declared, source=src) if tree else NULL_FIELD
    r.uint(top, "record.opaque_type" if opaque else "record.content_type", 1)
    r.uint(top, "record.version", 2)
    r.uint(top, "record.length", 2)
    body = rec[5:]
    title = CT_TREE.get(ct, "Unknown")
    try:
        if ct == CT_HANDSHAKE:
            if handshake_fits(body, ln):
                names = []
                while r.left >= 4:
                    t = r.peek_uint(1)
                    mlen = r.peek_uint(3, 1)
                    if t == hs.HS_SERVER_HELLO and r.pos + 4 + mlen > len(rec):
                        # tshark scans the whole ServerHello for its version before showing it
                        raise Cut()
                    start = r.pos
                    node = r.node(top, "handshake", 4 + mlen, "Handshake Protocol")
                    r.uint(node, "handshake.type", 1)
                    r.uint(node, "handshake.length", 3)
                    d.hs_types.append(t)
                    info: dict = {}
                    d.hs_infos.append((t, info))
                    try:
                        with r.limit(mlen):
                            if bodies is None or t in bodies:
                                hs.body(r, t, node, ctx, info)
                    except Malformed as e:
                        node.add(mk("_ws.malformed", None, r.off(), 0, f"[Malformed Packet: {e}]", src))
                        d.malformed = str(e)
                        r.pos = min(r.end, start + 4 + mlen)
                    finally:
                        nm = _handshake_name(t, info)
                        node.label = f"Handshake Protocol: {nm}"
                        names.append(nm)
                        d.info.append(nm)
                title = "Handshake Protocol: " + ", ".join(names) if names else title
            else:
                d.encrypted = True
                top.add(Field("tls.handshake", "Handshake Protocol: Encrypted Handshake Message", None, base + 5,
                              max(0, declared - 5), source=src))  # an item of its own in tshark too
                d.info.append("Encrypted Handshake Message")
                title = "Handshake Protocol: Encrypted Handshake Message"
        elif ct == CT_ALERT:
            node = r.node(top, "alert_message", ln, "Alert Message")
            if ln == 2:
                lv = r.uint(node, "alert_message.level", 1)
                ds = r.uint(node, "alert_message.desc", 1)
                d.alert = (lv, ds)
                node.label = f"Alert Message"
                d.info.append(hs.alert_text(lv, ds))
                title = "Alert (Level: %s, Description: %s)" % ({1: "Warning", 2: "Fatal"}.get(lv, "Unknown"),
                                                                ALERT_DESCRIPTIONS.get(ds, "Unknown"))
            else:
                d.encrypted = True
                node.label = "Alert Message: Encrypted Alert"
                d.info.append("Encrypted Alert")
                title = "Encrypted Alert"
        elif ct == CT_CCS:
            top.add(mk("tls.change_cipher_spec", None, r.off(), ln, "Change Cipher Spec Message", src))
            d.info.append("Change Cipher Spec")
        elif ct == CT_APP_DATA:
            d.encrypted = True
            d.info.append("Application Data")
            r.raw(top, "app_data", ln, label=f"Encrypted Application Data: {body[:24].hex()}"
                  f"{'…' if ln > 24 else ''}")
            title = "Application Data Protocol: Application Data"
        elif ct == CT_HEARTBEAT:
            t = body[0] if body else 0
            if t in (1, 2) and ln >= 3:
                node = r.node(top, "heartbeat_message", ln, "Heartbeat Message")
                r.uint(node, "heartbeat_message.type", 1)
                pl = r.uint(node, "heartbeat_message.payload_length", 2)
                nm = "Heartbeat Request" if t == 1 else "Heartbeat Response"
                d.info.append(nm)
                if pl > r.left - 16:  # RFC 6520: at least 16 bytes of padding follow the payload
                    node.add(mk("tls.heartbeat_message.payload_length.invalid", None, node.offset + 1, 2,
                                f"Invalid payload heartbeat length ({pl}), the record holds {r.left - 16 if r.left > 16 else r.left}",
                                src))
                    node.add(mk("_ws.malformed", None, node.offset, ln, "[Malformed Packet: TLS]", src))
                    d.malformed = "heartbeat payload length"
                else:
                    r.raw(node, "heartbeat_message.payload", pl)
                    if r.left:
                        r.raw(node, "heartbeat_message.padding", r.left)
                title = nm
            else:
                d.encrypted = True
                d.info.append("Encrypted Heartbeat")
                title = "Encrypted Heartbeat"
    except Cut:
        d.cut = True
    except Malformed as e:
        d.malformed = str(e)
        top.add(mk("_ws.malformed", None, r.off(), 0, f"[Malformed Packet: {e}]", src))
    top.label = f"{vname} Record Layer: {title}"
    if ct == CT_APP_DATA and opaque:
        top.label = f"{vname} Record Layer: Application Data Protocol: Application Data"
    return top, d


def _decode_sslv2(rec: bytes, declared: int, base: int, src: str, d: Decoded, encrypted: bool) -> tuple[Field, Decoded]:
    top = Field("tls.record", "SSLv2 Record Layer", None, base, declared, source=src)
    hl = 2 if rec[0] & 0x80 else 3
    ln = ((rec[0] & 0x7F) << 8) | rec[1] if hl == 2 else ((rec[0] & 0x3F) << 8) | rec[1]
    r = Reader(rec, base, src, "tls", 0, declared)
    top.add(mk("tls.record.version", 0x0002, base, 0, "[Version: SSL 2.0 (0x0002)]", src))
    try:
        if encrypted:
            d.encrypted = True
            d.info.append("Encrypted Data")
            top.label = "SSLv2 Record Layer: Encrypted Data"
            r.pos = hl
            r.raw(top, "app_data", min(ln, r.left), label="Encrypted Data")
            return top, d
        top.add(mk("tls.record.length", ln, base, 2, f"Length: {ln}", src))
        r.pos = 2
        t = r.uint(top, "handshake.type", 1)
        nm = SSL2_TYPES.get(t, f"Unknown ({t})")
        top.children[-1].label = f"Handshake Message Type: {nm} ({t})"
        d.hs_types.append(t)
        d.info.append(nm)
        top.label = f"SSLv2 Record Layer: {nm}"
        info: dict = {"sslv2": True}
        d.hs_infos.append((t, info))
        if t == 1:
            hs.sslv2_client_hello(r, top, info)
    except Cut:
        d.cut = True
    except Malformed as e:
        d.malformed = str(e)
        top.add(mk("_ws.malformed", None, r.off(), 0, f"[Malformed Packet: {e}]", src))
    return top, d


# ----------------------------------------------------------------------------------------
# DTLS

DTLS_VERSIONS = (0xFEFF, 0xFEFD, 0x0100, 0xFEFC)


def plausible_dtls(b: bytes, pos: int = 0) -> bool:
    if len(b) - pos < 13:
        return False
    ct = b[pos]
    ver = int.from_bytes(b[pos + 1:pos + 3], "big")
    ln = int.from_bytes(b[pos + 11:pos + 13], "big")
    return ct in TLS_CONTENT_TYPES and ver in DTLS_VERSIONS and pos + 13 + ln <= len(b)


@dataclass
class DtlsFragment:
    """Reassembly result handed to the decoder: the whole message, if this fragment completed it."""

    full: bytes | None = None  # whole message body, when reassembled here
    state: str = ""  # "", "Fragment", "Reassembled"
    retransmission: bool = False
    overlap_error: bool = False


def decode_dtls(rec: bytes, base: int, src: str, ctx: hs.Ctx, frag: DtlsFragment | None = None,
                reasm_src: str = "") -> tuple[Field, Decoded]:
    d = Decoded()
    ct = rec[0]
    ver = int.from_bytes(rec[1:3], "big")
    epoch = int.from_bytes(rec[3:5], "big")
    ln = int.from_bytes(rec[11:13], "big")
    r = Reader(rec, base, src, "dtls", 0, 13 + ln)
    vname = VERSION_SHORT.get(ver, "DTLS")
    top = Field("dtls.record", f"{vname} Record Layer", None, base, 13 + ln, source=src)
    r.uint(top, "record.content_type", 1)
    r.uint(top, "record.version", 2)
    r.uint(top, "record.epoch", 2)
    r.uint(top, "record.sequence_number", 6)
    r.uint(top, "record.length", 2)
    try:
        if ct == CT_HANDSHAKE and epoch == 0 and ln >= 12:
            t = r.peek_uint(1)
            node = r.node(top, "handshake", ln, "Handshake Protocol")
            r.uint(node, "handshake.type", 1)
            mlen = r.uint(node, "handshake.length", 3)
            r.uint(node, "handshake.message_seq", 2)
            foff = r.uint(node, "handshake.fragment_offset", 3)
            flen = r.uint(node, "handshake.fragment_length", 3)
            d.hs_types.append(t)
            info: dict = {}
            nm = HANDSHAKE_TYPES.get(t, f"Unknown ({t})")
            if frag is not None and frag.retransmission:
                node.add(mk("tlstui.dtls.retransmission", 1, node.offset, 12,
                            "[Retransmitted handshake fragment]", src))
            if frag is not None and frag.overlap_error:
                d.info.append(f"{nm}[Reassembly error, protocol DTLS: New fragment overlaps old data (retransmission?)]")
                node.add(mk("_ws.malformed", None, node.offset, ln,
                            "[Malformed Packet: DTLS: New fragment overlaps old data (retransmission?)]", src))
                d.malformed = "fragment overlaps a message already reassembled"
            elif flen == mlen and foff == 0:
                with r.limit(flen):
                    hs.body(r, t, node, ctx, info)
                d.hs_infos.append((t, info))
                d.info.append(nm)
            elif foff + flen == mlen:
                # tshark 4.0 says "(Reassembled)" on the fragment that reaches the end, even when
                # a fragment in the middle was lost; we decode the body only when it is whole.
                if frag is not None and frag.full is not None:
                    rr = Reader(frag.full, 0, reasm_src, "dtls")
                    try:
                        hs.body(rr, t, node, ctx, info)
                    except (Cut, Malformed) as e:
                        node.add(mk("_ws.malformed", None, 0, 0, f"[Malformed Packet: {e}]", reasm_src))
                    d.hs_infos.append((t, info))
                else:
                    node.add(Field("tlstui.tls.incomplete_record",
                                   "[Reassembly incomplete: fragments of this message are missing]", None,
                                   r.off(), flen, source=src))
                d.info.append(f"{nm} (Reassembled)")
                r.need(min(flen, r.left))
                r.pos += min(flen, r.left)
            else:
                d.info.append(f"{nm} (Fragment)")
                node.add(Field("", f"Fragment ({flen} bytes)", None, r.off(), flen, source=src))
            node.label = f"Handshake Protocol: {nm}"
            top.label += f": Handshake Protocol: {nm}"
        elif ct == CT_HANDSHAKE:
            d.encrypted = True
            top.add(Field("dtls.handshake", "Handshake Protocol: Encrypted Handshake Message", None, base + 13, ln,
                          source=src))
            d.info.append("Encrypted Handshake Message")
        elif ct == CT_ALERT:
            node = r.node(top, "alert_message", ln, "Alert Message")
            if ln == 2 and epoch == 0:
                lv = r.uint(node, "alert_message.level", 1)
                ds = r.uint(node, "alert_message.desc", 1)
                d.alert = (lv, ds)
                d.info.append(hs.alert_text(lv, ds))
            else:
                d.encrypted = True
                node.label = "Alert Message: Encrypted Alert"
                d.info.append("Encrypted Alert")
        elif ct == CT_CCS:
            top.add(mk("dtls.change_cipher_spec", None, r.off(), ln, "Change Cipher Spec Message", src))
            d.info.append("Change Cipher Spec")
        elif ct == CT_APP_DATA:
            d.encrypted = True
            d.info.append("Application Data")
            r.raw(top, "app_data", ln, label="Encrypted Application Data")
        elif ct == CT_HEARTBEAT:
            d.encrypted = epoch != 0
            d.info.append("Encrypted Heartbeat" if epoch else "Heartbeat")
    except Cut:
        d.cut = True
    except Malformed as e:
        d.malformed = str(e)
        top.add(mk("_ws.malformed", None, r.off(), 0, f"[Malformed Packet: {e}]", src))
    return top, d
