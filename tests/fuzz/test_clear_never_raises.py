"""The clear-text dissectors (dissect/{icmp,arp,dns,stun,clear}.py) never raise on hostile bytes, and
every label they build can be derived; real messages from the crafted captures are mutated too."""
from __future__ import annotations

import random
import struct
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from tlstui.dissect import arp, clear, dns, icmp, stun
from tlstui.field import Field
from tlstui.safe_text import escape_text

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DATA = Path(__file__).resolve().parents[1] / "data"


def _labels(fields: list[Field]) -> None:
    for top in fields:
        for f in top.walk():
            assert isinstance(f.label, str)
            assert escape_text(f.label).isprintable() or f.label == ""


def _payloads() -> list[bytes]:
    """The UDP/ICMP/ARP payloads of the crafted captures: real messages to mutate."""
    from factory import real_frames  # noqa: PLC0415 - tests/ is on sys.path in the suite

    out = []
    for name in ("clear_dns.pcap", "clear_stun.pcap", "clear_icmp.pcap", "clear_arp.pcap"):
        for _t, frame, _o in real_frames(name):
            out.append(frame[14:])
    return out


PAYLOADS = _payloads()


def _dns(data: bytes) -> None:
    for tcp in (False, True):
        top, info = dns.dissect_dns(data, 0, len(data), tcp=tcp, mdns=not tcp)
        assert isinstance(info, str)
        _labels([top])


def _all(data: bytes) -> None:
    _dns(data)
    for on_port in (False, True):
        stun.is_stun(data, 0, len(data), on_port)
    top, info = stun.dissect_stun(data, 0, len(data))
    _labels([top])
    layers: list[Field] = []
    protos: list[str] = []
    for version in (4, 6):
        icmp.dissect_icmp(data, 0, len(data), version, 1, b"\0" * (4 if version == 4 else 16),
                          b"\1" * (4 if version == 4 else 16), 64, layers, protos)
    arp.dissect_arp(data, 0, layers, protos)
    arp.parse(data, 0)
    _labels(layers)
    for sport, dport in ((53, 1000), (5353, 5353), (3478, 4000), (4000, 19302)):
        clear.udp_layers(data, 0, len(data), sport, dport, [])
    assert icmp.echo_key(4, b"a", b"b", data) is None or len(data) >= 8


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes(data):
    _all(data)


@SETTINGS
@given(st.sampled_from(range(len(PAYLOADS))), st.randoms(use_true_random=False))
def test_mutated_real_messages(index, rng):
    b = bytearray(PAYLOADS[index])
    for _ in range(rng.randint(1, 6)):
        if not b:
            break
        i = rng.randrange(len(b))
        op = rng.randrange(4)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i:i + 2] = rng.choice([b"\xff\xff", b"\xc0\x0c", b"\x00\x00", b"\x3f\xff"])
        elif op == 2:
            del b[rng.randrange(len(b)):]
        else:
            b[i:i] = b[i:i + rng.randint(1, 40)]
    data = bytes(b)
    _all(data)
    # the same bytes after their own IP header too (quotes, DNS after a UDP header)
    for cut in (20, 28, 40, 48):
        _all(data[cut:])


def test_dns_compression_loops_end():
    """A name whose pointer points at itself, or two that point at each other, is damage."""
    head = struct.pack(">HHHHHH", 1, 0x8180, 1, 0, 0, 0)
    for name in (b"\xc0\x0c", b"\x01a\xc0\x0e\xc0\x0c", b"\x3fabc"):
        msg = head + name + b"\x00\x01\x00\x01"
        top, info = dns.dissect_dns(msg, 0, len(msg))
        assert top.find("_ws.malformed") is not None and info.endswith("[Malformed Packet]")


def test_clear_streams_never_raise_on_hostile_segments():
    rng = random.Random(7)
    cs = clear.ClearStreams(lambda n: b"")
    for k in range(400):
        stream = rng.randrange(6)
        port = rng.choice([53, 80, 8000, 443])
        data = rng.randbytes(rng.randrange(1, 200))
        if rng.random() < 0.3:
            data = rng.choice([b"GET / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n", b"\xff\xff" + data,
                               b"HTTP/1.1 200 OK\r\n\r\n", b"\x00\x05abc"]) + data
        cs.on_tcp_data(stream, rng.randrange(2), k + 1, data, 0, 0, 40000, port)
        if rng.random() < 0.05:
            cs.on_tcp_gap(stream, rng.randrange(2), k + 1, 10)
        if rng.random() < 0.05:
            cs.on_tcp_close(stream, rng.randrange(2), k + 1, "fin")
    for frame in cs.frames():
        layers, _src, _p, _i = cs.frame_layers(frame, b"")
        _labels(layers)
