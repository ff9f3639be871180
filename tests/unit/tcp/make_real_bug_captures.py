"""Writes the crafted captures of the bugs real captures showed (issue 16) into tests/data/, and,
with --truth, tshark 4.0's truth beside each (../shared/tools/truth.sh: FILE.fields.tsv with the
shared 134 fields, FILE.filters.json with the shared 66 filters).  The tests never need tshark.

    python tests/unit/tcp/make_real_bug_captures.py [--truth]

Each capture holds one family of cases, built frame by frame from the layouts (addresses from the
documentation and private ranges), so the truth beside it says exactly what tshark does there:

rb_ip_lengths.pcap      IP lengths tshark does not take at face value: a TSO/GSO frame whose IPv4
                        total length is 0, total lengths larger than the frame (with and without a
                        snapshot length), a total length shorter than the header, bogus versions and
                        header lengths, IPv6 payload lengths of 0 and larger than the frame.
"""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from craft import CLIENT6, SERVER6, tcp6_frame  # noqa: E402
from factory import pcap  # noqa: E402
from tcpfactory import ACK, PSH, SYN, _csum, tcp_frame  # noqa: E402

DATA = HERE.parents[1] / "data"
TRUTH_SH = HERE.parents[3] / "shared" / "tools" / "truth.sh"  # /work/shared beside the repository
T0 = 1_700_000_000 * 10**9
C4, S4 = bytes([10, 1, 0, 1]), bytes([10, 1, 0, 2])


class Frames:
    """Frames one millisecond apart: (time, captured bytes, wire length)."""

    def __init__(self) -> None:
        self.frames: list[tuple[int, bytes, int]] = []

    def add(self, frame: bytes, cap: int | None = None) -> int:
        self.frames.append((T0 + len(self.frames) * 1_000_000, frame[:cap] if cap else frame, len(frame)))
        return len(self.frames)


def ipv4_field(frame: bytes, offset: int, fmt: str, value: int) -> bytes:
    """``frame`` (Ethernet/IPv4) with one IPv4 header field rewritten and the header checksum redone."""
    f = bytearray(frame)
    struct.pack_into(">" + fmt, f, 14 + offset, value)
    struct.pack_into(">H", f, 24, 0)
    struct.pack_into(">H", f, 24, _csum(bytes(f[14:34])))
    return bytes(f)


def ip_lengths() -> bytes:
    fr = Frames()

    def seg(seq: int, payload: bytes, flags: int = PSH | ACK) -> bytes:
        return tcp_frame(C4, S4, 40100, 443, 1000 + seq, 5001, flags, payload=payload)

    fr.add(tcp_frame(C4, S4, 40100, 443, 1000, 0, SYN, opts=b"\x02\x04\x05\xb4"))
    fr.add(tcp_frame(S4, C4, 443, 40100, 5000, 1001, SYN | ACK, opts=b"\x02\x04\x05\xb4"))
    fr.add(seg(1, b"", ACK))
    fr.add(ipv4_field(seg(1, b"A" * 3000), 2, "H", 0))  # 4: TSO, total length 0: the frame's length
    fr.add(tcp_frame(S4, C4, 443, 40100, 5001, 1000 + 3001, ACK))
    fr.add(ipv4_field(seg(3001, b"B" * 100), 2, "H", 1000))  # 6: a total length past the frame's end
    fr.add(ipv4_field(seg(3101, b"C" * 100), 2, "H", 10))  # 7: shorter than the header: nothing above IP
    fr.add(ipv4_field(seg(3201, b"D" * 2000), 2, "H", 0), cap=200)  # 8: TSO under a snapshot length
    fr.add(ipv4_field(seg(5201, b"E" * 500), 2, "H", 3000), cap=200)  # 9: past the wire length, cut short
    fr.add(ipv4_field(seg(5701, b"F" * 500), 2, "H", 400), cap=200)  # 10: within the wire length, cut short
    fr.add(ipv4_field(seg(6061, b"G" * 40), 0, "B", 0x55))  # 11: IP version 5
    fr.add(ipv4_field(seg(6061, b"G" * 40), 0, "B", 0x44))  # 12: header length 16
    fr.add(tcp_frame(S4, C4, 443, 40100, 5001, 1000 + 6061, ACK))
    fr.add(tcp6_frame(CLIENT6, SERVER6, 40200, 443, 7000, 0, SYN))
    f6 = bytearray(tcp6_frame(CLIENT6, SERVER6, 40200, 443, 7001, 0, PSH | ACK, payload=b"H" * 300))
    struct.pack_into(">H", f6, 18, 0)  # 15: IPv6 payload length 0
    fr.add(bytes(f6))
    f6 = bytearray(tcp6_frame(CLIENT6, SERVER6, 40200, 443, 7301, 0, PSH | ACK, payload=b"I" * 300))
    struct.pack_into(">H", f6, 18, 2000)  # 16: IPv6 payload length past the frame's end
    fr.add(bytes(f6))
    return pcap(fr.frames)


CAPTURES = {"rb_ip_lengths.pcap": ip_lengths}


def main() -> None:
    for name, make in CAPTURES.items():
        p = DATA / name
        p.write_bytes(make())
        if "--truth" in sys.argv:
            subprocess.run(["bash", str(TRUTH_SH), str(p)], check=True)
            p.with_name(p.name + ".tshark.txt").unlink(missing_ok=True)
        print(p)


if __name__ == "__main__":
    main()
