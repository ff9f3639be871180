"""UDP capture pairs for the diff tests, written with dpkt: one datagram flow (DTLS-record-shaped
payloads both ways) captured at the client (A) and at the server (B).

The path adds ``delay_ns`` and lowers the TTL by one; B's clock runs ``offset_ns`` ahead.  Impairments
are by datagram index in send order: ``drop`` (never reaches the far point), ``rewrite`` ({index: byte
offset flipped}), ``inject`` (indexes after which a device in the path sends the client a datagram in
the server's name, TTL 250: only A sees it), ``nat`` (B sees the client behind another address and
port).  Returns the frame numbers of each datagram on
each side, so a test can name the frames a finding must cite.
"""
from __future__ import annotations

import random
import struct

import dpkt

CLIENT, SERVER = bytes([10, 0, 0, 1]), bytes([10, 0, 1, 2])
NAT_ADDR, NAT_PORT = bytes([198, 51, 100, 7]), 61000
T0 = 1_700_000_000 * 10**9


def _frame(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, ttl: int, ip_id: int) -> bytes:
    u = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    u.ulen = 8 + len(payload)
    ip = dpkt.ip.IP(src=src, dst=dst, p=dpkt.ip.IP_PROTO_UDP, ttl=ttl, id=ip_id, data=u)
    ip.len = 20 + len(u)
    return bytes(dpkt.ethernet.Ethernet(src=b"\x02\0\0\0\0\1", dst=b"\x02\0\0\0\0\2", type=dpkt.ethernet.ETH_TYPE_IP,
                                        data=ip))


def datagrams(n: int = 20, seed: int = 3, t0: int = T0) -> list[tuple[bool, bytes, int]]:
    """(from client, payload, send time ns): DTLS-1.2-record-shaped payloads, alternating sides."""
    rnd = random.Random(seed)
    out, t = [], t0
    for i in range(n):
        body = bytes(rnd.randrange(256) for _ in range(rnd.randrange(40, 300)))
        rec = struct.pack(">BHHQH", 0x17 if i > 5 else 0x16, 0xFEFD, 0, i, len(body))[:3] + \
            struct.pack(">H", 1 if i > 5 else 0) + struct.pack(">Q", i)[2:] + struct.pack(">H", len(body)) + body
        out.append((i % 2 == 0, rec, t))
        t += 4_000_000 + rnd.randrange(3_000_000)
    return out


def _id(base: int, i) -> int:  # noqa: ANN001 - an index, or 'r<index>' for a resent copy
    return base + i if isinstance(i, int) else base + 50 + int(i[1:])


def write_pair(path_a, path_b, n: int = 20, drop=(), rewrite=None, inject=(), nat: bool = False,  # noqa: ANN001
               offset_ns: int = 2_500_000_000, delay_ns: int = 2_000_000, cport: int = 5684, sport: int = 4433,
               seed: int = 3, extra_a=(), extra_b=(), resend=None, ttl=None, hold=None) -> tuple[dict, dict]:
    """Write both captures; (A frame of each datagram index, B frame of each), with 'inj<i>' keys for
    the injected ones.  ``extra_a``/``extra_b``: (time ns, frame bytes) more packets for one side."""
    rewrite, ttl, hold = rewrite or {}, ttl or {}, hold or {}  # ttl {index: TTL it arrives with}, hold {index: ns}
    sends = [(fc, payload, t, i) for i, (fc, payload, t) in enumerate(datagrams(n, seed))]
    # ``resend`` {index: ns later}: the sender sends the same datagram again (a DTLS flight resent), key 'r<i>'
    sends += [(fc, payload, t + (resend or {})[i], f"r{i}") for fc, payload, t, i in list(sends) if i in (resend or {})]
    sends.sort(key=lambda x: x[2])
    rows_a, rows_b = [], []  # (time at that point by its clock, key, frame)
    for fc, payload, t, i in sends:
        arrived = bytearray(payload)
        if i in rewrite:
            arrived[rewrite[i]] ^= 0x5A
        cl_addr, cl_port = (NAT_ADDR, NAT_PORT) if nat else (CLIENT, cport)
        if fc:  # client -> server: sent at A, arrives at B
            rows_a.append((t, i, _frame(CLIENT, SERVER, cport, sport, payload, 64, _id(100, i))))
            if i not in drop:
                rows_b.append((t + delay_ns + hold.get(i, 0) + offset_ns, i, _frame(
                    cl_addr, SERVER, cl_port, sport, bytes(arrived), ttl.get(i, 63), _id(100, i))))
        else:  # server -> client: sent at B, arrives at A
            rows_b.append((t + offset_ns, i, _frame(SERVER, cl_addr, sport, cl_port, payload, 64, _id(500, i))))
            if i not in drop:
                rows_a.append((t + delay_ns + hold.get(i, 0), i, _frame(SERVER, CLIENT, sport, cport, bytes(arrived),
                                                                         ttl.get(i, 63), _id(500, i))))
        if i in inject:  # a datagram in the server's name that only the client's point sees
            fake = bytes(random.Random(i).randrange(256) for _ in range(60))
            rows_a.append((t + delay_ns + 500_000, f"inj{i}", _frame(SERVER, CLIENT, sport, cport, fake, 250, 7)))
    rows_a += [(t, f"xa{k}", f) for k, (t, f) in enumerate(extra_a)]
    rows_b += [(t, f"xb{k}", f) for k, (t, f) in enumerate(extra_b)]
    frames = []
    for path, rows in ((path_a, rows_a), (path_b, rows_b)):
        rows.sort(key=lambda r: r[0])
        with open(path, "wb") as f:
            w = dpkt.pcap.Writer(f, nano=True)
            for t, _k, fr in rows:
                w.writepkt(fr, ts=t / 1e9)
        frames.append({k: no for no, (_t, k, _f) in enumerate(rows, 1)})
    return frames[0], frames[1]
