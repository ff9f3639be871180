"""tlstui stats against tshark 4.0's own output, saved beside the captures (tests/data/README.md).

Each truth file is parsed into numbers and compared with what tlstui.stats computes (frames,
bytes, start, duration per conversation; frames and bytes per protocol path; per interval),
then the rendered text is compared with tshark's byte for byte.  No tshark needed here.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import pytest

from tlstui import stats
from tlstui.cli import main
from tlstui.filter import compile_filter
from tlstui.session import Session
from tlstui.stats import render

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = ["s01_tls12_http_close_notify.pcap", "s08a_lossy_transfers.pcap", "s13a_two_interfaces.pcapng",
            "s10a_dtls12_fragmented.pcap", "s13c_ipv6_loopback.pcap", "s09_snaplen96.pcap"]


@lru_cache(maxsize=None)
def session(name: str) -> Session:
    s = Session.open(str(DATA / name))
    s.analyze()
    return s


def truth(name: str, what: str) -> str:
    return (DATA / f"{name}.{what}.txt").read_text()


def mask(name: str, text: str | None):
    return stats.frame_mask(session(name), compile_filter(text)) if text else None


# --- conversations ------------------------------------------------------------------------------
_CONV_ROW = re.compile(r"^(\S+)\s+<-> (\S+)\s+(\d+) (\d+ (?:bytes|[kMGT]B))\s+(\d+) (\d+ (?:bytes|[kMGT]B))\s+"
                       r"(\d+) (\d+ (?:bytes|[kMGT]B))\s+([\d.]+)\s+([\d.]+)$")


def parse_conv(text: str) -> tuple[str, list[tuple]]:
    lines = text.splitlines()
    filt = next(ln for ln in lines if ln.startswith("Filter:"))[len("Filter:"):]
    rows = []
    for ln in lines:
        m = _CONV_ROW.match(ln)
        if m:
            g = m.groups()
            rows.append((g[0], g[1], int(g[2]), g[3], int(g[4]), g[5], int(g[6]), g[7], float(g[8]), float(g[9])))
    return filt, rows


def our_rows(table) -> list[tuple]:
    out = []
    for c in table.conversations:
        a = f"{c.a}:{c.a_port}" if c.a_port is not None else c.a
        b = f"{c.b}:{c.b_port}" if c.b_port is not None else c.b
        out.append((a, b, c.frames_ba, render.format_size(c.bytes_ba), c.frames_ab, render.format_size(c.bytes_ab),
                    c.frames, render.format_size(c.bytes), round(c.start, 9), round(c.duration, 4)))
    return out


# Tunnels: tshark counts each layer's conversation (the outer UDP of VXLAN, both IP headers of IP in IP).
TUNNELS = ["tunnel_udp.pcap", "tunnel_gre.pcap", "tunnel_ip.pcap"]
CONV_CASES = [(n, k, None, f"conv_{k}") for n in CAPTURES + TUNNELS for k in stats.CONV_KINDS] + [
    ("s13a_two_interfaces.pcapng", "tcp", "ip.addr==10.10.2.2", "conv_tcp.filtered")]


@pytest.mark.parametrize("name,kind,filt,what", CONV_CASES)
def test_conversations_match_tshark(name, kind, filt, what):
    text = truth(name, what)
    tfilt, trows = parse_conv(text)
    table = stats.conversations(session(name), kind, mask(name, filt), filt)
    assert tfilt == (filt or "<No Filter>")
    assert our_rows(table) == trows
    assert render.conv_text(table) == text.rstrip("\n")


def test_conversation_numbers_are_exact():
    """Bytes each way add up to the frame lengths (tshark's text rounds them to kB)."""
    s = session("s08a_lossy_transfers.pcap")
    table = stats.conversations(s, "tcp")
    assert sum(c.frames for c in table.conversations) == len(s)
    assert sum(c.bytes for c in table.conversations) == sum(s.capture.index.orig_len)
    assert [c.stream for c in table.conversations] == [0, 1]


# --- protocol hierarchy ---------------------------------------------------------------------------
_PHS_ROW = re.compile(r"^( *)(\S+)\s+frames:(\d+) bytes:(\d+)$")


def parse_phs(text: str) -> list[tuple[int, str, int, int]]:
    out = []
    for ln in text.splitlines():
        m = _PHS_ROW.match(ln)
        if m:
            out.append((len(m.group(1)) // 2, m.group(2), int(m.group(3)), int(m.group(4))))
    return out


@pytest.mark.parametrize("name,filt,what", [(n, None, "phs") for n in CAPTURES]
                         + [("s13a_two_interfaces.pcapng", "tls", "phs.filtered")])
def test_protocol_hierarchy_matches_tshark(name, filt, what):
    text = truth(name, what)
    root = stats.protocol_hierarchy(session(name), mask(name, filt))
    assert [(d, n.name, n.frames, n.bytes) for d, n in root.walk()] == parse_phs(text)
    assert render.phs_text(root, filt) == text.rstrip("\n")


# --- io,stat ------------------------------------------------------------------------------------------
_IO_ROW = re.compile(r"^\|\s*([\d.]+) <> ([\d.]+|Dur)\s*\|\s*(\d+) \|\s*(\d+) \|")


def parse_io(text: str) -> list[tuple[str, str, int, int]]:
    return [m.groups()[:2] + (int(m.group(3)), int(m.group(4)))
            for m in map(_IO_ROW.match, text.splitlines()) if m]


IO_CASES = [(n, iv, None, f"io_{iv}") for n in CAPTURES for iv in ("0", "1", "0.01")] + [
    ("s13a_two_interfaces.pcapng", "0.1", "tls.handshake.type==1", "io_0.1.filtered"),
    ("s08a_lossy_transfers.pcap", "0.25", "tcp.analysis.retransmission", "io_0.25.filtered")]


@pytest.mark.parametrize("name,interval,filt,what", IO_CASES)
def test_io_stat_matches_tshark(name, interval, filt, what):
    text = truth(name, what)
    us, prec = stats.parse_interval(interval)
    st = stats.io_stat(session(name), us, prec, mask(name, filt), filt)
    ours = render.io_text(st)
    assert parse_io(ours) == parse_io(text)
    assert sum(r[2] for r in parse_io(text)) == sum(f for *_, f, _ in st.rows())
    assert ours == text.rstrip("\n")


def test_interval_parsing():
    assert stats.parse_interval("1") == (1_000_000, 0)
    assert stats.parse_interval("0.5") == (500_000, 1)
    assert stats.parse_interval("0.010") == (10_000, 2)
    assert stats.parse_interval("2.0") == (2_000_000, 1)
    assert stats.parse_interval("0") == (0, 0)
    for bad in ("abc", "-1", "1e3", "", "0.0000001"):
        with pytest.raises(ValueError):
            stats.parse_interval(bad)


# --- TLS connections ----------------------------------------------------------------------------------
def test_tls_connections_say_how_each_ended():
    conns = stats.tls_connections(session("s13a_two_interfaces.pcapng"))
    assert [(c.stream, c.sni, c.version) for c in conns] == [
        (0, "server.tlslab.test", "TLS 1.3"), (1, "server.tlslab.test", "TLS 1.3"),
        (2, "server.tlslab.test", "TLS 1.3"), (3, "server.tlslab.test", "TLS 1.3")]
    assert all(c.cipher and c.cipher.startswith("TLS_") for c in conns)
    s06 = Session.open(str(DATA / "s06a_cipher_mismatch.pcap"))
    s06.analyze()
    (c,) = stats.tls_connections(s06)
    assert c.end == "alert" and "handshake_failure" in c.ended and "server" in c.ended
    (d,) = stats.tls_connections(session("s10a_dtls12_fragmented.pcap"))
    assert d.dtls and d.version == "DTLS 1.2" and d.end == "close_notify_both"


def test_cli_conv_json_and_text(capsys):
    path = str(DATA / "s13a_two_interfaces.pcapng")
    assert main(["stats", "conv", path, "--json", "-Y", "tcp.stream==1"]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert [c["stream"] for c in out["conversations"]["tcp"]] == [1]
    assert [c["stream"] for c in out["tls"]] == [1]
    assert main(["stats", "io", "-i", "0.01", path]) == 0
    assert capsys.readouterr().out == truth("s13a_two_interfaces.pcapng", "io_0.01")


# --- bad arguments ------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["stats", "bogus", "s01_tls12_http_close_notify.pcap"],
    ["stats", "io", "-i", "fast", "s01_tls12_http_close_notify.pcap"],
    ["stats", "io", "-i", "0.0000001", "s01_tls12_http_close_notify.pcap"],
    ["stats", "phs", "-Y", "tcp.port ==", "s01_tls12_http_close_notify.pcap"],
    ["stats", "conv", "-Y", "no.such.field == 1", "s01_tls12_http_close_notify.pcap"],
    ["stats", "conv", "--type", "tcp,sctp", "s01_tls12_http_close_notify.pcap"],
    ["stats", "phs"],
    ["stats", "phs", "--bogus", "s01_tls12_http_close_notify.pcap"],
    ["stats", "phs", "no_such_file.pcap"],
])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    argv = [str(DATA / a) if a.endswith(".pcap") and a != "no_such_file.pcap" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlstui: stats") or err.startswith("tlstui: ")
    assert err.count("\n") == 1, err
