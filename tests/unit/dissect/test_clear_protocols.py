"""ICMP/ICMPv6, ARP, DNS, STUN and plain HTTP/1.x against tshark 4.0 on the crafted captures of
make_clear_captures.py: every field tshark printed (FILE.clear.tsv), Protocol and Info, and the
frame sets of filters over these fields (FILE.clear_filters.json)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import tlstui.session  # noqa: F401  (registers every dissector's fields)
from tlstui.cli import main
from tlstui.registry import REGISTRY

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = sorted(DATA.glob("clear_*.pcap"))
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))

# Cells where tlstui knowingly differs from tshark (docs/differences.md): tshark decodes TLS inside
# a quoted TCP segment and names it in frame.protocols; tlstui leaves the quote's payload alone.
KNOWN = {("clear_icmp.pcap", 13, "frame.protocols"), ("clear_icmp.pcap", 19, "frame.protocols"),
         # the TLS record that starts at frame 9 is TLS's (another layer of tlstui)
         ("clear_icmp.pcap", 9, "_ws.col.Info"),
         # tshark's "data" for the unclaimed request bytes of a stream its HTTP heuristic finds later
         ("clear_http.pcap", 20, "frame.protocols"),
         # tlstui escapes the ESC of a Location header (safe_text); tshark prints it raw
         ("clear_http.pcap", 27, "http.location"),
         # tshark names no http layer for a response completed by a bare FIN
         ("clear_http.pcap", 27, "frame.protocols"),
         # tlstui escapes a control character as \\x0a, tshark as \\n
         ("clear_http.pcap", 10, "http.file_data"),
         # tlstui puts no "data" layer under an undissected TCP payload (tcp.payload holds it)
         ("clear_http.pcap", 20, "data.len"),
         # tshark opens a new stream for a connection seen only inside an ICMP error; tlstui's
         # conversation pass numbers the streams of real segments only
         ("clear_icmp.pcap", 19, "tcp.stream"), ("clear_icmp.pcap", 24, "udp.stream")}
KNOWN_FILTERS = {("clear_http.pcap", "data")}  # the undissected TCP payload above
# Whole columns: tlstui shows no padding after an Ethernet II payload (only within an 802.3 length).
KNOWN_COLUMNS = {("clear_arp.pcap", "eth.padding")}


def _norm(v: str):
    out = []
    for p in v.strip().split(",") if v.strip() else []:
        p = p.strip()
        try:
            out.append(int(p, 0))
        except ValueError:
            try:
                out.append(round(float(p), 6))
            except ValueError:
                out.append(p.lower())
    return tuple(out)


def _run(capsys, args: list[str]) -> str:
    capsys.readouterr()
    assert main(args) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_fields_match_tshark(capture: Path, capsys):
    lines = Path(str(capture) + ".clear.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    unknown = [f for f in header if f not in REGISTRY]
    assert not unknown, f"fields tshark has that tlstui does not register: {unknown}"
    args = ["fields", "-r", str(capture), "-2"] + [x for f in header for x in ("-e", f)]
    got = [ln.split("\t") for ln in _run(capsys, args).splitlines()]
    assert len(got) == len(lines) - 1
    bad = []
    cells = 0
    for truth_line, mine in zip(lines[1:], got):
        truth = truth_line.split("\t")
        truth += [""] * (len(header) - len(truth))
        mine += [""] * (len(header) - len(mine))
        frame = int(truth[0])
        for name, a, b in zip(header, truth, mine):
            cells += 1
            if (capture.name, frame, name) in KNOWN or (capture.name, name) in KNOWN_COLUMNS:
                continue
            if _norm(a) != _norm(b):
                bad.append(f"frame {frame} {name}: tshark {a!r} tlstui {b!r}")
    assert cells > 100
    assert not bad, f"{len(bad)} cells differ:\n" + "\n".join(bad[:40])


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_filters_match_tshark(capture: Path, capsys):
    truth = json.loads(Path(str(capture) + ".clear_filters.json").read_text())
    bad = []
    for flt, frames in truth.items():
        if (capture.name, flt) in KNOWN_FILTERS:
            continue
        out = _run(capsys, ["fields", "-r", str(capture), "-2", "-Y", flt, "-e", "frame.number"])
        got = [int(x) for x in out.split()]
        if got != frames:
            bad.append(f"{flt!r}: tshark {frames} tlstui {got}")
    assert not bad, "\n".join(bad)


def test_every_protocol_is_present_somewhere():
    """The captures hold what they claim (a guard against an empty truth passing by accident)."""
    seen = set()
    for capture in CAPTURES:
        lines = Path(str(capture) + ".clear.tsv").read_text().splitlines()
        col = lines[0].split("\t").index("_ws.col.Protocol")
        seen |= {ln.split("\t")[col] for ln in lines[1:]}
    assert {"ICMP", "ICMPv6", "ARP", "DNS", "MDNS", "STUN", "HTTP"} <= seen
