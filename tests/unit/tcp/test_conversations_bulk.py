"""The conversation pass over whole columns leaves exactly what the frame-by-frame tracker leaves."""
from __future__ import annotations

import random

import numpy as np
import pytest

import truth
from craft import ACK, FIN, PSH, RST, SYN, TcpTalk, write
from tlstui.capture.reader import open_capture
from tlstui.dissect.fast import parse_transport_bulk
from tlstui.tcp.conversations import ConversationTracker
from tlstui.tcp.conversations_bulk import track
from tlstui.tcp.framepass import feed_frames


def _both(path: str) -> tuple[ConversationTracker, ConversationTracker]:
    cap = open_capture(path)
    cap.index_all()
    idx = cap.index
    seq = ConversationTracker()
    feed_frames(cap, 0, len(idx), seq)
    lts = [cap.interfaces[i].linktype for i in idx.interface]
    t = parse_transport_bulk(cap.data, idx.offset, idx.cap_len, lts)
    return seq, track(cap.data, idx.offset, idx.cap_len, idx.time_ns, t)


def _assert_same(seq: ConversationTracker, bulk: ConversationTracker) -> None:
    for name in ("tcp_stream", "udp_stream", "direction", "rel_seq", "rel_ack", "prev_in_stream"):
        a, b = list(getattr(seq, name)), list(getattr(bulk, name))
        bad = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
        assert len(a) == len(b) and not bad, (name, bad[:5], [(a[i], b[i]) for i in bad[:5]])
    assert len(seq.tcp_streams) == len(bulk.tcp_streams)
    for x, y in zip(seq.tcp_streams, bulk.tcp_streams):
        for attr in TcpStreamFields:
            assert getattr(x, attr) == getattr(y, attr), (x.number, attr, getattr(x, attr), getattr(y, attr))
    assert [(u.number, u.addr, u.peer, u.first_frame) for u in seq.udp_streams] == \
        [(u.number, u.addr, u.peer, u.first_frame) for u in bulk.udp_streams]
    assert seq.outer_udp == bulk.outer_udp  # the UDP streams of tunnels around the frames' own transport
    assert seq.outer_dir == bulk.outer_dir
    assert seq._tcp_by_key.keys() == bulk._tcp_by_key.keys()
    assert {k: v.number for k, v in seq._tcp_by_key.items()} == {k: v.number for k, v in bulk._tcp_by_key.items()}


TcpStreamFields = ("number", "addr", "peer", "first_frame", "base_seq", "saw_syn", "fin", "rst", "frames",
                   "last_frame", "wscale", "last_time_ns", "first_time_ns", "first_bits", "later_bits")


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_bulk_conversations_equal_the_tracker(capture):
    seq, bulk = _both(str(capture))
    _assert_same(seq, bulk)


def test_bulk_conversations_on_reused_ports_and_odd_starts(tmp_path):
    """Pairs whose tracker splits streams or re-bases a direction: ports reused with a new ISN,
    retransmitted SYNs and SYN-ACKs, a capture that starts mid-stream, a SYN-ACK after data, the
    server's ACK before anything from the client; random event orders on a few port pairs."""
    rng = random.Random(3)
    talks = []
    events = [(True, 0, 0, SYN), (False, 0, 1, SYN | ACK), (True, 1, 1, ACK), (True, 1, 1, PSH | ACK),
              (False, 1, 5, ACK), (False, 1, 5, FIN | ACK), (True, 5, 2, RST), (True, 0, 0, SYN)]
    for k in range(80):
        talk = TcpTalk(cisn=rng.randrange(1 << 32), sisn=rng.randrange(1 << 32), sport=40000 + k % 9, dport=443,
                       t0_ns=1_700_000_000_000_000_000 + rng.randrange(10**9))
        chosen = events[:3] + [rng.choice(events) for _ in range(rng.randrange(6))] if k % 3 else \
            [rng.choice(events) for _ in range(rng.randrange(1, 7))]
        for from_client, sq, ak, fl in chosen:
            talk.send(from_client, sq, ak, fl, b"p" * (4 if fl & PSH else 0))
        talks.append(talk)
    path = write(tmp_path / "reuse.pcap", *talks)
    seq, bulk = _both(str(path))
    _assert_same(seq, bulk)
    assert len(seq.tcp_streams) > 9  # ports were reused: more streams than port pairs
