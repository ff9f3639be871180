"""Hostile bytes never escape the QUIC parsers: headers, frames, CRYPTO reassembly, the TLS
layer inside, the per-datagram pass and the tree (called here without the pass's safety net)."""
from __future__ import annotations

import random
import struct
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from tlstui.quic import versions as V
from tlstui.quic.analyzer import QuicAnalyzer
from tlstui.quic.cryptostream import CryptoStream
from tlstui.quic.frames import parse_frames
from tlstui.quic.handshake import HandshakeStream, decode_message
from tlstui.quic.header import first_dcid, packet_end, parse_long
from tlstui.quic.tree import build
from tlstui.tls import handshake as tls_hs
from tlstui.tls.decrypt.keylog import KeyLog

DATA = Path(__file__).resolve().parents[1] / "data"
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _payloads() -> list[bytes]:
    """The UDP payloads of the crafted QUIC capture (Ethernet/IPv4/UDP, no options)."""
    raw = (DATA / "quic_crafted.pcap").read_bytes()
    out, pos = [], 24
    while pos + 16 <= len(raw):
        incl = struct.unpack_from("<I", raw, pos + 8)[0]
        frame = raw[pos + 16:pos + 16 + incl]
        out.append(frame[14 + 20 + 8:])
        pos += 16 + incl
    return out


PAYLOADS = _payloads()


class _Decrypt:
    keylog = KeyLog.from_file(DATA / "quic_crafted.keys")


def _feed_all(datagrams: list[tuple[int, bytes]], keys: bool = False) -> None:
    """Every datagram through the pass and back out as a tree with its labels and columns."""
    frames: dict[int, bytes] = {}
    qa = QuicAnalyzer(frames.__getitem__, _Decrypt() if keys else None)
    for i, (direction, data) in enumerate(datagrams, 1):
        frames[i] = data
        stream = 0
        if stream not in qa._streams and not qa._heuristic(data, stream, direction, 443):
            continue
        qa._streams.add(stream)
        dg = qa._datagram(stream, direction, i, data, 0, 50000 + direction, 443 - direction)
        qa.datagrams[i] = dg
        layers, sources = build(dg, data, qa.connection(dg.conn))
        for top in layers:
            for f in top.walk():
                assert isinstance(f.label, str)
                assert f.source == "frame" or f.source in sources
        assert qa.column(i)[0] == "QUIC"


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 1), st.binary(min_size=1, max_size=300)), max_size=8))
def test_random_datagrams(datagrams):
    _feed_all(datagrams)


@SETTINGS
@given(st.integers(0, len(PAYLOADS) - 1), st.randoms(use_true_random=False), st.booleans())
def test_mutated_real_packets(index, rng, keys):
    seq = []
    for k, p in enumerate(PAYLOADS):
        b = bytearray(p)
        if k == index and b:
            for _ in range(rng.randint(1, 6)):
                if not b:
                    break
                i = rng.randrange(len(b))
                op = rng.randrange(4)
                if op == 0:
                    b[i] ^= 1 << rng.randrange(8)
                elif op == 1:
                    b[i] = rng.choice([0, 0xFF, 0x40, 0x80, 0xC0, 0x14, 0x7F])
                elif op == 2:
                    del b[i:]
                else:
                    b[i:i] = bytes(rng.randrange(1, 40))
        if b:
            seq.append((k % 2, bytes(b)))
    _feed_all(seq, keys)


@SETTINGS
@given(st.binary(max_size=400))
def test_frame_parser(data):
    for tree in (False, True):
        for gquic in (False, True):
            parsed = parse_frames(data, "d", tree=tree, gquic=gquic)
            for node in parsed.nodes:
                for f in node.walk():
                    assert isinstance(f.label, str)


@SETTINGS
@given(st.binary(max_size=120))
def test_header_parsers(data):
    if not data:
        return
    end = packet_end(data, 0, len(data))
    assert 0 < end <= len(data)
    first_dcid(data, 0, len(data))
    if data[0] & 0x80:
        h = parse_long(data, 0, end)
        assert h.cut < 0 or h.cut <= end
        V.version_name(h.version)
        V.initial_salt(h.version)


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 3000), st.binary(max_size=200)), max_size=20))
def test_crypto_reassembly_and_tls_layer(pieces):
    cs, hs = CryptoStream(), HandshakeStream()
    ctx = tls_hs.Ctx(False, 0x0304)
    for frame, (offset, data) in enumerate(pieces, 1):
        d = cs.add(offset, data, frame)
        assert d.kind in ("deliver", "reassembled", "buffered", "retransmission")
        if d.kind in ("deliver", "reassembled"):
            handled = hs.feed(d.data, frame)
            for m in handled.messages:
                raw = m.reassembled if m.reassembled is not None else d.data[m.pos:m.pos + m.length]
                decode_message(raw, 0, "x", ctx, True)
                decode_message(raw, 0, "x", ctx, False)


def test_a_hostile_stream_holds_bounded_memory():
    cs = CryptoStream()
    rng = random.Random(5)
    for frame in range(2000):
        cs.add(10 + rng.randrange(1 << 30), bytes(1000), frame)  # never contiguous: all kept pending
    assert cs.buffered_bytes <= 1024 * 1024
