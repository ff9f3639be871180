"""QUIC packet headers in the clear (RFC 8999, RFC 9000 17): where each field lies.

A datagram holds one or more packets; ``packet_end`` says where the packet at an offset ends
as tshark splits coalesced packets (the long header's Length field; everything else takes the
rest of the datagram).
"""
from __future__ import annotations

from dataclasses import dataclass

from . import versions as V
from .varint import read_varint


def packet_end(data: bytes, off: int, end: int) -> int:
    """The end of the packet at ``off`` (tshark's quic_get_message_tvb)."""
    if off >= end or not data[off] & 0x80 or off + 5 > end:
        return end
    version = int.from_bytes(data[off + 1:off + 5], "big")
    if version == 0 or V.long_packet_type(data[off], version) == V.RETRY:
        return end
    p = off + 5
    for _ in range(2):  # DCID, SCID
        if p >= end:
            return end
        p += 1 + data[p]
    if V.long_packet_type(data[off], version) == V.INITIAL:
        got = read_varint(data, p, end)
        if got is None:
            return end
        p += got[1] + got[0]
    got = read_varint(data, p, end)
    if got is None:
        return end
    p += got[1]
    if got[0] > 0x7FFFFFFF:
        return end
    p += got[0]
    return p if p - off < end - off else end


@dataclass(slots=True)
class Long:
    """A long header's fields (offsets in the datagram).  ``cut`` is where a field ran past the
    packet (tshark's exception); the fields before it are set."""

    off: int
    end: int
    first: int
    version: int
    ptype: int
    dcil: int = 0
    dcid_off: int = 0
    dcid: bytes = b""
    scil: int = 0
    scid_off: int = 0
    scid: bytes = b""
    odcil: int = -1
    odcid_off: int = 0
    token_len: int = 0
    token_len_off: int = 0
    token_len_size: int = 0
    length: int = 0
    length_off: int = 0
    length_size: int = 0
    pn_off: int = 0
    cut: int = -1

    @property
    def dcid_usable(self) -> bytes:
        """The DCID as connection tracking sees it (tshark keeps at most 20 bytes)."""
        return self.dcid if self.dcil <= V.MAX_CID else b""

    @property
    def scid_usable(self) -> bytes:
        return self.scid if self.scil <= V.MAX_CID else b""


def parse_long(data: bytes, off: int, end: int) -> Long:
    """The cleartext fields of the long header at ``off`` (the packet ends at ``end``)."""
    first = data[off]
    if off + 5 > end:
        h = Long(off, end, first, 0, V.VERSION_NEGOTIATION)
        h.cut = off + 1
        return h
    version = int.from_bytes(data[off + 1:off + 5], "big")
    h = Long(off, end, first, version, V.long_packet_type(first, version))
    p = off + 5
    if p >= end:
        h.cut = p
        return h
    h.dcil = data[p]
    h.dcid_off = p + 1
    p += 1
    if p + h.dcil > end:
        h.cut = p
        return h
    h.dcid = bytes(data[p:p + h.dcil])
    p += h.dcil
    if p >= end:
        h.cut = p
        return h
    h.scil = data[p]
    h.scid_off = p + 1
    p += 1
    if p + h.scil > end:
        h.cut = p
        return h
    h.scid = bytes(data[p:p + h.scil])
    p += h.scil
    if version == 0:  # Version Negotiation: supported versions follow
        h.pn_off = p
        return h
    if h.ptype == V.RETRY:
        if V.draft_max(version, 24):
            if p >= end:
                h.cut = p
                return h
            h.odcil = data[p]
            h.odcid_off = p + 1
            p += 1 + h.odcil
            if p > end:
                h.cut = h.odcid_off
                return h
        h.pn_off = p
        return h
    if h.ptype == V.INITIAL:
        got = read_varint(data, p, end)
        if got is None:
            h.cut = p
            return h
        h.token_len, h.token_len_size = got
        h.token_len_off = p
        p += got[1]
        if p + h.token_len > end:
            h.cut = p
            return h
        p += h.token_len
    got = read_varint(data, p, end)
    if got is None:
        h.cut = p
        return h
    h.length, h.length_size = got
    h.length_off = p
    h.pn_off = p + got[1]
    return h


def first_dcid(data: bytes, off: int, end: int) -> tuple[int, int, bytes, bytes] | None:
    """(packet type, version, DCID, SCID) as tshark reads them to find a datagram's connection;
    None where tshark's read would run off the end (no connection for the datagram).  A short
    header's DCID is the 20 bytes after its first byte (its length is not known yet)."""
    first = data[off]
    if not first & 0x80:
        if off + 1 + V.MAX_CID > end:
            return None
        return V.SHORT, 0, bytes(data[off + 1:off + 1 + V.MAX_CID]), b""
    if off + 6 > end:
        return None
    version = int.from_bytes(data[off + 1:off + 5], "big")
    ptype = V.long_packet_type(first, version)
    p = off + 5
    dcil = data[p]
    p += 1
    if dcil and dcil <= V.MAX_CID and p + dcil > end:
        return None
    dcid = bytes(data[p:p + dcil]) if dcil <= V.MAX_CID else b""
    p += dcil
    if p >= end:
        return None
    scil = data[p]
    p += 1
    if scil and scil <= V.MAX_CID and p + scil > end:
        return None
    scid = bytes(data[p:p + scil]) if scil <= V.MAX_CID else b""
    return ptype, version, dcid, scid
