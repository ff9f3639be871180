"""Length fields that claim more than the bounds of limits.py cost nothing and are reported."""
from __future__ import annotations

import tracemalloc

from tlstui import limits
from tlstui.tls import TlsAnalyzer


def dtls_fragment(seq: int, mseq: int, mlen: int, foff: int, body: bytes, hs_type: int = 11) -> bytes:
    hs = bytes([hs_type]) + mlen.to_bytes(3, "big") + mseq.to_bytes(2, "big") + foff.to_bytes(3, "big") \
        + len(body).to_bytes(3, "big") + body
    return b"\x16\xfe\xfd" + (0).to_bytes(2, "big") + seq.to_bytes(6, "big") + len(hs).to_bytes(2, "big") + hs


def test_a_fragment_claiming_a_16_mib_message_allocates_nothing_and_is_reported():
    a = TlsAnalyzer()
    tracemalloc.start()
    for i in range(200):  # 200 messages of 16 MiB each would be 3.2 GB
        a.on_udp(0, 0, i + 1, dtls_fragment(i, i, (1 << 24) - 1, 0, b"x" * 100), 42)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20 * 1024 * 1024
    assert a.limits.counts == {"dtls_message": 200}
    assert len(a.limits.hits) == limits.HITS_KEPT
    h = a.limits.hits[0]
    assert (h.what, h.kind, h.stream, h.frame) == ("dtls_message", "udp", 0, 1) and "16777215" in h.detail
    assert a.records(1)[0].fragment == (0, 0, 100)  # the record itself is still decoded and shown


def test_messages_waiting_for_fragments_are_bounded_per_stream():
    a = TlsAnalyzer()
    n = limits.DTLS_MESSAGES_IN_PROGRESS + 10
    for i in range(n):  # first halves only: none of them ever completes
        a.on_udp(0, 0, i + 1, dtls_fragment(i, i, 2000, 0, b"y" * 1000), 42)
    assert a.limits.counts == {"dtls_in_progress": 10}
    assert a.limits.hits[0].frame == limits.DTLS_MESSAGES_IN_PROGRESS + 1


def test_a_message_within_the_bounds_is_reassembled_as_before():
    body = bytes(range(256)) * 8
    frames = {1: b"\0" * 42 + dtls_fragment(0, 0, len(body), 0, body[:1000]),
              2: b"\0" * 42 + dtls_fragment(1, 0, len(body), 1000, body[1000:])}
    a = TlsAnalyzer(frames.__getitem__)
    for n, f in frames.items():
        a.on_udp(0, 0, n, f[42:], 42)
    assert a.limits.hits == []
    layers, sources = a.frame_layers(2, frames[2])
    assert [v for v in sources.values() if len(v) == len(body)] == [body]


def test_the_finding_reports_the_hits():
    import types

    from tlstui.findings.rules import analysis_limit_reached

    lim = limits.Limits()
    for f in range(1, 8):
        lim.hit("reassembly", "tcp", 3, f * 10, f"direction 0: held {f} MB")
    session = types.SimpleNamespace(limits=lim)
    ctx = types.SimpleNamespace(session=session, esc=lambda s: s)
    (found,) = analysis_limit_reached.check(ctx)
    assert found.kind == "analysis.limit_reached" and found.severity == "note"
    assert found.frames == [10, 20, 30, 40, 50, 60, 70] and found.stream == 3
    assert "7 times in 1 stream" in found.summary and "and 2 more" in found.explanation
