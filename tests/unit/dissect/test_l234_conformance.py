"""Frame, link, IP and transport fields agree with tshark's truth on every real test capture."""
from __future__ import annotations

import pytest

import truth
from tlstui.registry import REGISTRY, format_value
from tlstui.session import Session

FIELDS = ["frame.number", "frame.len", "frame.cap_len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "ip.ttl",
          "ip.id", "tcp.stream", "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags",
          "udp.stream", "tcp.completeness"]


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_every_l234_cell_matches_tshark(capture):
    header, rows = truth.fields_truth(capture)
    s = Session.open(str(capture))
    s.analyze()
    assert len(s) == len(rows)
    mismatches = []
    for number, cells in rows.items():
        tree = s.tree(number)
        for name in (n for n in FIELDS if n in header):  # truth made before a field joined the list lacks it
            want = cells[header.index(name)]
            got = ",".join(format_value(REGISTRY.get(name), f.value) for f in tree.fields(name))
            if got != want:
                mismatches.append((number, name, want, got))
    assert not mismatches, mismatches[:10]
