"""STUN (RFC 5389/8489), TURN (RFC 5766/8656) and TURN ChannelData, as tshark 4.0 shows them.

    is_stun(data, off, end, port_match) -> bool     tshark's test: the port, or the magic cookie heuristic
    dissect_stun(buf, off, end, source) -> (Field, info)

Pure and total: hostile bytes become ``_ws.malformed``, never an exception (fuzzed in
tests/fuzz/test_clear_protocols.py).
"""
from __future__ import annotations

import socket
import struct

from ..field import FRAME, Field
from ..registry import Base, FieldType as T, register
from .dns import text

STUN_PORTS = frozenset({3478})
COOKIE = 0x2112A442
METHODS = {0x001: "Binding", 0x002: "SharedSecret", 0x003: "Allocate", 0x004: "Refresh", 0x006: "Send",
           0x007: "Data", 0x008: "CreatePermission", 0x009: "Channel-Bind", 0x00A: "Connect",
           0x00B: "ConnectionBind", 0x00C: "ConnectionAttempt", 0x080: "GOOG-PING"}
CLASSES = {0: "Request", 1: "Indication", 2: "Success Response", 3: "Error Response"}
ATTRS = {0x0001: "MAPPED-ADDRESS", 0x0002: "RESPONSE-ADDRESS", 0x0003: "CHANGE-REQUEST", 0x0004: "SOURCE-ADDRESS",
         0x0005: "CHANGED-ADDRESS", 0x0006: "USERNAME", 0x0007: "PASSWORD", 0x0008: "MESSAGE-INTEGRITY",
         0x0009: "ERROR-CODE", 0x000A: "UNKNOWN-ATTRIBUTES", 0x000B: "REFLECTED-FROM", 0x000C: "CHANNEL-NUMBER",
         0x000D: "LIFETIME", 0x0010: "BANDWIDTH", 0x0012: "XOR-PEER-ADDRESS", 0x0013: "DATA", 0x0014: "REALM",
         0x0015: "NONCE", 0x0016: "XOR-RELAYED-ADDRESS", 0x0017: "REQUESTED-ADDRESS-FAMILY", 0x0018: "EVEN-PORT",
         0x0019: "REQUESTED-TRANSPORT", 0x001A: "DONT-FRAGMENT", 0x001B: "ACCESS-TOKEN",
         0x001C: "MESSAGE-INTEGRITY-SHA256", 0x001D: "PASSWORD-ALGORITHM", 0x001E: "USERHASH",
         0x0020: "XOR-MAPPED-ADDRESS", 0x0022: "RESERVATION-TOKEN", 0x0024: "PRIORITY", 0x0025: "USE-CANDIDATE",
         0x0026: "PADDING", 0x0027: "RESPONSE-PORT", 0x002A: "CONNECTION-ID", 0x8000: "ADDITIONAL-ADDRESS-FAMILY",
         0x8001: "ADDRESS-ERROR-CODE", 0x8002: "PASSWORD-ALGORITHMS", 0x8003: "ALTERNATE-DOMAIN",
         0x8004: "ICMP", 0x8020: "XOR-MAPPED-ADDRESS", 0x8022: "SOFTWARE", 0x8023: "ALTERNATE-SERVER",
         0x8025: "TRANSACTION_TRANSMIT_COUNTER", 0x8027: "CACHE-TIMEOUT", 0x8028: "FINGERPRINT",
         0x8029: "ICE-CONTROLLED", 0x802A: "ICE-CONTROLLING", 0x802B: "RESPONSE-ORIGIN", 0x802C: "OTHER-ADDRESS",
         0x802D: "ECN-CHECK STUN", 0x802E: "THIRD-PARTY-AUTHORIZATION", 0x8030: "MOBILITY-TICKET",
         0xC057: "NETWORK_COST"}
ERRORS = {300: "Try Alternate", 400: "Bad Request", 401: "Unauthenticated", 403: "Forbidden", 405: "Mobility Forbidden",
          420: "Unknown Attribute", 437: "Allocation Mismatch", 438: "Stale Nonce", 440: "Address Family not Supported",
          441: "Wrong credentials", 442: "Unsupported Transport Protocol", 443: "Peer Address Family Mismatch",
          446: "Connection Already Exists", 447: "Connection Timeout or Failure", 486: "Allocation Quota Reached",
          487: "Role Conflict", 500: "Server Error", 508: "Insufficient Capacity"}
_XOR_ADDRS = (0x0012, 0x0016, 0x0020, 0x8020)
_ADDRS = (0x0001, 0x0002, 0x0004, 0x0005, 0x000B, 0x8023, 0x802B, 0x802C)
_SHOWN_ADDRS = (0x0001, 0x0012, 0x0016, 0x0020, 0x8020)  # the address attributes tshark puts in Info

S, U, B, P = T.STRING, T.UINT, T.BYTES, T.PROTOCOL
register("stun", P, "Session Traversal Utilities for NAT")
register("stun.type", U, "Message Type", Base.HEX, 16)
register("stun.type.class", U, "Message Class", Base.HEX, 16, value_names={0: "Request", 1: "Indication",
                                                                           0x10: "Success Response",
                                                                           0x11: "Error Response"})
register("stun.type.method", U, "Message Method", Base.HEX, 16, value_names=METHODS)
register("stun.length", U, "Message Length", bits=16)
register("stun.cookie", B, "Message Cookie")
register("stun.id", B, "Message Transaction ID")
register("stun.attributes", T.NONE, "Attributes")
register("stun.attribute", U, "Attribute Type", Base.HEX, 16, value_names=ATTRS)
register("stun.att.type", U, "Attribute Type", Base.HEX, 16, value_names=ATTRS)
register("stun.att.length", U, "Attribute Length", bits=16)
register("stun.att.family", U, "Protocol Family", Base.HEX, 8, value_names={1: "IPv4", 2: "IPv6"})
register("stun.att.port", U, "Port", bits=16)
register("stun.att.ipv4", T.IPV4, "IP")
register("stun.att.ipv6", T.IPV6, "IP")
register("stun.att.port-xord", B, "Port (XOR-d)")
register("stun.att.ipv4-xord", B, "IP (XOR-d)")
register("stun.att.ipv6-xord", B, "IP (XOR-d)")
register("stun.att.username", S, "Username")
register("stun.att.realm", S, "Realm")
register("stun.att.nonce", S, "Nonce")
register("stun.att.software", S, "Software")
register("stun.att.error.class", U, "Error Class", bits=8)
register("stun.att.error", U, "Error Code", bits=8)
register("stun.att.error.reason", S, "Error Reason Phrase")
register("stun.att.lifetime", U, "Lifetime")
register("stun.att.priority", U, "Priority")
register("stun.att.tie-breaker", B, "Tie breaker")
register("stun.att.hmac", B, "HMAC-SHA1")
register("stun.att.crc32", U, "CRC-32", Base.HEX, 32)
register("stun.att.transp", U, "Transport", Base.HEX, 8, value_names={6: "TCP", 17: "UDP"})
register("stun.att.channelnum", U, "Channel-Number", Base.HEX, 16)
register("stun.value", B, "Value")
register("stun.channel", U, "Channel Number", Base.HEX, 16)
register("stun.tcp_frame_length", U, "TCP Frame Length", bits=16)
register("stun.turn.channel.length", U, "Length", bits=16)

_u16 = struct.Struct(">H").unpack_from
_u32 = struct.Struct(">I").unpack_from


def is_stun(data: bytes, off: int, end: int, on_port: bool) -> bool:
    """Whether tshark dissects this UDP payload as STUN: on its port, a STUN header (or ChannelData)
    whose length fits; elsewhere, the heuristic: magic cookie, a known class and an exact length."""
    n = end - off
    if n < 4:
        return False
    t, ln = _u16(data, off)[0], _u16(data, off + 2)[0]
    if t >> 14 == 1:  # ChannelData (channels 0x4000-0x7FFF)
        return on_port and 4 + ln <= n
    if t >> 14 or n < 20:
        return False
    if on_port:  # RFC 5389 with a method tshark knows (RFC 3489's cookie-less messages are CLASSIC-STUN's)
        return data[off] <= 3 and _u32(data, off + 4)[0] == COOKIE and msg_method(t) in METHODS
    return _u32(data, off + 4)[0] == COOKIE and ln % 4 == 0 and 20 + ln == n


def msg_class(t: int) -> int:
    return ((t & 0x0100) >> 7) | ((t & 0x0010) >> 4)


def msg_method(t: int) -> int:
    return (t & 0x000F) | ((t & 0x00E0) >> 1) | ((t & 0x3E00) >> 2)


def dissect_stun(buf: bytes, off: int, end: int, source: str = FRAME) -> tuple[Field, str]:
    """The STUN layer of ``buf[off:end]`` (one message or ChannelData) and its Info text."""
    end = min(end, len(buf))
    top = Field("stun", "Session Traversal Utilities for NAT", None, off, max(0, end - off), source=source)
    info: list[str] = []
    try:
        _dissect(buf, off, end, source, top, info)
    except (IndexError, struct.error, ValueError):
        top.add(Field("_ws.malformed", "[Malformed Packet: STUN]", None, off, max(0, end - off), source=source))
        return top, " ".join(info) + "[Malformed Packet]"
    return top, " ".join(info)


def _dissect(buf: bytes, off: int, end: int, src: str, top: Field, info: list[str]) -> None:
    def f(name: str, value: object, o: int, n: int, label: str | None = None, parent: Field = top) -> Field:
        return parent.add(Field(name, label, value, o, n, source=src))

    t, ln = struct.unpack_from(">HH", buf, off)
    if t >> 14 == 1:
        f("stun.channel", t, off, 2, f"Channel Number: 0x{t:04x}")
        f("stun.turn.channel.length", ln, off + 2, 2)
        info.append("ChannelData TURN Message")
        top.length = min(4 + ln, end - off)
        return
    cls, method = msg_class(t), msg_method(t)
    cookie = bytes(buf[off + 4:off + 8])
    classic = _u32(buf, off + 4)[0] != COOKIE
    mname = METHODS.get(method, f"Unknown 0x{method:04x}")
    cname = CLASSES[cls]
    top.length = min(20 + ln, end - off)
    mt = f("stun.type", t, off, 2, f"Message Type: 0x{t:04x} ({mname} {cname})")
    mt.add(Field("stun.type.class", f"Message Class: 0x{(t & 0x0110) >> 4:04x} ({cname})", (t & 0x0110) >> 4,
                 off, 2, source=src))
    mt.add(Field("stun.type.method", f"Message Method: 0x{method:04x} ({mname})", t & 0x3EEF, off, 2, source=src))
    f("stun.length", ln, off + 2, 2)
    if classic:
        f("stun.id", bytes(buf[off + 4:off + 20]), off + 4, 16)
    else:
        f("stun.cookie", cookie, off + 4, 4)
        f("stun.id", bytes(buf[off + 8:off + 20]), off + 8, 12)
    info.append(f"{mname} {cname}")
    pos, stop = off + 20, min(end, off + 20 + ln)
    if pos >= stop:
        if off + 20 + ln > end:
            raise ValueError("message longer than the datagram")
        return
    attrs = f("stun.attributes", None, pos, stop - pos, "Attributes")
    while pos + 4 <= stop:
        at, alen = struct.unpack_from(">HH", buf, pos)
        v = pos + 4
        name = ATTRS.get(at, f"Unknown (0x{at:04x})")
        a = attrs.add(Field("stun.attribute", f"{name}", at, pos, 4 + alen + (-alen % 4), source=src))
        a.add(Field("stun.att.type", f"Attribute Type: {name} (0x{at:04x})", at, pos, 2, source=src))
        a.add(Field("stun.att.length", None, alen, pos + 2, 2, source=src))
        if v + alen > stop:
            raise ValueError("attribute longer than the message")
        _attribute(buf, at, v, alen, src, a, info, bytes(buf[off + 4:off + 20]), classic)
        pos = v + alen + (-alen % 4)
    if pos < off + 20 + ln:
        raise ValueError("message longer than the datagram")


def _attribute(buf: bytes, at: int, v: int, alen: int, src: str, a: Field, info: list[str], tid: bytes,
               classic: bool) -> None:
    def f(name: str, value: object, o: int, n: int, label: str | None = None) -> Field:
        return a.add(Field(name, label, value, o, n, source=src))

    name = ATTRS.get(at, "")
    if at in _XOR_ADDRS + _ADDRS and alen >= 8:
        fam = buf[v + 1]
        f("stun.att.family", fam, v + 1, 1)
        xored = at in _XOR_ADDRS and not classic
        if xored:
            port = _u16(buf, v + 2)[0] ^ (COOKIE >> 16)
            f("stun.att.port-xord", bytes(buf[v + 2:v + 4]), v + 2, 2)
            f("stun.att.port", port, v + 2, 2)
        else:
            port = _u16(buf, v + 2)[0]
            f("stun.att.port", port, v + 2, 2)
        addr = ""
        if fam == 1:
            raw = bytes(buf[v + 4:v + 8])
            if xored:
                f("stun.att.ipv4-xord", raw, v + 4, 4)
                raw = bytes(x ^ y for x, y in zip(raw, COOKIE.to_bytes(4, "big")))
            f("stun.att.ipv4", int.from_bytes(raw, "big"), v + 4, 4)
            addr = socket.inet_ntoa(raw)
        elif fam == 2 and alen >= 20:
            raw = bytes(buf[v + 4:v + 20])
            if xored:
                f("stun.att.ipv6-xord", raw, v + 4, 16)
                raw = bytes(x ^ y for x, y in zip(raw, COOKIE.to_bytes(4, "big") + tid[-12:]))
            f("stun.att.ipv6", raw, v + 4, 16)
            addr = socket.inet_ntop(socket.AF_INET6, raw)
        if addr:
            a.label = f"{name}: {addr}:{port}"
            if at in _SHOWN_ADDRS:
                info.append(f"{name}: {addr}:{port}")
    elif at in (0x0006, 0x0014, 0x0015, 0x8022):
        s = text(bytes(buf[v:v + alen]).split(b"\0", 1)[0])  # a string field ends at its first NUL
        fname = {0x0006: "stun.att.username", 0x0014: "stun.att.realm", 0x0015: "stun.att.nonce",
                 0x8022: "stun.att.software"}[at]
        f(fname, s, v, alen)
        a.label = f"{name}: {s}"
        if at == 0x0006:
            info.append(f"user: {s}")
        elif at == 0x0014:
            info.append(f"realm: {s}")
        elif at == 0x0015:
            info.append("with nonce")
    elif at == 0x0009 and alen >= 4:
        cls, num = buf[v + 2] & 7, buf[v + 3]
        code = cls * 100 + num
        reason = text(bytes(buf[v + 4:v + alen]).split(b"\0", 1)[0])
        f("stun.att.error.class", cls, v + 2, 1)
        f("stun.att.error", num, v + 3, 1)
        f("stun.att.error.reason", reason, v + 4, alen - 4)
        said = f"error-code: {code} ({ERRORS.get(code, 'Unknown')})" + (f" {reason}" if reason else "")
        a.label = "ERROR-CODE: " + said[len("error-code: "):]
        info.append(said)
    elif at == 0x000D and alen >= 4:
        life = _u32(buf, v)[0]
        f("stun.att.lifetime", life, v, 4)
        info.append(f"lifetime: {life}")
    elif at == 0x0010 and alen >= 4:
        bw = _u32(buf, v)[0]
        f("stun.value", bytes(buf[v:v + alen]), v, alen)
        info.append(f"bandwidth: {bw}")
    elif at == 0x0019 and alen >= 1:
        tr = buf[v]
        f("stun.att.transp", tr, v, 1)
        info.append({17: "UDP", 6: "TCP"}.get(tr, f"Unknown (0x{tr:02x})"))
    elif at == 0x0024 and alen >= 4:
        f("stun.att.priority", _u32(buf, v)[0], v, 4)
    elif at in (0x8029, 0x802A) and alen >= 8:
        f("stun.att.tie-breaker", bytes(buf[v:v + 8]), v, 8)
    elif at == 0x0008 and alen:
        f("stun.att.hmac", bytes(buf[v:v + alen]), v, alen)
    elif at == 0x8028 and alen >= 4:
        f("stun.att.crc32", _u32(buf, v)[0], v, 4)
    elif at == 0x000C and alen >= 2:
        ch = _u16(buf, v)[0]
        f("stun.att.channelnum", ch, v, 2)
        info.append(f"ChannelNumber=0x{ch:04x}")
    elif alen:
        f("stun.value", bytes(buf[v:v + alen]), v, alen)
