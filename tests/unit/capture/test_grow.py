"""The frame index grows with the file (Capture.grow): a capture cut at several points, the rest
appended in chunks, indexes exactly as the whole file does, without reading again what it has."""
from __future__ import annotations

import pytest

import factory
from factory import DATA
from tlstui.capture.reader import open_capture


def _index(cap):
    idx = cap.index
    return (list(idx.offset), list(idx.cap_len), list(idx.orig_len), list(idx.time_ns), list(idx.interface))


def _ifaces(cap):
    return [(i.linktype, i.snaplen, i.name, i.ts_mul, i.ts_div, i.tsoffset_s) for i in cap.interfaces]


def _pcapng_variants(tmp_path):
    frames = factory.real_frames()
    keys = (DATA / "s01_tls12_http_close_notify.keys").read_bytes()
    # two sections, big- and little-endian, a DSB between packets, interfaces in ns and 2^-20 s
    sec1 = [factory.shb("<"), factory.idb("<", 1, tsresol=9, name="a")]
    sec1 += [factory.epb("<", 0, t, d, o) for t, d, o in frames[:8]]
    sec1 += [factory.dsb("<", 0x544C534B, keys)]
    sec2 = [factory.shb(">"), factory.idb(">", 1, tsresol=0x80 | 20, name="b"), factory.idb(">", 1, name="c")]
    sec2 += [factory.epb(">", k % 2, (t << 20) // 10**9, d, o) for k, (t, d, o) in enumerate(frames[8:])]
    p = tmp_path / "sections.pcapng"
    p.write_bytes(b"".join(sec1 + sec2))
    q = tmp_path / "ns.pcap"
    q.write_bytes(factory.pcap(frames, nanos=True, endian=">"))
    return [p, q]


CAPTURES = ["s13a_two_interfaces.pcapng", "s01_tls12_http_close_notify.pcap", "s09_snaplen96.pcap"]


@pytest.mark.parametrize("which", CAPTURES + ["sections.pcapng", "ns.pcap"])
def test_cut_and_appended_in_chunks_indexes_as_the_whole_file(tmp_path, which):
    src = DATA / which if which in CAPTURES else {p.name: p for p in _pcapng_variants(tmp_path)}[which]
    whole_bytes = src.read_bytes()
    whole = open_capture(str(src))
    size = len(whole_bytes)
    # cut points: inside the file header, right after it, in the middle of a record, at a record's
    # boundary, near the end
    first = whole.index.offset[0] if len(whole.index) else 24
    mid = whole.index.offset[len(whole.index) // 2] + 3
    boundary = whole.index.offset[len(whole.index) // 3] - 16  # about where a record starts
    for cut in sorted({first, mid, boundary, size - 5, size // 7 + 1}):
        if cut < 24:
            continue
        path = tmp_path / f"growing-{cut}"
        path.write_bytes(whole_bytes[:cut])
        cap = open_capture(str(path))
        before = len(cap.index)
        got = 0
        chunk = max(1, (size - cut) // 5) + 13  # odd-sized chunks: most cuts fall inside a record
        pos = cut
        with open(path, "ab") as fh:
            while pos < size:
                fh.write(whole_bytes[pos:pos + chunk])
                fh.flush()
                pos += chunk
                got += cap.grow()
        assert cap.grow() == 0  # nothing more appended
        assert before + got == len(cap.index) == len(whole.index)
        assert _index(cap) == _index(whole)
        assert _ifaces(cap) == _ifaces(whole)
        assert [(s.secrets_type, s.data) for s in cap.secrets] == [(s.secrets_type, s.data) for s in whole.secrets]
        assert cap.warnings == whole.warnings and cap.truncated_at == whole.truncated_at
        assert cap.frame_bytes(len(cap.index)) == whole.frame_bytes(len(whole.index))


def test_grow_keeps_the_frames_it_has_and_stops_at_damage(tmp_path):
    raw = (DATA / "s01_tls12_http_close_notify.pcap").read_bytes()
    path = tmp_path / "g.pcap"
    path.write_bytes(raw[:200])
    cap = open_capture(str(path))
    n0 = len(cap.index)
    offsets = list(cap.index.offset)
    assert cap.truncated_at is not None and cap.warnings  # the cut tail, for now
    with open(path, "ab") as fh:
        fh.write(raw[200:])
    assert cap.grow() > 0
    assert list(cap.index.offset[:n0]) == offsets and cap.truncated_at is None and not cap.warnings
    # damage it cannot step over: indexing does not go on, frames are kept
    path2 = tmp_path / "d.pcap"
    path2.write_bytes(raw + b"\xff" * 64)
    cap2 = open_capture(str(path2))
    n = len(cap2.index)
    with open(path2, "ab") as fh:
        fh.write(raw[24:])
    assert cap2.truncated_at is not None and cap2.damage
    assert cap2.grow() == 0 and len(cap2.index) == n  # opened again, the file resyncs past the damage
    assert len(open_capture(str(path2)).index) > n
    # stdin and gzip cannot grow
    import gzip

    gz = tmp_path / "c.pcap.gz"
    gz.write_bytes(gzip.compress(raw))
    assert open_capture(str(gz)).grow() == 0


def test_lazy_grow_indexes_in_batches(tmp_path):
    frames = factory.real_frames() * 500  # 10,500 frames: more than one batch
    data = factory.pcap(frames)
    path = tmp_path / "big.pcap"
    path.write_bytes(data[:24])
    cap = open_capture(str(path))
    assert len(cap.index) == 0
    path.write_bytes(data)
    cap.grow(lazy=True)
    assert 0 < len(cap.index) < len(frames) and not cap.complete
    cap.index_all()
    assert len(cap.index) == len(frames) and cap.complete
