"""A UDP payload that nothing decodes is tshark's "data" layer (frame.protocols '...:udp:data',
data.len), as for a tunnel's undecoded payload; a datagram DTLS, QUIC, DNS or STUN take is not.
Truth: tshark 4.0's fields of the tunnel captures (tests/data/tunnel_*.pcap.fields.tsv)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
import truth  # noqa: E402

from tlstui.cli import main  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = ["tunnel_udp.pcap", "tunnel_gre.pcap", "tunnel_ip.pcap"]


def _protocols(capsys, capture: Path) -> dict[int, str]:
    assert main(["fields", "-r", str(capture), "-2", "-e", "frame.number", "-e", "frame.protocols"]) == 0
    return {int(a): b for a, b in (line.split("\t") for line in capsys.readouterr().out.splitlines())}


@pytest.mark.parametrize("name", CAPTURES)
def test_undecoded_datagrams_end_in_data(capsys, name):
    header, rows = truth.fields_truth(DATA / name)
    i = header.index("frame.protocols")
    got = _protocols(capsys, DATA / name)
    udp_data = {n: cells[i] for n, cells in rows.items() if cells[i].endswith(":udp:data")}
    assert udp_data, name
    assert {n: got[n] for n in udp_data} == udp_data
    # and no datagram another layer takes gets one
    wrong = [n for n, cells in rows.items() if got[n].endswith(":udp:data") and not cells[i].endswith(":udp:data")]
    assert not wrong, wrong
