"""Fast field extraction: the common fields of one frame without building its tree.

Filters and ``tlstui fields`` ask for a handful of fields across millions of frames; building
a full tree (about a hundred Fields) for each would cost ten times more.  Each extractor here
returns the same Fields (name, value, offset, length) that the tree dissectors produce, or
``None`` when it cannot answer for this frame (a damaged header, an IP fragment...), in which
case the caller falls back to the tree.  ``tests/unit/dissect/test_fast_fields.py`` checks that
every extractor agrees with the tree on every test capture.
"""
from __future__ import annotations

from typing import Any, Callable, NamedTuple, Protocol

from ..field import Field
from .fast import TUNNELLED, Transport

Extractor = Callable[["FactsSource"], "list[Field] | None"]


class FactsSource(Protocol):
    """What an extractor reads: the frame's number, bytes, index row and transport header."""

    number: int

    def transport(self) -> Transport | None: ...
    def meta(self) -> tuple[int, int, int, int, int]: ...  # cap_len, orig_len, time_ns, iface, linktype
    def rel_time(self) -> float: ...
    def stream(self) -> tuple[int, int, int]: ...  # stream index (-1 none), rel seq, rel ack
    def window_shift(self) -> int: ...  # the stream's window-scale shift (-1 unknown, -2 not used)
    def completeness(self) -> int: ...  # tcp.completeness (-1: not in a TCP stream)
    def data(self) -> bytes: ...  # the frame's captured bytes


def _f(name: str, value: object, offset: int, length: int) -> list[Field]:
    return [Field(name, None, value, offset, length)]


class _NotHere(Exception):
    pass


def _frame_fields() -> dict[str, Extractor]:
    def number(v):
        return _f("frame.number", v.number, 0, 0)

    def length(v):
        return _f("frame.len", v.meta()[1], 0, 0)

    def cap_len(v):
        return _f("frame.cap_len", v.meta()[0], 0, 0)

    def rel(v):
        return _f("frame.time_relative", v.rel_time(), 0, 0)

    def epoch(v):
        return _f("frame.time_epoch", v.meta()[2] / 1e9, 0, 0)

    def iface(v):
        return _f("frame.interface_id", v.meta()[3], 0, 0)

    def frame(v):
        return _f("frame", None, 0, v.meta()[0])

    return {"frame.number": number, "frame.len": length, "frame.cap_len": cap_len, "frame.time_relative": rel,
            "frame.time_epoch": epoch, "frame.interface_id": iface, "frame": frame}


class Occurrence(NamedTuple):
    """One occurrence a rule gives: its value and where its bytes are.  ``value(t, s)`` and
    ``offset(t)`` read a ``Transport`` and the frame's stream facts, or the same attributes as
    whole columns (``fast.TransportColumns``, ``StreamColumns``): one expression serves both."""

    value: Callable[[Any, Any], Any]
    offset: Callable[[Any], Any]
    length: int | Callable[[Any], Any]
    hidden: bool = False


class Rule(NamedTuple):
    """A header field read from the transport facts: on frames of ``layer`` ("ip4", "ip6", "tcp",
    "udp") where ``when(t, s)`` holds (always if None), one Field per occurrence."""

    name: str
    layer: str
    parts: tuple[Occurrence, ...]
    when: Callable[[Any, Any], Any] | None = None


def _one(name, layer, value, offset, length, when=None) -> Rule:
    return Rule(name, layer, (Occurrence(value, offset, length),), when)


def _pair(name, layer, src, dst, src_off, length) -> Rule:
    """A hidden field on both addresses or ports (ip.addr, tcp.port): source first."""
    return Rule(name, layer, (Occurrence(src, src_off, length, True),
                              Occurrence(dst, lambda t: src_off(t) + length, length, True)))


def _eth_rules() -> list[Rule]:
    return [
        _one("eth.dst", "eth", lambda t, s: s.eth_dst, lambda t: 0, 6),
        _pair("eth.addr", "eth", lambda t, s: s.eth_dst, lambda t, s: s.eth_src, lambda t: 0, 6),
        _one("eth.src", "eth", lambda t, s: s.eth_src, lambda t: 6, 6),
    ]


def _ip_rules() -> list[Rule]:
    return [
        _one("ip.src", "ip4", lambda t, s: t.src4, lambda t: t.ip_off + 12, 4),
        _one("ip.dst", "ip4", lambda t, s: t.dst4, lambda t: t.ip_off + 16, 4),
        _pair("ip.addr", "ip4", lambda t, s: t.src4, lambda t, s: t.dst4, lambda t: t.ip_off + 12, 4),
        _one("ip.ttl", "ip4", lambda t, s: t.ttl, lambda t: t.ip_off + 8, 1),
        _one("ip.id", "ip4", lambda t, s: t.ip_id, lambda t: t.ip_off + 4, 2),
        _one("ip.proto", "ip4", lambda t, s: t.proto, lambda t: t.ip_off + 9, 1),
        _one("ipv6.src", "ip6", lambda t, s: t.src6, lambda t: t.ip_off + 8, 16),
        _one("ipv6.dst", "ip6", lambda t, s: t.dst6, lambda t: t.ip_off + 24, 16),
        _pair("ipv6.addr", "ip6", lambda t, s: t.src6, lambda t, s: t.dst6, lambda t: t.ip_off + 8, 16),
    ]


_FLAG_FIELDS = {"tcp.flags.fin": 0, "tcp.flags.syn": 1, "tcp.flags.reset": 2, "tcp.flags.push": 3,
                "tcp.flags.ack": 4, "tcp.flags.urg": 5, "tcp.flags.ece": 6, "tcp.flags.cwr": 7,
                "tcp.flags.ae": 8}


def _port_rules(proto: str) -> list[Rule]:
    """srcport, dstport, the two hidden port fields and the stream index: the same for TCP and UDP."""
    return [
        _one(f"{proto}.srcport", proto, lambda t, s: t.sport, lambda t: t.l4_off, 2),
        _one(f"{proto}.dstport", proto, lambda t, s: t.dport, lambda t: t.l4_off + 2, 2),
        _pair(f"{proto}.port", proto, lambda t, s: t.sport, lambda t, s: t.dport, lambda t: t.l4_off, 2),
        _one(f"{proto}.stream", proto, lambda t, s: s.stream, lambda t: t.l4_off, 0),
    ]


def _not_syn(t, s):
    return (t.flags & 0x02) == 0


def _scaled(t, s):
    """The calculated window: scaled by the stream's shift once known, never on a SYN."""
    return where((s.win_shift >= 0) & _not_syn(t, s), t.window << maximum(s.win_shift, 0), t.window)


def _tcp_rules() -> list[Rule]:
    out = [
        _one("tcp", "tcp", lambda t, s: None, lambda t: t.l4_off, lambda t: t.tcp_hdr_len),
        *_port_rules("tcp"),
        _one("tcp.seq", "tcp", lambda t, s: s.rel_seq, lambda t: t.l4_off + 4, 4),
        _one("tcp.ack", "tcp", lambda t, s: s.rel_ack, lambda t: t.l4_off + 8, 4),
        _one("tcp.seq_raw", "tcp", lambda t, s: t.seq, lambda t: t.l4_off + 4, 4),
        _one("tcp.ack_raw", "tcp", lambda t, s: t.ack, lambda t: t.l4_off + 8, 4),
        _one("tcp.completeness", "tcp", lambda t, s: s.completeness, lambda t: t.l4_off, 0,
             when=lambda t, s: s.completeness >= 0),
        _one("tcp.len", "tcp", lambda t, s: t.payload_len, lambda t: t.l4_off, 0),
        _one("tcp.hdr_len", "tcp", lambda t, s: t.tcp_hdr_len, lambda t: t.l4_off + 12, 1),
        _one("tcp.flags", "tcp", lambda t, s: t.flags, lambda t: t.l4_off + 12, 2),
        _one("tcp.window_size_value", "tcp", lambda t, s: t.window, lambda t: t.l4_off + 14, 2),
        _one("tcp.window_size", "tcp", _scaled, lambda t: t.l4_off + 14, 2),
        _one("tcp.window_size_scalefactor", "tcp",
             lambda t, s: where(s.win_shift >= 0, 1 << maximum(s.win_shift, 0), s.win_shift),
             lambda t: t.l4_off + 14, 2, when=_not_syn),
    ]
    for name, bit in _FLAG_FIELDS.items():
        out.append(_one(name, "tcp", lambda t, s, bit=bit: (t.flags >> bit) & 1, lambda t: t.l4_off + 12,
                        2 if bit >= 8 else 1))
    return out


def _udp_rules() -> list[Rule]:
    return [_one("udp", "udp", lambda t, s: None, lambda t: t.l4_off, 8), *_port_rules("udp")]


RULES: dict[str, Rule] = {r.name: r for r in _eth_rules() + _ip_rules() + _tcp_rules() + _udp_rules()}
LINKTYPE_ETHERNET = 1


def _layer_matches(layer: str, t: Transport, s: Any) -> bool:
    if layer == "tcp":
        return t.proto == 6
    if layer == "udp":
        return t.proto == 17
    if layer == "eth":
        return s.linktype == LINKTYPE_ETHERNET
    return t.ip_version == (4 if layer == "ip4" else 6)


class _FrameFacts:
    """The stream facts of one frame, read only when a rule asks."""

    __slots__ = ("_v",)

    def __init__(self, v: FactsSource) -> None:
        self._v = v

    @property
    def stream(self) -> int:
        return self._v.stream()[0]

    @property
    def rel_seq(self) -> int:
        return self._v.stream()[1]

    @property
    def rel_ack(self) -> int:
        return self._v.stream()[2]

    @property
    def win_shift(self) -> int:
        return self._v.window_shift()

    @property
    def completeness(self) -> int:
        return self._v.completeness()

    @property
    def linktype(self) -> int:
        return self._v.meta()[4]

    @property
    def eth_dst(self) -> bytes:
        return self._v.data()[0:6]

    @property
    def eth_src(self) -> bytes:
        return self._v.data()[6:12]


def _scalar(x: Any) -> Any:
    return x.item() if hasattr(x, "item") else x


# The rules read a frame (plain ints) or whole columns (NumPy arrays): these two say the same in
# both, and a frame's read never imports NumPy (a headless command's start-up stays short).
def where(cond: Any, a: Any, b: Any) -> Any:
    if isinstance(cond, (bool, int)):
        return a if cond else b
    import numpy as np

    return np.where(cond, a, b)


def maximum(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        return max(a, b)
    import numpy as np

    return np.maximum(a, b)


def _rule_extractor(rule: Rule) -> Extractor:
    def get(v: FactsSource) -> list[Field]:
        t = v.transport()
        if t is None or t.tunnel & TUNNELLED:
            raise _NotHere  # no transport, or a tunnel: the tree has the outer headers' occurrences too
        s = _FrameFacts(v)
        if not _layer_matches(rule.layer, t, s):
            return []
        if rule.when is not None and not rule.when(t, s):
            return []
        return [Field(rule.name, None, _scalar(o.value(t, s)), o.offset(t),
                      o.length(t) if callable(o.length) else o.length, None, "frame", o.hidden) for o in rule.parts]
    return get


FAST_FIELDS: dict[str, Extractor] = {**_frame_fields(), **{name: _rule_extractor(r) for name, r in RULES.items()}}


def extract(name: str, source: FactsSource) -> list[Field] | None:
    """The Fields named ``name`` in this frame, or None if the tree must answer."""
    fn = FAST_FIELDS.get(name)
    if fn is None:
        return None
    try:
        return fn(source)
    except _NotHere:
        return None
