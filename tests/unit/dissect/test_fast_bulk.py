"""The whole-column transport reader answers exactly what the per-frame one answers."""
from __future__ import annotations

import random
import struct

import numpy as np
import pytest

import truth
from tlstui.capture.reader import open_capture
from tlstui.dissect import fast
from tlstui.dissect.fast import TransportColumns, parse_transport, parse_transport_bulk


def _expected(data, offsets, caps, linktypes, origs=None) -> TransportColumns:
    want = TransportColumns(len(offsets))
    for i, (off, cap, lt) in enumerate(zip(offsets, caps, linktypes)):
        t = parse_transport(data, off, cap, lt, 0 if origs is None else origs[i])
        if t is not None:
            want.put(i, t, off)
    return want


def _assert_same(got: TransportColumns, want: TransportColumns) -> None:
    for name in TransportColumns.NAMES + ("src6", "dst6"):
        a, b = getattr(got, name), getattr(want, name)
        bad = np.nonzero(a != b)[0] if a.ndim == 1 else np.nonzero((a != b).any(axis=1))[0]
        assert len(bad) == 0, (name, bad[:5].tolist(), a[bad[:5]].tolist(), b[bad[:5]].tolist())


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_bulk_reading_equals_the_per_frame_reading(capture):
    cap = open_capture(str(capture))
    cap.index_all()
    idx = cap.index
    lts = [cap.interfaces[i].linktype for i in idx.interface]
    got = parse_transport_bulk(cap.data, idx.offset, idx.cap_len, lts)
    _assert_same(got, _expected(cap.data, list(idx.offset), list(idx.cap_len), lts))
    got = parse_transport_bulk(cap.data, idx.offset, idx.cap_len, lts, idx.orig_len)
    _assert_same(got, _expected(cap.data, list(idx.offset), list(idx.cap_len), lts, list(idx.orig_len)))


def _frame(rng: random.Random) -> bytes:
    """A plausible Ethernet/IP/TCP-or-UDP frame, then damaged at random."""
    vlan = b"".join(struct.pack(">HH", rng.choice(fast.VLAN_TYPES), rng.randrange(4096)) for _ in range(rng.randrange(4)))
    v6 = rng.random() < 0.3
    proto = rng.choice((6, 17, 1, 0, 43, 60, 47))
    l4 = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 48)))
    if proto == 6 and len(l4) >= 13:
        l4 = l4[:12] + bytes([rng.choice((0x50, 0x80, 0x40, 0xF0, rng.randrange(256)))]) + l4[13:]
    if v6:
        ip = struct.pack(">IHBB", 0x60000000, rng.choice((0, rng.randrange(70))), proto, 64) + bytes(rng.randrange(256) for _ in range(32))
        etype = fast.ETH_IPV6
    else:
        ihl = rng.choice((5, 5, 5, 6, 4, 15))
        opts = bytes(max(0, ihl * 4 - 20))
        ip = struct.pack(">BBHHHBBH4s4s", 0x40 | ihl, 0, rng.choice((0, rng.randrange(90))), rng.randrange(65536),
                         rng.choice((0, 0x4000, 0x2000, 0x0001)), 64, proto, 0, b"\x0a\0\0\1", b"\x0a\0\0\2") + opts
        etype = rng.choice((fast.ETH_IPV4, fast.ETH_IPV4, 0x0806))
    frame = bytes(12) + vlan + struct.pack(">H", etype) + ip + l4
    if rng.random() < 0.5:
        frame = frame[:rng.randrange(len(frame) + 1)]
    return frame


def test_bulk_reading_equals_the_per_frame_reading_on_damaged_frames():
    rng = random.Random(7)
    frames = [_frame(rng) for _ in range(20000)]
    linktypes = [rng.choice((fast.LINKTYPE_ETHERNET,) * 6 + (fast.LINKTYPE_RAW, fast.LINKTYPE_LINUX_SLL,
                                                            fast.LINKTYPE_LINUX_SLL2, fast.LINKTYPE_NULL, 147))
                 for _ in frames]
    data = b"".join(frames)
    offsets = np.cumsum([0] + [len(f) for f in frames[:-1]]).tolist()
    caps = [len(f) for f in frames]
    got = parse_transport_bulk(data, offsets, caps, linktypes)
    _assert_same(got, _expected(data, offsets, caps, linktypes))
    assert (got.proto == 6).sum() > 100 and (got.proto == 17).sum() > 100
    # Wire lengths shorter, equal and longer than the captured bytes (and unknown, 0).
    origs = [rng.choice((0, c, c + rng.randrange(1, 3000), max(1, c - rng.randrange(1, 30)))) for c in caps]
    got = parse_transport_bulk(data, offsets, caps, linktypes, origs)
    _assert_same(got, _expected(data, offsets, caps, linktypes, origs))
    assert (got.proto == 6).sum() > 100
