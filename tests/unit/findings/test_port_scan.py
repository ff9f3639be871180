"""A port scan (many connections refused with RST) stays small: no reassembly state per refused
connection, and per-stream findings capped at limits.STREAM_FINDINGS_PER_KIND."""
from __future__ import annotations

import struct

from tlstui import limits
from tlstui.findings import find_all
from tlstui.session import Session


def _frame(src: bytes, dst: bytes, sport: int, dport: int, seq: int, ack: int, flags: int) -> bytes:
    tcp = struct.pack(">HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 1024, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40, 1, 0, 64, 6, 0, src, dst)
    return bytes(6) + bytes(range(6)) + b"\x08\x00" + ip + tcp


def scan(path, n: int) -> None:
    a, b = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for i in range(n):  # SYN to port i+1, answered by RST-ACK
        for f in (_frame(a, b, 40000, i + 1, 1000 + i, 0, 0x02), _frame(b, a, i + 1, 40000, 0, 1001 + i, 0x14)):
            out.append(struct.pack("<IIII", 1_700_000_000, i, len(f), len(f)) + f)
    path.write_bytes(b"".join(out))


def test_refused_connections_keep_no_reassembly_state_and_findings_are_capped(tmp_path):
    n = limits.STREAM_FINDINGS_PER_KIND + 50
    path = tmp_path / "scan.pcap"
    scan(path, n)
    s = Session.open(str(path))
    s.analyze()
    assert len(s.conv.tcp_streams) == n
    assert s.reassembler.dirs == {}
    found = [f for f in find_all(s) if f.kind == "tcp.reset"]
    assert len(found) == limits.STREAM_FINDINGS_PER_KIND + 1
    summed = [f for f in found if f.stream is None]
    assert len(summed) == 1 and "50 more TCP streams" in summed[0].summary
    assert len(summed[0].frames) == 50  # each summed-up stream's first reset
    per_stream = {f.stream for f in found if f.stream is not None}
    assert len(per_stream) == limits.STREAM_FINDINGS_PER_KIND
    assert not per_stream & {s.conv.tcp_stream[f - 1] for f in summed[0].frames}


def test_a_few_resets_still_get_one_finding_per_stream(tmp_path):
    path = tmp_path / "scan.pcap"
    scan(path, 5)
    s = Session.open(str(path))
    s.analyze()
    found = [f for f in find_all(s) if f.kind == "tcp.reset"]
    assert sorted(f.stream for f in found) == [0, 1, 2, 3, 4]
