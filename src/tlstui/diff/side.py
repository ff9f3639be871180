"""One capture of a diff: its TCP segments as columns (one row per TCP frame) and its connections
(its UDP datagrams likewise: udp.py).

Built from ``Session`` (the conversation pass only: stream ids and directions in ``s.conv``) and the
transport columns the pass reads with NumPy; the one per-segment Python loop hashes each segment's
payload and TCP options (``zlib.crc32`` over the memory map), which is what alignment compares.
The table holds plain NumPy arrays and can be built in a worker process and sent back.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

SYN, FIN, RST, ACK = 0x02, 0x01, 0x04, 0x10
M32 = 0xFFFFFFFF


@dataclass
class Conn:
    """One TCP connection of a capture; index 0 of the pairs is the first-seen sender (as tcp.stream)."""

    stream: int
    ends: tuple  # ((addr bytes, port), (addr bytes, port))
    isn: list  # raw ISN per direction, -1 when that side's SYN was not captured
    client: int  # direction of the SYN (no ACK), -1 unknown
    first_ns: int
    last_ns: int
    rows: np.ndarray  # row numbers of the segment table, in capture order
    tsval: list = field(default_factory=lambda: [-1, -1])  # first TCP timestamp value per direction
    first_hash: list = field(default_factory=lambda: [-1, -1])  # (crc, len) key of the first payload per direction
    base: list = field(default_factory=lambda: [0, 0])  # the raw seq relative numbers count from


@dataclass
class Side:
    """The TCP segments of one capture, as columns."""

    path: str
    frames_total: int
    first_ns: int
    last_ns: int
    frame: np.ndarray  # frame.number
    t: np.ndarray  # ns since the epoch
    stream: np.ndarray
    dir: np.ndarray
    seq: np.ndarray  # raw, int64
    ack: np.ndarray
    flags: np.ndarray
    window: np.ndarray
    ttl: np.ndarray
    ip_id: np.ndarray
    plen: np.ndarray
    pay_at: np.ndarray  # payload's offset in the file
    opt_at: np.ndarray  # TCP options' offset in the file
    opt_len: np.ndarray
    phash: np.ndarray  # crc32 of the payload (0 with none)
    ohash: np.ndarray  # crc32 of the TCP options
    conns: list
    udp: object = None  # udp.UdpSide: the UDP datagrams

    def __len__(self) -> int:
        return len(self.frame)


def _u32(b: bytes) -> int:
    return int.from_bytes(b, "big")


def parse_options(raw: bytes) -> list[tuple[int, bytes]]:
    """TCP options as (kind, value bytes); NOP and EOL are kept as kinds 1 and 0 with no value."""
    out, i = [], 0
    while i < len(raw):
        k = raw[i]
        if k in (0, 1):
            out.append((k, b""))
            i += 1
            if k == 0:
                break
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2:
            out.append((k, raw[i + 1:]))
            break
        n = raw[i + 1]
        out.append((k, raw[i + 2:i + n]))
        i += n
    return out


def tsval(raw: bytes) -> int:
    for k, v in parse_options(raw):
        if k == 8 and len(v) >= 4:
            return _u32(v[:4])
    return -1


_WEIGHTS = np.random.default_rng(19).integers(1, 1 << 62, size=5, dtype=np.int64) | 1


def options_hash(buf: np.ndarray, at: np.ndarray, ln: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each segment's TCP option bytes (up to 40), whole columns at a time: per
    option length (a handful: 0, 12, 20...), the bytes gathered as 8-byte words, times random odd
    weights, summed with wrap-around, plus the length (0 with no options)."""
    out = np.zeros(len(at), dtype=np.int64)
    ln = np.clip(ln, 0, 40)
    last = len(buf) - 1
    for w in np.unique(ln).tolist():
        if w <= 0:
            continue
        rows = np.nonzero(ln == w)[0]
        words = (w + 7) // 8
        b = np.zeros((len(rows), words * 8), dtype=np.uint8)
        b[:, :w] = buf[np.minimum(at[rows][:, None] + np.arange(w), last)]
        v = b.view("<i8")
        with np.errstate(over="ignore"):
            out[rows] = (v * _WEIGHTS[:words]).sum(axis=1) + w
    return out


def read_side(path: str) -> Side:
    """Open ``path`` and build its segment table (the conversation pass; no TLS analysis)."""
    from ..session import Session

    s = Session.open(path, upper_layers=False)
    s.analyze()
    try:
        return _table(s, path)
    finally:
        s.close()


def session_side(s, cancel=None) -> Side:  # noqa: ANN001 - a Session, a threading.Event
    """The segment table of a session someone else opened and keeps (the side-by-side view's own,
    ui/diff_view.py): its conversation pass is run here if it has not run, and stays for the
    session's own analysis, which goes on from it; nothing is read twice.  ``cancel`` set: stops
    between batches with ``Cancelled``."""
    s.capture.index_all()
    lower_only = s.tls is None and s.tcp_analyzer is None
    had = "_transport_columns" in s.__dict__
    s.track_conversations(keep_columns=True)  # _table reads the same transport columns
    try:
        return _table(s, s.capture.name, cancel)
    finally:
        if not (had or lower_only):
            s.__dict__.pop("_transport_columns", None)  # as the analysis pass does: rebuilt if a column needs them


class Cancelled(Exception):
    """The diff was asked to stop (``diff_sessions``'s ``cancel``)."""


CRC_BATCH = 65536  # segments hashed between two looks at ``cancel``


def _table(s, path: str, cancel=None) -> Side:  # noqa: ANN001 - a Session, a threading.Event
    from ..columns.build import transport_columns

    n = len(s)
    idx = s.capture.index
    t, _ = transport_columns(s, with_streams=False)
    times = np.frombuffer(idx.time_ns, dtype=np.int64)[:n] if n else np.zeros(0, np.int64)
    offs = np.frombuffer(idx.offset, dtype=np.int64)[:n] if n else np.zeros(0, np.int64)
    conv = s.conv
    stream = np.asarray(conv.tcp_stream, dtype=np.int64)[:n] if n else np.zeros(0, np.int64)
    direction = np.asarray(conv.direction, dtype=np.int64)[:n] if n else np.zeros(0, np.int64)
    rows = np.nonzero((stream >= 0) & (t.proto[:len(stream)] == 6) & (t.tunnel[:len(stream)] == 0))[0]
    frame_off = offs[rows]
    plen = t.payload_len[rows].astype(np.int64)
    pay_at = frame_off + t.payload_off[rows]
    opt_at = frame_off + t.l4_off[rows] + 20
    opt_len = t.tcp_hdr_len[rows].astype(np.int64) - 20
    data = s.capture.data
    mv = memoryview(data)
    crc = zlib.crc32
    phash = np.zeros(len(rows), dtype=np.int64)
    full = np.nonzero(plen > 0)[0]
    ends = pay_at[full] + plen[full]
    for lo in range(0, len(full), CRC_BATCH):
        if cancel is not None and cancel.is_set():
            mv.release()
            raise Cancelled
        part = full[lo:lo + CRC_BATCH]
        phash[part] = np.fromiter(map(crc, map(mv.__getitem__, map(slice, pay_at[part].tolist(),
                                                                   ends[lo:lo + CRC_BATCH].tolist()))),
                                  dtype=np.int64, count=len(part))
    ohash = options_hash(np.frombuffer(data, dtype=np.uint8), opt_at, opt_len)
    side = Side(path=path, frames_total=n, first_ns=int(times[0]) if n else 0, last_ns=int(times[-1]) if n else 0,
                frame=rows + 1, t=times[rows], stream=stream[rows], dir=direction[rows],
                seq=t.seq[rows].astype(np.int64), ack=t.ack[rows].astype(np.int64),
                flags=t.flags[rows].astype(np.int64), window=t.window[rows].astype(np.int64),
                ttl=t.ttl[rows].astype(np.int64), ip_id=t.ip_id[rows].astype(np.int64), plen=plen,
                pay_at=pay_at, opt_at=opt_at, opt_len=opt_len, phash=phash, ohash=ohash, conns=[])
    side.conns = _conns(s, side, mv)
    from .udp import udp_table

    try:
        side.udp = udp_table(s, t, times, offs, mv, cancel)
    finally:
        mv.release()
    return side


def _first(keys: np.ndarray, mask: np.ndarray, n: int) -> np.ndarray:
    """Per key 0..n-1: the first row (in table order) where ``mask`` holds, -1 where none."""
    rows = np.nonzero(mask)[0]
    out = np.full(n, len(keys), dtype=np.int64)
    np.minimum.at(out, keys[rows], rows)  # no sort: the least row number per key
    out[out == len(keys)] = -1
    return out


def _conns(s, side: Side, mv: memoryview) -> list[Conn]:  # noqa: ANN001 - a Session
    """The connections, their ISNs, client side, bases, first TCP timestamps and first payloads:
    whole columns (the first row per stream and direction that has each), then one small object each."""
    nst = len(s.conv.tcp_streams)
    order = np.argsort(side.stream, kind="stable")
    bounds = np.searchsorted(side.stream[order], np.arange(nst + 1))
    key = side.stream * 2 + side.dir
    everything = np.ones(len(key), dtype=bool)
    syn = (side.flags & SYN) > 0
    first_syn = _first(key, syn, 2 * nst)
    first_client_syn = _first(side.stream, syn & ((side.flags & ACK) == 0), nst)
    first_row = _first(key, everything, 2 * nst)
    first_data = _first(key, side.plen > 0, 2 * nst)
    first_opts = _first(key, side.opt_len >= 10, 2 * nst)
    first_syn, first_client_syn, first_row = first_syn.tolist(), first_client_syn.tolist(), first_row.tolist()
    first_data, first_opts = first_data.tolist(), first_opts.tolist()
    seqs, dirs = side.seq, side.dir
    conns = []
    for number, st in enumerate(s.conv.tcp_streams):
        rows = order[bounds[number]:bounds[number + 1]]
        if not len(rows):
            continue
        c = Conn(stream=number, ends=(st.addr, st.peer), isn=[-1, -1], client=-1,
                 first_ns=int(side.t[rows[0]]), last_ns=int(side.t[rows[-1]]), rows=rows)
        r = first_client_syn[number]
        if r >= 0:
            c.client = int(dirs[r])
        for d in (0, 1):
            k = 2 * number + d
            r = first_syn[k]
            if r >= 0:
                c.isn[d] = int(seqs[r])
            r0 = first_row[k]
            if r0 < 0:
                continue
            c.base[d] = c.isn[d] if c.isn[d] >= 0 else int(seqs[r0])
            r = first_opts[k]
            if r >= 0:
                c.tsval[d] = tsval(bytes(mv[side.opt_at[r]:side.opt_at[r] + side.opt_len[r]]))
            r = first_data[k]
            if r >= 0:
                c.first_hash[d] = (int(side.phash[r]) << 20) ^ int(side.plen[r])
        conns.append(c)
    return conns
