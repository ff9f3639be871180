"""Tunnels against tshark 4.0 on the crafted captures of make_tunnel_captures.py (VXLAN, Geneve, GTP-U,
Teredo, GRE with ERSPAN I/II/III and Ethernet bridging, IP in IP, IPv6 in IP, MPLS): every tunnel field
and the fields of both layers as tshark aggregates them (FILE.tunnel.tsv, and decrypted with the key
log), every field's byte range (FILE.ranges.tsv, from tshark's PDML), the frame sets of filters
(FILE.tunnel_filters.json); and the analysis pass follows the tunnels as the tree does."""
from __future__ import annotations

import csv
import json
import struct
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from tlstui.dissect import encap, fast
from tlstui.registry import REGISTRY, format_field
from tlstui.session import Session

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = sorted(DATA.glob("tunnel_*.pcap"))
TUNNEL_PROTOCOLS = ("vxlan", "geneve", "gre", "erspan", "gtp", "mpls", "teredo")

# Cells where tlstui knowingly differs from tshark (docs/differences.md).
KNOWN = {
    # tshark pairs GTP Echo Request/Response (gtp.response_in/to, gtp.time); tlstui does not
    ("tunnel_udp.pcap", 40, "gtp.response_in"), ("tunnel_udp.pcap", 41, "gtp.response_to"),
    ("tunnel_udp.pcap", 41, "gtp.time"),
    # DNS (port 53 is tried before 4789) cut short: dissect/dns.py writes one _ws.malformed item, tshark two
    ("tunnel_udp.pcap", 46, "_ws.malformed"),
}
# tshark's "data" layer under a payload nothing dissects: tlstui writes none (tcp.payload/udp.payload hold it)
KNOWN_FILTERS = {"data"}


def _session(path: Path, keylog: str | None = None) -> Session:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(path), keylog=keylog)
        s.analyze()
    return s


def _protocols(text: str) -> str:
    """frame.protocols without tshark's "data" layers, the certificate layers (x509sat, x509ce,
    pkix1*, pkcs-1) it names inside TLS and the "data-text-lines" of a decrypted HTTP body: tlstui
    writes none of them (the same with no tunnel)."""
    return ":".join(p for p in text.split(":") if p and p not in ("data", "data-text-lines")
                    and not p.startswith(("x509", "pkix", "pkcs")))


def _fields_output(path: Path, names: list[str], keylog: str | None) -> list[list[str]]:
    """``tlstui fields`` (the columns) for these fields, one row per frame."""
    import contextlib
    import io

    from tlstui.cli import main

    args = ["fields", "-r", str(path), "-2"] + [x for f in names for x in ("-e", f)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(args + (["--keylog", keylog] if keylog else [])) == 0
    return [line.split("\t") for line in out.getvalue().splitlines()]


def _compare(path: Path, truth: str, keylog: str | None) -> tuple[int, list[str]]:
    """Every cell of tshark's -T fields output against ``tlstui fields`` and against the frame's
    tree (the Source/Destination columns: the tree's)."""
    rows = list(csv.reader((DATA / truth).open(), delimiter="\t"))
    header = rows[0]
    unknown = [f for f in header if f not in REGISTRY and not f.startswith("_ws.col.")]
    assert not unknown, f"fields tshark has that tlstui does not register: {unknown}"
    names = [f for f in header if f not in ("_ws.col.Source", "_ws.col.Destination")]
    cli = _fields_output(path, names, keylog)
    assert len(cli) == len(rows) - 1
    s = _session(path, keylog)
    bad, cells = [], 0
    for row, line in zip(rows[1:], cli):
        row += [""] * (len(header) - len(row))
        got_cli = dict(zip(names, line + [""] * (len(names) - len(line))))
        number = int(row[0])
        tree = s.tree(number)
        for name, want in zip(header, row):
            if (path.name, number, name) in KNOWN:
                continue
            cells += 1
            if name in ("_ws.col.Source", "_ws.col.Destination"):
                got = tree.source_addr if name == "_ws.col.Source" else tree.dest_addr
            else:
                got = got_cli[name]
                spec = REGISTRY.get(name)
                in_tree = ",".join(format_field(spec, f, tree.field_bytes) for f in tree.fields(name))
                if name == "frame.protocols":
                    in_tree = _protocols(in_tree)
                elif in_tree != got:
                    bad.append(f"frame {number} {name}: tree {in_tree!r} columns {got!r}")
            if name == "frame.protocols":
                want, got = _protocols(want), _protocols(got)
            if got != want:
                bad.append(f"frame {number} {name}: tshark {want!r} tlstui {got!r}")
    return cells, bad


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_fields_of_both_layers_as_tshark(capture, monkeypatch):
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    cells, bad = _compare(capture, capture.name + ".tunnel.tsv", None)
    assert cells > 1000
    assert not bad, f"{len(bad)} cells differ:\n" + "\n".join(bad[:40])


@pytest.mark.parametrize("capture", [c for c in CAPTURES if (DATA / (c.stem + ".keys")).exists()],
                         ids=lambda p: p.name)
def test_tls_inside_tunnels_decrypted_as_tshark(capture, monkeypatch):
    """The inner TCP is reassembled and its TLS decrypted with the key log, as without a tunnel."""
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    cells, bad = _compare(capture, capture.name + ".decrypted.tunnel.tsv", str(DATA / (capture.stem + ".keys")))
    assert cells > 1000
    assert not bad, f"{len(bad)} cells differ:\n" + "\n".join(bad[:40])


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_byte_ranges_as_tshark(capture):
    """Each tunnel field (and the addresses and ports of both layers) covers the bytes tshark's
    PDML says, occurrence by occurrence; no tunnel field is shown that tshark does not show."""
    want: dict[tuple[int, str], list[tuple[int, int]]] = defaultdict(list)
    with (DATA / (capture.name + ".ranges.tsv")).open() as fh:
        for frame, name, pos, size, _show in list(csv.reader(fh, delimiter="\t"))[1:]:
            want[(int(frame), name)].append((int(pos), int(size)))
    s = _session(capture)
    bad, checked = [], 0
    for number in range(1, len(s) + 1):
        tree = s.tree(number)
        for (frame, name), ranges in want.items():
            if frame != number or (capture.name, number, name) in KNOWN:
                continue
            got = [(f.offset, f.length) for f in tree.fields(name) if not f.hidden]
            checked += len(ranges)
            if got != ranges:
                bad.append(f"frame {number} {name}: tshark {ranges} tlstui {got}")
        for top in tree.layers:
            for f in top.walk():
                if f.name.split(".", 1)[0] in TUNNEL_PROTOCOLS and not f.hidden and (number, f.name) not in want:
                    bad.append(f"frame {number} {f.name}: tlstui only")
    assert checked > 400
    assert not bad, f"{len(bad)} ranges differ:\n" + "\n".join(bad[:40])


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_filters_as_tshark(capture):
    from tlstui.filter import compile_filter

    truth = json.loads((DATA / (capture.name + ".tunnel_filters.json")).read_text())
    s = _session(capture)
    bad = []
    for text, frames in truth.items():
        if text in KNOWN_FILTERS:
            continue
        df = compile_filter(text)
        got = [n for n in range(1, len(s) + 1) if df.matches(s.view(n))]
        if got != frames:
            bad.append(f"{text!r} frame by frame: tshark {frames} tlstui {got}")
        whole = [int(n) for n in np.nonzero(df.select(s.columns, len(s), s.view))[0]]
        if whole != frames:
            bad.append(f"{text!r} over whole columns: tshark {frames} tlstui {whole}")
    assert not bad, "\n".join(bad)


def test_the_captures_cover_the_cases():
    """The truth holds what the tests claim to check (a regenerated capture that lost a case fails)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for capture in CAPTURES:
        rows = list(csv.reader((DATA / (capture.name + ".tunnel.tsv")).open(), delimiter="\t"))
        header = rows[0]
        for row in rows[1:]:
            row += [""] * (len(header) - len(row))
            for name, v in zip(header, row):
                if v:
                    seen[name].add(v)
    protocols = "|".join(seen["frame.protocols"])
    for layer in ("udp:vxlan:eth", "udp:geneve:eth", "udp:geneve:ip", "udp:gtp:ip", "udp:gtp:ipv6", "gre:ip",
                  "gre:eth", "gre:erspan:eth", "gre:mpls:ip", "ip:ip", "ip:ipv6", "ipv6:ip", "ipv6:ipv6", "mpls:ip",
                  "mpls:ipv6", "udp:teredo:ipv6", "ipv6:gre", "vxlan:eth:ethertype:arp", "gre:ip:icmp"):
        assert layer in protocols, layer
    assert {"1", "2"} <= seen["erspan.version"] and "1" in seen["erspan.o"] and "0" in seen["erspan.o"]
    assert "0,1" in seen["mpls.bottom"] and "0x85,0x00" in seen["gtp.ext_hdr.next"]
    assert any("," in v for v in seen["udp.stream"]) and any("," in v for v in seen["ip.src"])
    assert {"TLSv1.2", "TLSv1.3", "GTP <DTLSv1.2>", "VxLAN", "GRE", "MPLS", "Geneve"} <= seen["_ws.col.Protocol"]


# --- the analysis pass follows tunnels as the tree does ------------------------------------------
def _eth(etype: int, payload: bytes) -> bytes:
    return bytes.fromhex("020000000002020000000001") + struct.pack(">H", etype) + payload


def _ipv4(proto: int, payload: bytes, src: bytes = b"\xc0\x00\x02\x01", dst: bytes = b"\xc0\x00\x02\x02") -> bytes:
    return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst) + payload


def _udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def _tcp(sport: int, dport: int) -> bytes:
    return struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x02, 1000, 0, 0)


def test_parse_transport_reaches_the_inner_tcp_of_a_vxlan_frame():
    inner = _eth(0x0800, _ipv4(6, _tcp(40000, 443), b"\xc6\x33\x64\x0a", b"\xc6\x33\x64\x14"))
    frame = _eth(0x0800, _ipv4(17, _udp(50000, 4789, struct.pack(">B3xI", 8, 42 << 8) + inner)))
    t = fast.parse_transport(frame, 0, len(frame), 1, len(frame))
    assert (t.proto, t.sport, t.dport, t.src, t.tunnel) == (6, 40000, 443, b"\xc6\x33\x64\x0a", fast.TUNNELLED)
    assert t.ip_off == 14 + 20 + 8 + 8 + 14 and t.l4_off == t.ip_off + 20
    assert [(u.proto, u.sport, u.dport, u.src) for u in t.outer] == [(17, 50000, 4789, b"\xc0\x00\x02\x01")]


def test_a_tunnel_udp_with_nothing_transport_inside_is_the_frames_transport():
    """GTP-U Echo: the UDP is the frame's transport, marked CARRIER (its payload goes to no application)."""
    frame = _eth(0x0800, _ipv4(17, _udp(2152, 2152, struct.pack(">BBHIHBB", 0x32, 1, 4, 0, 7, 0, 0))))
    t = fast.parse_transport(frame, 0, len(frame), 1, len(frame))
    assert (t.proto, t.sport, t.tunnel, t.outer) == (17, 2152, fast.CARRIER, ())


def test_udp_to_a_tunnel_port_from_a_well_known_port_is_not_followed():
    """tshark tries the lower port first: DNS (53) claims a datagram to 4789."""
    assert encap.udp_tunnel_port(53, 4789) == 0 and encap.udp_tunnel_port(50000, 4789) == 4789
    assert encap.udp_tunnel_port(4789, 53000) == 4789 and encap.udp_tunnel_port(2152, 2152) == 2152


def test_the_extractor_leaves_tunnel_frames_to_the_tree():
    from tlstui.dissect.extract import extract

    class View:
        number = 1

        def __init__(self, frame: bytes) -> None:
            self.frame = frame

        def transport(self):
            return fast.parse_transport(self.frame, 0, len(self.frame), 1, len(self.frame))

    inner = _ipv4(6, _tcp(40000, 443))
    assert extract("ip.src", View(_eth(0x0800, _ipv4(4, inner)))) is None  # IP in IP: two ip.src
    assert extract("tcp.srcport", View(_eth(0x0800, _ipv4(47, b"\x00\x00\x08\x00" + inner)))) is None
