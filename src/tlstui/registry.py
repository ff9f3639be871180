"""The field registry: every field name the dissectors produce, with its type and description.

One registry feeds tshark-style value formatting (``format_value``), the filter compiler's
type checks, value names (``tls.handshake.type == client_hello``) and the TUI's completion.
Modules register their fields at import time with ``register(...)``.
"""
from __future__ import annotations

import bisect
import enum
import socket
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from .field import Field


class FieldType(enum.Enum):
    """Wireshark ftypes, reduced to what tlstui needs.  Canonical Python value in brackets."""

    PROTOCOL = "protocol"  # [None] a protocol layer; its bytes are the layer's bytes
    NONE = "none"  # [None] a label or a flag with no value (tcp.analysis.retransmission)
    BOOLEAN = "boolean"  # [int 0/1]
    UINT = "uint"  # [int]
    INT = "int"  # [int]
    FRAMENUM = "framenum"  # [int] a frame number
    DOUBLE = "double"  # [float]
    RELATIVE_TIME = "relative_time"  # [float seconds]
    ABSOLUTE_TIME = "absolute_time"  # [float seconds since the epoch]
    IPV4 = "ipv4"  # [int]
    IPV6 = "ipv6"  # [bytes, 16]
    ETHER = "ether"  # [bytes, 6]
    BYTES = "bytes"  # [bytes]
    STRING = "string"  # [str]


class Base(enum.Enum):
    DEC = "dec"
    HEX = "hex"
    DEC_HEX = "dec_hex"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What a field name means: its type, display base, bit width and value names."""

    name: str
    ftype: FieldType
    description: str
    base: Base = Base.DEC
    bits: int = 32  # width of an integer field, for hex formatting (0x%0{bits/4}x)
    value_names: dict[int, str] = field(default_factory=dict)

    @property
    def protocol(self) -> str:
        return self.name.split(".", 1)[0]


class Registry:
    """Field specs by name; prefix queries for completion."""

    def __init__(self) -> None:
        self._specs: dict[str, FieldSpec] = {}
        self._sorted: list[str] | None = None

    def add(self, spec: FieldSpec) -> FieldSpec:
        self._specs[spec.name] = spec
        self._sorted = None
        return spec

    def get(self, name: str) -> FieldSpec | None:
        return self._specs.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def __len__(self) -> int:
        return len(self._specs)

    def names(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self._specs)
        return self._sorted

    def with_prefix(self, prefix: str) -> list[FieldSpec]:
        """Specs whose name starts with ``prefix``, in name order."""
        names = self.names()
        i = bisect.bisect_left(names, prefix)
        out = []
        while i < len(names) and names[i].startswith(prefix):
            out.append(self._specs[names[i]])
            i += 1
        return out


REGISTRY = Registry()


def register(name: str, ftype: FieldType, description: str, base: Base = Base.DEC, bits: int = 32,
             value_names: dict[int, str] | None = None) -> FieldSpec:
    """Add a field to the global registry (idempotent for the same name)."""
    return REGISTRY.add(FieldSpec(name, ftype, description, base, bits, dict(value_names or {})))


_LABELERS: dict[str, Callable[[str, object], str]] = {}


def set_labeler(protocol: str, labeler: Callable[[str, object], str]) -> None:
    """Let a protocol label its own fields (TLS names versions and GREASE values its own way)."""
    _LABELERS[protocol] = labeler


def default_label(name: str, value: object) -> str:
    """A field's tree label: 'Description: value-name (value)', or the protocol's own labeler."""
    labeler = _LABELERS.get(name.split(".", 1)[0])
    if labeler is not None:
        return labeler(name, value)
    spec = REGISTRY.get(name)
    title = spec.description if spec else name
    if value is None:
        return title
    shown = format_value(spec, value)
    if spec is not None and spec.value_names and isinstance(value, int) and value in spec.value_names:
        return f"{title}: {spec.value_names[value]} ({shown})"
    return f"{title}: {shown}"


# Protocol items that Wireshark marks generated: the tree shows their text in brackets, tshark prints it bare.
_GENERATED_PROTOCOLS = frozenset({"_ws.expert"})


def format_field(spec: FieldSpec | None, f: "Field", field_bytes: "Callable[[Field], bytes] | None" = None) -> str:
    """One occurrence of a field as ``tshark -T fields`` prints it (tshark 4.0, epan/print.c).

    Beyond the value types of ``format_value``, tshark's rule for fields without a value:
    - FT_NONE (a presence flag or a subtree heading: tcp.analysis.retransmission, tls.record,
      tls.handshake.ciphersuites): ``1``;
    - FT_PROTOCOL: the item's text when the dissector wrote one (``tcp`` -> "Transmission Control
      Protocol, Src Port: 443, ..."), else the protocol's abbreviation (``tls`` -> "tls"); a hidden
      item has no text.  Our tree labels a protocol whose dissector writes no text with the
      protocol's name, which is how such items are told apart;
    - ``data`` (undissected bytes) is printed as a field, not a protocol: its bytes in hex.
    ``field_bytes`` gives a field's bytes (only ``data`` needs them).
    """
    if spec is None:
        return "" if f.value is None else str(f.value)
    t = spec.ftype
    if t is FieldType.PROTOCOL:
        if spec.name == "data":
            if field_bytes is not None:
                return field_bytes(f).hex()
            return f.value.hex() if isinstance(f.value, (bytes, bytearray)) else ""
        if f.hidden:
            return spec.name
        label = f.label
        if spec.name in _GENERATED_PROTOCOLS and label.startswith("[") and label.endswith("]"):
            label = label[1:-1]  # the tree brackets a generated item; its text has no brackets
        return spec.name if not label or label == spec.description else label
    return format_value(spec, f.value)


def format_value(spec: FieldSpec | None, value: object) -> str:
    """A value as ``tshark -T fields`` prints it (tshark 4.0).

    A value alone cannot say all: a protocol's cell is its tree text (``format_field``); here a
    protocol gives its abbreviation and a valueless FT_NONE field its presence, ``1``."""
    if spec is not None and spec.ftype is FieldType.NONE:
        return "1"
    if spec is not None and spec.ftype is FieldType.PROTOCOL:
        return spec.name
    if value is None:
        return ""
    if spec is None:
        return str(value)
    t = spec.ftype
    if t in (FieldType.UINT, FieldType.INT, FieldType.FRAMENUM):
        if spec.base is Base.HEX:
            return f"0x{value:0{max(1, (spec.bits + 3) // 4)}x}"
        return str(value)
    if t is FieldType.BOOLEAN:
        return "1" if value else "0"
    if t is FieldType.IPV4:
        v = int(value)  # type: ignore[arg-type]
        return f"{v >> 24}.{(v >> 16) & 255}.{(v >> 8) & 255}.{v & 255}"
    if t is FieldType.IPV6:
        return socket.inet_ntop(socket.AF_INET6, value)  # type: ignore[arg-type]
    if t is FieldType.ETHER:
        return ":".join(f"{b:02x}" for b in value)  # type: ignore[union-attr]
    if t is FieldType.BYTES:
        return value.hex()  # type: ignore[union-attr]
    if t in (FieldType.RELATIVE_TIME, FieldType.ABSOLUTE_TIME):
        return f"{value:.9f}"
    if t is FieldType.DOUBLE:
        return f"{float(value):.15g}"  # type: ignore[arg-type]  # as tshark (DBL_DIG digits, "%g"): 20, 0.123
    return str(value)
