"""capture.snaplen_truncated: frames cut short by the snapshot length (cap_len < orig_len).

The length reported is the one the frames were actually cut at (their cap_len), not the file
header's snapshot length, which tools that slice frames afterwards (editcap -s, anonymisers,
capture cards, "-s" given to a different tool than the one that wrote the file) leave as it was.
Frames whose IP packet is complete in the saved bytes lost only a link-layer trailer (typically
the 4-byte Ethernet FCS, counted in the wire length but not saved): a note, nothing to reassemble
is missing.
"""
from __future__ import annotations

import numpy as np

import struct
from collections import Counter

from ..context import Context, frame_list, plural
from ..model import Finding
from ...dissect import fast

KINDS = ("capture.snaplen_truncated",)


def _ip_end(data, off: int, cap: int, linktype: int) -> int | None:
    """Offset (from the frame start) just after the outer IP packet, by its own length field."""
    try:
        end = off + cap
        etype, pos = fast.network_offset(data, off, end, linktype)
        if pos < 0:
            return None
        if etype == fast.ETH_IPV4 and pos + 4 <= end and data[pos] >> 4 == 4:
            total = struct.unpack_from(">H", data, pos + 2)[0]
            return pos - off + total if total >= 20 else None
        if etype == fast.ETH_IPV6 and pos + 6 <= end and data[pos] >> 4 == 6:
            plen = struct.unpack_from(">H", data, pos + 4)[0]
            return pos - off + 40 + plen if plen else None
    except (IndexError, struct.error):
        return None
    return None


def _lengths(values) -> str:
    vals = sorted(values)
    if not vals:
        return "?"
    if vals[0] == vals[-1]:
        return f"{vals[0]} bytes"
    common, n = Counter(vals).most_common(1)[0]
    return f"{vals[0]} to {vals[-1]} bytes" + (f" (most at {common})" if n > 1 and n * 2 >= len(vals) else "")


def _streams(ctx: Context, frames: list[int]) -> Counter:
    streams: Counter = Counter()
    conv = ctx.conv
    for f in frames:
        i = f - 1
        if i < len(conv.tcp_stream) and conv.tcp_stream[i] >= 0:
            streams[("tcp", conv.tcp_stream[i])] += 1
        elif i < len(conv.udp_stream) and conv.udp_stream[i] >= 0:
            streams[("udp", conv.udp_stream[i])] += 1
    return streams


def _where(streams: Counter) -> str:
    where = ", ".join(f"{k.upper()} stream {s}" for k, s in sorted(streams)[:8])
    if len(streams) > 8:
        where += f" and {len(streams) - 8} more"
    return where


def check(ctx: Context) -> list[Finding]:
    cap_file = ctx.session.capture
    idx = cap_file.index
    caps, origs = idx.cap_len, idx.orig_len
    n = len(idx)
    # Whole columns: a Python walk of a million frames costs more than all the rest of the rule.
    cut = (np.nonzero(np.frombuffer(caps, dtype=np.uint32)[:n] < np.frombuffer(origs, dtype=np.uint32)[:n])[0]
           + 1).tolist() if n else []
    if not cut:
        return []
    data = cap_file.data
    linktypes = [i.linktype for i in cap_file.interfaces]
    real, trailer = [], []
    for f in cut:
        i = f - 1
        end = _ip_end(data, idx.offset[i], caps[i], linktypes[idx.interface[i]])
        (trailer if end is not None and end <= caps[i] else real).append(f)
    header = sorted({cap_file.interfaces[idx.interface[f - 1]].snaplen for f in cut} - {0})
    header_text = ", ".join(str(s) for s in header)
    out = []
    if real:
        at = {caps[f - 1] for f in real}
        lost = sum(origs[f - 1] - caps[f - 1] for f in real)
        streams = _streams(ctx, real)
        where = _where(streams)
        cut_at = _lengths(caps[f - 1] for f in real)
        if header and max(header) > max(at):
            ctx_line = (f"The file header's snapshot length is {header_text} bytes, larger than the cut: the frames "
                        "were sliced by something other than the snapshot length the file declares (a slicing "
                        "option such as editcap -s or tcpdump -s on a tool that rewrote the file, an anonymiser, a "
                        "capture card or probe that truncates packets).")
        elif header:
            ctx_line = f"The file header's snapshot length is {header_text} bytes, the length they were cut at."
        else:
            ctx_line = "The file header gives no snapshot length."
        headers_only = all(_payload_start(ctx, f) == caps[f - 1] for f in real[:200])
        tls_hit = []
        for key, st in ctx.tls_streams.items():
            if st.incomplete_frames and key in streams:
                tls_hit.append(f"{key[0].upper()} stream {key[1]} ({plural(len(set(st.incomplete_frames)), 'TLS record')} "
                               f"incomplete, first in frame {min(st.incomplete_frames)})")
        expl = (f"Seen: {plural(len(real), 'frame')} were saved shorter than they were on the wire, cut at {cut_at} "
                f"(frame.cap_len < frame.len; {lost} bytes missing in all; frames {frame_list(real, 8)}). "
                f"{ctx_line} Affected: {where or 'frames without TCP/UDP'}. "
                + ("Only the headers were kept: every cut ends where the TCP/UDP payload starts. " if headers_only else "")
                + "Headers before the cut are readable, but payload past it is gone: TLS records spanning these "
                "frames cannot be reassembled, so certificates, handshake messages and alerts inside them cannot "
                "be decoded. ")
        if tls_hit:
            expl += "TLS streams hit: " + "; ".join(tls_hit) + ". "
        expl += ("Check: re-capture with a full snapshot length (tcpdump -s 0, the default in current versions; "
                 "dumpcap/tshark without -s), and no slicing on the probe or in later processing.")
        only = next(iter(streams))[1] if len(streams) == 1 else None
        out.append(Finding(
            kind="capture.snaplen_truncated", severity="warning",
            summary=f"{plural(len(real), 'frame')} cut at {cut_at}"
                    + (f" (file header snapshot length {header_text})" if header and max(header) != max(at) else "")
                    + (f" in {where}" if streams and len(streams) <= 3 else ""),
            explanation=expl, frames=real, stream=only))
    if trailer:
        short = _lengths(origs[f - 1] - caps[f - 1] for f in trailer)
        streams = _streams(ctx, trailer)
        fcs = all(origs[f - 1] - caps[f - 1] == 4 for f in trailer)
        out.append(Finding(
            kind="capture.snaplen_truncated", severity="note",
            summary=f"{plural(len(trailer), 'frame')} saved {short} shorter than on the wire, IP packets complete"
                    + (" (the Ethernet FCS, most likely)" if fcs else ""),
            explanation=(f"Seen: {plural(len(trailer), 'frame')} (frames {frame_list(trailer, 8)}) have frame.cap_len "
                         f"< frame.len by {short}, yet each holds its whole IP packet (the IP length field ends "
                         "within the saved bytes). "
                         + ("Inferred: the missing 4 bytes are the Ethernet frame check sequence, counted in the "
                            "wire length by the capturing NIC or driver but not saved. " if fcs else
                            "Inferred: what is missing is a link-layer trailer after the IP packet. ")
                         + "Nothing above the link layer is lost: reassembly and decoding are not affected."
                         + (f" Streams: {_where(streams)}." if streams else "")),
            frames=trailer, stream=next(iter(streams))[1] if len(streams) == 1 else None))
    return out


def _payload_start(ctx: Context, frame: int) -> int | None:
    cap = ctx.session.capture
    i = frame - 1
    off = cap.index.offset[i]
    t = fast.parse_transport(cap.data, off, cap.index.cap_len[i], cap.interfaces[cap.index.interface[i]].linktype)
    return None if t is None else t.payload_off - off
