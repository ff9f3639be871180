"""On the real lossy captures, the reassembled bytes are exactly what the applications sent.

s08a: 1 MB download and 1 MB upload over a link with 4 % loss, 1 % duplicates and 3 % reordering,
captured at the client; s08b: a 300 kB download to a slow reader (zero windows, probes).  The
payloads are known (tools/lib/tlspeer.py: ``random.Random(seed).randbytes(n)``); the TLS 1.3
records are decrypted with the capture's key log.
"""
from __future__ import annotations

import random

import pytest
import tls13
from tcp_support import analyzed

import truth


def body(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def streams(s, stream: int) -> tuple[bytes, bytes]:
    d = s.conv.tcp_streams[stream]
    client_dir = 0  # the first-seen sender sent the SYN
    assert d.saw_syn[client_dir]
    r = s.reassembler
    return r.stream_bytes(stream, client_dir), r.stream_bytes(stream, 1 - client_dir)


@pytest.mark.parametrize("name,stream,from_server,size,seed", [
    ("s08a_lossy_transfers", 0, True, 1_000_000, 1234),  # download
    ("s08a_lossy_transfers", 1, False, 1_000_000, 99),  # upload (POST body)
    ("s08b_zero_window_slow_reader", 0, True, 300_000, 1234),
])
def test_reassembled_bytes_are_what_the_application_sent(name, stream, from_server, size, seed):
    cap = truth.DATA / f"{name}.pcap"
    s = analyzed(str(cap))
    client, server = streams(s, stream)  # raises on a gap
    keys = tls13.keylog(str(truth.DATA / f"{name}.keys"))
    plain = tls13.application_data(client, server, keys, from_server)
    head, sep, rest = plain.partition(b"\r\n\r\n")
    assert sep
    if from_server:
        assert head.startswith(b"HTTP/1.1 200 OK") and f"Content-Length: {size}".encode() in head
    else:
        assert head.startswith(b"POST /upload HTTP/1.1")
    assert rest == body(size, seed)


def test_every_stream_byte_maps_back_to_a_frame_that_carries_it():
    s = analyzed(str(truth.DATA / "s08a_lossy_transfers.pcap"))
    r = s.reassembler
    for (stream, direction) in list(r.dirs)[:4]:
        data = r.stream_bytes(stream, direction)
        for off in range(0, len(data), 9973):
            frame, at = r.locate(stream, direction, off)
            assert s.frame_bytes(frame)[at] == data[off]
            assert s.conv.tcp_stream[frame - 1] == stream and s.conv.direction[frame - 1] == direction


def test_lossy_capture_has_no_conflicts_and_no_gaps():
    s = analyzed(str(truth.DATA / "s08a_lossy_transfers.pcap"))
    r = s.reassembler
    assert r.conflicts == []
    assert all(f for d in r.dirs.values() for f in d.map_frame)
