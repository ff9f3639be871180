"""The incremental harness (issue 18, docs/incremental.md): every test capture cut at several
points, the rest appended in chunks, the grown session compared with the whole file's.

What is incremental today (the frame index and the conversation pass) is compared on every
capture: the conversation arrays, the L2-L4 fields frame by frame, and filters over the columns.
The whole pass (TCP analysis, reassembly, TLS/DTLS/QUIC, clear protocols) is compared on every
capture too: every frame's tree, Protocol and Info, the column fields, and the findings.
"""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

from factory import DATA
from tlstui.filter import compile_filter
from tlstui.incremental import can_grow, grow
from tlstui.registry import REGISTRY, format_field
from tlstui.session import Session

CAPTURES = sorted(os.path.basename(p) for p in glob.glob(str(DATA / "*.pcap")) + glob.glob(str(DATA / "*.pcapng")))
LOWER = ["frame.len", "frame.cap_len", "frame.time_relative", "eth.src", "ip.src", "ip.dst", "ip.id", "ipv6.src",
         "tcp.stream", "tcp.srcport", "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags", "udp.stream", "udp.srcport"]
FILTERS = ["tcp.stream eq 1", "tcp.len gt 0 and tcp.seq > 1", "udp.stream eq 0", "ip.addr == 127.0.0.1"]


def _conv(session):
    c = session.conv
    return (list(c.tcp_stream), list(c.udp_stream), list(c.direction), list(c.rel_seq), list(c.rel_ack),
            list(c.prev_in_stream), dict(c.outer_udp), [(s.number, s.first_frame) for s in c.udp_streams],
            [(s.number, s.addr, s.peer) for s in c.tcp_streams])


def _cells(session):
    out = []
    for n in range(1, len(session) + 1):
        v = session.view(n)
        out.append([",".join(format_field(REGISTRY.get(f), x, v.field_bytes) for x in v.fields(f)) for f in LOWER])
    return out


def _selected(session):
    return [np.nonzero(compile_filter(f).select(session.columns, len(session), session.view))[0].tolist()
            for f in FILTERS]


def _cuts(whole):
    """Byte offsets: inside a record at about 1/4, 1/2 and 9/10 of the frames, and right at a record."""
    idx = whole.capture.index
    n = len(idx)
    hdr = 16 if whole.capture.format == "pcap" else 28
    pts = {idx.offset[max(0, int(n * f))] - hdr + 5 for f in (0.25, 0.5, 0.9) if int(n * f) < n}
    pts.add(idx.offset[n // 3] - hdr)
    return sorted(p for p in pts if p > 24)


def _grown(tmp_path, raw, cut, upper=False):
    path = tmp_path / "growing"
    path.write_bytes(raw[:cut])
    s = Session.open(str(path), upper_layers=upper)
    s.analyze()
    return path, s


@pytest.mark.parametrize("name", CAPTURES)
def test_conversations_and_lower_fields_grow_as_the_whole_file(tmp_path, name, monkeypatch):
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    whole = Session.open(str(DATA / name), upper_layers=False)
    whole.analyze()
    if len(whole) < 4:
        pytest.skip("too few frames to cut")
    raw = (DATA / name).read_bytes()
    want_conv, want_cells, want_sel = _conv(whole), _cells(whole), _selected(whole)
    for cut in _cuts(whole):
        path, s = _grown(tmp_path, raw, cut)
        assert can_grow(s)
        n0 = len(s)
        _selected(s)  # columns built on the cut: growing must not leave them stale
        chunk = (len(raw) - cut) // 3 + 7
        added = 0
        with open(path, "ab") as fh:
            for pos in range(cut, len(raw), chunk):
                fh.write(raw[pos:pos + chunk])
                fh.flush()
                added += grow(s)
        assert n0 + added == len(s) == len(whole)
        assert _conv(s) == want_conv, f"cut at byte {cut}"
        assert _cells(s) == want_cells, f"cut at byte {cut}"
        assert _selected(s) == want_sel, f"cut at byte {cut}"


def _tree_rows(session):
    """Every frame's whole tree (name, label, value, offset, length, source), Protocol and Info."""
    out = []
    for n in range(1, len(session) + 1):
        t = session.tree(n)
        rows = [(f.name, f.label, str(f.value), f.offset, f.length, f.source) for top in t.layers for f in top.walk()]
        out.append((t.protocol, t.info, rows))
    return out


def _view_fields(session):
    return [[[str(x.value) for x in session.view(n).fields(f)] for f in UPPER] for n in range(1, len(session) + 1)]


def _findings(session):
    from tlstui.findings import find_all

    return [(f.kind, f.severity, f.summary, f.explanation, list(f.frames), f.stream) for f in find_all(session)]


UPPER = ["_ws.col.Protocol", "_ws.col.Info", "tcp.analysis.flags", "tcp.analysis.retransmission",
         "tcp.analysis.ack_rtt", "tcp.reassembled_in", "tls.record.content_type", "tls.handshake.type",
         "dtls.record.content_type", "quic.packet_number", "http.request.method", "dns.qry.name"]


@pytest.mark.parametrize("name", CAPTURES)
def test_the_whole_pass_grows_as_the_whole_file(tmp_path, name, monkeypatch):
    """The full pass (TCP analysis, reassembly, TLS/DTLS/QUIC, clear protocols, the end-of-capture
    overlay) grown from a cut in chunks equals the whole file's: every tree, the column fields, findings."""
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)
    whole = Session.open(str(DATA / name))
    whole.analyze()
    if len(whole) < 4:
        pytest.skip("too few frames to cut")
    raw = (DATA / name).read_bytes()
    want_trees, want_view, want_findings = _tree_rows(whole), _view_fields(whole), _findings(whole)
    for cut in _cuts(whole):
        path, s = _grown(tmp_path, raw, cut, upper=True)
        assert can_grow(s)
        n0 = len(s)
        _findings(s)  # caches built on the cut: growing must not leave them stale
        _selected(s)
        chunk = (len(raw) - cut) // 3 + 7
        added = 0
        with open(path, "ab") as fh:
            for pos in range(cut, len(raw), chunk):
                fh.write(raw[pos:pos + chunk])
                fh.flush()
                got = grow(s)
                assert got is not None, f"cut at byte {cut}: cannot grow"
                added += got
        assert n0 + added == len(s) == len(whole)
        assert _view_fields(s) == want_view, f"cut at byte {cut}"
        assert _tree_rows(s) == want_trees, f"cut at byte {cut}"
        assert _findings(s) == want_findings, f"cut at byte {cut}"


@pytest.mark.parametrize("name", ["rb_tls_gaps.pcap", "s08a_lossy_transfers.pcap", "tcp_edge_cases.pcap"])
def test_the_whole_pass_grows_with_the_copied_overlay(tmp_path, name, monkeypatch):
    """Captures whose cuts leave data held behind holes, with the overlay that copies all upper
    state (what a session that decrypts uses: its key state is shared between streams)."""
    monkeypatch.setattr(Session, "TARGETED_OVERLAY", False)
    test_the_whole_pass_grows_as_the_whole_file(tmp_path, name, monkeypatch)
