"""Literal text -> the canonical value of a field type, with tshark 4.0's error messages.

Every conversion happens once, at compile time; a failure raises FilterError pointing at the
literal.  Which parser applies is decided by the field on the other side of the operator:
``16:03:01`` is a byte string next to ``tcp.payload``, a string next to an SNI field.
"""
from __future__ import annotations

import calendar
import ipaddress
import re
import time
from dataclasses import dataclass

from ..registry import FieldSpec, FieldType
from .errors import FilterError

INT_TYPES = frozenset({FieldType.UINT, FieldType.INT, FieldType.FRAMENUM, FieldType.BOOLEAN})
FLOAT_TYPES = frozenset({FieldType.DOUBLE, FieldType.RELATIVE_TIME, FieldType.ABSOLUTE_TIME})

TYPE_NAMES = {
    FieldType.PROTOCOL: "Protocol", FieldType.NONE: "Label", FieldType.BOOLEAN: "Boolean",
    FieldType.UINT: "Unsigned integer", FieldType.INT: "Signed integer",
    FieldType.FRAMENUM: "Frame number", FieldType.DOUBLE: "Floating point",
    FieldType.RELATIVE_TIME: "Time offset", FieldType.ABSOLUTE_TIME: "Date and time",
    FieldType.IPV4: "IPv4 address", FieldType.IPV6: "IPv6 address",
    FieldType.ETHER: "Ethernet or other MAC address", FieldType.BYTES: "Sequence of bytes",
    FieldType.STRING: "Character string",
}


@dataclass(frozen=True, slots=True)
class Masked:
    """An address with a prefix length: ``10.0.0.0/8``; value and mask are ints."""
    value: int
    mask: int
    bits: int  # 32 or 128


def fail(message: str, pos: int, length: int, text: str) -> FilterError:
    return FilterError(message, pos, length, text)


_INT_RE = re.compile(r"-?(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")


def parse_c_int(s: str) -> int | None:
    """strtoll(s, 0) semantics: decimal, 0x hex, 0 octal, 0b binary, optional minus."""
    if not _INT_RE.match(s):
        return None
    neg = s.startswith("-")
    body = s[1:] if neg else s
    low = body.lower()
    if low.startswith("0x"):
        v = int(body[2:], 16)
    elif low.startswith("0b"):
        v = int(body[2:], 2)
    elif len(body) > 1 and body.startswith("0"):
        v = int(body, 8)
    else:
        v = int(body)
    return -v if neg else v


def value_name(spec: FieldSpec, s: str) -> int | None:
    """The number a value name stands for (tshark compares names case-insensitively)."""
    low = s.lower()
    for k, name in spec.value_names.items():
        if name.lower() == low:
            return k
    return None


def to_int(spec: FieldSpec, s: str, quoted: bool, pos: int, length: int, text: str) -> int:
    t = spec.ftype
    if not quoted:
        if t is FieldType.BOOLEAN and s.lower() in ("true", "false"):
            return 1 if s.lower() == "true" else 0
        v = parse_c_int(s)
        if v is not None:
            if t is FieldType.BOOLEAN:
                return 1 if v else 0
            if t is FieldType.INT:
                lim = 1 << (max(1, spec.bits) - 1)
                if v >= lim:
                    raise fail(f'"{s}" too big for this field, maximum {lim - 1}.', pos, length, text)
                if v < -lim:
                    raise fail(f'"{s}" too small for this field, minimum {-lim}.', pos, length, text)
                return v
            if v < 0:
                # strtoull wraps a minus sign around: tshark 4.0 accepts it and nothing matches.
                return (1 << 64) + v
            maxv = (1 << max(1, spec.bits)) - 1
            if v > maxv:
                raise fail(f'"{s}" too big for this field, maximum {maxv}.', pos, length, text)
            return v
    if spec.value_names:
        v = value_name(spec, s)
        if v is not None:
            return v
        raise fail(f'"{s}" cannot be found among the possible values for {spec.name}.', pos, length, text)
    if quoted:
        raise fail(f'{TYPE_NAMES[t]} cannot be converted from a string ("{s}").', pos, length, text)
    raise fail(f'"{s}" is not a valid number.', pos, length, text)


_FLOAT_RE = re.compile(r"[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)\Z")
_TIME_FORMATS = ("%b %d, %Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%b %d, %Y",
                 "%Y-%m-%d")


def to_float(spec: FieldSpec, s: str, pos: int, length: int, text: str) -> float:
    st = s.strip()
    if _FLOAT_RE.match(st):
        return float(st)
    if spec.ftype is FieldType.ABSOLUTE_TIME:
        v = parse_abs_time(st)
        if v is not None:
            return v
        raise fail(f'"{s}" is not a valid absolute time. Example: "Nov 12, 1999 08:55:44.123" '
                   'or "2011-07-04 12:34:56"', pos, length, text)
    if st.lower().startswith("0x") and parse_c_int(st) is not None:
        return float(parse_c_int(st))  # type: ignore[arg-type]
    what = "time" if spec.ftype is FieldType.RELATIVE_TIME else "number"
    raise fail(f'"{s}" is not a valid {what}.', pos, length, text)


def parse_abs_time(s: str) -> float | None:
    """Seconds since the epoch for tshark's date formats; local time unless it ends in UTC/Z."""
    utc = False
    for suffix in (" UTC", "Z"):
        if s.endswith(suffix):
            s, utc = s[: -len(suffix)].rstrip(), True
    frac = 0.0
    m = re.search(r"(\d\d:\d\d:\d\d)(\.\d+)\Z", s)
    if m:
        frac = float("0" + m.group(2))
        s = s[: m.start(2)]
    for fmt in _TIME_FORMATS:
        try:
            tm = time.strptime(s, fmt)
        except ValueError:
            continue
        base = calendar.timegm(tm) if utc else time.mktime(tm)
        return float(base) + frac
    return None


def to_ipv4(s: str, pos: int, length: int, text: str) -> int | Masked:
    addr, slash, bits = s.partition("/")
    parts = addr.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts):
        raise fail(f'"{addr if slash else s}" is not a valid hostname or IPv4 address.', pos, length, text)
    v = (int(parts[0]) << 24) | (int(parts[1]) << 16) | (int(parts[2]) << 8) | int(parts[3])
    if not slash:
        return v
    if not bits.isdigit():
        raise fail(f'"{bits}" is not a valid number of netmask bits.', pos, length, text)
    n = int(bits)
    if n > 32:
        raise fail(f"Netmask bits in a CIDR IPv4 address should be <= 32, not {n}", pos, length, text)
    mask = ((1 << n) - 1) << (32 - n)
    return Masked(v & mask, mask, 32) if n < 32 else v


def to_ipv6(s: str, pos: int, length: int, text: str) -> bytes | Masked:
    addr, slash, bits = s.partition("/")
    try:
        ip = ipaddress.IPv6Address(addr)
    except ValueError:
        raise fail(f'"{addr if slash else s}" is not a valid hostname or IPv6 address.', pos, length,
                   text) from None
    if not slash:
        return ip.packed
    if not bits.isdigit():
        raise fail(f'"{bits}" is not a valid IPv6 prefix length.', pos, length, text)
    n = int(bits)
    if n > 128:
        raise fail(f"Prefix in a IPv6 address should be <= 128, not {n}", pos, length, text)
    mask = ((1 << n) - 1) << (128 - n)
    v = int.from_bytes(ip.packed, "big")
    return Masked(v & mask, mask, 128) if n < 128 else ip.packed


_SEP_RE = re.compile(r"[0-9a-fA-F]{1,2}([:.\-][0-9a-fA-F]{1,2})*\Z")
_HEXPAIRS_RE = re.compile(r"([0-9a-fA-F]{2})+\Z")


def parse_byte_string(s: str) -> bytes | None:
    """'16:03:01', '16.03.01', '16-03-01' (one separator throughout), or '160301'."""
    if _HEXPAIRS_RE.match(s):
        return bytes.fromhex(s)
    if _SEP_RE.match(s):
        seps = set(re.findall(r"[:.\-]", s))
        if len(seps) <= 1:
            return bytes(int(p, 16) for p in re.split(r"[:.\-]", s))
    return None


def to_bytes(s: str, pos: int, length: int, text: str) -> bytes:
    b = parse_byte_string(s)
    if b is not None:
        return b
    # A single byte may also be written as a (hex) number: tcp.payload[0] == 0x16.
    body = s[2:] if s.lower().startswith("0x") else s
    if body and all(c in "0123456789abcdefABCDEF" for c in body) and int(body, 16) <= 0xFF:
        return bytes([int(body, 16)])
    raise fail(f'"{s}" is not a valid byte string.', pos, length, text)


def to_ether(s: str, pos: int, length: int, text: str) -> bytes:
    b = None
    if re.fullmatch(r"[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}", s):
        b = bytes.fromhex(s.replace(".", ""))
    else:
        b = parse_byte_string(s)
    if b is None:
        raise fail(f'"{s}" is not a valid Ethernet address.', pos, length, text)
    if len(b) < 6:
        raise fail(f'"{s}" contains too few bytes to be a valid Ethernet address.', pos, length, text)
    if len(b) > 6:
        raise fail(f'"{s}" contains too many bytes to be a valid Ethernet address.', pos, length, text)
    return b


def decode_str(b: bytes) -> str:
    """A quoted literal's bytes as text; invalid UTF-8 survives as surrogates (never raises)."""
    return b.decode("utf-8", "surrogateescape")
