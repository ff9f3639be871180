"""The line dissectors of dissect/starttls.py (SMTP, IMAP, POP3, FTP) and the STARTTLS stream consumer never
raise on hostile bytes; every label they build can be derived and escapes to printable text."""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings, strategies as st

from tlstui.dissect import starttls
from tlstui.safe_text import escape_text

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDS = [b"220 mail ESMTP\r\n", b"250-a\r\n250-STARTTLS\r\n250 8BITMIME\r\n", b"STARTTLS\r\n", b"EHLO x\r\n",
         b"+OK ready\r\n", b"STLS\r\n", b"-ERR no\r\n", b"a1 STARTTLS\r\n", b"a1 OK go\r\n", b"AUTH TLS\r\n",
         b"234 go\r\n", b"DATA\r\n", b"354 go\r\n", b"\r\n.\r\n", b"\xff\xfe\x00\n\n\r"]


def _check(data: bytes, off: int, end: int) -> None:
    for fn in starttls.DISSECTORS.values():
        for client in (True, False):
            top, info = fn(data, off, end, "frame", client)
            assert isinstance(info, str)
            for f in top.walk():
                assert isinstance(f.label, str)
                assert escape_text(f.label).isprintable() or f.label == ""
            for f in top.walk():
                assert 0 <= f.offset and f.offset + f.length <= max(end, off)
    top, info = starttls.dissect_smtp(data, off, end, "frame", True, True)
    assert info.startswith("C: DATA fragment")


@SETTINGS
@given(st.binary(max_size=600), st.integers(0, 40), st.integers(0, 40))
def test_dissectors_never_raise(data: bytes, a: int, b: int):
    off = min(a, len(data))
    _check(data, off, max(off, len(data) - b))


@SETTINGS
@given(st.lists(st.tuples(st.booleans(), st.sampled_from(SEEDS + [b""]), st.binary(max_size=40)), max_size=12),
       st.sampled_from([25, 587, 110, 143, 21]))
def test_stream_consumer_never_raises(pieces, port: int):
    lines = starttls.LineStreams()
    frames = {}
    for n, (client, seed, noise) in enumerate(pieces, 1):
        payload = seed + noise
        frames[n] = b"\x00" * 54 + payload
        lines.on_tcp_data(0, 0 if client else 1, n, payload, 54, 0, 40000 if client else port,
                          port if client else 40000)
    w = starttls.WithLines(_Nothing(), lines)
    for n, raw in frames.items():
        w.frame_layers(n, raw)
        w.column(n, raw)


def test_mutated_dialogue_never_raises():
    rnd = random.Random(16)
    for _ in range(2000):
        data = bytearray(b"".join(rnd.sample(SEEDS, 4)))
        for _k in range(rnd.randint(0, 8)):
            data[rnd.randrange(len(data))] = rnd.randrange(256)
        _check(bytes(data), 0, len(data))


class _Nothing:
    def on_tcp_data(self, *a, **kw):
        pass

    def has_layers(self, frame):
        return False

    def frames(self):
        return []

    def frame_layers(self, frame, data, facts=None):
        return [], {}, "", ""

    def column(self, frame, data):
        return None
