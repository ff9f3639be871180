"""Open a pcap or pcapng capture and index its frames in one streaming pass.

We index with ``struct`` on a memory map rather than with dpkt's readers: dpkt builds one
Python object per packet and copies its bytes, stops at the first damaged record and does
not tell where a record lies in the file; the index needs only offsets and lengths, and a
million frames index in about a second this way.
"""
from __future__ import annotations

import mmap
import os
import struct
import sys
import zlib
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

from .index import FrameIndex, Interface

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000.0),  # little-endian, microseconds
    b"\xa1\xb2\xc3\xd4": (">", 1000.0),
    b"\x4d\x3c\xb2\xa1": ("<", 1.0),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1.0),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
BYTE_ORDER_MAGIC = 0x1A2B3C4D

# pcapng block types
BT_IDB, BT_PB, BT_SPB, BT_NRB, BT_ISB, BT_EPB, BT_DSB = 1, 2, 3, 4, 5, 6, 0x0000000A

# Records longer than this are damage, not data (Wireshark's limit is 256 KiB for most links).
MAX_RECORD = 256 * 1024 * 4


class CaptureError(Exception):
    """The input is not a capture we can read; the message names the file and the reason."""


@dataclass(slots=True)
class DecryptionSecrets:
    """A pcapng Decryption Secrets Block: kept for the decryption layer."""

    secrets_type: int
    data: bytes


@dataclass(slots=True)
class Damage:
    """A damaged stretch of the file that the reader stepped over (or stopped at)."""

    offset: int  # where the damaged record or block starts
    skipped: int  # bytes passed over; -1 when nothing after it could be read
    frames_before: int  # complete frames read before it: the next frame is frames_before + 1
    reason: str


@dataclass
class Capture:
    """An opened capture: its bytes (memory-mapped where possible) and the frame index."""

    name: str
    data: bytes | mmap.mmap
    format: str  # "pcap" or "pcapng"
    interfaces: list[Interface]
    index: FrameIndex = field(default_factory=FrameIndex)
    warnings: list[str] = field(default_factory=list)
    secrets: list[DecryptionSecrets] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)
    truncated_at: int | None = None  # file offset where an incomplete record starts
    complete: bool = False  # the whole file has been indexed
    _steps: Iterator[None] | None = field(default=None, repr=False)
    # Where indexing can go on when the file grows (``grow``): the offset of the unfinished tail
    # and the parser's state there; None when it stopped at damage it cannot step over.
    _resume: tuple | None = field(default=None, repr=False)
    _tail_warning: str | None = field(default=None, repr=False)  # the "file ends in the middle" warning
    path: str | None = None  # the file, when it can be opened again (not stdin, not gzip)

    def __len__(self) -> int:
        return len(self.index)

    def index_more(self, frames: int = 65536) -> bool:
        """Index at least ``frames`` more frames (in steps of BATCH); False once the file is indexed."""
        if self.complete or self._steps is None:
            return False
        target = len(self.index) + frames
        try:
            while len(self.index) < target:
                next(self._steps)
            return True
        except StopIteration:
            self.complete = True
            return False

    def index_all(self) -> None:
        while self.index_more():
            pass

    def grow(self, lazy: bool = False) -> int:
        """Index what was appended to the file since it was read (a capture still being written):
        the frames already indexed stay as they are, indexing goes on from the unfinished tail
        with the parser's state there (byte order, interfaces of the section).  Returns the
        number of new frames (0 when the file did not grow, cannot be read again, or indexing
        stopped at damage).  With ``lazy`` only the first batch is indexed now, as ``open_capture``."""
        if self.path is None or not self.complete or self._resume is None:
            return 0
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size <= len(self.data):
                    return 0
                data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return 0
        before = len(self.index)
        # The old map is left to the garbage collector: views of it (columns) may still be alive.
        self.data = data
        if self._tail_warning is not None and self._tail_warning in self.warnings:
            self.warnings.remove(self._tail_warning)
        self._tail_warning = None
        self.truncated_at = None
        kind, state = self._resume[0], self._resume[1:]
        self._resume = None
        self.complete = False
        self._steps = _pcap_steps(self, *state) if kind == "pcap" else _pcapng_steps(self, *state)
        if lazy:
            self.index_more(BATCH)
        else:
            self.index_all()
        return len(self.index) - before

    def frame_bytes(self, number: int) -> bytes:
        """The captured bytes of frame ``number`` (1-based)."""
        i = number - 1
        off = self.index.offset[i]
        return bytes(self.data[off:off + self.index.cap_len[i]])

    def linktype(self, number: int) -> int:
        return self.interfaces[self.index.interface[number - 1]].linktype

    def close(self) -> None:
        if isinstance(self.data, mmap.mmap):
            self.data.close()


def read_input(path: str) -> bytes | mmap.mmap:
    """The capture's bytes: stdin for '-', gunzipped for gzip files, a read-only mmap otherwise."""
    if path == "-":
        raw = sys.stdin.buffer.read()
        return _maybe_gunzip(raw, "<stdin>")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise CaptureError(f"{path}: cannot open: {e.strerror or e}") from None
    with f:
        head = f.read(2)
        if head == b"\x1f\x8b":
            f.seek(0)
            return _maybe_gunzip(f.read(), path)
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise CaptureError(f"{path}: empty file, not a capture")
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _maybe_gunzip(raw: bytes, name: str) -> bytes:
    """The decompressed bytes of a gzip file (every member), or ``raw`` itself if it is not gzip.

    A truncated or corrupt stream keeps everything that decompressed before the cut (the indexer
    then warns about the cut frame, as for a truncated plain capture): zlib is fed piece by piece,
    since ``GzipFile.read`` drops the whole pending chunk when it meets the end of a cut stream."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    out = bytearray()
    view = memoryview(raw)
    pos = 0
    step = 1 << 16
    while pos < len(raw) and raw[pos:pos + 2] == b"\x1f\x8b":
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        p = pos
        try:
            while p < len(raw) and not d.eof:
                out += d.decompress(view[p:p + step])
                p += step
        except zlib.error:
            break  # corrupt from here on: keep what came out before
        if not d.eof:
            out += d.flush()  # cut short: what the decompressor still holds
            break
        pos = min(p, len(raw)) - len(d.unused_data)  # the next member, if any
    return bytes(out)


def open_capture(path: str, lazy: bool = False) -> Capture:
    """Open and index a capture.  Raises CaptureError if it is not a capture at all.

    With ``lazy`` only the file header is read; call ``index_more()`` to index in batches
    (the UI shows the first rows while the rest is indexed).
    """
    data = read_input(path)
    name = "<stdin>" if path == "-" else path
    cap = index_capture(name, data, lazy)
    if isinstance(data, mmap.mmap):
        cap.path = path  # a plain file: it can grow (Capture.grow)
    return cap


BATCH = 4096  # frames indexed between two checks (small: the UI's first screen waits for one)


def index_capture(name: str, data: bytes | mmap.mmap, lazy: bool = False) -> Capture:
    magic = bytes(data[:4])
    cap = None
    if magic in PCAP_MAGICS:
        cap = _index_pcap(name, data)
    elif magic == PCAPNG_SHB:
        cap = _index_pcapng(name, data)
    if cap is not None:
        if not lazy:
            cap.index_all()
        return cap
    if len(data) < 4:
        raise CaptureError(f"{name}: too short to be a capture ({len(data)} bytes)")
    raise CaptureError(f"{name}: not a pcap or pcapng capture (starts with {magic.hex(' ')})")


def _index_pcap(name: str, data: bytes | mmap.mmap) -> Capture:
    endian, tsunit = PCAP_MAGICS[bytes(data[:4])]
    if len(data) < 24:
        raise CaptureError(f"{name}: pcap file header cut short ({len(data)} of 24 bytes)")
    _, _, _, _, snaplen, network = struct.unpack_from(endian + "HHiIII", data, 4)
    # The top bits of the link-type word carry FCS information (pcap-savefile(5)).
    iface = Interface(linktype=network & 0x0FFFFFFF, snaplen=snaplen, ts_mul=int(tsunit))
    cap = Capture(name, data, "pcap", [iface])
    cap._steps = _pcap_steps(cap, endian, snaplen, tsunit)
    return cap


def _pcap_steps(cap: Capture, endian: str, snaplen: int, tsunit: float, pos: int = 24,
                last_sec: int | None = None) -> Iterator[None]:
    name, data, idx = cap.name, cap.data, cap.index
    rec = struct.Struct(endian + "IIII")
    unpack = rec.unpack_from
    size = len(data)
    scale = int(tsunit)
    sub_per_sec = 1_000_000_000 // scale
    append = idx.append
    limit = max(snaplen, 262144) if snaplen else MAX_RECORD
    while pos + 16 <= size:
        sec, sub, incl, orig = unpack(data, pos)
        if incl > limit or incl > MAX_RECORD:
            nxt = _pcap_resync(data, pos + 1, size, unpack, limit, last_sec)
            cap.warnings.append(f"{name}: record at offset {pos} claims {incl} bytes (snaplen {snaplen}); "
                                + (f"skipped {nxt - pos} damaged bytes" if nxt >= 0 else "the rest of the file is damaged"))
            cap.damage.append(Damage(pos, nxt - pos if nxt >= 0 else -1, len(idx),
                                     f"a record header claims {incl} bytes (snaplen {snaplen})"))
            if nxt < 0:
                cap.truncated_at = pos
                break
            pos = nxt
            continue
        end = pos + 16 + incl
        if end > size:
            break
        if sub >= sub_per_sec:
            sub = sub_per_sec - 1
        append(pos + 16, incl, orig, sec * 1_000_000_000 + sub * scale, 0)
        last_sec = sec
        pos = end
        if len(idx) % BATCH == 0:
            yield
    if cap.truncated_at is None:  # stopped at the end of the data, not at damage: it may grow
        cap._resume = ("pcap", endian, snaplen, tsunit, pos, last_sec)
    if pos < size and cap.truncated_at is None:
        cap.truncated_at = pos
        cap._tail_warning = (f"{name}: file ends in the middle of a record at offset {pos} "
                             f"({size - pos} bytes left over); showing the {len(idx)} complete frames")
        cap.warnings.append(cap._tail_warning)


def _pcap_resync(data, start: int, size: int, unpack, limit: int, last_sec: int | None) -> int:
    """The next offset where two consecutive plausible pcap record headers start, or -1."""

    def plausible(p: int) -> bool:
        if p + 16 > size:
            return False
        sec, sub, incl, orig = unpack(data, p)
        return (incl <= limit and orig >= incl and orig <= MAX_RECORD and sub < 1_000_000_000
                and (last_sec is None or abs(sec - last_sec) < 86400) and p + 16 + incl <= size)

    end = min(size - 16, start + 16 * 1024 * 1024)  # look at most 16 MiB ahead
    for p in range(start, end + 1):
        if plausible(p):
            q = p + 16 + unpack(data, p)[2]
            if q == size or plausible(q):
                return p
    return -1


def _pcapng_resync(data, start: int, size: int, endian: str) -> int:
    """The next 4-byte aligned offset where a well-formed packet or section block starts, or -1."""
    u32 = struct.Struct(endian + "I").unpack_from
    end = min(size - 12, start + 16 * 1024 * 1024)
    p = start + (-start % 4)
    while p <= end:
        btype, blen = u32(data, p)[0], u32(data, p + 4)[0]
        if (btype in (BT_EPB, BT_SPB, BT_IDB, BT_PB, BT_DSB) or bytes(data[p:p + 4]) == PCAPNG_SHB) \
                and 12 <= blen <= MAX_RECORD + 64 and blen % 4 == 0 and p + blen <= size \
                and u32(data, p + blen - 4)[0] == blen:
            return p
        p += 4
    return -1


def _index_pcapng(name: str, data: bytes | mmap.mmap) -> Capture:
    if len(data) < 12 or bytes(data[8:12]) not in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
        raise CaptureError(f"{name}: pcapng section header is damaged (no byte-order magic)")
    cap = Capture(name, data, "pcapng", [])
    cap._steps = _pcapng_steps(cap)
    return cap


def _pcapng_steps(cap: Capture, pos: int = 0, endian: str = "<",
                  section_ifaces: list[int] | None = None) -> Iterator[None]:
    name, data = cap.name, cap.data
    size = len(data)
    section_ifaces = [] if section_ifaces is None else section_ifaces  # this section's ids -> global index
    tail = True  # stopped at the end of the data (not at damage): indexing can go on if it grows
    u32 = {"<": struct.Struct("<I"), ">": struct.Struct(">I")}
    while pos + 12 <= size:
        raw_type = bytes(data[pos:pos + 4])
        if raw_type == PCAPNG_SHB:
            bom = bytes(data[pos + 8:pos + 12])
            if bom == b"\x4d\x3c\x2b\x1a":
                endian = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                endian = ">"
            else:
                cap.warnings.append(f"{name}: section header at offset {pos} has an unknown byte order "
                                    f"({bom.hex()}); stopping there")
                cap.damage.append(Damage(pos, -1, len(cap.index),
                                         f"a section header has an unknown byte-order magic {bom.hex()}"))
                cap.truncated_at = pos
                tail = False
                break
            section_ifaces = []
        btype = u32[endian].unpack_from(data, pos)[0]
        blen = u32[endian].unpack_from(data, pos + 4)[0]
        end = pos + blen
        bad = blen < 12 or blen % 4 or (end <= size and u32[endian].unpack_from(data, end - 4)[0] != blen)
        if bad or (end > size and blen > MAX_RECORD + 64):
            nxt = _pcapng_resync(data, pos + 4, size, endian)
            cap.warnings.append(f"{name}: block at offset {pos} has a bad length {blen}; "
                                + (f"skipped {nxt - pos} damaged bytes" if nxt >= 0 else "the rest is damaged"))
            cap.damage.append(Damage(pos, nxt - pos if nxt >= 0 else -1, len(cap.index),
                                     f"a block claims a length of {blen} bytes"))
            if nxt < 0:
                cap.truncated_at = pos
                tail = False
                break
            pos = nxt
            continue
        if end > size:
            cap.truncated_at = pos
            cap._tail_warning = (f"{name}: file ends in the middle of a block at offset {pos} "
                                 f"(needs {blen} bytes, {size - pos} left); showing the "
                                 f"{len(cap.index)} complete frames")
            cap.warnings.append(cap._tail_warning)
            break
        body = pos + 8
        if btype == BT_IDB:
            section_ifaces.append(len(cap.interfaces))
            cap.interfaces.append(_parse_idb(data, body, end - 4, endian))
        elif btype in (BT_EPB, BT_PB):
            if btype == BT_EPB:
                iface_id, ts_hi, ts_lo, incl, orig = struct.unpack_from(endian + "IIIII", data, body)
                pkt = body + 20
            else:
                iface_id, _drops, ts_hi, ts_lo, incl, orig = struct.unpack_from(endian + "HHIIII", data, body)
                pkt = body + 20
            if iface_id >= len(section_ifaces) or pkt + incl > end - 4:
                cap.warnings.append(f"{name}: packet block at offset {pos} is inconsistent "
                                    f"(interface {iface_id}, {incl} bytes); skipped")
                cap.damage.append(Damage(pos, blen, len(cap.index), f"a packet block names interface {iface_id} "
                                                                    f"and {incl} captured bytes, which do not fit"))
            else:
                g = section_ifaces[iface_id]
                iface = cap.interfaces[g]
                ts = (ts_hi << 32) | ts_lo
                time_ns = ts * iface.ts_mul // iface.ts_div + iface.tsoffset_s * 1_000_000_000
                if not 0 <= time_ns < 1 << 63:  # a damaged timestamp: keep the frame, not the time
                    cap.warnings.append(f"{name}: packet block at offset {pos} has an impossible timestamp")
                    time_ns = cap.index.time_ns[-1] if len(cap.index) else 0
                cap.index.append(pkt, incl, orig, time_ns, g)
                if len(cap.index) % BATCH == 0:
                    yield
        elif btype == BT_SPB:
            if not section_ifaces:
                cap.warnings.append(f"{name}: simple packet block at offset {pos} before any interface; skipped")
            else:
                orig = u32[endian].unpack_from(data, body)[0]
                g = section_ifaces[0]
                snap = cap.interfaces[g].snaplen
                incl = min(orig, snap) if snap else orig
                incl = min(incl, end - 4 - (body + 4))
                cap.index.append(body + 4, incl, orig, 0, g)
        elif btype == BT_DSB:
            stype, slen = struct.unpack_from(endian + "II", data, body)
            cap.secrets.append(DecryptionSecrets(stype, bytes(data[body + 8:body + 8 + slen])))
        pos = end
    if tail:
        cap._resume = ("pcapng", pos, endian, section_ifaces)
    if pos < size and cap.truncated_at is None:
        cap.truncated_at = pos
        cap._tail_warning = (f"{name}: file ends in the middle of a block at offset {pos}; "
                             f"showing the {len(cap.index)} complete frames")
        cap.warnings.append(cap._tail_warning)


def _parse_idb(data, body: int, end: int, endian: str) -> Interface:
    linktype, _reserved, snaplen = struct.unpack_from(endian + "HHI", data, body)
    iface = Interface(linktype=linktype, snaplen=snaplen)
    pos = body + 8
    while pos + 4 <= end:
        code, olen = struct.unpack_from(endian + "HH", data, pos)
        value = bytes(data[pos + 4:pos + 4 + olen])
        if code == 0:
            break
        if code == 2:
            iface.name = value.decode("utf-8", "replace")
        elif code == 9 and olen >= 1:
            r = value[0]
            units_per_sec = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
            iface.ts_mul, iface.ts_div = 1_000_000_000, units_per_sec
        elif code == 14 and olen == 8:
            iface.tsoffset_s = struct.unpack(endian + "q", value)[0]
        pos += 4 + ((olen + 3) & ~3)
    return iface


def open_stream(stream: BinaryIO, name: str = "<stdin>") -> Capture:
    """Index a capture read whole from a binary stream (a pipe)."""
    return index_capture(name, _maybe_gunzip(stream.read(), name))
