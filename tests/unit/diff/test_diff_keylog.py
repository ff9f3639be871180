"""tlstui diff --keylog: an encrypted alert only one point saw, named from the key log.

The pair is made from tests/data/s01_tls12_http_close_notify.pcap (one TLS 1.2 connection on loopback,
its key log beside it): B is the server's point (the capture as it is, client packets 2 ms later), A the
client's (server packets 2 ms later), and the server's close_notify (frame 18, an encrypted alert)
never reaches A."""
from __future__ import annotations

import json
from pathlib import Path

import dpkt

from tlstui.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"
CAP, KEYS = DATA / "s01_tls12_http_close_notify.pcap", DATA / "s01_tls12_http_close_notify.keys"
ALERT = 18  # 443 -> 55198 Encrypted Alert (the server's close_notify)


def make_pair(tmp_path) -> tuple[str, str, int]:
    """(A, B, B's frame number of the alert)."""
    with open(CAP, "rb") as f:
        r = dpkt.pcap.Reader(f)
        link = r.datalink()
        frames = [(int(ts * 1_000_000_000), bytes(buf)) for ts, buf in r]
    a, b = str(tmp_path / "client.pcap"), str(tmp_path / "server.pcap")
    rows_a, rows_b = [], []
    for n, (t, buf) in enumerate(frames, 1):
        to_server = b"\x01\xbb" in buf[36:38] if link == 1 else None  # dport 443 (Ethernet/IPv4)
        assert to_server is not None
        rows_b.append((t + (2_000_000 if to_server else 0), n, buf))
        if n != ALERT:
            rows_a.append((t + (0 if to_server else 2_000_000), n, buf))
    for path, rows in ((a, rows_a), (b, rows_b)):
        rows.sort(key=lambda x: x[0])
        with open(path, "wb") as f:
            w = dpkt.pcap.Writer(f, nano=True, linktype=link)
            for t, _n, buf in rows:
                w.writepkt(buf, ts=t / 1e9)
    return a, b, next(i for i, (_t, n, _b) in enumerate(rows_b, 1) if n == ALERT)


def alert_finding(got):
    alerts = [f for f in got if f["kind"] == "diff.tls_alert"]
    assert len(alerts) == 1, [(f["kind"], f["summary"]) for f in got]
    return alerts[0]


def test_encrypted_alert_named_with_the_key_log(tmp_path, capsys):
    a, b, at_b = make_pair(tmp_path)
    assert main(["diff", a, b, "--json"]) == 3
    plain = alert_finding(json.loads(capsys.readouterr().out))
    assert plain["frames"] == [] and plain["frames_b"] == [at_b]
    assert "seen only at B" in plain["summary"] and "needs the keys: --keylog" in plain["summary"]
    assert main(["diff", a, b, "--json", "--keylog", str(KEYS)]) == 3
    keyed = alert_finding(json.loads(capsys.readouterr().out))
    assert keyed["frames_b"] == [at_b]
    assert "an encrypted Alert (Level: Warning, Description: Close Notify; decrypted with the key log)" in keyed["summary"]
    assert "decrypted with the key log" in keyed["explanation"] and "swallowed" in keyed["explanation"]


def test_key_log_without_the_connection_keys(tmp_path, capsys):
    a, b, _ = make_pair(tmp_path)
    other = DATA / "s02_tls13_http_close_notify.keys"  # another connection's secrets
    assert main(["diff", a, b, "--json", "--keylog", str(other)]) == 3
    out = capsys.readouterr()
    f = alert_finding(json.loads(out.out))
    assert "the key log does not decrypt it" in f["summary"]


def test_unreadable_key_log_exits_2(tmp_path, capsys):
    a, b, _ = make_pair(tmp_path)
    assert main(["diff", a, b, "--keylog", str(tmp_path / "none.keys")]) == 2
    assert "cannot read key log" in capsys.readouterr().err


async def test_side_by_side_view_names_it_with_its_key_log(tmp_path):
    import asyncio

    from textual.widgets import DataTable

    from tlstui.ui.diff_view import DiffApp

    a, b, at_b = make_pair(tmp_path)
    app = DiffApp(a, b, keylog=str(KEYS))
    async with app.run_test(size=(200, 48)) as pilot:
        loop = asyncio.get_running_loop()
        end = loop.time() + 60
        while app.result is None and app.error is None:
            assert loop.time() < end
            await pilot.pause(0.05)
        f, = [f for f in app.findings if f.kind == "diff.tls_alert"]
        assert f.frames_b == [at_b] and "Close Notify; decrypted with the key log" in f.summary
        assert app.sessions[1].finished  # analysed for the alert: the view's own pass, done early
        await pilot.pause(0.2)
        t = app.query_one("#diff-findings", DataTable)
        assert t.row_count == len(app.findings)
