"""Damaged captures: every frame before the damage, a warning, and resynchronisation where possible."""
from __future__ import annotations

import struct

import factory
from tlstui.capture.reader import open_capture


def test_pcap_record_longer_than_snaplen_is_skipped_and_reading_resumes(tmp_path):
    frames = factory.real_frames()[:8]
    raw = bytearray(factory.pcap(frames, snaplen=65535))
    # Corrupt the 4th record's captured length to 3 GB: frames 1-3 stay, 5-8 are found again.
    pos = 24
    for _, d, _ in frames[:3]:
        pos += 16 + len(d)
    struct.pack_into("<I", raw, pos + 8, 3_000_000_000)
    p = tmp_path / "bad.pcap"
    p.write_bytes(bytes(raw))
    cap = open_capture(str(p))
    got = [cap.frame_bytes(i) for i in range(1, len(cap) + 1)]
    assert got[:3] == [d for _, d, _ in frames[:3]]
    assert got[3:] == [d for _, d, _ in frames[4:]]
    assert any("claims 3000000000 bytes" in w and "skipped" in w for w in cap.warnings)


def test_pcapng_bad_block_length_resynchronises(tmp_path):
    frames = factory.real_frames()[:6]
    blocks = [factory.shb(), factory.idb("<", 1)] + [factory.epb("<", 0, t // 1000, d) for t, d, _ in frames]
    raw = bytearray(b"".join(blocks))
    bad_at = len(blocks[0]) + len(blocks[1]) + len(blocks[2]) + len(blocks[3])  # the third EPB
    struct.pack_into("<I", raw, bad_at + 4, 7)  # not a multiple of 4, < 12
    p = tmp_path / "bad.pcapng"
    p.write_bytes(bytes(raw))
    cap = open_capture(str(p))
    assert [cap.frame_bytes(i) for i in range(1, len(cap) + 1)] == [d for i, (_, d, _) in enumerate(frames) if i != 2]
    assert any("bad length 7" in w for w in cap.warnings)


def test_pcapng_block_claiming_more_than_the_file_holds(tmp_path):
    frames = factory.real_frames()[:4]
    blocks = [factory.shb(), factory.idb("<", 1)] + [factory.epb("<", 0, t // 1000, d) for t, d, _ in frames]
    raw = bytearray(b"".join(blocks))
    last = len(raw) - len(blocks[-1])
    struct.pack_into("<I", raw, last + 4, 0x7FFFFFF0)
    p = tmp_path / "huge.pcapng"
    p.write_bytes(bytes(raw))
    cap = open_capture(str(p))
    assert len(cap) == 3 and cap.warnings


def test_pcapng_section_with_unknown_byte_order(tmp_path):
    frames = factory.real_frames()[:3]
    good = [factory.shb(), factory.idb("<", 1)] + [factory.epb("<", 0, t // 1000, d) for t, d, _ in frames]
    broken = bytearray(factory.shb())
    broken[8:12] = b"\x11\x22\x33\x44"
    p = tmp_path / "bom.pcapng"
    p.write_bytes(b"".join(good) + bytes(broken) + b"".join(good[1:]))
    cap = open_capture(str(p))
    assert len(cap) == 3 and any("unknown byte order" in w for w in cap.warnings)


def test_damage_in_the_middle_is_a_warning_finding_with_the_frames_around_it(tmp_path):
    from tlstui.findings import find_all
    from tlstui.session import Session

    s = Session.open(str(factory.damaged_s04(tmp_path)))
    s.analyze()
    whole = Session.open(str(factory.DATA / "s04_mtls12_no_client_cert.pcap"))
    assert len(s) == len(whole) - 1
    assert s.capture.damage and s.capture.damage[0].frames_before == 9 and s.capture.damage[0].skipped > 0
    found = [f for f in find_all(s) if f.kind == "capture.file_damaged"]
    assert len(found) == 1
    f = found[0]
    assert f.severity == "warning" and f.frames == [9, 10] and "3000000000" in f.explanation
    assert not any(f.kind == "capture.file_damaged" for f in find_all(whole))


def test_the_cli_reports_the_damage(tmp_path, capsys):
    import json

    from tlstui.cli import main

    path = factory.damaged_s04(tmp_path)
    code = main(["findings", str(path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code >= 1
    assert any(f["kind"] == "capture.file_damaged" and f["frames"] == [9, 10] for f in out)
    assert main(["fields", "-r", str(path), "-e", "frame.number"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split() == [str(n) for n in range(1, 12)]  # s04 has 12 frames; one is lost
    assert "claims 3000000000 bytes" in captured.err
