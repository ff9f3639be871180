"""The protocol hierarchy, as ``tshark -q -z io,phs`` counts it.

tshark walks each frame's top-level tree items in order (``frame`` excepted): each is one level
deeper than the one before, so a frame is one path (eth -> ip -> tcp -> tls), and every node
counts the frames whose path passes through it and their bytes (frame.len).  Our trees have the
same top-level layers, with two differences that are filled in here: Wireshark adds a top-level
``tcp.segments`` item after the TLS layer of a reassembled PDU (our tree keeps the segments
elsewhere), and ``data`` for a payload no dissector claims.

Bulk: the lower layers (link, IP, TCP/UDP) of a frame depend only on its shape (link type,
ethertype chain, transport), so one tree per shape gives them; the TLS/DTLS layers come from
the TLS analyzer for the frames it holds records for.  No tree is built per frame except for
the rare frames with neither TCP nor UDP (ARP, ICMP, fragments).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..dissect import fast
from ..field import FRAME
from ..tls.records import CUT_NOTE
from .common import columns

_TRANSPORTS = ("tcp", "udp")


@dataclass(slots=True)
class PhsNode:
    name: str
    frames: int = 0
    bytes: int = 0
    children: list["PhsNode"] = field(default_factory=list)

    def child(self, name: str) -> "PhsNode":
        for c in self.children:
            if c.name == name:
                return c
        c = PhsNode(name)
        self.children.append(c)
        return c

    def as_dict(self) -> dict:
        return {"protocol": self.name, "frames": self.frames, "bytes": self.bytes,
                "children": [c.as_dict() for c in self.children]}

    def walk(self, depth: int = 0):
        """(depth, node) for every node below this one, in tshark's print order."""
        for c in self.children:
            yield depth, c
            yield from c.walk(depth + 1)


def upper_path(layers) -> list[str]:  # noqa: ANN001 - list[Field]
    """tshark's top-level names for our TLS/DTLS (and HTTP) layers.

    Wireshark hands all the bytes a frame completes in reassembly to the TLS dissector at once
    (one ``tls`` item, however many PDUs it holds), then adds ``tcp.segments`` after it; the
    records of the frame's own remaining bytes are one more ``tls``.  Our tree has one layer per
    reassembled PDU and per record run, so consecutive layers of the same kind are one item.
    A malformed record is a top-level ``_ws.malformed`` item after its layer, as Wireshark's
    exception handler adds it."""
    out: list[str] = []
    prev = None
    for f in layers:
        if not f.name:  # a nameless marker (field.PROTOCOL_AGAIN: frame.protocols only)
            continue
        reassembled = f.source != FRAME and f.source.startswith("Reassembled TCP")
        kind = (f.name, reassembled)
        if kind != prev:
            out.append(f.name)
            if reassembled:
                out.append("tcp.segments")
        prev = kind
        if any(c.name == "_ws.malformed" for c in f.walk()) and "_ws.malformed" not in out:
            out.append("_ws.malformed")
            prev = None
    return out


def frame_paths(session, mask: np.ndarray | None = None):  # noqa: ANN001, ANN201
    """Yield (0-based frame index, tuple of protocol names) for every frame the mask keeps."""
    cap = session.capture
    data, idx = cap.data, cap.index
    offsets, caps, origs, ifaces = idx.offset, idx.cap_len, idx.orig_len, idx.interface
    linktypes = [i.linktype for i in cap.interfaces]
    conv = session.conv
    tls = session.tls
    has_tls = tls.has_tls if tls is not None else (lambda n: False)
    tls_column = tls.column if tls is not None else (lambda n: None)
    tls_tcp = {k[1] for k in tls.streams() if k[0] == "tcp"} if tls is not None else set()
    tls_udp = {k[1] for k in tls.streams() if k[0] == "udp"} if tls is not None else set()
    segment_of_pdu = tls.segment_of_pdu if tls is not None else (lambda n: False)
    tcp_ids, udp_ids = conv.tcp_stream, conv.udp_stream
    analyzed = len(conv.direction)
    lower_by_shape: dict[tuple, tuple[str, ...]] = {}
    keep = mask.tolist() if mask is not None else None
    network_offset = fast.network_offset
    parse = fast.parse_transport
    from ..columns.build import transport_columns
    from ..dissect.tunnel import PROTOCOLS as TUNNEL_PROTOCOLS

    tunnels = np.asarray(transport_columns(session, with_streams=False)[0].tunnel)
    for i in range(len(idx)):
        if keep is not None and not keep[i]:
            continue
        number = i + 1
        transport = None
        if i < analyzed:
            transport = "tcp" if tcp_ids[i] >= 0 else "udp" if udp_ids[i] >= 0 else None
        if transport is None:
            layers = session.tree(number).layers
            if any(f.name in TUNNEL_PROTOCOLS for f in layers):  # ICMP inside GRE, a tunnel header cut short
                yield i, _tunnel_path(session, number, fast.CARRIER)
            else:
                yield i, tuple(_tree_path(session, number))
            continue
        off, cap_len = offsets[i], caps[i]
        lt = linktypes[ifaces[i]]
        short = cap_len < origs[i]
        if tunnels[i]:  # inside tunnels: the tree's layers, to the frame's own transport (or all of a tunnel's own)
            lower = _tunnel_path(session, number, int(tunnels[i]))
            if tunnels[i] & fast.CARRIER:
                yield i, lower + (("_ws.short",) if short else ())
                continue
        else:
            etype, pos = network_offset(data, off, off + cap_len, lt)
            shape = (lt, etype, pos - off, data[pos] if pos >= 0 and pos < off + cap_len else -1, transport, short)
            lower = lower_by_shape.get(shape)
            if lower is None:
                lower = lower_by_shape[shape] = _lower_path(session, number)
        path = list(lower)
        if has_tls(number):
            layers, _ = session.upper_layers(number, session.frame_bytes(number))
            path.extend(upper_path(layers))
            # Only a dissector that read past the captured bytes makes the short-frame item.
            col = tls_column(number)
            short = short and col is not None and CUT_NOTE in col[1]
        elif not segment_of_pdu(number) and not (tcp_ids[i] in tls_tcp if transport == "tcp"
                                                  else udp_ids[i] in tls_udp):
            # Payload no dissector of ours claims: Wireshark's "data".  On a TLS stream a payload
            # without records is a retransmission or a gap, which Wireshark leaves undissected.
            t = parse(data, off, cap_len, lt)
            if t is not None and t.payload_len and t.payload_off < off + cap_len:
                path.append("data")
        if short:
            path.append("_ws.short")
        yield i, tuple(path)


def _lower_path(session, number: int) -> tuple[str, ...]:
    """The link/IP/transport layer names of a frame's tree (up to its TCP or UDP layer)."""
    out = []
    for f in session.tree(number).layers[1:]:
        if f.source != FRAME or f.name in ("_ws.short",):
            break
        out.append(f.name)
        if f.name in _TRANSPORTS:
            break
    return tuple(out)


def _tunnel_path(session, number: int, tunnel: int) -> tuple[str, ...]:
    """The layer names of a frame inside tunnels: every link, network and tunnel header (each MPLS
    label, ``_ws.malformed`` after a header cut short), up to the frame's own TCP/UDP, or all of
    them when that UDP is a tunnel's with nothing transport inside."""
    layers = [f for f in session.tree(number).layers[1:] if f.source == FRAME and f.name and f.name != "_ws.short"]
    if not tunnel & fast.CARRIER:
        last = max((k for k, f in enumerate(layers) if f.name in _TRANSPORTS), default=len(layers) - 1)
        layers = layers[:last + 1]
    out: list[str] = []
    for f in layers:
        out.append(f.name)
        if f.name not in _TRANSPORTS and any(c.name == "_ws.malformed" for c in f.walk()) and \
                "_ws.malformed" not in out:
            out.append("_ws.malformed")
    return tuple(out)


def _tree_path(session, number: int) -> list[str]:
    return [f.name for f in session.tree(number).layers[1:] if f.name]


def protocol_hierarchy(session, mask: np.ndarray | None = None) -> PhsNode:  # noqa: ANN001
    """The root (tshark's ``frame``) of the hierarchy; its children are the top layers."""
    orig, _ = columns(session)
    lens = orig.tolist()
    root = PhsNode("frame")
    paths: dict[tuple[str, ...], list[int]] = {}  # path -> [frames, bytes], in first-seen order
    for i, path in frame_paths(session, mask):
        acc = paths.get(path)
        if acc is None:
            acc = paths[path] = [0, 0]
        acc[0] += 1
        acc[1] += lens[i]
        root.frames += 1
        root.bytes += lens[i]
    for path, (nf, nb) in paths.items():
        node = root
        for name in path:
            node = node.child(name)
            node.frames += nf
            node.bytes += nb
    return root
