"""Every fast extractor gives exactly the Fields the full tree has, on every test capture."""
from __future__ import annotations

import pytest

import truth
from tlstui.dissect.extract import FAST_FIELDS, extract
from tlstui.session import Session


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_fast_fields_agree_with_the_tree(capture):
    s = Session.open(str(capture))
    s.analyze()
    answered = 0
    for number in range(1, len(s) + 1):
        view = s.view(number)
        tree = s.tree(number)
        for name in FAST_FIELDS:
            fast = extract(name, view)
            if fast is None:
                continue
            answered += 1
            slow = tree.fields(name)
            got = [(f.value, f.offset, f.length) for f in fast]
            want = [(f.value, f.offset, f.length) for f in slow]
            if name in ("tcp", "udp", "frame"):  # protocol lengths: the tree may clip to captured bytes
                got, want = [g[:2] for g in got], [w[:2] for w in want]
            assert got == want, (number, name)
    assert answered > len(s)  # the fast path did answer on this capture


def test_the_null_field_keeps_nothing():
    """The analysis pass decodes records into NULL_FIELD: it must never accumulate state."""
    from tlstui.field import NULL_FIELD, Field

    child = Field("x", None, 1)
    assert NULL_FIELD.add(child) is child
    NULL_FIELD.children.append(child)
    NULL_FIELD.children.insert(0, child)
    NULL_FIELD.children.extend([child])
    NULL_FIELD.children += [child]
    NULL_FIELD.value = 5
    NULL_FIELD.label = "changed"
    assert NULL_FIELD.children == [] and NULL_FIELD.value is None and NULL_FIELD.label == ""


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_the_one_unpack_path_reads_headers_as_the_general_path(capture):
    """parse_transport reads Ethernet+IPv4+TCP in one unpack; the general walk must agree."""
    from tlstui.capture.reader import open_capture
    from tlstui.dissect.fast import parse_transport, parse_transport_general

    cap = open_capture(str(capture))
    idx = cap.index
    for i in range(len(idx)):
        off, n, lt = idx.offset[i], idx.cap_len[i], cap.interfaces[idx.interface[i]].linktype
        assert parse_transport(cap.data, off, n, lt) == parse_transport_general(cap.data, off, off + n, lt), i + 1


def test_the_one_unpack_path_leaves_odd_headers_to_the_general_path():
    """IPv4 options, fragments, a short TCP offset and UDP all go the general way."""
    from tlstui.dissect.fast import parse_transport, parse_transport_general

    eth = bytes(12) + b"\x08\x00"
    tcp = (443).to_bytes(2, "big") + (5000).to_bytes(2, "big") + bytes(8) + b"\x50\x18" + bytes(6) + b"payload!"

    def ip(vhl=0x45, frag=0, proto=6, opts=b""):
        total = 20 + len(opts) + len(tcp)
        return bytes([vhl, 0]) + total.to_bytes(2, "big") + b"\x12\x34" + frag.to_bytes(2, "big") + \
            bytes([64, proto]) + b"\0\0" + bytes([10, 0, 0, 1, 10, 0, 0, 2]) + opts

    frames = [eth + ip() + tcp, eth + ip(0x46, opts=b"\x01\x01\x01\x00") + tcp, eth + ip(frag=0x2000) + tcp,
              eth + ip(frag=0x0001) + tcp, eth + ip(proto=17) + tcp, eth + ip() + tcp[:12] + b"\x40" + tcp[13:]]
    got = [parse_transport(f, 0, len(f), 1) for f in frames]
    assert got == [parse_transport_general(f, 0, len(f), 1) for f in frames]
    assert got[0].payload_len == 8 and got[1].l4_off == 38 and got[3] is None and got[5] is None
