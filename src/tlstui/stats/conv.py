"""Conversations as ``tshark -q -z conv,eth|ip|ipv6|tcp|udp`` counts them.

tshark's rules, kept here: a TCP/UDP conversation is one tcp.stream/udp.stream; an IP or
Ethernet conversation is an unordered address pair.  The conversation's first address ("A") is
the source of its first counted frame; "->" counts frames and bytes (frame.len) from A, "<-"
those towards A (a frame whose source and destination are equal counts as "->").  Start is the
first counted frame's time relative to frame 1, duration last minus first.  Conversations are
listed by total frames, most first; ties keep the order in which they were first seen.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass

import numpy as np

from ..dissect import fast
from .common import columns, ns_to_sec

CONV_KINDS = ("eth", "ip", "ipv6", "tcp", "udp")
TITLES = {"eth": "Ethernet", "ip": "IPv4", "ipv6": "IPv6", "tcp": "TCP", "udp": "UDP"}


@dataclass(slots=True)
class Conversation:
    a: str  # address of the first counted frame's source ("A")
    b: str
    a_port: int | None
    b_port: int | None
    frames_ab: int  # "->": from A
    bytes_ab: int
    frames_ba: int  # "<-": towards A
    bytes_ba: int
    start_ns: int  # relative to frame 1
    stop_ns: int
    first_frame: int
    stream: int | None = None  # tcp.stream / udp.stream

    @property
    def frames(self) -> int:
        return self.frames_ab + self.frames_ba

    @property
    def bytes(self) -> int:
        return self.bytes_ab + self.bytes_ba

    @property
    def start(self) -> float:
        return ns_to_sec(self.start_ns)

    @property
    def duration(self) -> float:
        return ns_to_sec(self.stop_ns) - ns_to_sec(self.start_ns)

    def as_dict(self) -> dict:
        d = {"a": self.a, "b": self.b}
        if self.a_port is not None:
            d.update(a_port=self.a_port, b_port=self.b_port)
        if self.stream is not None:
            d["stream"] = self.stream
        d.update(frames_a_to_b=self.frames_ab, bytes_a_to_b=self.bytes_ab, frames_b_to_a=self.frames_ba,
                 bytes_b_to_a=self.bytes_ba, frames=self.frames, bytes=self.bytes,
                 rel_start=round(self.start, 9), duration=round(self.duration, 9), first_frame=self.first_frame)
        return d


@dataclass(slots=True)
class ConversationTable:
    kind: str  # one of CONV_KINDS
    filter: str | None
    conversations: list[Conversation]

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    def as_dict(self) -> dict:
        return {"kind": self.kind, "filter": self.filter, "conversations": [c.as_dict() for c in self.conversations]}


def addr_text(raw: bytes) -> str:
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw)
    if len(raw) == 16:
        return socket.inet_ntop(socket.AF_INET6, raw)
    return ":".join(f"{b:02x}" for b in raw)


def _order(convs: list[Conversation]) -> list[Conversation]:
    return sorted(convs, key=lambda c: (-c.frames, c.first_frame))


def conversations(session, kind: str, mask: np.ndarray | None = None, filter_text: str | None = None
                  ) -> ConversationTable:  # noqa: ANN001
    """One conversation table; ``mask`` (from ``frame_mask``) keeps only the filtered frames."""
    if kind in ("tcp", "udp"):
        convs = _streams(session, kind, mask)
    elif kind in ("eth", "ip", "ipv6"):
        convs = _address_pairs(session, kind, mask)
    else:
        raise ValueError(f"unknown conversation kind {kind!r}")
    return ConversationTable(kind, filter_text, _order(convs))


def _streams(session, kind: str, mask) -> list[Conversation]:  # noqa: ANN001
    conv = session.conv
    n = len(conv.direction)
    if not n:
        return []
    ids = np.frombuffer(conv.tcp_stream if kind == "tcp" else conv.udp_stream, dtype=np.int32, count=n)
    direction = np.frombuffer(conv.direction, dtype=np.int8, count=n)
    orig, rel = columns(session)
    orig, rel = orig[:n], rel[:n]
    sel = ids >= 0
    if mask is not None:
        sel &= mask[:n]
    frames = np.nonzero(sel)[0]
    s = ids[frames]
    d = direction[frames]
    outer = getattr(conv, "outer_udp", {}) if kind == "udp" else {}
    if outer:  # the UDP datagrams of tunnels around a frame's own transport count too, as in tshark
        rows = [(i, st, dd) for i in sorted(outer) if i < n and (mask is None or mask[i])
                for st, dd in zip(outer[i], conv.outer_dir[i])]
        if rows:
            of, os_, od = (np.asarray(c, dtype=np.int64) for c in zip(*rows))
            order = np.argsort(np.concatenate((frames, of)), kind="stable")
            frames = np.concatenate((frames, of))[order]
            s = np.concatenate((s, os_)).astype(np.int32)[order]
            d = np.concatenate((d, od)).astype(np.int8)[order]
    if not len(frames):
        return []
    streams, first = np.unique(s, return_index=True)  # first counted frame of each stream
    nstreams = int(streams[-1]) + 1
    flip = np.zeros(nstreams, dtype=np.int8)
    flip[streams] = d[first]  # A is the first counted frame's source
    from_a = d == flip[s]
    lens = orig[frames].astype(np.int64)
    f_ab = np.bincount(s, weights=from_a, minlength=nstreams)
    f_all = np.bincount(s, minlength=nstreams)
    b_ab = np.bincount(s, weights=np.where(from_a, lens, 0), minlength=nstreams)
    b_all = np.bincount(s, weights=lens, minlength=nstreams)
    t = rel[frames]
    tmin = np.full(nstreams, np.iinfo(np.int64).max, dtype=np.int64)
    tmax = np.full(nstreams, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(tmin, s, t)
    np.maximum.at(tmax, s, t)
    table = conv.tcp_streams if kind == "tcp" else conv.udp_streams
    out = []
    for k, st_id in enumerate(streams.tolist()):
        st = table[st_id]
        (a, ap), (b, bp) = (st.addr, st.peer) if not flip[st_id] else (st.peer, st.addr)
        fab, fall = int(f_ab[st_id]), int(f_all[st_id])
        bab, ball = int(b_ab[st_id]), int(b_all[st_id])
        out.append(Conversation(addr_text(a), addr_text(b), ap, bp, fab, bab, fall - fab, ball - bab,
                                int(tmin[st_id]), int(tmax[st_id]), int(frames[first[k]]) + 1, st_id))
    return out


def _address_pairs(session, kind: str, mask) -> list[Conversation]:  # noqa: ANN001
    """Ethernet or IP conversations: one pass over the frames reading the two addresses."""
    cap = session.capture
    data, idx = cap.data, cap.index
    offsets, caps, ifaces = idx.offset, idx.cap_len, idx.interface
    linktypes = [i.linktype for i in cap.interfaces]
    orig, rel = columns(session)
    rel_list = rel.tolist()
    orig_list = orig.tolist()
    keep = mask.tolist() if mask is not None else None
    network_offset = fast.network_offset
    want = fast.ETH_IPV4 if kind == "ip" else fast.ETH_IPV6
    alen, a_off = (4, 12) if kind == "ip" else (16, 8)
    version = 4 if kind == "ip" else 6
    table: dict[tuple[bytes, bytes], list] = {}
    tunnelled = _tunnelled_frames(session)
    for i in range(len(idx)):
        if keep is not None and not keep[i]:
            continue
        if i in tunnelled:  # tshark counts each layer's addresses: the frame's tree has them all
            for src, dst in _layer_addresses(session, i + 1, kind):
                _count(table, src, dst, rel_list[i], orig_list[i], i + 1)
            continue
        off = offsets[i]
        end = off + caps[i]
        lt = linktypes[ifaces[i]]
        if kind == "eth":
            if lt != fast.LINKTYPE_ETHERNET or caps[i] < 14:
                continue
            dst, src = bytes(data[off:off + 6]), bytes(data[off + 6:off + 12])
        else:
            etype, pos = network_offset(data, off, end, lt)
            if etype != want or pos + (20 if version == 4 else 40) > end or data[pos] >> 4 != version:
                continue
            src = bytes(data[pos + a_off:pos + a_off + alen])
            dst = bytes(data[pos + a_off + alen:pos + a_off + 2 * alen])
        _count(table, src, dst, rel_list[i], orig_list[i], i + 1)
    return [Conversation(addr_text(c[0]), addr_text(c[1]), None, None, c[2], c[3], c[4], c[5], c[6], c[7], c[8])
            for c in table.values()]


def _count(table: dict, src: bytes, dst: bytes, t: int, ln: int, number: int) -> None:
    key = (src, dst) if src <= dst else (dst, src)
    c = table.get(key)
    if c is None:
        table[key] = [src, dst, 1, ln, 0, 0, t, t, number]
        return
    if src == c[0]:
        c[2] += 1
        c[3] += ln
    else:
        c[4] += 1
        c[5] += ln
    if t < c[6]:
        c[6] = t
    if t > c[7]:
        c[7] = t


def _tunnelled_frames(session) -> set[int]:  # noqa: ANN001
    """Frame indexes inside tunnels (more than one Ethernet or IP layer): from the transport
    columns, and for the frames with no transport (ICMP in GRE...) from the walk itself."""
    from ..columns.build import transport_columns

    t, _ = transport_columns(session, with_streams=False)
    out = set(np.nonzero((np.asarray(t.tunnel) & fast.TUNNELLED) != 0)[0].tolist())
    cap = session.capture
    idx = cap.index
    linktypes = [i.linktype for i in cap.interfaces]
    for i in np.nonzero(np.asarray(t.proto) == 0)[0].tolist():
        got = fast.innermost_ip(cap.data, idx.offset[i], idx.cap_len[i], linktypes[idx.interface[i]], idx.orig_len[i])
        if got is not None and got[3] & fast.TUNNELLED:
            out.add(i)
    return out


def _layer_addresses(session, number: int, kind: str) -> list[tuple[bytes, bytes]]:  # noqa: ANN001
    """(source, destination) of each Ethernet, IPv4 or IPv6 layer of a frame, outermost first."""
    from ..dissect.frame import dissect_frame

    names = {"eth": ("eth", "eth.src", "eth.dst"), "ip": ("ip", "ip.src", "ip.dst"),
             "ipv6": ("ipv6", "ipv6.src", "ipv6.dst")}[kind]
    out = []
    for layer in dissect_frame(session, number, upper=False).layers:
        if layer.name != names[0]:
            continue
        src = next((f.value for f in layer.children if f.name == names[1]), None)
        dst = next((f.value for f in layer.children if f.name == names[2]), None)
        if src is None or dst is None:
            continue
        if kind == "ip":
            src, dst = src.to_bytes(4, "big"), dst.to_bytes(4, "big")
        out.append((bytes(src), bytes(dst)))
    return out
