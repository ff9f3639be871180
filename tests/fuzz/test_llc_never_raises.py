"""IEEE 802.3 / LLC / STP (dissect/llc.py) never raise on hostile bytes: every mutation of the
crafted BPDU frames, and random bytes behind an 802.3 header, give a tree whose labels are text."""
from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings, strategies as st

from tlstui.dissect.frame import dissect_frame
from test_tunnel_never_raises import _labels, _One  # noqa: E402 - tests/fuzz is on sys.path in the suite

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _frames() -> list[bytes]:
    from factory import real_frames  # noqa: PLC0415

    return [f for _t, f, _o in real_frames("clear_stp.pcap")]


FRAMES = _frames()


def _tree(frame: bytes) -> None:
    tree = dissect_frame(_One(frame), 1, upper=False)
    _labels(tree.layers)
    assert isinstance(tree.protocol, str) and isinstance(tree.info, str)


@SETTINGS
@given(st.integers(0, len(FRAMES) - 1), st.lists(st.tuples(st.integers(0, 80), st.integers(0, 255)), max_size=12),
       st.integers(0, 80))
def test_mutated_bpdus_never_raise(which, edits, cut):
    frame = bytearray(FRAMES[which])
    for pos, value in edits:
        if pos < len(frame):
            frame[pos] = value
    _tree(bytes(frame[:max(14, len(frame) - cut)]))


@SETTINGS
@given(st.integers(1, 1500), st.binary(max_size=120))
def test_any_length_and_payload_never_raise(length, payload):
    _tree(bytes(12) + length.to_bytes(2, "big") + payload)


def test_every_truncation_of_every_bpdu():
    rng = random.Random(1)
    for frame in FRAMES:
        for n in range(len(frame) + 1):
            _tree(frame[:n])
        _tree(bytes(rng.randrange(256) for _ in range(len(frame))))
