"""Gzip captures cut short or damaged (issue 16): every frame that decompressed whole is kept, as for a
truncated plain capture, instead of 'too short to be a capture (0 bytes)'."""
from __future__ import annotations

import gzip
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from tlstui.capture.reader import CaptureError, open_capture

DATA = Path(__file__).resolve().parents[2] / "data"
SMALL = DATA / "s01_tls12_http_close_notify.pcap"  # 25 kB: decompresses in one piece
LARGE = DATA / "s13e_many_short_connections.pcap"  # 580 kB: many pieces


def _frames(path: Path) -> int:
    return len(open_capture(str(path)))


def _plain_prefix(tmp_path: Path, raw: bytes, n: int) -> int:
    p = tmp_path / "plain.pcap"
    p.write_bytes(raw[:n])
    return _frames(p)


def _prefix_len(gz: bytes) -> int:
    """How many bytes zlib itself gets out of a cut stream (the truth for the reader)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    return len(d.decompress(gz) + d.flush())


@pytest.mark.parametrize("capture", [SMALL, LARGE], ids=lambda p: p.name)
@pytest.mark.parametrize("keep", [0.3, 0.7, 0.99])
def test_cut_gzip_keeps_the_complete_frames(tmp_path, capture, keep):
    raw = capture.read_bytes()
    gz = gzip.compress(raw)
    cut = gz[:int(len(gz) * keep)]
    p = tmp_path / "cut.pcap.gz"
    p.write_bytes(cut)
    cap = open_capture(str(p))
    want = _plain_prefix(tmp_path, raw, _prefix_len(cut))
    assert want > 0 and len(cap) == want
    assert cap.frame_bytes(len(cap)) == open_capture(str(capture)).frame_bytes(len(cap))


def test_gzip_without_its_trailer_keeps_every_frame(tmp_path):
    raw = SMALL.read_bytes()
    p = tmp_path / "notrailer.pcap.gz"
    p.write_bytes(gzip.compress(raw)[:-8])  # CRC and size lost: the whole capture decompressed
    assert _frames(p) == _frames(SMALL)


def test_cut_gzip_from_the_command_line_warns_and_succeeds(tmp_path):
    raw = SMALL.read_bytes()
    gz = gzip.compress(raw)
    p = tmp_path / "cut.pcap.gz"
    p.write_bytes(gz[:len(gz) // 2])
    r = subprocess.run([sys.executable, "-m", "tlstui", "fields", "-r", str(p), "-e", "frame.number"],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    n = _plain_prefix(tmp_path, raw, _prefix_len(gz[:len(gz) // 2]))
    assert r.stdout.decode().split() == [str(i) for i in range(1, n + 1)]
    assert b"too short" not in r.stderr


def test_damaged_gzip_keeps_what_came_before_the_damage(tmp_path):
    raw = LARGE.read_bytes()
    gz = bytearray(gzip.compress(raw))
    gz[len(gz) // 2:len(gz) // 2 + 64] = bytes(64)  # a run of zeros in the middle of the deflate stream
    p = tmp_path / "damaged.pcap.gz"
    p.write_bytes(bytes(gz))
    n = _frames(p)
    assert 0 < n < _frames(LARGE)


def test_several_gzip_members_are_one_capture(tmp_path):
    raw = SMALL.read_bytes()
    p = tmp_path / "members.pcap.gz"
    p.write_bytes(gzip.compress(raw[:1000]) + gzip.compress(raw[1000:]))  # as `cat a.gz b.gz`
    assert _frames(p) == _frames(SMALL)


def test_gzip_cut_inside_its_header_is_still_refused(tmp_path):
    p = tmp_path / "header.pcap.gz"
    p.write_bytes(gzip.compress(SMALL.read_bytes())[:6])
    with pytest.raises(CaptureError, match="too short"):
        open_capture(str(p))
