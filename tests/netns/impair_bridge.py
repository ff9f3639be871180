"""The rewriting hop between the two capture points of tests/netns/make_pair.py.

Runs in the middle network namespace and forwards Ethernet frames between two interfaces with
AF_PACKET sockets (the kernel has no address on them and does not route).  ``--mode clean``
forwards every frame as it is.  ``--mode impair`` does what the issue's middleboxes do:
clamps the MSS of the client's SYN to 1360, strips SACK-permitted from the server's SYN-ACK
(replaced by NOPs), sets the TTL of every server packet to 16, drops the second application-data
segment the server sends and, when the server retransmits it, rewrites byte 20 of the copy it
lets through (the Android case of ../shared/cases/000).  ``--mode nat`` translates the client
(10.77.0.1:P seen as 10.77.0.99:P+10000 at the server), shifts the client's sequence numbers by
0x10000000 (the server's ACKs back), and forges a RST in the client's name towards the server after
the server's sixth application-data segment.  Checksums are recomputed.  Every action
is logged as a JSON line (``--log``).
"""
from __future__ import annotations

import argparse
import heapq
import json
import select
import socket
import struct
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def fix(frame: bytearray) -> None:
    """IPv4 header and TCP checksums of an Ethernet/IPv4/TCP frame."""
    ihl = (frame[14] & 15) * 4
    total = struct.unpack_from("!H", frame, 16)[0]
    frame[24:26] = b"\0\0"
    frame[24:26] = struct.pack("!H", csum(bytes(frame[14:14 + ihl])))
    t = 14 + ihl
    seg = frame[t:14 + total]
    seg[16:18] = b"\0\0"
    pseudo = bytes(frame[26:34]) + struct.pack("!BBH", 0, 6, len(seg))
    frame[t + 16:t + 18] = struct.pack("!H", csum(pseudo + bytes(seg)))


class Impair:
    def __init__(self, server_port: int, log) -> None:  # noqa: ANN001
        self.server_port = server_port
        self.log = log
        self.app_segments = 0
        self.dropped_seq = None
        self.n = 0

    def note(self, what: str, **kw) -> None:
        self.log.write(json.dumps({"packet": self.n, "action": what, **kw}) + "\n")
        self.log.flush()

    def __call__(self, frame: bytearray) -> bytearray | None:
        self.n += 1
        if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            return frame
        ihl = (frame[14] & 15) * 4
        t = 14 + ihl
        sport, dport, seq = struct.unpack_from("!HHI", frame, t)
        flags = frame[t + 13]
        thl = (frame[t + 12] >> 4) * 4
        total = struct.unpack_from("!H", frame, 16)[0]
        payload = frame[t + thl:14 + total]
        from_server = sport == self.server_port
        changed = False
        if flags & 0x02 and not from_server:  # the client's SYN: clamp the MSS
            opts = frame[t + 20:t + thl]
            k = opts.find(b"\x02\x04")
            if k >= 0:
                old = struct.unpack_from("!H", opts, k + 2)[0]
                frame[t + 20 + k + 2:t + 20 + k + 4] = struct.pack("!H", 1360)
                self.note("mss_clamp", old=old, new=1360)
                changed = True
        if flags & 0x12 == 0x12 and from_server:  # the SYN-ACK: strip SACK-permitted
            opts = frame[t + 20:t + thl]
            k = opts.find(b"\x04\x02")
            if k >= 0:
                frame[t + 20 + k:t + 20 + k + 2] = b"\x01\x01"
                self.note("strip_sack_permitted")
                changed = True
        if from_server:
            frame[22] = 16
            changed = True
            if payload and payload[0] == 0x17:
                if self.dropped_seq is None:
                    self.app_segments += 1
                    if self.app_segments == 2:
                        self.dropped_seq = seq
                        self.note("drop", seq=seq, length=len(payload))
                        return None
                elif seq == self.dropped_seq:
                    frame[t + thl + 20] ^= 0x5A
                    self.note("rewrite_retransmission", seq=seq, offset=20)
                    self.dropped_seq = -1
        if changed:
            fix(frame)
        return frame


PUBLIC = bytes([10, 77, 0, 99])
PRIVATE = bytes([10, 77, 0, 1])
SHIFT = 0x10000000


class Nat:
    """Source NAT of the client, a sequence-randomising firewall, and a forged RST."""

    def __init__(self, server_port: int, log) -> None:  # noqa: ANN001
        self.server_port = server_port
        self.log = log
        self.next_seq = None  # the client's next sequence number, as the server sees it
        self.app = 0
        self.forge = None  # a RST to send towards the server

    def note(self, what: str, **kw) -> None:
        self.log.write(json.dumps({"action": what, **kw}) + "\n")
        self.log.flush()

    def __call__(self, frame: bytearray) -> bytearray | None:
        if len(frame) < 54 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
            return frame
        ihl = (frame[14] & 15) * 4
        t = 14 + ihl
        sport, dport, seq, ack = struct.unpack_from("!HHII", frame, t)
        flags = frame[t + 13]
        thl = (frame[t + 12] >> 4) * 4
        total = struct.unpack_from("!H", frame, 16)[0]
        plen = 14 + total - t - thl
        if bytes(frame[26:30]) == PRIVATE and dport == self.server_port:  # client -> server
            frame[26:30] = PUBLIC
            struct.pack_into("!H", frame, t, sport + 10000)
            struct.pack_into("!I", frame, t + 4, (seq + SHIFT) & 0xFFFFFFFF)
            self.next_seq = (seq + SHIFT + plen + (1 if flags & 0x03 else 0)) & 0xFFFFFFFF
            self.ports = (sport + 10000, dport)
        elif bytes(frame[30:34]) == PUBLIC and sport == self.server_port:  # server -> client
            frame[30:34] = PRIVATE
            struct.pack_into("!H", frame, t + 2, dport - 10000)
            if flags & 0x10:
                struct.pack_into("!I", frame, t + 8, (ack - SHIFT) & 0xFFFFFFFF)
            if plen and frame[t + thl] == 0x17:
                self.app += 1
                if self.app == 6 and self.next_seq is not None:
                    rst = bytearray(frame[:t + 20])
                    rst[0:6], rst[6:12] = frame[6:12], frame[0:6]
                    struct.pack_into("!H", rst, 16, ihl + 20)
                    rst[22] = 99
                    rst[26:30], rst[30:34] = PUBLIC, frame[26:30]
                    struct.pack_into("!HHII", rst, t, self.ports[0], self.ports[1], self.next_seq, seq + plen)
                    rst[t + 12], rst[t + 13] = 0x50, 0x14
                    struct.pack_into("!H", rst, t + 14, 0)
                    fix(rst)
                    self.forge = bytes(rst)
                    self.note("forged_rst", seq=self.next_seq)
        else:
            return frame
        fix(frame)
        return frame


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("left")
    ap.add_argument("right")
    ap.add_argument("--mode", choices=("clean", "impair", "nat"), default="clean")
    ap.add_argument("--server-port", type=int, default=8443)
    ap.add_argument("--log", default="/dev/null")
    ap.add_argument("--delay-ms", type=float, default=0.0, help="hold every frame this long (no netem here)")
    args = ap.parse_args()
    socks = {}
    for name in (args.left, args.right):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        s.bind((name, 0))
        socks[name] = s
    other = {args.left: socks[args.right], args.right: socks[args.left]}
    log = open(args.log, "w")
    impair = Impair(args.server_port, log) if args.mode == "impair" else \
        Nat(args.server_port, log) if args.mode == "nat" else None
    by_fd = {s.fileno(): n for n, s in socks.items()}
    held: list = []  # (due, order, socket, frame): the path's delay
    order = 0
    delay = args.delay_ms / 1000
    while True:
        wait = max(0.0, held[0][0] - time.monotonic()) if held else None
        ready, _, _ = select.select(list(socks.values()), [], [], wait)
        for s in ready:
            frame, addr = s.recvfrom(65535)
            if addr[2] == PACKET_OUTGOING:
                continue
            out = bytearray(frame)
            if impair is not None:
                out = impair(out)
            if out is not None:
                order += 1
                heapq.heappush(held, (time.monotonic() + delay, order, other[by_fd[s.fileno()]], bytes(out)))
            forged = getattr(impair, "forge", None)
            if forged is not None:  # towards the server: the side the frame came from
                impair.forge = None
                order += 1
                heapq.heappush(held, (time.monotonic() + delay, order, s, forged))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, _, sock, frame = heapq.heappop(held)
            sock.send(frame)


if __name__ == "__main__":
    main()
