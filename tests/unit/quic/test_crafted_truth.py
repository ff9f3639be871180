"""tlstui against tshark 4.0 on the crafted QUIC capture (tests/data/quic_crafted.pcap, made by
make_quic_capture.py; tshark's fields beside it), without and with its key log."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tlstui.registry import REGISTRY, format_field
from tlstui.session import Session

DATA = Path(__file__).resolve().parents[2] / "data"
CAP = DATA / "quic_crafted.pcap"


def _truth(name: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader((DATA / name).open(), delimiter="\t"))
    return rows[0], rows[1:]


def _protocols(text: str) -> str:
    """frame.protocols as tlstui can say it today: dissect/frame.py names each layer once (tshark
    repeats "tls" per TLS call); "data" apart (docs/differences.md: frame 13, refused by QUIC on 443)."""
    out: list[str] = []
    for p in text.split(":"):
        if p and p not in out and p != "data":
            out.append(p)
    return ":".join(out)


def _cell(view, name: str) -> str:
    spec = REGISTRY.get(name)
    return ",".join(format_field(spec, f, view.field_bytes) for f in view.fields(name))


@pytest.mark.parametrize("truth,keylog", [("quic_crafted.pcap.quic.tsv", None),
                                          ("quic_crafted.pcap.decrypted.quic.tsv", "quic_crafted.keys")])
def test_every_field_as_tshark(truth, keylog, monkeypatch):
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    header, rows = _truth(truth)
    s = Session.open(str(CAP), keylog=str(DATA / keylog) if keylog else None)
    s.analyze()
    bad = []
    for row in rows:
        row += [""] * (len(header) - len(row))
        view = s.view(int(row[0]))
        for name, want in zip(header[1:], row[1:]):
            got = _cell(view, name)
            if name == "frame.protocols":  # a refused datagram on 443 (frame 13): data in tlstui, not in tshark
                want, got = _protocols(want), _protocols(got)
            if got != want:
                bad.append(f"frame {row[0]} {name}: tshark {want!r} tlstui {got!r}")
    assert not bad, "\n".join(bad[:30])


def test_the_capture_covers_the_cases():
    """The truth holds what the test claims to check (guards against a regenerated capture
    that lost a case)."""
    header, rows = _truth("quic_crafted.pcap.decrypted.quic.tsv")
    col = {name: [r[i] if i < len(r) else "" for r in rows] for i, name in enumerate(header)}
    info = " | ".join(col["_ws.col.Info"])
    for words in ("Version Negotiation", "Retry", "CC", "NCI", "DONE", "CRYPTO, PING, CRYPTO"):
        assert words in info
    assert "0,2" in col["quic.long.packet_type"]  # an Initial and a Handshake packet in one datagram
    assert "296" in col["quic.cc.error_code"] and "40" in col["quic.cc.error_code.tls_alert"]
    assert "0x6b3343cf" in col["quic.version"] and "UDP" in col["_ws.col.Protocol"]
    assert any("h3" in v for v in col["tls.handshake.extensions_alpn_str"])
