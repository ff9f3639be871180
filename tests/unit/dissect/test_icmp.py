"""dissect/icmp.py: ICMP / ICMPv6 messages from IP payload bytes, and fuzzing (it never raises)."""
from __future__ import annotations

import random
import struct

from craft import CLIENT, SERVER, icmp_frag_needed, icmp_unreachable, icmpv6_too_big, ip_packet, tcp6_frame
from factory import to_raw, to_sll, to_sll2, to_vlan
from tcpfactory import tcp_frame

from tlstui.dissect import icmp

ROUTER = bytes([192, 0, 2, 1])
C6 = bytes.fromhex("20010db8000000000000000000000001")
S6 = bytes.fromhex("20010db8000000000000000000000002")
R6 = bytes.fromhex("20010db8ffff00000000000000000001")


def _quoted_tcp() -> bytes:
    return ip_packet(tcp_frame(CLIENT, SERVER, 40000, 443, 123456789, 1, 0x18, payload=b"x" * 1460))


def test_frag_needed_mtu_and_quote():
    frame = icmp_frag_needed(ROUTER, CLIENT, _quoted_tcp(), 1400)
    m = icmp.parse_icmp(frame[34:])
    assert (m.version, m.type, m.code, m.mtu, m.too_big, m.is_error) == (4, 3, 4, 1400, True, True)
    q = m.quoted
    assert (q.version, q.src, q.dst, q.proto, q.length, q.sport, q.dport, q.seq) == \
        (4, CLIENT, SERVER, 6, 1500, 40000, 443, 123456789)
    assert m.describe() == "Destination unreachable (Fragmentation needed)"


def test_port_unreachable_is_not_too_big():
    m = icmp.parse_icmp(icmp_unreachable(ROUTER, CLIENT, _quoted_tcp())[34:])
    assert m.type == 3 and m.code == 3 and not m.too_big and m.mtu is None
    assert m.quoted.sport == 40000
    assert m.describe() == "Destination unreachable (Port unreachable)"


def test_packet_too_big():
    quoted = ip_packet(tcp6_frame(C6, S6, 40000, 443, 7, 1, 0x10, payload=b"y" * 1440))
    frame = icmpv6_too_big(R6, C6, quoted, 1280)
    m = icmp.parse_icmpv6(frame[54:])
    assert (m.version, m.type, m.mtu, m.too_big) == (6, 2, 1280, True)
    assert (m.quoted.version, m.quoted.src, m.quoted.dst, m.quoted.length, m.quoted.seq) == (6, C6, S6, 1500, 7)


def test_echo_and_short_messages():
    m = icmp.parse_icmp(bytes([8, 0, 0, 0, 0, 1, 0, 1]) + b"ping")
    assert m.type == 8 and not m.is_error and m.quoted is None and m.mtu is None
    assert icmp.parse_icmp(b"\x03\x04\x00") is None  # shorter than the 4-byte header
    m = icmp.parse_icmp(b"\x03\x04\x00\x00\x00")  # frag needed cut before its MTU
    assert m.too_big and m.mtu is None and m.quoted is None


def test_locate_on_every_link_type():
    eth = icmp_frag_needed(ROUTER, CLIENT, _quoted_tcp(), 1400)
    for frame, lt in [(eth, 1), (to_vlan(eth), 1), (to_vlan(eth, (10, 20)), 1), (to_sll(eth), 113),
                      (to_sll2(eth), 276), (to_raw(eth), 101)]:
        got = icmp.locate(frame, 0, len(frame), lt)
        assert got is not None and got.src == ROUTER and got.message.mtu == 1400, lt
    v6 = icmpv6_too_big(R6, C6, b"", 1300)
    assert icmp.locate(v6, 0, len(v6), 1).message.mtu == 1300
    tcp = tcp_frame(CLIENT, SERVER, 1, 2, 3, 4, 0x10)
    assert icmp.locate(tcp, 0, len(tcp), 1) is None


def test_locate_ipv6_in_ipv4():
    v6 = icmpv6_too_big(R6, C6, b"", 1300)[14:]
    outer = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(v6), 1, 0, 64, 41, 0, ROUTER, CLIENT) + v6
    frame = b"\x02" * 12 + b"\x08\x00" + outer
    got = icmp.locate(frame, 0, len(frame), 1)
    assert got.tunnelled and got.version == 6 and got.message.mtu == 1300


def _samples() -> list[bytes]:
    quoted = _quoted_tcp()
    q6 = ip_packet(tcp6_frame(C6, S6, 40000, 443, 7, 1, 0x10, payload=b"y" * 100))
    return [icmp_frag_needed(ROUTER, CLIENT, quoted, 1400)[34:], icmpv6_too_big(R6, C6, q6, 1280)[54:],
            icmp_unreachable(ROUTER, CLIENT, quoted)[34:]]


def test_fuzz_random_and_mutated_bytes_never_raise():
    rng = random.Random(14)
    samples = _samples()
    for i in range(6000):
        if i % 3 == 0:
            data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 120)))
        else:
            data = bytearray(rng.choice(samples))
            for _ in range(rng.randrange(1, 8)):
                op = rng.randrange(3)
                if op == 0 and data:
                    data[rng.randrange(len(data))] = rng.randrange(256)
                elif op == 1:
                    data = data[:rng.randrange(len(data) + 1)]
                else:
                    data[rng.randrange(len(data) + 1):0] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))
            data = bytes(data)
        for fn in (icmp.parse_icmp, icmp.parse_icmpv6, icmp.parse_quoted):
            got = fn(data)
            if got is not None and hasattr(got, "describe"):
                assert isinstance(got.describe(), str)
        for lt in (1, 101, 113, 276, 0, 108, 228, 229, 12345):
            icmp.locate(data, 0, len(data), lt)
            icmp.locate(data, 0, len(data) + 50, lt)  # a cap_len that lies
