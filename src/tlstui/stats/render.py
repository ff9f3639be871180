"""Text in tshark 4.0's layouts (ui/cli/tap-iousers.c, tap-protohierstat.c, tap-iostat.c), and JSON."""
from __future__ import annotations

import json

from .conv import ConversationTable
from .iostat import IoStat, magnitude
from .phs import PhsNode
from .tlsconn import TlsConnection

RULE = "=" * 80


def format_size(n: int) -> str:
    """format_size(n, FORMAT_SIZE_UNIT_BYTES, SI): '1299 bytes', '24 kB', '2248 kB', '10 MB'."""
    p = 1000
    for div, prefix in ((p ** 4, " T"), (p ** 3, " G"), (p ** 2, " M"), (p, " k")):
        if n // div >= 10:
            return f"{n // div}{prefix}B"
    return f"{n} bytes"


def conv_text(table: ConversationTable) -> str:
    ports = table.kind in ("tcp", "udp")
    pad = " " * 12 if ports else ""
    lines = [RULE, f"{table.title} Conversations", f"Filter:{table.filter or '<No Filter>'}",
             f"{pad}                                               |       <-      | |       ->      | "
             "|     Total     |    Relative    |   Duration   |",
             f"{pad}                                               | Frames  Bytes | | Frames  Bytes | "
             "| Frames  Bytes |      Start     |              |"]
    for c in table.conversations:
        if ports:
            head = f"{c.a + ':' + str(c.a_port):<26s} <-> {c.b + ':' + str(c.b_port):<26s}"
        else:
            head = f"{c.a:<20s} <-> {c.b:<20s}"
        lines.append(f"{head}  {c.frames_ba:6d} {format_size(c.bytes_ba):<9s}  {c.frames_ab:6d} "
                     f"{format_size(c.bytes_ab):<9s}  {c.frames:6d} {format_size(c.bytes):<9s}  "
                     f"{c.start:14.9f}   {c.duration:12.4f}")
    lines.append(RULE)
    return "\n".join(lines)


def tls_text(conns: list[TlsConnection]) -> str:
    lines = [RULE, "TLS/DTLS Connections", ""]
    if not conns:
        lines.append("(none)")
    for c in conns:
        proto = "DTLS" if c.dtls else "TLS"
        lines.append(f"{c.transport.upper()} stream {c.stream} ({proto}, from frame {c.first_frame}): "
                     f"{c.client} -> {c.server}")
        lines.append(f"  SNI:     {c.sni if c.sni is not None else '-'}")
        lines.append(f"  Version: {c.version or '-'}")
        lines.append(f"  Cipher:  {c.cipher or '-'}")
        lines.append(f"  ALPN:    {c.alpn or '-'}")
        lines.append(f"  Ended:   {c.ended}")
    lines.append(RULE)
    return "\n".join(lines)


def conv_json(tables: list[ConversationTable], conns: list[TlsConnection] | None) -> str:
    out: dict = {"conversations": {t.kind: t.as_dict()["conversations"] for t in tables}}
    if tables:
        out["filter"] = tables[0].filter
    if conns is not None:
        out["tls"] = [c.as_dict() for c in conns]
    return json.dumps(out, indent=2)


def phs_text(root: PhsNode, filter_text: str | None) -> str:
    lines = ["", "=" * 67, "Protocol Hierarchy Statistics", f"Filter: {filter_text or ''}", ""]
    for depth, node in root.walk():
        indent = "  " * min(depth, 16) + ("..." if depth > 16 else "")
        lines.append(f"{(indent + node.name)[:79]:<40s} frames:{node.frames} bytes:{node.bytes}")
    lines.append("=" * 67)
    return "\n".join(lines)


def phs_json(root: PhsNode, filter_text: str | None) -> str:
    return json.dumps({"filter": filter_text, "frames": root.frames, "bytes": root.bytes,
                       "protocols": [c.as_dict() for c in root.children]}, indent=2)


def _printcenter(label: str, lenval: int, numpad: int = 1) -> str:
    spaces = "      "
    n = len(spaces) - ((lenval - len(label)) // 2 + numpad)
    if 0 < n < 6:
        sp = spaces[n:]
        return (f"{sp}{label}{sp}|" if (lenval - len(label)) % 2 == 0 else f"{sp} {label}{sp}|")
    if 0 < n <= 15:
        return f"{label}|"
    return ""


def io_text(st: IoStat) -> str:
    """iostat_draw() for one 'frames and bytes' column."""
    interval, prec, duration, bounds = st._bounds()
    dur_orig = st.duration_us
    dur_mag = magnitude(dur_orig // 1_000_000, 5)
    invl_mag = magnitude(interval // 1_000_000, 5)
    dv = 1_000_000 // 10 ** prec
    if interval == dur_orig:
        borderlen = 30 + dur_mag + (prec + 1 if prec else 0)
    else:
        borderlen = 25 + max(invl_mag, dur_mag) + (prec + 1 if prec else 0)
    invl_col_w = 2 * dur_mag + 8 if prec == 0 else 2 * dur_mag + 2 * prec + 10
    invl_col_w = max(invl_col_w, 12)
    frames = [f for _, _, f, _ in st.rows()]
    nbytes = [b for _, _, _, b in st.rows()]
    fr_w = max(6, magnitude(max(frames, default=0), 15))
    val_w = max(5, magnitude(max(nbytes, default=0), 15))
    tabrow_w = invl_col_w + fr_w + 3 + val_w + 3
    borderlen = max(borderlen, tabrow_w)
    filt = st.filter
    maxfltr_w = len(filt) + 11 if filt else 26
    if maxfltr_w > borderlen and borderlen < 102:
        borderlen = min(maxfltr_w, 102)
    if borderlen - tabrow_w == 1:
        borderlen += 1
    out = ["", "=" * borderlen]
    out.append("| IO Statistics" + " " * (borderlen - 16) + "|")
    out.append("|" + " " * (borderlen - 2) + "|")
    d_secs, d_us = divmod(duration, 1_000_000)
    # The whole capture in one interval: tshark prints the interval as the rounded duration.
    i_secs, i_us = divmod(duration if interval == dur_orig else interval, 1_000_000)
    if prec == 0:
        o_secs, o_us = divmod(dur_orig, 1_000_000)
        out.append(f"| Duration: {o_secs:{dur_mag}d}.{o_us:6d} secs" + " " * (borderlen - 25 - dur_mag) + "|")
        out.append(f"| Interval: {i_secs:{dur_mag}d} secs" + " " * (borderlen - 18 - dur_mag) + "|")
    else:
        pad = " " * (borderlen - 19 - dur_mag - prec)
        out.append(f"| Duration: {d_secs:{dur_mag}d}.{d_us // dv:0{prec}d} secs{pad}|")
        out.append(f"| Interval: {i_secs:{dur_mag}d}.{i_us // dv:0{prec}d} secs{pad}|")
    out.append("|" + " " * (borderlen - 2) + "|")
    if not filt:
        out.append("| Col 1: Frames and bytes" + " " * (borderlen - 26) + "|")
    else:
        text = filt
        if len(text) + 11 <= borderlen:
            out.append("| Col 1: " + text + " " * (borderlen - len(text) - 10) + "|")
        else:
            max_w = borderlen - 11
            first = True
            while True:
                prefix = "| Col 1: " if first else "|        "
                first = False
                if len(text) > max_w:
                    part = text[:max_w]
                    sp = part.rfind(" ")
                    if sp >= 0:
                        line, text = part[:sp], text[sp + 1:]
                    else:
                        line, text = part, text[max_w:]
                    out.append(prefix + line + " " * (borderlen - len(line) - 10) + "|")
                else:
                    out.append(prefix + text + " " * (borderlen - len(text) - 10) + "|")
                    break
    out.append("|-" + "-" * (borderlen - 3) + "|")
    filler = " " * (borderlen - tabrow_w - 1) + "|" if tabrow_w < borderlen else ""
    out.append("|" + " " * (invl_col_w - 2) + "|" + f"{1:<2d}" + " " * (fr_w + val_w + 3) + "|" + filler)
    out.append("| Interval" + " " * (invl_col_w - 11) + "|" + _printcenter("Frames", fr_w)
               + _printcenter("Bytes", val_w) + filler)
    out.append("|-" + "-" * (tabrow_w - 3) + "|" + filler)
    whole_pad = prec == 0 and dur_mag == 1
    rows = st.rows()
    for r, (s, e, f, b) in enumerate(rows):
        if prec == 0 and r == len(rows) - 1:  # tshark ends whole-second tables with 'Dur'
            tail = " " * max(0, dur_mag + (2 if whole_pad else 1) - 3)
            cell = f"|{'  ' if whole_pad else ' '}{s // 1_000_000:{dur_mag}d} <> Dur{tail}|"
            out.append(f"{cell} {f:{fr_w}d} | {b:{val_w}d} |" + filler)
            continue
        if prec == 0:
            ts = f"{s // 1_000_000:{dur_mag}d} <> {e // 1_000_000:{dur_mag}d}"
        else:
            ts = (f"{s // 1_000_000:{dur_mag}d}.{s % 1_000_000 // dv:0{prec}d} <> "
                  f"{e // 1_000_000:{dur_mag}d}.{e % 1_000_000 // dv:0{prec}d}")
        cell = f"|  {ts}  |" if whole_pad else f"| {ts} |"
        out.append(f"{cell} {f:{fr_w}d} | {b:{val_w}d} |" + filler)
    out.append("=" * borderlen)
    return "\n".join(out)


def io_json(st: IoStat) -> str:
    return json.dumps(st.as_dict(), indent=2)
