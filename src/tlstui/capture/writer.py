"""Write chosen frames of an opened capture to a pcapng file, as ``tshark -w`` does.

What is written:

- one Section Header Block (little-endian, section length unknown, ``shb_userappl`` naming tlstui);
- one Interface Description Block per interface that a written frame uses, in the capture's
  order, with its link type, snapshot length, name and timestamp resolution as the input gave
  them (a pcap file's header becomes one interface: microseconds or nanoseconds, its snaplen);
- a Decryption Secrets Block (``0x544c534b``, an NSS key log) holding every TLS secret the
  session knows (``--keylog``, ``$SSLKEYLOGFILE``, the input's own DSBs), before the first packet
  so that readers decrypt in one pass, and the input's DSBs of other secret types unchanged;
- one Enhanced Packet Block per frame, in the order given (capture order for a filter), with the
  frame's captured bytes, original length and timestamp.

Timestamps: the index keeps nanoseconds since the epoch; they are written back in the interface's
own resolution (exact for any resolution of a power of ten down to nanoseconds, and for powers of
two up to 2^-29 s).  A resolution finer than a nanosecond (rare) is written as nanoseconds.

The file is written beside the target under a temporary name and renamed over it at the end, so
that writing over the capture being read (memory-mapped) is safe and a failed write leaves no
half file behind.
"""
from __future__ import annotations

import os
import struct
import sys
import tempfile
from typing import TYPE_CHECKING, BinaryIO, Iterable

from .. import __version__
from .index import Interface

if TYPE_CHECKING:  # pragma: no cover
    from ..session import Session

SECRETS_TYPE_TLS = 0x544C534B  # 'TLSK': an NSS key log
BT_SHB, BT_IDB, BT_EPB, BT_DSB = 0x0A0D0D0A, 1, 6, 0x0A
NS = 1_000_000_000
_HEAD = struct.Struct("<II")
_EPB = struct.Struct("<IIIIIII")  # type, length, interface, ts high, ts low, captured, original


class WriteError(Exception):
    """The output could not be written; the message names the file and the reason."""


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


def _block(btype: int, body: bytes) -> bytes:
    body = _pad(body)
    n = len(body) + 12
    return _HEAD.pack(btype, n) + body + struct.pack("<I", n)


def _opt(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + _pad(value)


def shb() -> bytes:
    opts = _opt(4, f"tlstui {__version__}".encode()) + _opt(0, b"")
    return _block(BT_SHB, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + opts)


def units_per_second(iface: Interface) -> int:
    """The interface's timestamp units per second (ns = units * ts_mul // ts_div, reader.py)."""
    return iface.ts_div * NS // iface.ts_mul if iface.ts_mul else 1_000_000


def tsresol_byte(ups: int) -> int | None:
    """pcapng's if_tsresol for ``ups`` units per second (None: not a power of 10 or 2)."""
    for e in range(0, 19):
        if 10 ** e == ups:
            return e
    if ups > 0 and ups & (ups - 1) == 0:
        return 0x80 | (ups.bit_length() - 1)
    return None


def _out_resolution(iface: Interface) -> tuple[int, int]:
    """(units per second, tsresol byte) the written interface uses."""
    ups = units_per_second(iface)
    r = tsresol_byte(ups)
    if r is None or ups > NS:
        return NS, 9
    return ups, r


def idb(iface: Interface, ups_byte: int) -> bytes:
    opts = b""
    if iface.name:
        opts += _opt(2, iface.name.encode("utf-8", "replace"))
    if ups_byte != 6:  # microseconds is pcapng's default
        opts += _opt(9, bytes([ups_byte]))
    if iface.tsoffset_s:
        opts += _opt(14, struct.pack("<q", iface.tsoffset_s))
    if opts:
        opts += _opt(0, b"")
    return _block(BT_IDB, struct.pack("<HHI", iface.linktype & 0xFFFF, 0, iface.snaplen) + opts)


def dsb(secrets_type: int, data: bytes) -> bytes:
    return _block(BT_DSB, struct.pack("<II", secrets_type, len(data)) + data)


def keylog_text(keylog) -> bytes:  # noqa: ANN001 - tls.decrypt.keylog.KeyLog
    """An NSS key log of every secret in ``keylog`` (one line per label and client random)."""
    lines = []
    for cr, entry in keylog.secrets.items():
        for label, secret in entry.items():
            lines.append(f"{label} {cr.hex()} {secret.hex()}\n")
    return "".join(lines).encode()


def session_secrets(session: "Session") -> list[tuple[int, bytes]]:
    """The Decryption Secrets Blocks to write for ``session``: its TLS key log (all sources
    merged) as one block, and the input's blocks of other types as they were."""
    out: list[tuple[int, bytes]] = []
    dec = getattr(session, "decryption", None)
    file_secrets = list(session.capture.secrets)
    if dec is not None and dec.keylog is not None and dec.keylog.secrets:
        out.append((SECRETS_TYPE_TLS, keylog_text(dec.keylog)))
    else:  # no analysis of the upper layers: the input's own TLS secrets as they were
        out += [(s.secrets_type, s.data) for s in file_secrets if s.secrets_type == SECRETS_TYPE_TLS]
    out += [(s.secrets_type, s.data) for s in file_secrets if s.secrets_type != SECRETS_TYPE_TLS]
    return out


def write_frames(fh: BinaryIO, session: "Session", frames: Iterable[int],
                 secrets: list[tuple[int, bytes]] | None = None) -> int:
    """Write frames (1-based numbers) of ``session`` to ``fh`` as pcapng; returns the count.

    ``secrets``: the (secrets type, bytes) blocks to write; None: ``session_secrets(session)``."""
    cap = session.capture
    idx = cap.index
    numbers = [int(n) for n in frames]
    used = sorted({idx.interface[n - 1] for n in numbers})
    out_id: dict[int, int] = {}
    res: list[tuple[int, int]] = []  # per written interface: (units per second, tsoffset ns)
    head = [shb()]
    for g in used:
        iface = cap.interfaces[g]
        ups, r = _out_resolution(iface)
        out_id[g] = len(res)
        res.append((ups, iface.tsoffset_s * NS))
        head.append(idb(iface, r))
    if not used:  # an empty selection still makes a valid file with the capture's first interface
        if cap.interfaces:
            ups, r = _out_resolution(cap.interfaces[0])
            head.append(idb(cap.interfaces[0], r))
    for stype, data in (session_secrets(session) if secrets is None else secrets):
        head.append(dsb(stype, data))
    fh.write(b"".join(head))
    data = cap.data
    offset, cap_len, orig_len, time_ns, interface = idx.offset, idx.cap_len, idx.orig_len, idx.time_ns, idx.interface
    pack = _EPB.pack
    buf: list[bytes] = []
    size = 0
    for n in numbers:
        i = n - 1
        g = interface[i]
        ups, off = res[out_id[g]]
        t = time_ns[i] - off
        # ceil: the reader floors units * 1e9 / ups, and this finds the units it started from
        units = -((-t * ups) // NS) if ups != NS else t
        if units < 0:
            units = 0
        incl = cap_len[i]
        o = offset[i]
        pad = -incl % 4
        blen = 28 + incl + pad + 4
        buf.append(pack(BT_EPB, blen, out_id[g], (units >> 32) & 0xFFFFFFFF, units & 0xFFFFFFFF, incl, orig_len[i]))
        buf.append(data[o:o + incl])
        buf.append(b"\0" * pad + blen.to_bytes(4, "little"))
        size += blen
        if size >= 1 << 20:
            fh.write(b"".join(buf))
            buf.clear()
            size = 0
    if buf:
        fh.write(b"".join(buf))
    return len(numbers)


def write_pcapng(path: str, session: "Session", frames: Iterable[int],
                 secrets: list[tuple[int, bytes]] | None = None) -> int:
    """Write frames of ``session`` to the pcapng file ``path`` ('-': standard output).

    Raises WriteError with a one-line reason when the file cannot be written."""
    if path == "-":
        n = write_frames(sys.stdout.buffer, session, frames, secrets)
        sys.stdout.buffer.flush()
        return n
    target = os.path.abspath(path)
    folder = os.path.dirname(target) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tlstui-", suffix=".pcapng.part", dir=folder)
    except OSError as e:
        raise WriteError(f"{path}: cannot write: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            n = write_frames(fh, session, frames, secrets)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except OSError as e:
        _unlink(tmp)
        raise WriteError(f"{path}: cannot write: {e.strerror or e}") from None
    except BaseException:
        _unlink(tmp)
        raise
    return n


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
