"""Hostile bytes never escape the HTTP/2 reader (http/h2.py) or its fields (http/h2fields.py):
both directions of a crafted HTTP/2 exchange (every frame type, HPACK with the dynamic table,
padding, priority, CONTINUATION), mutated and fed in random pieces.  Each frame's fields stay inside
the frame's bytes (the hex pane highlights them) and every label and Info text can be built.
Inside TLS, mutations of the ciphertext never reach this code (the AEAD tag fails), hence here."""
from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
from make_seeds import PREFACE, h2  # noqa: E402

from tlstui.http.h2 import H2Direction  # noqa: E402
from tlstui.http.h2fields import frame_fields, frame_info  # noqa: E402


def _streams() -> list[bytes]:
    import hpack

    enc = hpack.Encoder()
    req = enc.encode([(":method", "GET"), (":path", "/a"), (":authority", "x"), ("cookie", "k=v"), ("x-long", "y" * 300)])
    req2 = enc.encode([(":method", "GET"), (":path", "/a"), (":authority", "x"), ("cookie", "k=v")])  # indexed
    enc_s = hpack.Encoder()
    resp = enc_s.encode([(":status", "404"), ("content-type", "application/json; charset=utf-8")])
    settings = b"".join(struct.pack(">HI", k, v) for k, v in ((1, 65536), (2, 0), (3, 100), (4, 1 << 20), (5, 16384),
                                                               (6, 8192), (8, 1), (0x99, 7)))
    client = (h2(4, 0, 0, settings) + h2(8, 0, 0, struct.pack(">I", 15663105))
              + h2(1, 0x25, 1, struct.pack(">IB", 0x80000000, 200) + req)  # PRIORITY | END_HEADERS | END_STREAM
              + h2(1, 0x08, 3, b"\x03" + req2[:5] + b"pad") + h2(9, 0x04, 3, req2[5:])  # PADDED, CONTINUATION
              + h2(2, 0, 3, struct.pack(">IB", 1, 16)) + h2(0, 0x09, 3, b"\x02body\0\0") + h2(6, 0, 0, bytes(8))
              + h2(16, 0, 0, struct.pack(">I", 3) + b"u=1") + h2(3, 0, 3, struct.pack(">I", 8)))
    server = (h2(4, 0, 0, settings) + h2(4, 1, 0, b"") + h2(5, 0x04, 1, struct.pack(">I", 2) + resp)
              + h2(1, 0x04, 1, resp) + h2(0, 0x01, 1, b'{"a":1}') + h2(10, 0, 0, b"\x00\x03abch3=\":443\"")
              + h2(12, 0, 0, b"\x00\x12https://example.com") + h2(6, 1, 0, bytes(8))
              + h2(7, 0, 0, struct.pack(">II", 3, 11) + b"calm down") + h2(0xFA, 0xFF, 7, b"unknown"))
    return [PREFACE[:0] + client, server]


STREAMS = _streams()


def mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not b:
            break
        i = rng.randrange(len(b))
        op = rng.randrange(6)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice([0, 1, 4, 5, 8, 9, 0x20, 0x25, 0x3F, 0x40, 0x7F, 0x80, 0xFF])
        elif op == 2:
            b[i:i + 3] = rng.choice([b"\xff\xff\xff", b"\x00\x00\x00", b"\x00\x00\x09", b"\x00\x40\x00"])
        elif op == 3:
            del b[i:i + rng.randint(1, 40)]
        elif op == 4:
            b[i:i] = b[i:i + rng.randint(1, 40)]
        else:
            b[i:i + 4] = rng.randbytes(4)
    return bytes(b)


def check(data: bytes, rng: random.Random) -> int:
    """Feed ``data`` in random pieces; every frame's fields and Info built.  Returns the frames seen."""
    d = H2Direction()
    pos, n = 0, 0
    while pos < len(data):
        step = rng.choice([1, 9, 17, 100, 1000, len(data)])
        for fr in d.feed(data[pos:pos + step]):
            n += 1
            assert len(fr.data) == 9 + fr.length
            frame_info(fr)
            top = frame_fields(fr, "frame", 100)
            for f in top.walk():
                assert isinstance(f.label, str)
                assert 100 <= f.offset and f.offset + f.length <= 100 + len(fr.data), (f.name, f.offset, f.length)
        pos += step
    return n


def test_unmutated_streams_give_every_frame():
    rng = random.Random(0)
    assert check(STREAMS[0], rng) == 10
    assert check(STREAMS[1], rng) == 10


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([0, 1]), st.randoms(use_true_random=False))
def test_mutated_http2_never_raises(which, rng):
    check(mutate(STREAMS[which], rng), rng)
