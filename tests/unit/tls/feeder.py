"""A small capture feeder for TlsAnalyzer tests (until the lead's TCP reassembly is wired in).

Reads pcap/pcapng with dpkt, parses Ethernet/VLAN/SLL2, IPv4/IPv6, TCP/UDP by hand (to
know each payload's offset in the frame), numbers streams by first appearance, and
delivers TCP bytes in order (out-of-order segments when the hole fills, snaplen cuts as
gaps).  Good enough for clean captures and the shared corpus.
"""
from __future__ import annotations

import struct
from pathlib import Path

import dpkt

from tlstui.tls import TlsAnalyzer


def read_frames(path: Path) -> tuple[list[bytes], list[int], int]:
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(0)
        rd = dpkt.pcapng.Reader(fh) if head == b"\x0a\x0d\x0d\x0a" else dpkt.pcap.Reader(fh)
        link = rd.datalink()
        frames, lens = [], []
        for item in rd:
            ts, buf = item[0], item[1]
            frames.append(bytes(buf))
        # original lengths: re-read the pcap record headers when possible
    lens = _orig_lens(path, len(frames))
    return frames, lens, link


def _orig_lens(path: Path, n: int) -> list[int]:
    data = path.read_bytes()
    out = []
    if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        p = 24
        while p + 16 <= len(data):
            _s, _u, incl, orig = struct.unpack("<IIII", data[p:p + 16])
            out.append(orig)
            p += 16 + incl
    elif data[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        p = 24
        while p + 16 <= len(data):
            _s, _u, incl, orig = struct.unpack(">IIII", data[p:p + 16])
            out.append(orig)
            p += 16 + incl
    elif data[:4] == b"\x0a\x0d\x0d\x0a":
        p = 0
        while p + 12 <= len(data):
            btype, blen = struct.unpack("<II", data[p:p + 8])
            if btype == 6:
                out.append(struct.unpack("<I", data[p + 24:p + 28])[0])
            elif btype == 3:
                out.append(struct.unpack("<I", data[p + 8:p + 12])[0])
            p += blen if blen else len(data)
    return out if len(out) == n else [-1] * n


def parse_l4(buf: bytes, link: int):
    """(proto, src, dst, sport, dport, payload_offset, tcp_seq, flags) or None."""
    p = 0
    if link == 1:
        et = struct.unpack(">H", buf[12:14])[0]
        p = 14
        while et in (0x8100, 0x88A8):
            et = struct.unpack(">H", buf[p + 2:p + 4])[0]
            p += 4
    elif link == 276:
        et = struct.unpack(">H", buf[0:2])[0]
        p = 20
    elif link == 113:
        et = struct.unpack(">H", buf[14:16])[0]
        p = 16
    elif link in (101, 12):
        et = 0x0800 if buf[0] >> 4 == 4 else 0x86DD
    else:
        return None
    if et == 0x0800:
        hl = (buf[p] & 0xF) * 4
        proto = buf[p + 9]
        src, dst = buf[p + 12:p + 16], buf[p + 16:p + 20]
        tot = struct.unpack(">H", buf[p + 2:p + 4])[0]
        ip_end = p + tot
        p += hl
    elif et == 0x86DD:
        proto = buf[p + 6]
        src, dst = buf[p + 8:p + 24], buf[p + 24:p + 40]
        ip_end = p + 40 + struct.unpack(">H", buf[p + 4:p + 6])[0]
        p += 40
    else:
        return None
    if proto == 6:
        sport, dport, seq = struct.unpack(">HHI", buf[p:p + 8])
        off = (buf[p + 12] >> 4) * 4
        flags = buf[p + 13]
        return ("tcp", src, dst, sport, dport, p + off, seq, flags, ip_end)
    if proto == 17:
        sport, dport = struct.unpack(">HH", buf[p:p + 4])
        return ("udp", src, dst, sport, dport, p + 8, 0, 0, ip_end)
    return None


def analyze(path: Path) -> tuple[TlsAnalyzer, list[bytes]]:
    frames, lens, link = read_frames(Path(path))
    an = TlsAnalyzer(lambda n: frames[n - 1])
    streams: dict = {}
    udp_streams: dict = {}
    for i, buf in enumerate(frames):
        num = i + 1
        try:
            l4 = parse_l4(buf, link)
        except (struct.error, IndexError):
            continue
        if l4 is None:
            continue
        kind, src, dst, sport, dport, poff, seq, flags, ip_end = l4
        wire_len = lens[i] if lens[i] > 0 else len(buf)
        cut = max(0, wire_len - len(buf))
        end = min(len(buf), ip_end)
        payload = buf[poff:end]
        full_len = max(0, ip_end - poff)
        if kind == "udp":
            key = frozenset([(src, sport), (dst, dport)])
            if key not in udp_streams:
                udp_streams[key] = (len(udp_streams), (src, sport))
            sid, first = udp_streams[key]
            if payload:
                an.on_udp(sid, 0 if (src, sport) == first else 1, num, payload, poff, sport, dport)
            continue
        key = frozenset([(src, sport), (dst, dport)])
        st = streams.get(key)
        if st is None or (flags & 0x02 and not flags & 0x10 and st["closed"]):
            st = streams[key] = {"id": len([1 for _ in streams]) if key not in streams else st["id"] + 1000,
                                 "first": (src, sport), "next": [None, None], "ooo": [{}, {}], "closed": False}
            st["id"] = len(streams) - 1 if st["id"] < 1000 else st["id"]
        d = 0 if (src, sport) == st["first"] else 1
        if flags & 0x02:
            st["next"][d] = (seq + 1) & 0xFFFFFFFF
            continue
        if st["next"][d] is None:
            st["next"][d] = seq
        if full_len <= 0:
            if flags & 0x05:
                an.on_tcp_close(st["id"], d, num, "rst" if flags & 0x04 else "fin")
                st["closed"] = True
            continue
        nxt = st["next"][d]
        rel = (seq - nxt) & 0xFFFFFFFF
        if rel >= 0x80000000:  # old data (retransmission): deliver only what is new
            overlap = (nxt - seq) & 0xFFFFFFFF
            if overlap >= full_len:
                continue
            payload = payload[overlap:]
            poff += overlap
            full_len -= overlap
            rel = 0
        if rel > 0:
            st["ooo"][d][seq] = (num, payload, poff, full_len)
            continue
        _deliver(an, st, d, num, payload, poff, full_len)
        # fill from buffered out-of-order segments
        progress = True
        while progress:
            progress = False
            for s2, (n2, p2, o2, f2) in list(st["ooo"][d].items()):
                nx = st["next"][d]
                r2 = (s2 - nx) & 0xFFFFFFFF
                if r2 >= 0x80000000:
                    ov = (nx - s2) & 0xFFFFFFFF
                    del st["ooo"][d][s2]
                    if ov < f2:
                        _deliver(an, st, d, num, p2[ov:], o2 + ov, f2 - ov, fill_frame=n2)
                        progress = True
                elif r2 == 0:
                    del st["ooo"][d][s2]
                    _deliver(an, st, d, num, p2, o2, f2, fill_frame=n2)
                    progress = True
        if flags & 0x05:
            an.on_tcp_close(st["id"], d, num, "rst" if flags & 0x04 else "fin")
    return an, frames


def _deliver(an, st, d, num, payload, poff, full_len, fill_frame=None):
    src_frame = fill_frame or num
    if payload:
        # bytes of an earlier frame delivered when the hole fills: they complete in `num`
        an.on_tcp_data(st["id"], d, num if fill_frame is None else num, payload, poff, 0, 0, 0) \
            if fill_frame is None else _deliver_from(an, st["id"], d, num, src_frame, payload, poff)
    if full_len > len(payload):
        an.on_tcp_gap(st["id"], d, num, full_len - len(payload))
    st["next"][d] = (st["next"][d] + full_len) & 0xFFFFFFFF


def _deliver_from(an, sid, d, num, src_frame, payload, poff):
    # The analyzer stores (frame, offset) chunks, so the chunk must name the frame whose bytes
    # these are; the record completes "in" that chunk's frame.  Wireshark attributes the record
    # to the frame that filled the gap; we approximate by feeding with the source frame.
    an.on_tcp_data(sid, d, src_frame, payload, poff, 0, 0, 0, deliver_frame=num)
