"""Writes tests/data/tcp_edge_cases.pcap: synthetic TCP conversations for the analysis corner cases
the real captures lack (keep-alive ACK, zero-window probe ACK, repeated SYN, ports reused, a stream
that starts mid-connection with wrapping sequence numbers, window update after a zero window).

Its truth, tcp_edge_cases.pcap.tcp_analysis.tsv, was made once with tshark 4.0.17 (see
tests/data/README.md); the tests never run tshark.   python tests/unit/tcp/make_edge_capture.py
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from factory import pcap  # noqa: E402
from tcpfactory import ACK, FIN, PSH, RST, SYN, Conn, mss, sack, wscale  # noqa: E402

OUT = HERE.parents[1] / "data" / "tcp_edge_cases.pcap"


def build() -> list[tuple[int, bytes, int]]:
    frames = []
    # 1. Window scaling, window full, zero window, probes and their ACKs, keep-alives, window update.
    a = Conn(cisn=1000, sisn=5000, sport=40001)
    a.send(True, 0, 0, SYN, opts=mss() + wscale(2))
    a.send(False, 0, 1, SYN | ACK, opts=mss() + wscale(2))
    a.send(True, 1, 1, ACK, win=1000)  # 4000 bytes of window
    a.send(True, 1, 1, PSH | ACK, b"G" * 100, win=1000)
    a.send(False, 1, 101, ACK, b"x" * 1000)
    a.send(False, 1001, 101, ACK, b"x" * 1000)
    a.send(False, 2001, 101, ACK, b"x" * 1000)
    a.send(False, 3001, 101, PSH | ACK, b"x" * 1000)  # fills the 4000-byte window
    a.send(True, 101, 4001, ACK, win=0)  # zero window
    a.send(False, 4001, 101, ACK, b"y", dt_us=200000)  # zero window probe
    a.send(True, 101, 4001, ACK, win=0)  # zero window probe ACK
    a.send(True, 101, 4001, ACK, win=1000, dt_us=300000)  # window update
    a.send(False, 4000, 101, ACK, dt_us=2000000)  # keep-alive
    a.send(True, 101, 4001, ACK, win=1000)  # keep-alive ACK
    a.send(False, 4000, 101, ACK, b"\0", dt_us=2000000)  # keep-alive with one byte
    a.send(True, 101, 4001, ACK, win=1000)
    a.send(False, 4001, 101, PSH | ACK, b"z" * 500)
    a.send(True, 101, 4501, FIN | ACK, win=1000)
    a.send(False, 4501, 102, FIN | ACK)
    a.send(True, 102, 4502, ACK, win=1000)
    frames += a.frames
    # 2. Loss, dup ACKs with SACK, fast retransmission, out of order, RTO retransmission, spurious.
    b = Conn(cisn=70000, sisn=900000, sport=40002, t0_ns=a.t + 10**9)
    b.handshake(opts_c=mss() + b"\x01\x01\x04\x02", opts_s=mss() + b"\x01\x01\x04\x02")
    b.send(True, 1, 1, PSH | ACK, b"GET / HTTP/1.1\r\n\r\n")
    for i in range(6):
        if i != 1:  # segment 1 is lost before the capture point
            b.send(False, 1 + 1000 * i, 19, ACK, bytes([65 + i]) * 1000, dt_us=100)
        if i >= 2:
            b.send(True, 19, 1001, ACK, opts=sack((b.sisn + 2001, b.sisn + 1 + 1000 * (i + 1))), dt_us=50)
    b.send(False, 1001, 19, ACK, b"B" * 1000, dt_us=500)  # fast retransmission
    b.send(True, 19, 6001, ACK)
    b.send(False, 7001, 19, ACK, b"H" * 1000)  # 6001 is late
    b.send(False, 6001, 19, ACK, b"G" * 1000, dt_us=500)  # out of order
    b.send(True, 19, 8001, ACK)
    b.send(False, 8001, 19, PSH | ACK, b"I" * 300)
    b.send(False, 8001, 19, PSH | ACK, b"I" * 300, dt_us=300000)  # RTO retransmission
    b.send(True, 19, 8301, ACK)
    b.send(False, 8001, 19, PSH | ACK, b"I" * 300, dt_us=1000)  # spurious
    b.send(True, 19, 9301, ACK)  # ACKs bytes never seen
    b.send(False, 8301, 19, RST | ACK)
    frames += b.frames
    # 3. A repeated SYN (same ISN), then the same ports reused with a new ISN.
    c = Conn(cisn=123456, sisn=654321, sport=40003, t0_ns=b.t + 10**9)
    c.send(True, 0, 0, SYN, opts=mss())
    c.send(True, 0, 0, SYN, opts=mss(), dt_us=1000000)
    c.send(False, 0, 1, SYN | ACK, opts=mss())
    c.send(True, 1, 1, ACK)
    c.send(True, 1, 1, FIN | ACK)
    c.send(False, 1, 2, FIN | ACK)
    c.send(True, 2, 2, ACK)
    c2 = Conn(cisn=999999, sisn=111111, sport=40003, t0_ns=c.t + 10**9)
    c2.send(True, 0, 0, SYN, opts=mss())
    c2.send(False, 0, 1, SYN | ACK)  # a SYN-ACK with no options at all
    c2.send(True, 1, 1, ACK)
    c2.send(True, 1, 1, RST | ACK)
    frames += c.frames + c2.frames
    # 4. Mid-connection start with sequence numbers wrapping past 2**32, and a 1-byte old segment.
    d = Conn(cisn=0xFFFFF000, sisn=0xFFFFFF00, sport=40004, t0_ns=c2.t + 10**9)
    d.send(False, 0, 0, ACK, b"m" * 1400)
    d.send(True, 0, 1400, ACK)
    d.send(False, 1400, 0, ACK, b"n" * 1400)
    d.send(False, 2800, 0, PSH | ACK, b"o" * 1400)
    d.send(True, 0, 4200, ACK)
    d.send(False, 2800, 0, PSH | ACK, b"o" * 1400, dt_us=400000)
    d.send(True, 0, 4200, ACK)
    frames += d.frames
    frames.sort(key=lambda f: f[0])
    return frames


if __name__ == "__main__":
    OUT.write_bytes(pcap(build()))
    print(OUT)
