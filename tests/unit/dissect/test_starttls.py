"""SMTP, IMAP, POP3 and FTP before STARTTLS, and the TLS after it on the same stream, against tshark
4.0 on the captures of make_starttls_captures.py (FILE.starttls.tsv: tshark -T fields)."""
from __future__ import annotations

from pathlib import Path

import pytest

import tlstui.session  # noqa: F401  (registers every dissector's fields)
from tlstui.cli import main
from tlstui.registry import REGISTRY

DATA = Path(__file__).resolve().parents[2] / "data"
DONE = ("smtp", "pop", "ftp", "imap")  # the protocols decoded (the others: the hand-off only)
CAPTURES = [DATA / f"starttls_{n}.pcap" for n in ("smtp", "imap", "pop", "ftp")]

# Cells where tlstui knowingly differs from tshark.  tshark 4.0 names the Client Hello right after
# an upgrade by its record version (TLSv1); on a plain TLS port it names it as tlstui does (TLSv1.2).
KNOWN_COLUMNS = {("_ws.col.Protocol", "TLSv1"),
                 # tlstui names no x509 layers in frame.protocols (on every TLS capture, not only here)
                 ("frame.protocols", "eth:ethertype:ip:tcp:tls:x509sat:x509sat:x509ce")}


def _norm(v: str):
    return tuple(p.strip().lower() for p in v.split(",")) if v.strip() else ()


def _fields(capsys, capture: Path, header: list[str]) -> list[list[str]]:
    capsys.readouterr()
    assert main(["fields", "-r", str(capture), "-2"] + [x for f in header for x in ("-e", f)]) == 0
    return [ln.split("\t") for ln in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_fields_match_tshark(capture: Path, capsys):
    lines = Path(str(capture) + ".starttls.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    proto = capture.stem.split("_", 1)[1]
    if proto not in DONE:  # the hand-off alone: TCP and TLS fields, and the TLS frames' columns
        keep = [i for i, f in enumerate(header) if f.split(".")[0] in ("frame", "tcp", "tls")]
        rows = [ln.split("\t") for ln in lines[1:]]
        tls_rows = {r[0] for r in rows if ":tls" in r[1]}
        assert tls_rows, "the capture holds TLS after the upgrade"
    else:
        keep = list(range(len(header)))
        tls_rows = None
    unknown = [header[i] for i in keep if header[i] not in REGISTRY]
    assert not unknown, unknown
    got = _fields(capsys, capture, header)
    assert len(got) == len(lines) - 1
    bad, cells = [], 0
    for truth_line, mine in zip(lines[1:], got):
        truth = truth_line.split("\t") + [""] * len(header)
        mine = mine + [""] * len(header)
        for i in keep + ([header.index("_ws.col.Protocol"), header.index("_ws.col.Info")]
                         if tls_rows is not None and truth[0] in tls_rows else []):
            name, a, b = header[i], truth[i], mine[i]
            if proto not in DONE and name == "frame.protocols" and ":tls" not in a:
                continue  # the clear protocol's layer name is not decoded yet
            cells += 1
            if (name, a) in KNOWN_COLUMNS:
                continue
            if _norm(a) != _norm(b):
                bad.append(f"frame {truth[0]} {name}: tshark {a!r} tlstui {b!r}")
    assert cells > 100
    assert not bad, f"{len(bad)} cells differ:\n" + "\n".join(bad[:40])


def test_smtp_hand_off_point(capsys):
    """Every frame before the server's 220 to STARTTLS is SMTP, every payload after it TLS."""
    rows = _fields(capsys, DATA / "starttls_smtp.pcap", ["frame.number", "frame.protocols", "tcp.len",
                                                         "smtp.req.command", "smtp.response.code"])
    data = [r for r in rows if int(r[2]) > 0]
    ready = next(i for i, r in enumerate(data) if r[4] == "220" and i > 0)
    assert data[ready - 1][3] == "STAR"
    assert all(r[1].endswith(":smtp") for r in data[:ready + 1])
    assert all(r[1].split(":")[4] == "tls" and "smtp" not in r[1] for r in data[ready + 1:])
    assert len(data) - ready - 1 >= 6


def test_refused_starttls_stays_clear(tmp_path, capsys):
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from craft import TcpTalk, write

    c = TcpTalk(sport=40100, dport=25)
    c.open()
    for from_client, text in [(False, b"220 hi\r\n"), (True, b"STARTTLS\r\n"), (False, b"454 TLS not available\r\n"),
                              (True, b"QUIT\r\n"), (False, b"221 bye\r\n")]:
        c.data(from_client, text)
    rows = _fields(capsys, write(tmp_path / "r.pcap", c), ["smtp.req.command", "smtp.response.code", "_ws.col.Info"])
    assert [r[1] for r in rows[3:]] == ["220", "", "454", "", "221"]
    assert rows[6][0] == "QUIT" and rows[6][2] == "C: QUIT"


def test_every_protocol_is_present():
    """The truth files hold each clear protocol and TLS after it (a guard against an empty truth)."""
    seen = set()
    for capture in CAPTURES:
        lines = Path(str(capture) + ".starttls.tsv").read_text().splitlines()
        col = lines[0].split("\t").index("_ws.col.Protocol")
        seen |= {ln.split("\t")[col] for ln in lines[1:]}
    assert {"SMTP", "IMAP", "POP", "FTP", "TLSv1.2"} <= seen
