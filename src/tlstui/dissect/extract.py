"""Fast field extraction: the common fields of one frame without building its tree.

Filters and ``tlstui fields`` ask for a handful of fields across millions of frames; building
a full tree (about a hundred Fields) for each would cost ten times more.  Each extractor here
returns the same Fields (name, value, offset, length) that the tree dissectors produce, or
``None`` when it cannot answer for this frame (a damaged header, an IP fragment...), in which
case the caller falls back to the tree.  ``tests/unit/dissect/test_fast_fields.py`` checks that
every extractor agrees with the tree on every test capture.
"""
from __future__ import annotations

from typing import Callable, Protocol

from ..field import Field
from .fast import Transport

Extractor = Callable[["FactsSource"], "list[Field] | None"]


class FactsSource(Protocol):
    """What an extractor reads: the frame's number, bytes, index row and transport header."""

    number: int

    def transport(self) -> Transport | None: ...
    def meta(self) -> tuple[int, int, int, int, int]: ...  # cap_len, orig_len, time_ns, iface, linktype
    def rel_time(self) -> float: ...
    def stream(self) -> tuple[int, int, int]: ...  # stream index (-1 none), rel seq, rel ack


def _f(name: str, value: object, offset: int, length: int) -> list[Field]:
    return [Field(name, None, value, offset, length)]


def _tcp(v: FactsSource) -> Transport | None:
    """The TCP header if this frame is plainly TCP; raises _NotHere for 'ask the tree'."""
    t = v.transport()
    if t is None:
        raise _NotHere
    return t if t.proto == 6 else None


def _udp(v: FactsSource) -> Transport | None:
    t = v.transport()
    if t is None:
        raise _NotHere
    return t if t.proto == 17 else None


def _ip(v: FactsSource, version: int) -> Transport | None:
    t = v.transport()
    if t is None:
        raise _NotHere
    return t if t.ip_version == version else None


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


def _ipv4_fields() -> dict[str, Extractor]:
    def src(v):
        t = _ip(v, 4)
        return _f("ip.src", int.from_bytes(t.src, "big"), t.ip_off + 12, 4) if t else []

    def dst(v):
        t = _ip(v, 4)
        return _f("ip.dst", int.from_bytes(t.dst, "big"), t.ip_off + 16, 4) if t else []

    def addr(v):
        t = _ip(v, 4)
        if not t:
            return []
        return [Field("ip.addr", None, int.from_bytes(t.src, "big"), t.ip_off + 12, 4, None, "frame", True),
                Field("ip.addr", None, int.from_bytes(t.dst, "big"), t.ip_off + 16, 4, None, "frame", True)]

    def ttl(v):
        t = _ip(v, 4)
        return _f("ip.ttl", t.ttl, t.ip_off + 8, 1) if t else []

    def ip_id(v):
        t = _ip(v, 4)
        return _f("ip.id", t.ip_id, t.ip_off + 4, 2) if t else []

    def proto(v):
        t = _ip(v, 4)
        return _f("ip.proto", t.proto, t.ip_off + 9, 1) if t else []

    return {"ip.src": src, "ip.dst": dst, "ip.addr": addr, "ip.ttl": ttl, "ip.id": ip_id, "ip.proto": proto}


def _ipv6_fields() -> dict[str, Extractor]:
    def src(v):
        t = _ip(v, 6)
        return _f("ipv6.src", t.src, t.ip_off + 8, 16) if t else []

    def dst(v):
        t = _ip(v, 6)
        return _f("ipv6.dst", t.dst, t.ip_off + 24, 16) if t else []

    def addr(v):
        t = _ip(v, 6)
        if not t:
            return []
        return [Field("ipv6.addr", None, t.src, t.ip_off + 8, 16, None, "frame", True),
                Field("ipv6.addr", None, t.dst, t.ip_off + 24, 16, None, "frame", True)]

    return {"ipv6.src": src, "ipv6.dst": dst, "ipv6.addr": addr}


_FLAG_FIELDS = {"tcp.flags.fin": 0x01, "tcp.flags.syn": 0x02, "tcp.flags.reset": 0x04, "tcp.flags.push": 0x08,
                "tcp.flags.ack": 0x10, "tcp.flags.urg": 0x20, "tcp.flags.ece": 0x40, "tcp.flags.cwr": 0x80,
                "tcp.flags.ae": 0x100}


def _ports_and_stream(proto: str, header: Callable[[FactsSource], Transport | None]) -> dict[str, Extractor]:
    """srcport, dstport, the two hidden port fields and the stream index: the same for TCP and UDP."""

    def srcport(v):
        t = header(v)
        return _f(f"{proto}.srcport", t.sport, t.l4_off, 2) if t else []

    def dstport(v):
        t = header(v)
        return _f(f"{proto}.dstport", t.dport, t.l4_off + 2, 2) if t else []

    def port(v):
        t = header(v)
        if not t:
            return []
        return [Field(f"{proto}.port", None, t.sport, t.l4_off, 2, None, "frame", True),
                Field(f"{proto}.port", None, t.dport, t.l4_off + 2, 2, None, "frame", True)]

    def stream(v):
        t = header(v)
        return _f(f"{proto}.stream", v.stream()[0], t.l4_off, 0) if t else []

    return {f"{proto}.srcport": srcport, f"{proto}.dstport": dstport, f"{proto}.port": port,
            f"{proto}.stream": stream}


def _tcp_fields() -> dict[str, Extractor]:
    def proto(v):
        t = _tcp(v)
        return _f("tcp", None, t.l4_off, t.tcp_hdr_len) if t else []

    def seq(v):
        t = _tcp(v)
        return _f("tcp.seq", v.stream()[1], t.l4_off + 4, 4) if t else []

    def ack(v):
        t = _tcp(v)
        return _f("tcp.ack", v.stream()[2], t.l4_off + 8, 4) if t else []

    def seq_raw(v):
        t = _tcp(v)
        return _f("tcp.seq_raw", t.seq, t.l4_off + 4, 4) if t else []

    def ack_raw(v):
        t = _tcp(v)
        return _f("tcp.ack_raw", t.ack, t.l4_off + 8, 4) if t else []

    def length(v):
        t = _tcp(v)
        return _f("tcp.len", t.payload_len, t.l4_off, 0) if t else []

    def hdr_len(v):
        t = _tcp(v)
        return _f("tcp.hdr_len", t.tcp_hdr_len, t.l4_off + 12, 1) if t else []

    def flags(v):
        t = _tcp(v)
        return _f("tcp.flags", t.flags, t.l4_off + 12, 2) if t else []

    def window(v):
        t = _tcp(v)
        return _f("tcp.window_size_value", t.window, t.l4_off + 14, 2) if t else []

    def flag(name: str, bit: int) -> Extractor:
        def get(v):
            t = _tcp(v)
            return _f(name, 1 if t.flags & bit else 0, t.l4_off + 12, 2 if bit >= 0x100 else 1) if t else []
        return get

    out = {"tcp": proto, **_ports_and_stream("tcp", _tcp), "tcp.seq": seq, "tcp.ack": ack, "tcp.seq_raw": seq_raw,
           "tcp.ack_raw": ack_raw, "tcp.len": length, "tcp.hdr_len": hdr_len, "tcp.flags": flags, "tcp.window_size_value": window}
    out.update({name: flag(name, bit) for name, bit in _FLAG_FIELDS.items()})
    return out


def _udp_fields() -> dict[str, Extractor]:
    def proto(v):
        t = _udp(v)
        return _f("udp", None, t.l4_off, 8) if t else []

    return {"udp": proto, **_ports_and_stream("udp", _udp)}


FAST_FIELDS: dict[str, Extractor] = {**_frame_fields(), **_ipv4_fields(), **_ipv6_fields(), **_tcp_fields(),
                                     **_udp_fields()}


def extract(name: str, source: FactsSource) -> list[Field] | None:
    """The Fields named ``name`` in this frame, or None if the tree must answer."""
    fn = FAST_FIELDS.get(name)
    if fn is None:
        return None
    try:
        return fn(source)
    except _NotHere:
        return None
