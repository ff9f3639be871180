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
rb_tcp_analysis.pcap    TCP analysis and relative numbers: "ACKed unseen segment" flagged once per
                        hole (a side that starts mid-stream, a peer stalled with pure ACKs and FIN
                        retransmissions, duplicate ACKs around it), a second SYN-ACK with a new
                        initial sequence number, window scaling known from one side's SYN only.
rb_tls13_drafts.pcap    TLS 1.3 negotiated with draft and vendor versions: draft 28 (0x7f1c) and Facebook's
                        fizz 0xfb1a in the ServerHello's supported_versions, a draft-18 ServerHello
                        (version 0x7f12, no session id or compression) and plain 0x0304 beside them.
rb_tls_gaps.pcap        TLS records held behind a hole in the server's stream: the hole filled later
                        (out-of-order reassembly: the records complete in the frame that fills it), and
                        never filled, the connection ending with a FIN, a RST or the capture's end
                        (tshark shows no records there; tlstui resumes after the gap, docs/differences.md).
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
from tcpfactory import ACK, FIN, PSH, SYN, Conn, _csum, mss, tcp_frame, wscale  # noqa: E402

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


def tcp_analysis() -> bytes:
    conns = []
    t0 = T0

    def conn(sport: int, steps, cisn: int = 1000, sisn: int = 5000) -> None:
        """``steps``: (from client, relative seq, relative ack, flags, payload length[, options])."""
        nonlocal t0
        c = Conn(cisn=cisn, sisn=sisn, sport=sport, dport=47001, client=C4, server=S4, t0_ns=t0)
        for st in steps:
            fc, seq, ack, flags, n = st[:5]
            c.send(fc, seq, ack, flags, bytes(n), win=1000, opts=st[5] if len(st) > 5 else b"")
        conns.append(c)
        t0 = c.t + 10**9

    C, S = True, False
    # 1. A stream that starts mid-way: the server acknowledges a byte never seen, both repeat their
    #    ACKs, the client's next data leaves a hole that the server's answer acknowledges.
    conn(40201, [(C, 1, 1, ACK, 0), (S, 1, 2, ACK, 0), (C, 1, 1, ACK, 0), (S, 1, 2, ACK, 0),
                 (C, 2, 1, PSH | ACK, 307), (S, 1, 309, PSH | ACK, 384), (C, 309, 385, ACK, 0),
                 (C, 309, 385, PSH | ACK, 307), (S, 385, 616, PSH | ACK, 384), (C, 616, 769, ACK, 0)])
    # 2. The server's FIN is all it sends; the client acknowledges data never seen, then repeats it
    #    while the server retransmits its FIN: one "ACKed unseen segment", then duplicate ACKs.
    conn(40202, [(S, 1, 1, FIN | ACK, 0), (C, 223, 1232, ACK, 0), (S, 1, 1, FIN | ACK, 0), (C, 223, 1232, ACK, 0),
                 (S, 1, 1, FIN | ACK, 0), (C, 223, 1232, ACK, 0), (C, 223, 1232, ACK, 0)])
    # 3. After a handshake a lost segment; the server acknowledges past it, twice, as data goes on.
    conn(40203, [(C, 0, 0, SYN, 0, mss()), (S, 0, 1, SYN | ACK, 0, mss()), (C, 1, 1, ACK, 0), (C, 1, 1, PSH | ACK, 100),
                 (C, 201, 1, PSH | ACK, 100), (S, 1, 301, ACK, 0), (C, 301, 1, PSH | ACK, 100), (S, 1, 401, ACK, 0),
                 (S, 1, 401, ACK, 0), (C, 401, 1, ACK, 0), (S, 1, 501, ACK, 0)])
    # 4. A second SYN-ACK with a new initial sequence number (an answer from another server instance):
    #    the server side counts from it on; the first SYN-ACK is "ports reused" too (tshark's 2nd pass).
    c = Conn(cisn=4229623760, sisn=1612884805, sport=40204, dport=47001, client=C4, server=S4, t0_ns=t0)
    c.send(True, 0, 0, SYN, opts=mss() + wscale(7))
    c.send(True, 0, 0, SYN, opts=mss() + wscale(7), dt_us=100000)
    c.send(False, 0, 1, SYN | ACK, opts=mss())
    c.send(True, 1, 1, ACK)
    c.send(True, 1, 1, PSH | ACK, bytes(184))
    c.sisn = 1712195420  # the second server's ISN
    c.send(False, 0, 1, SYN | ACK, opts=mss())
    c.sisn = 1612884805
    c.send(True, 185, 1, ACK)
    c.send(False, 1, 1, ACK)
    c.send(True, 1, 1, PSH | ACK, bytes(184), dt_us=300000)
    c.send(False, 1, 185, ACK)
    c.send(False, 1, 185, PSH | ACK, bytes(1280))
    c.send(True, 185, 1281, ACK)
    conns.append(c)
    t0 = c.t + 10**9
    # 5. Window scaling from one side's SYN only (the other's was not captured): that side is scaled.
    conn(40205, [(C, 0, 0, SYN, 0, mss() + wscale(7)), (C, 1, 1, ACK, 0), (S, 1, 1, ACK, 10), (C, 1, 11, ACK, 0)])
    conn(40206, [(S, 0, 1, SYN | ACK, 0, mss() + wscale(9)), (C, 1, 1, ACK, 10), (S, 1, 11, ACK, 0)])
    # 6. A SYN-ACK without the option seen before the SYN with it (capture order): the client's SYN
    #    still sets its own shift, the server's side has none.
    conn(40207, [(S, 0, 1, SYN | ACK, 0, mss()), (C, 0, 0, SYN, 0, mss() + wscale(7)), (C, 1, 1, ACK, 10),
                 (S, 1, 11, ACK, 0)])
    # 7. An ACK before the SYN it belongs to: the shift the SYN gives scales it too (tshark's 2nd pass).
    conn(40208, [(C, 1, 1, ACK, 0), (C, 0, 0, SYN, 0, mss() + wscale(7)), (S, 0, 1, SYN | ACK, 0, mss() + wscale(2)),
                 (C, 1, 1, ACK, 10), (S, 1, 11, ACK, 0)])
    return pcap(sorted((f for c in conns for f in c.frames), key=lambda f: f[0]))


def _tls_record(ct: int, body: bytes, version: int = 0x0303) -> bytes:
    return struct.pack(">BHH", ct, version, len(body)) + body


def _hs(t: int, body: bytes) -> bytes:
    return struct.pack(">B", t) + len(body).to_bytes(3, "big") + body


def _ext(t: int, body: bytes) -> bytes:
    return struct.pack(">HH", t, len(body)) + body


def _vec(n: int, body: bytes) -> bytes:
    return len(body).to_bytes(n, "big") + body


def client_hello(versions: list[int], sni: bytes = b"drafts.example") -> bytes:
    key = bytes(range(32))
    exts = (_ext(0, _vec(2, b"\0" + _vec(2, sni))) + _ext(10, _vec(2, struct.pack(">H", 29)))
            + _ext(13, _vec(2, struct.pack(">HHH", 0x0403, 0x0804, 0x0401)))
            + _ext(51, _vec(2, struct.pack(">H", 29) + _vec(2, key)))
            + _ext(43, _vec(1, b"".join(struct.pack(">H", v) for v in versions))))
    body = struct.pack(">H", 0x0303) + bytes(range(32, 64)) + _vec(1, bytes(32)) + _vec(2, struct.pack(">HH", 0x1301, 0x1302)) \
        + _vec(1, b"\0") + _vec(2, exts)
    return _tls_record(22, _hs(1, body), 0x0301)


def server_hello(version: int, draft18: bool = False) -> bytes:
    """A TLS 1.3 ServerHello choosing ``version``: in supported_versions (legacy 0x0303), or, as
    drafts before 22 wrote it, as the hello's own version without session id and compression."""
    share = _ext(51, struct.pack(">H", 29) + _vec(2, bytes(range(64, 96))))
    if draft18:
        body = struct.pack(">H", version) + bytes(range(96, 128)) + struct.pack(">H", 0x1301) + _vec(2, share)
    else:
        body = struct.pack(">H", 0x0303) + bytes(range(96, 128)) + _vec(1, bytes(32)) + struct.pack(">HB", 0x1301, 0) \
            + _vec(2, share + _ext(43, struct.pack(">H", version)))
    return _tls_record(22, _hs(2, body))


def tls13_drafts() -> bytes:
    from craft import TcpTalk

    conns = []
    t0 = T0
    for i, (version, draft18) in enumerate([(0x7F1C, False), (0xFB1A, False), (0x7F12, True), (0x0304, False)]):
        c = TcpTalk(cisn=10000 * (i + 1), sisn=70000 * (i + 1), sport=40300 + i, client=C4, server=S4, t0_ns=t0)
        c.open()
        c.records(True, [client_hello([version, 0x0303])])
        ccs = [] if draft18 else [_tls_record(20, b"\1")]
        c.records(False, [server_hello(version, draft18)] + ccs + [_tls_record(23, bytes(range(200)) * 3)])
        c.records(True, ccs + [_tls_record(23, bytes(53))])
        c.records(True, [_tls_record(23, bytes(100))])
        c.records(False, [_tls_record(23, bytes(300)), _tls_record(23, bytes(19))])
        c.fin(True)
        c.fin(False)
        c.ack(True)
        conns.append(c)
        t0 = c.t + 10**9
    return pcap(sorted((f for c in conns for f in c.frames), key=lambda f: f[0]))


def tls_gaps() -> bytes:
    from craft import TcpTalk

    conns = []
    t0 = T0
    for i, end in enumerate(("fill", "fin", "rst", "none")):
        c = TcpTalk(cisn=1000 * (i + 1), sisn=50000 * (i + 1), sport=40400 + i, client=C4, server=S4, t0_ns=t0)
        c.open()
        c.records(True, [client_hello([0x0303])])
        c.records(False, [server_hello(0x0303)])
        rec1, rec2, rec3 = _tls_record(23, bytes(300)), _tls_record(23, bytes(100)), _tls_record(23, bytes(50))
        hole = c.next[1]
        c.next[1] += 200  # the first 200 bytes of rec1 are lost on the way to the capture point
        c.data(False, rec1[200:])  # the rest of rec1
        c.data(False, rec2 + rec3 + rec1[:40])  # two whole records and the start of a third
        c.data(False, rec1[40:300] + rec1[300:])  # the third, completed
        if end == "fill":
            c.data(False, rec1[:200], seq=hole)  # the lost bytes, resent
        if end in ("fill", "fin"):
            c.fin(False)
        elif end == "rst":
            c.rst(False)
        c.ack(True)
        conns.append(c)
        t0 = c.t + 10**9
    return pcap(sorted((f for c in conns for f in c.frames), key=lambda f: f[0]))


CAPTURES = {"rb_ip_lengths.pcap": ip_lengths, "rb_tcp_analysis.pcap": tcp_analysis, "rb_tls13_drafts.pcap": tls13_drafts,
            "rb_tls_gaps.pcap": tls_gaps}


# Captures where tlstui differs from tshark on purpose (docs/differences.md): their truth is kept
# as FILE.differs.fields.tsv / FILE.differs.filters.json, which the generic truth tests do not read;
# test_real_bugs.py compares them, the documented frames apart.
DIFFERS = {"rb_tls_gaps.pcap"}


def main() -> None:
    for name, make in CAPTURES.items():
        p = DATA / name
        p.write_bytes(make())
        if "--truth" in sys.argv:
            subprocess.run(["bash", str(TRUTH_SH), str(p)], check=True)
            p.with_name(p.name + ".tshark.txt").unlink(missing_ok=True)
            if name in DIFFERS:
                for kind in ("fields.tsv", "filters.json"):
                    p.with_name(f"{p.name}.{kind}").replace(p.with_name(f"{p.name}.differs.{kind}"))
        print(p)


if __name__ == "__main__":
    main()
