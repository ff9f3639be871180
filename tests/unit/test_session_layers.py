"""The cheaper sessions that `tlstui fields` opens give the same value for every field they claim."""
from __future__ import annotations

from pathlib import Path

import pytest

from tlstui.session import Session, needs_tcp_analysis, needs_upper_layers

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURES = ["s08a_lossy_transfers.pcap", "s12a_tampered_retransmission.pcap", "s12b_proxy_signature_ttl16.pcap",
            "s07_close_notify_keepalive_reuse_rst.pcap", "s04_mtls12_no_client_cert.pcap"]


def _values(s: Session) -> list[dict[str, list]]:
    out = []
    for n in range(1, len(s) + 1):
        t = s.tree(n)
        out.append({name: [(f.value, f.label) for f in t.fields(name)] for name in t.names()})
    return out


@pytest.mark.parametrize("name", CAPTURES)
def test_fields_outside_the_claimed_sets_do_not_change(name):
    full = Session.open(str(DATA / name))
    full.analyze()
    no_tcp = Session.open(str(DATA / name), tcp_analysis=False)
    no_tcp.analyze()
    lower = Session.open(str(DATA / name), upper_layers=False)
    lower.analyze()
    differ_tcp, differ_upper = set(), set()
    for a, b, c in zip(_values(full), _values(no_tcp), _values(lower)):
        for field in a.keys() | b.keys():
            if a.get(field) != b.get(field):
                differ_tcp.add(field)
        for field in a.keys() | c.keys():
            if a.get(field) != c.get(field):
                differ_upper.add(field)
    assert differ_tcp, "the capture should have TCP analysis to leave out"
    assert all(needs_tcp_analysis([f]) for f in differ_tcp), sorted(f for f in differ_tcp if not needs_tcp_analysis([f]))
    assert all(needs_upper_layers([f]) for f in differ_upper), \
        sorted(f for f in differ_upper if not needs_upper_layers([f]))


def test_a_closed_session_is_freed_by_reference_counting_alone():
    """analyze() freezes the pass's objects out of the cyclic collector's reach; close() must cut
    the session <-> analyser cycles, or --follow (which replaces sessions) would leak each one."""
    import gc
    import weakref

    s = Session.open(str(DATA / "s07_close_notify_keepalive_reuse_rst.pcap"))
    s.analyze()
    s.tree(3)
    refs = [weakref.ref(x) for x in (s, s.tls, s.reassembler, s.tcp_analyzer, s.conv)]
    gc.disable()
    try:
        s.close()
        del s
        assert [r() for r in refs] == [None] * len(refs)
    finally:
        gc.enable()
