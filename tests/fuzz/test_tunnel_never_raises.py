"""The tunnel parsers (dissect/encap.py, dissect/tunnel.py, and fast.parse_transport following them)
never raise on hostile bytes; on every mutated tunnel frame the analysis pass and the tree agree
(the innermost TCP/UDP the pass reads is the tree's last TCP/UDP layer, at the same offset), and
the whole-column reader answers what the per-frame reader answers."""
from __future__ import annotations

import random
import struct
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from tlstui.dissect import encap, fast, tunnel
from tlstui.dissect.frame import dissect_frame
from tlstui.dissect.transport import StreamContext
from tlstui.field import Field
from tlstui.safe_text import escape_text

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DATA = Path(__file__).resolve().parents[1] / "data"


def _frames() -> list[bytes]:
    from factory import real_frames  # noqa: PLC0415 - tests/ is on sys.path in the suite

    return [f for name in ("tunnel_udp.pcap", "tunnel_gre.pcap", "tunnel_ip.pcap") for _t, f, _o in real_frames(name)]


FRAMES = _frames()


class _One:
    """A FrameSource of one frame, for the tree without a session."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def frame_bytes(self, number: int) -> bytes:
        return self.data

    def frame_meta(self, number: int) -> tuple[int, int, int, int, int]:
        return len(self.data), len(self.data), 0, 0, 1

    def first_time_ns(self) -> int:
        return 0

    def interface_name(self, iface: int) -> str:
        return ""

    def stream_context(self, number: int) -> StreamContext:
        return StreamContext()

    def outer_udp_streams(self, number: int) -> tuple[int, ...]:
        return (7, 8)


def _labels(layers: list[Field]) -> None:
    for top in layers:
        for f in top.walk():
            assert isinstance(f.label, str)
            escape_text(f.label)


def _check(frame: bytes) -> None:
    """Never raises; the pass and the tree find the same innermost transport."""
    t = fast.parse_transport(frame, 0, len(frame), 1, len(frame))
    assert fast.parse_transport_general(frame, 0, len(frame), 1, len(frame)) == t
    tree = dissect_frame(_One(frame), 1, upper=False)
    _labels(tree.layers)
    tree.protocol, tree.info
    if t is None:
        return
    assert 0 <= t.ip_off < t.l4_off <= len(frame) and t.payload_off == t.l4_off + (8 if t.proto == 17 else t.tcp_hdr_len)
    l4 = [f for f in tree.layers if f.name in ("tcp", "udp")]
    at = [k for k, f in enumerate(l4) if (f.name, f.offset) == ("tcp" if t.proto == 6 else "udp", t.l4_off)]
    assert at, ("the pass found a transport the tree does not show", t)
    for f in l4[at[0] + 1:]:  # deeper ones: only headers the pass cannot read (cut short, bogus)
        assert "cut short" in f.label or any(c.name == "_ws.malformed" for c in f.walk()), (f, t)
    ips = [f for f in tree.layers if f.name in ("ip", "ipv6") and f.offset < t.l4_off]
    assert ips and ips[-1].offset == t.ip_off
    assert len(t.outer) <= encap.MAX_DEPTH
    for u in t.outer:  # each tunnel's UDP is a UDP layer of the tree, before the inner one
        assert any(f.name == "udp" and f.offset == u.l4_off for f in l4[:at[0]])


def _mutate(data: bytes, rng: random.Random) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not b:
            break
        i = rng.randrange(len(b))
        op = rng.randrange(5)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice((0, 1, 4, 6, 0x11, 0x2F, 0x29, 0x45, 0x60, 0x80, 0xFF))
        elif op == 2:
            del b[rng.randrange(14, max(15, len(b))):]
        elif op == 3:
            b[i:i + 2] = rng.choice((b"\x12\xb5", b"\x17\xc1", b"\x08\x68", b"\x0d\xd8", b"\x65\x58", b"\x88\xbe",
                                     b"\x22\xeb", b"\x88\x47", b"\x00\x00", b"\xff\xff"))
        else:
            b[i:i + 4] = rng.randbytes(4)
    return bytes(b)


def test_mutated_tunnel_frames():
    rng = random.Random(16)
    mutated = [_mutate(rng.choice(FRAMES), rng) for _ in range(3000)]
    for frame in mutated:
        _check(frame)
    # the whole-column reader on the same frames answers what the per-frame reader answers
    blob = b"".join(mutated)
    offsets, pos = [], 0
    for f in mutated:
        offsets.append(pos)
        pos += len(f)
    caps = [len(f) for f in mutated]
    got = fast.parse_transport_bulk(blob, offsets, caps, [1] * len(mutated), caps)
    want = fast.TransportColumns(len(mutated))
    for i, f in enumerate(mutated):
        t = fast.parse_transport(blob, offsets[i], caps[i], 1, caps[i])
        if t is not None:
            want.put(i, t, offsets[i])
    for name in fast.TransportColumns.NAMES + ("src6", "dst6"):
        assert (getattr(got, name) == getattr(want, name)).all(), name
    assert got.outer == want.outer


@SETTINGS
@given(st.binary(max_size=120), st.sampled_from(sorted(encap.UDP_FOLLOW)))
def test_udp_tunnel_headers_on_random_bytes(body, port):
    kind, pos = encap.UDP_FOLLOW[port](body, 0, len(body))
    assert kind == encap.NONE or 0 <= pos <= len(body)
    layers: list[Field] = []
    nx = tunnel.UDP_DISSECTORS[port](body, 0, len(body), layers, [])
    assert (nx.kind, nx.pos) == (kind, pos)
    _labels(layers)


@SETTINGS
@given(st.binary(max_size=120))
def test_gre_mpls_esp_on_random_bytes(body):
    layers: list[Field] = []
    nx = tunnel.dissect_gre(body, 0, len(body), layers, [])
    kind, pos = encap.gre(body, 0, len(body))
    assert (nx.kind, nx.pos) == (kind, pos)
    nx = tunnel.dissect_mpls(body, 0, len(body), layers, [])
    assert (nx.kind, nx.pos) == encap.mpls(body, 0, len(body))
    tunnel.dissect_esp(body, 0, len(body), layers, [])
    _labels(layers)


@SETTINGS
@given(st.sampled_from([(0x0800, 17, 4789), (0x0800, 17, 6081), (0x0800, 17, 2152), (0x0800, 17, 3544),
                        (0x0800, 47, 0), (0x0800, 4, 0), (0x0800, 41, 0), (0x86DD, 47, 0), (0x8847, 0, 0)]),
       st.binary(max_size=160))
def test_random_tunnel_payloads_in_a_frame(kind, body):
    etype, proto, port = kind
    if etype == 0x8847:
        payload = body
    else:
        if proto == 17:
            body = struct.pack(">HHHH", 50000, port, 8 + len(body), 0) + body
        if etype == 0x0800:
            payload = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 1, 0, 64, proto, 0, bytes(4), bytes(4)) + body
        else:
            payload = struct.pack(">IHBB", 6 << 28, len(body), proto, 64) + bytes(32) + body
    _check(bytes(12) + struct.pack(">H", etype) + payload)


def test_nesting_is_bounded():
    """IP in IP a hundred times: followed to encap.MAX_DEPTH, the tree as deep and no deeper."""
    inner = struct.pack(">HHHH", 1000, 2000, 8, 0)
    pkt = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 28, 1, 0, 64, 17, 0, bytes(4), bytes(4)) + inner
    for _ in range(100):
        pkt = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(pkt), 1, 0, 64, 4, 0, bytes(4), bytes(4)) + pkt
    frame = bytes(12) + b"\x08\x00" + pkt
    assert fast.parse_transport(frame, 0, len(frame), 1, len(frame)) is None
    tree = dissect_frame(_One(frame), 1, upper=False)
    assert sum(1 for f in tree.layers if f.name == "ip") == encap.MAX_DEPTH + 1
    _check(frame)
