"""Compare TlsAnalyzer output with tshark's truth files (FILE.fields.tsv)."""
from __future__ import annotations

from pathlib import Path

from tlstui.registry import REGISTRY, format_value
from feeder import analyze

TLS_COLUMNS = ["tls.record.content_type", "tls.record.version", "tls.record.length", "tls.handshake.type",
               "tls.handshake.ciphersuite", "tls.handshake.extensions_server_name", "tls.alert_message.level",
               "tls.alert_message.desc", "dtls.record.content_type", "dtls.handshake.type",
               "dtls.handshake.fragment_offset"]


def frame_values(an, frames, num: int) -> dict[str, str]:
    layers, _src = an.frame_layers(num, frames[num - 1])
    vals: dict[str, list[str]] = {}
    for top in layers:
        for f in top.walk():
            if f.name and not f.hidden or f.name:
                vals.setdefault(f.name, []).append(format_value(REGISTRY.get(f.name), f.value))
    out = {k: ",".join(v) for k, v in vals.items()}
    col = an.column(num)
    if col:
        out["_ws.col.Protocol"], out["_ws.col.Info"] = col
    return out


def compare(path: Path, verbose: bool = False):
    an, frames = analyze(path)
    lines = Path(str(path) + ".fields.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    stats = {c: [0, 0] for c in TLS_COLUMNS + ["_ws.col.Protocol", "_ws.col.Info"]}
    bad = []
    for line in lines[1:]:
        cells = line.split("\t")
        cells += [""] * (len(header) - len(cells))
        row = dict(zip(header, cells))
        num = int(row["frame.number"])
        mine = frame_values(an, frames, num)
        is_tls = row["_ws.col.Protocol"].startswith(("TLS", "SSL", "DTLS"))
        for c in TLS_COLUMNS:
            stats[c][1] += 1
            if mine.get(c, "") == row.get(c, ""):
                stats[c][0] += 1
            else:
                bad.append((num, c, row.get(c, ""), mine.get(c, "")))
        if is_tls or an.column(num):
            for c in ("_ws.col.Protocol", "_ws.col.Info"):
                stats[c][1] += 1
                t = row[c]
                if "] , " in t:  # a TCP analysis prefix: ours is the TLS part only
                    t = t.split("] , ", 1)[1] if t.startswith("[TCP") else t
                m = mine.get(c, "")
                if (m == t) or (not is_tls and not m):
                    stats[c][0] += 1
                else:
                    bad.append((num, c, t, m))
    return stats, bad
