"""Capture pairs for the diff tests: one TCP/TLS conversation written as captured at both ends.

``conversation`` makes the packets of one connection (handshake with MSS/SACK/timestamps/window
scale, TLS-shaped records: a ClientHello, the server's flight over several segments, the client's
finish, application data both ways, an encrypted close_notify-sized alert, FIN/ACK), each with the
time its sender sent it.  ``write_pair`` writes capture A (at the client) and capture B (at the
server) with dpkt: the path between them adds a delay, lowers the TTL by one and may apply
impairments to the copy that arrives (``Path``); B's clock runs ``offset_ns`` ahead.  It returns the
frame number of every packet on each side, so tests can name the frames a finding must cite.
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field, replace

import dpkt

from tcpfactory import ACK, FIN, PSH, RST, SYN, tcp_frame

CLIENT, SERVER = bytes([10, 0, 0, 1]), bytes([10, 0, 1, 2])
T0 = 1_700_000_000 * 10**9


@dataclass
class Pkt:
    from_client: bool
    seq: int  # relative to the sender's ISN
    ack: int  # relative to the peer's ISN
    flags: int
    payload: bytes = b""
    opts: bytes = b""
    win: int = 502
    t: int = 0  # ns, when the sender sent it
    ttl: int = 64
    ip_id: int = 0
    src: bytes = b""
    dst: bytes = b""
    sport: int = 0
    dport: int = 0
    tag: str = ""
    isns: tuple = ()  # (client ISN, server ISN) of its connection, when a pair holds several


def _record(ctype: int, body: bytes) -> bytes:
    return struct.pack(">BHH", ctype, 0x0303, len(body)) + body


def _ts(val: int, ecr: int) -> bytes:
    return b"\x01\x01" + struct.pack(">BBII", 8, 10, val & 0xFFFFFFFF, ecr & 0xFFFFFFFF)


SYN_OPTS = struct.pack(">BBH", 2, 4, 1460) + b"\x04\x02" + struct.pack(">BBII", 8, 10, 1000, 0) + b"\x01\x03\x03\x07"


def conversation(seed: int = 1, cport: int = 40000, sport: int = 443, cisn: int = 0x11223344,
                 sisn: int = 0x55667788, t0: int = T0, retransmit: bool = False, timestamps: bool = True) -> tuple[list[Pkt], int, int]:
    """The packets of one connection in send order; (packets, client ISN, server ISN)."""
    rnd = random.Random(seed)
    out: list[Pkt] = []
    t = t0
    cs, ss = 0, 0  # next relative seq per side
    tsv = [1000, 50000]
    ids = [rnd.randrange(1, 30000), rnd.randrange(30000, 60000)]

    def send(fc: bool, flags: int, payload: bytes = b"", opts: bytes | None = None, dt: int = 3_000_000, tag: str = "",
             seq: int | None = None):
        nonlocal t, cs, ss
        t += dt
        me = 0 if fc else 1
        tsv[me] += 1
        o = opts if opts is not None else _ts(tsv[me], tsv[1 - me])
        ids[me] += 1
        s = (cs if fc else ss) if seq is None else seq
        p = Pkt(fc, s, 0 if flags == SYN else (ss if fc else cs), flags, payload, o,
                t=t, ip_id=ids[me], tag=tag, win=65535 if flags & SYN else 502)
        if seq is None:
            adv = len(payload) + (1 if flags & (SYN | FIN) else 0)
            if fc:
                cs += adv
            else:
                ss += adv
        out.append(p)
        return p

    send(True, SYN, opts=SYN_OPTS, tag="syn")
    send(False, SYN | ACK, opts=SYN_OPTS.replace(struct.pack(">I", 1000), struct.pack(">I", 50000)), tag="synack")
    send(True, ACK, tag="ack3")
    ch = _record(22, b"\x01" + rnd.randbytes(508))
    send(True, PSH | ACK, ch, tag="clienthello")
    flight = _record(22, b"\x02" + rnd.randbytes(90)) + _record(22, b"\x0b" + rnd.randbytes(2900)) + \
        _record(22, b"\x0e\0\0\0")
    for i in range(0, len(flight), 1448):
        send(False, ACK | (PSH if i + 1448 >= len(flight) else 0), flight[i:i + 1448], dt=50_000, tag=f"flight{i // 1448}")
    send(True, ACK, tag="ack_flight")
    send(True, PSH | ACK, _record(22, b"\x10" + rnd.randbytes(69)) + _record(20, b"\x01") + _record(22, rnd.randbytes(40)),
         tag="cke")
    send(False, PSH | ACK, _record(20, b"\x01") + _record(22, rnd.randbytes(40)), tag="server_finished")
    send(True, PSH | ACK, _record(23, rnd.randbytes(300)), tag="request")
    resp = _record(23, rnd.randbytes(5000))
    first_resp = None
    for i in range(0, len(resp), 1448):
        p = send(False, ACK | (PSH if i + 1448 >= len(resp) else 0), resp[i:i + 1448], dt=30_000, tag=f"resp{i // 1448}")
        first_resp = first_resp or p
    if retransmit:  # the first response segment sent again (an RTO), same bytes
        send(False, ACK, first_resp.payload, seq=first_resp.seq, dt=300_000_000, tag="retrans")
    send(True, ACK, tag="ack_resp")
    send(True, PSH | ACK, _record(21, rnd.randbytes(26)), tag="close_notify")
    send(True, FIN | ACK, tag="fin_c")
    send(False, FIN | ACK, tag="fin_s")
    send(True, ACK, tag="last_ack")
    for p in out:
        p.src, p.dst = (CLIENT, SERVER) if p.from_client else (SERVER, CLIENT)
        p.sport, p.dport = (cport, sport) if p.from_client else (sport, cport)
        p.isns = (cisn, sisn)
        if not timestamps:
            p.opts = b"" if not p.flags & SYN else p.opts[:6] + b"\x01" * 10 + p.opts[16:]
    return out, cisn, sisn


@dataclass
class Path:
    """What the path does to one packet: ``alter(pkt) -> list of copies that arrive`` (none: dropped)."""

    delay_ns: int = 1_000_000
    jitter_ns: int = 0
    hops: int = 1
    seed: int = 7
    alter: object = None
    inject_at_a: list = field(default_factory=list)  # extra packets that arrive at A only (times at A)
    inject_at_b: list = field(default_factory=list)
    b_view: object = None  # how every packet looks at B (NAT between the points): Pkt -> Pkt


def write_pair(pkts: list[Pkt], cisn: int, sisn: int, path_a: str, path_b: str, path: Path | None = None,
               offset_ns: int = 2_500_000_000, skew: float = 0.0) -> tuple[dict, dict]:
    """Write A (client side) and B (server side); ({tag: A frame}, {tag: B frame}) (tags of injected
    packets included; a dropped packet has no frame on the far side)."""
    path = path or Path()
    rnd = random.Random(path.seed)
    at_a, at_b = [], []  # (time at that capture's clock, Pkt)
    for p in pkts:
        arrive = [p] if path.alter is None else path.alter(p)
        wire = p.t + path.delay_ns
        near, far = (at_a, at_b) if p.from_client else (at_b, at_a)
        near.append((p.t + (offset_ns if near is at_b else 0), p))
        for k, q in enumerate(arrive):
            extra = getattr(q, "extra_delay", 0)  # set by an ``alter`` that holds this copy back
            q = replace(q, ttl=q.ttl - path.hops) if q is p or q.ttl == p.ttl else q
            j = rnd.randrange(path.jitter_ns) if path.jitter_ns else 0
            far.append((wire + j + k + (offset_ns if far is at_b else 0) + extra, q))
    if path.b_view is not None:
        at_b = [(t, q if q.from_client else path.b_view(q)) for t, q in at_b]
    at_a += [(q.t, q) for q in path.inject_at_a]
    at_b += [(q.t + offset_ns, q) for q in path.inject_at_b]
    if skew:  # B's clock gains ``skew`` seconds per second
        at_b = [(t + round((t - offset_ns - T0) * skew), q) for t, q in at_b]
    maps = []
    for out, rows in ((path_a, at_a), (path_b, at_b)):
        rows.sort(key=lambda r: r[0])
        tags = {}
        with open(out, "wb") as f:
            w = dpkt.pcap.Writer(f, nano=True)
            for n, (t, q) in enumerate(rows, 1):
                ci, si = q.isns or (cisn, sisn)
                isn, pisn = (ci, si) if q.from_client else (si, ci)
                frame = tcp_frame(q.src, q.dst, q.sport, q.dport, q.seq + isn, (q.ack + pisn) if q.flags & ACK else 0,
                                  q.flags, q.win, q.payload, q.opts, ttl=q.ttl, ip_id=q.ip_id)
                w.writepkt(frame, ts=t / 1e9)
                tags.setdefault(q.tag, n)
        maps.append(tags)
    return maps[0], maps[1]
