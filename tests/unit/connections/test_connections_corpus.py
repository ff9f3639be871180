"""Every capture of tests/data (and damaged ones): the table builds, and each record keeps the
invariants the UI and scripts rely on."""
from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from craft import open_session
from factory import damaged_s04

from tlstui.connections import HANDSHAKE_ENDS, HANDSHAKE_STATES, OUTCOMES, connections, render_json_lines, render_text

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = sorted(p.name for p in DATA.iterdir() if p.suffix in (".pcap", ".pcapng"))


def check(s) -> list:  # noqa: ANN001
    table = connections(s)
    conv = s.conv
    n = len(conv.direction)
    for c in table:
        assert c.outcome in OUTCOMES and c.handshake in HANDSHAKE_STATES
        assert c.handshake_end in HANDSHAKE_ENDS + (None,)
        assert c.protocol in ("tls", "dtls", "quic") and c.transport == ("tcp" if c.protocol == "tls" else "udp")
        assert 1 <= c.first_frame <= c.last_frame <= len(s) and c.start_time <= c.end_time
        if c.handshake_duration is not None:
            assert c.handshake == "complete" and c.handshake_duration >= 0
            assert c.handshake_start_frame <= c.handshake_end_frame
        if c.outcome == "alert":
            assert c.alert and c.outcome_by in ("client", "server")
        if c.outcome == "reset":
            assert c.outcome_by == c.reset_by and c.end_frame is not None
        if c.outcome == "ok":
            assert c.close_notify or c.fin or c.protocol == "quic"
        assert set(c.close_notify_inferred) <= set(c.close_notify)
        if c.protocol != "quic":  # the transport stream's frames, every one counted once
            ids = np.frombuffer(conv.tcp_stream if c.transport == "tcp" else conv.udp_stream, dtype=np.int32, count=n)
            assert c.frames == int((ids == c.stream).sum())
        assert json.loads(json.dumps(c.as_dict()))["filter"] == c.filter
    lines = render_json_lines(table).splitlines()
    assert len(lines) == len(table)
    text = render_text(table)
    assert len(text.splitlines()) == (len(table) + 3 if len(table) else 1)
    return list(table)


@pytest.mark.parametrize("name", CAPTURES)
def test_every_test_capture(name):
    check(open_session(DATA / name))


def test_tls_captures_have_connections():
    got = {name: len(check(open_session(DATA / name))) for name in CAPTURES if name.startswith(("s0", "s1"))}
    assert all(n >= 1 for n in got.values()), got
    assert got["s13e_many_short_connections.pcap"] > 10


def test_damaged_and_cut_captures(tmp_path):
    check(open_session(damaged_s04(tmp_path)))
    rng = random.Random(17)
    for name in ("s01_tls12_http_close_notify.pcap", "s10a_dtls12_fragmented.pcap", "s13g_tls12_resumption.pcap"):
        raw = (DATA / name).read_bytes()
        for i in range(4):
            cut = tmp_path / f"cut{i}_{name}"
            cut.write_bytes(raw[:rng.randrange(200, len(raw))])
            check(open_session(cut))
            flipped = bytearray(raw)
            for _ in range(20):
                p = rng.randrange(40, len(raw))
                flipped[p] = rng.randrange(256)
            bad = tmp_path / f"flip{i}_{name}"
            bad.write_bytes(bytes(flipped))
            check(open_session(bad))
