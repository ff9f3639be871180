"""tlstui.connections: one record per TLS/DTLS/QUIC connection, on captures made here (real TLS from
Python's ssl laid onto crafted TCP: ok, alert, reset, incomplete, open, mid-stream) and on the DTLS
and QUIC captures of tests/data (with tshark's fields beside them)."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import ssl
from pathlib import Path

import pytest
from craft import CLIENT, SERVER, TcpTalk, open_session, write
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from factory import pcap, real_frames
from tlspair import cert_files, record_connection

from tlstui.connections import OUTCOMES, Connection, ConnectionTable, build, connections, render_text
from tlstui.stats import tls_connections

DATA = Path(__file__).resolve().parents[2] / "data"
TLS12, TLS13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3
CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APP = 20, 21, 22, 23


def app_record(n: int, ct: int = CT_APP) -> bytes:
    return bytes([ct, 3, 3]) + n.to_bytes(2, "big") + os.urandom(n)


def one(path: Path, keylog: str | None = None) -> Connection:
    (c,) = connections(open_session(path, keylog))
    return c


def frame_time(t: TcpTalk, frame: int) -> float:
    return t.frames[frame - 1][0] / 1e9


def sent_by(t: TcpTalk, src: bytes) -> tuple[int, int]:
    """(frames, bytes) of the talk's frames whose IPv4 source is ``src``."""
    got = [orig for _, b, orig in t.frames if b[26:30] == src]
    return len(got), sum(got)


def finished_frames(rec, firsts: list[int]) -> dict[int, int]:
    """{direction: frame of its Finished}: the first handshake record after that side's CCS
    (TLS 1.2, where each flight fits one segment: the record's flight frame is its frame)."""
    ccs = {0: False, 1: False}
    out: dict[int, int] = {}
    for i, (d, r) in enumerate(rec.records):
        if r[0] == CT_CCS:
            ccs[d] = True
        elif r[0] == CT_HANDSHAKE and ccs[d] and d not in out:
            out[d] = firsts[i]
    return out


def leaf_facts() -> tuple[str, float]:
    cert = x509.load_pem_x509_certificate(Path(cert_files("rsa")[0]).read_bytes())
    return hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(), cert.not_valid_after_utc.timestamp()


# --- ok ---------------------------------------------------------------------------------------------------
def tls12_talk(close: bool = True, **kw):
    rec = record_connection(version=TLS12, ciphers="ECDHE-RSA-AES128-GCM-SHA256", alpn=("http/1.1",),
                            close=close, **kw)
    t = TcpTalk(sport=40000, dport=443)
    t.open()
    firsts = t.replay(rec)
    return rec, t, firsts


def test_tls12_closed_with_close_notify_and_fin(tmp_path):
    rec, t, firsts = tls12_talk()
    t.fin(True)
    t.fin(False)
    t.ack(True)
    path = write(tmp_path / "ok.pcap", t)
    c = one(path)
    fp, not_after = leaf_facts()
    fin = finished_frames(rec, firsts)
    assert (c.transport, c.stream, c.protocol, c.quic_connection) == ("tcp", 0, "tls", None)
    assert (c.client, c.server, c.client_port, c.server_port) == ("10.0.0.1:40000", "10.0.0.2:443", 40000, 443)
    assert (c.client_addr, c.server_addr, c.client_inferred) == ("10.0.0.1", "10.0.0.2", False)
    assert (c.sni, c.version, c.cipher, c.alpn, c.resumed) == (
        "localhost", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "http/1.1", False)
    assert (c.cert_subject, c.cert_issuer, c.cert_sha256) == ("CN=localhost", "CN=localhost", fp)
    assert c.cert_not_after == pytest.approx(not_after)
    # ClientHello (frame 4, after the TCP handshake) to the later Finished (the server's)
    assert c.handshake == "complete" and c.handshake_start_frame == 4 and c.handshake_end == "finished"
    assert c.handshake_end_frame == max(fin.values()) == fin[1]
    assert c.handshake_duration == pytest.approx(frame_time(t, fin[1]) - frame_time(t, 4), abs=1e-6)  # pcap: microseconds
    assert (c.first_frame, c.last_frame) == (1, len(t.frames))
    assert c.start_time == pytest.approx(frame_time(t, 1)) and c.end_time == pytest.approx(frame_time(t, len(t.frames)))
    assert (c.frames_client_to_server, c.bytes_client_to_server) == sent_by(t, CLIENT)
    assert (c.frames_server_to_client, c.bytes_server_to_client) == sent_by(t, SERVER)
    assert c.frames == len(t.frames) and c.bytes == sum(o for *_, o in t.frames)
    assert (c.outcome, c.outcome_by, c.alert, c.alert_code, c.reset_by) == ("ok", None, None, None, None)
    assert c.close_notify == ("client", "server") and c.close_notify_inferred == ("client", "server")
    assert c.fin == ("client", "server")
    assert c.ended.startswith("close_notify both ways (inferred") and c.ended.endswith("then FIN both ways")
    assert c.end_frame == len(t.frames) - 1  # the second FIN: the last sign of a close
    assert c.filter == "tcp.stream eq 0" and c.outcome_text == "ok"


def test_with_the_key_log_the_close_notify_is_read(tmp_path):
    rec, t, _ = tls12_talk()
    t.fin(True)
    t.fin(False)
    path = write(tmp_path / "ok.pcap", t)
    keys = tmp_path / "keys.log"
    keys.write_text(rec.keylog)
    c = one(path, str(keys))
    assert c.outcome == "ok" and c.close_notify == ("client", "server") and c.close_notify_inferred == ()
    assert "inferred" not in c.ended


def test_tls13_handshake_runs_to_the_clients_first_encrypted_record(tmp_path):
    rec = record_connection(version=TLS13)
    t = TcpTalk()
    t.open()
    firsts = t.replay(rec)
    t.fin(True)
    t.fin(False)
    path = write(tmp_path / "t13.pcap", t)
    c = one(path)
    sh = next(i for i, (d, r) in enumerate(rec.records) if d == 1)
    client_enc = next(firsts[i] for i, (d, r) in enumerate(rec.records) if d == 0 and r[0] == CT_APP and i > sh)
    assert c.version == "TLS 1.3" and c.cipher in ("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                                                   "TLS_CHACHA20_POLY1305_SHA256")
    assert c.handshake == "complete" and c.handshake_end == "client_encrypted"
    assert c.handshake_end_frame == client_enc
    assert c.handshake_duration == pytest.approx(frame_time(t, client_enc) - frame_time(t, 4), abs=1e-6)  # pcap: microseconds
    assert c.cert_subject is None and c.cert_sha256 is None  # encrypted without keys
    assert c.outcome == "ok" and c.close_notify == ("client", "server")
    # with the key log: the certificate and both Finished messages are read
    keys = tmp_path / "keys.log"
    keys.write_text(rec.keylog)
    k = one(path, str(keys))
    assert k.cert_subject == "CN=localhost" and k.cert_sha256 == leaf_facts()[0]
    assert k.handshake_end == "finished" and k.handshake_end_frame <= client_enc
    assert k.close_notify_inferred == ()


# --- alert, reset, incomplete, open ---------------------------------------------------------------------
def test_clienthello_answered_by_a_fatal_alert(tmp_path):
    rec = record_connection(version=TLS12)
    t = TcpTalk()
    t.open()
    t.replay(rec, until=1)
    alert = t.records(False, [bytes([CT_ALERT, 3, 3, 0, 2, 2, 40])])[0]
    t.fin(False)
    t.fin(True)
    c = one(write(tmp_path / "alert.pcap", t))
    assert (c.outcome, c.alert, c.alert_code, c.outcome_by, c.end_frame) == (
        "alert", "handshake_failure", 40, "server", alert)
    assert c.handshake == "incomplete" and c.handshake_duration is None and c.handshake_end_frame is None
    assert c.version is None and c.cipher is None and c.sni == "localhost"  # nothing was negotiated
    assert c.ended.startswith(f"fatal alert handshake_failure from the server (frame {alert})")
    assert c.outcome_text == "alert handshake_failure (server)"


def test_server_reset_in_the_middle_of_the_exchange(tmp_path):
    rec, t, _ = tls12_talk(close=False)
    t.records(True, [app_record(100)])
    rst = t.rst(False)
    c = one(write(tmp_path / "rst.pcap", t))
    assert (c.outcome, c.outcome_by, c.reset_by, c.end_frame) == ("reset", "server", "server", rst)
    assert c.handshake == "complete" and c.close_notify == () and c.fin == ()
    assert c.ended == f"RST from the server (frame {rst}) before any close"


def test_reset_answering_a_request_after_the_servers_close(tmp_path):
    # the keep-alive race (s07): the server's close_notify and FIN, the client's next request, RST
    rec, t, _ = tls12_talk(close=False)
    t.records(False, [app_record(26, ct=CT_ALERT)], ack=False)
    t.fin(False)
    req = t.records(True, [app_record(132)], ack=False)[0]
    rst = t.rst(False)
    c = one(write(tmp_path / "reuse.pcap", t))
    assert (c.outcome, c.outcome_by, c.end_frame) == ("reset", "server", rst)
    assert c.close_notify == ("server",) and c.fin == ("server",)
    assert f"after the client sent TLS records (frame {req}) following the server's close" in c.ended


def test_reset_after_the_resetting_sides_own_close_is_ok(tmp_path):
    # browsers and curl: close_notify, then RST instead of FIN
    rec, t, _ = tls12_talk(close=False)
    t.records(True, [app_record(26, ct=CT_ALERT)], ack=False)
    rst = t.rst(True)
    c = one(write(tmp_path / "browser.pcap", t))
    assert (c.outcome, c.reset_by, c.close_notify, c.end_frame) == ("ok", "client", ("client",), rst)
    assert c.ended.startswith("close_notify from the client only") and "RST from the client" in c.ended


def test_reset_answering_the_servers_close_is_ok(tmp_path):
    # the server's close_notify and FIN, answered by the client's RST instead of FIN
    rec, t, _ = tls12_talk(close=False)
    t.records(False, [app_record(26, ct=CT_ALERT)], ack=False)
    t.fin(False)
    rst = t.rst(True)
    c = one(write(tmp_path / "srv_first.pcap", t))
    assert (c.outcome, c.reset_by, c.close_notify, c.fin, c.end_frame) == ("ok", "client", ("server",), ("server",), rst)
    assert c.ended.endswith(f"then FIN from the server and RST from the client (frame {rst})")


def test_client_reset_of_data_after_its_own_close_is_ok(tmp_path):
    # the client closes; the server still sends (session tickets, the rest of a response): RST
    rec, t, _ = tls12_talk(close=False)
    t.records(True, [app_record(26, ct=CT_ALERT)], ack=False)
    t.fin(True)
    t.records(False, [app_record(250)], ack=False)
    t.rst(True)
    assert one(write(tmp_path / "cli_first.pcap", t)).outcome == "ok"


def test_handshake_cut_by_the_end_of_the_capture(tmp_path):
    rec = record_connection(version=TLS12)
    t = TcpTalk()
    t.open()
    t.replay(rec, until=2)
    c = one(write(tmp_path / "cut.pcap", t))
    assert (c.outcome, c.handshake, c.end_frame, c.reset_by) == ("incomplete", "incomplete", None, None)
    assert c.version == "TLS 1.2"  # the ServerHello was seen
    assert c.ended == "handshake not finished; no close seen (capture ends first)"


def test_clienthello_answered_by_rst_is_incomplete_and_says_who_reset(tmp_path):
    rec = record_connection(version=TLS12)
    t = TcpTalk()
    t.open()
    t.replay(rec, until=1)
    rst = t.rst(False)
    c = one(write(tmp_path / "blocked.pcap", t))
    assert (c.outcome, c.reset_by, c.end_frame) == ("incomplete", "server", rst)
    assert c.ended == f"handshake not finished; RST from the server (frame {rst})"


def test_still_open_when_the_capture_ends(tmp_path):
    rec, t, _ = tls12_talk(close=False)
    t.records(True, [app_record(100)])
    t.records(False, [app_record(3000)])
    c = one(write(tmp_path / "open.pcap", t))
    assert (c.outcome, c.outcome_by, c.end_frame) == ("open", None, None)
    assert c.handshake == "complete" and c.ended == "no close seen (capture ends first)"


def test_capture_starting_mid_connection(tmp_path):
    # no SYN, no hello: the server (port 443) is seen first; the client is inferred from the ports
    t = TcpTalk(sport=51000, dport=443)
    t.data(False, app_record(500))
    t.data(True, app_record(80))
    t.fin(True)
    t.fin(False)
    c = one(write(tmp_path / "mid.pcap", t))
    assert c.client_inferred and c.client == "10.0.0.1:51000" and c.server == "10.0.0.2:443"
    assert c.handshake == "not_seen" and c.handshake_start_frame is None and c.handshake_duration is None
    assert c.version == "TLS 1.2"  # from the record layer: the handshake was not captured
    assert (c.outcome, c.fin) == ("ok", ("client", "server")) and c.ended.startswith("FIN without close_notify")
    assert (c.frames_server_to_client, c.frames_client_to_server) == (2, 2)


# --- DTLS and QUIC ------------------------------------------------------------------------------------
def dtls_truth(name: str) -> list[dict]:
    with open(DATA / f"{name}.dtls_connection.tsv", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.mark.parametrize("name,closed_by", [("s10a_dtls12_fragmented.pcap", ("client", "server")),
                                            ("s10b_dtls12_lossy_retransmit.pcap", ("client",))])
def test_dtls_connection_against_tshark(name, closed_by):
    rows = dtls_truth(name)
    c = one(DATA / name)
    hello = next(r for r in rows if r["dtls.handshake.type"].split(",")[0] == "1")
    sh = next(r for r in rows if "2" in r["dtls.handshake.type"].split(","))
    # the Finished: each side's first handshake record after its ChangeCipherSpec
    finished = [r for r in rows if r["dtls.record.content_type"] == "22,20,22"]
    assert (c.transport, c.protocol, c.version) == ("udp", "dtls", "DTLS 1.2")
    assert c.client_port == int(hello["udp.srcport"]) and c.server_port == int(hello["udp.dstport"])
    assert c.cipher == "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" and sh["dtls.handshake.ciphersuite"] == "0xc030"
    assert c.handshake == "complete" and c.handshake_end == "finished"
    assert c.handshake_start_frame == int(hello["frame.number"]) == 1
    assert c.handshake_end_frame == int(finished[-1]["frame.number"])
    assert c.handshake_duration == pytest.approx(
        float(finished[-1]["frame.time_epoch"]) - float(hello["frame.time_epoch"]), abs=1e-6)
    # the leaf as tshark reassembles it (s10b: the resent fragments overlap, tshark gives up too)
    names = [r["x509ce.dNSName"] for r in rows if r["x509ce.dNSName"]]
    if names:
        assert names[0].split(",")[0] == "server.tlslab.test" and c.cert_subject == "CN=server.tlslab.test,O=TLSLab,C=XX"
    else:
        assert name.startswith("s10b") and c.cert_subject is None
    assert (c.first_frame, c.last_frame) == (1, len(rows))
    c2s = [r for r in rows if r["udp.srcport"] == hello["udp.srcport"]]
    assert c.frames_client_to_server == len(c2s) and c.frames_server_to_client == len(rows) - len(c2s)
    assert c.bytes_client_to_server == sum(int(r["frame.len"]) for r in c2s)
    assert c.bytes == sum(int(r["frame.len"]) for r in rows)
    assert (c.outcome, c.close_notify, c.fin, c.reset_by) == ("ok", closed_by, (), None)
    assert c.filter == "udp.stream eq 0"


def test_dtls_handshake_cut_short(tmp_path):
    frames = real_frames("s10a_dtls12_fragmented.pcap")[:6]  # up to the server's Certificate fragments
    path = tmp_path / "dtls_cut.pcap"
    path.write_bytes(pcap(frames))
    c = one(path)
    assert (c.protocol, c.handshake, c.outcome, c.version) == ("dtls", "incomplete", "incomplete", "DTLS 1.2")
    assert c.cert_subject is None  # the Certificate never completed


def test_quic_connections():
    s = open_session(DATA / "quic_crafted.pcap", str(DATA / "quic_crafted.keys"))
    quic = [c for c in connections(s) if c.protocol == "quic"]
    assert [c.quic_connection for c in quic] == [0, 1, 2]
    a, b, _ = quic
    assert (a.transport, a.stream, a.sni, a.alpn, a.version) == ("udp", 0, "example.com", "h3", "QUIC 1")
    assert a.client == "192.0.2.10:50001" and a.server == "198.51.100.20:443"
    assert (b.outcome, b.alert, b.alert_code, b.outcome_by) == ("alert", "handshake_failure", 40, "server")
    assert b.handshake == "incomplete" and b.end_frame is not None
    # the handshake: from the client's first Initial to its first 1-RTT (short header) packet
    dg = s.tls.quic.datagrams
    short = min(f for f, d in dg.items() if d.conn == 0 and not d.from_server
                and any(p.kind == "short" for p in d.packets))
    assert (a.handshake, a.handshake_start_frame, a.handshake_end_frame, a.handshake_end) == (
        "complete", 1, short, "client_encrypted")
    t = s.capture.index.time_ns
    assert a.handshake_duration == pytest.approx((t[short - 1] - t[0]) / 1e9)
    assert b.handshake_duration is None and b.handshake_end_frame is None
    # without keys the same: the short-header packet is visible, its content is not
    (a2, b2, _) = [c for c in connections(open_session(DATA / "quic_crafted.pcap")) if c.protocol == "quic"]
    assert (a2.handshake, a2.handshake_end_frame, a2.outcome) == ("complete", short, "open")
    assert (b2.outcome, b2.alert) == ("alert", "handshake_failure")  # the Initial's CONNECTION_CLOSE is readable
    assert sum(c.frames for c in quic) == len([f for f in range(1, len(s) + 1) if s.tls.quic.has_quic(f)
                                               and s.tls.quic.datagrams[f].conn is not None])


# --- the table ------------------------------------------------------------------------------------------
def several(tmp_path):
    """(session, its table) of four connections: ok, reset, alert, open."""
    talks = []
    for port, tail in ((40001, "ok"), (40002, "rst"), (40003, "alert"), (40004, "open")):
        rec = record_connection(version=TLS12, server_hostname=f"h{port}.test", close=tail == "ok")
        t = TcpTalk(sport=port, t0_ns=1_700_000_000 * 10**9 + (port - 40000) * 10**8)
        t.open()
        if tail == "alert":
            t.replay(rec, until=1)
            t.records(False, [bytes([CT_ALERT, 3, 3, 0, 2, 2, 70])])
        else:
            t.replay(rec)
        if tail == "ok":
            t.fin(True)
            t.fin(False)
        elif tail == "rst":
            t.rst(False)
        talks.append(t)
    s = open_session(write(tmp_path / "four.pcap", *talks))
    return s, connections(s)


def test_table_order_lookup_sort_and_search(tmp_path):
    _, table = several(tmp_path)
    assert [c.client_port for c in table] == [40001, 40002, 40003, 40004]  # capture order
    assert [c.outcome for c in table] == ["ok", "reset", "alert", "open"]
    assert table.counts() == {"alert": 1, "reset": 1, "incomplete": 0, "open": 1, "ok": 1}
    assert [c.outcome for c in table.sorted("outcome")] == ["alert", "reset", "open", "ok"]
    assert list(OUTCOMES) == ["alert", "reset", "incomplete", "open", "ok"]
    assert table.by_stream[("tcp", 2)].alert == "protocol_version"
    assert table.by_key[("tcp", 1, None)] is table[1]
    assert [c.client_port for c in table.sorted("bytes", reverse=True)][-1] == 40003  # the smallest
    # missing values last, whichever the direction
    assert table.sorted("handshake_duration")[-1].client_port == 40003
    assert table.sorted("handshake_duration", reverse=True)[-1].client_port == 40003
    assert [c.client_port for c in table.matching("H40002.TEST")] == [40002]
    assert [c.client_port for c in table.matching("reset")] == [40002]
    assert table.matching("") == table.connections
    with pytest.raises(dataclasses.FrozenInstanceError):
        table[0].outcome = "alert"
    assert isinstance(table.connections, tuple)
    with pytest.raises(TypeError):
        table.by_stream[("tcp", 0)] = table[0]


def test_computed_once_per_session_and_filtered_builds(tmp_path):
    rec, t, _ = tls12_talk()
    path = write(tmp_path / "x.pcap", t)
    from tlstui.session import Session

    running = Session.open(str(path), lazy=True)
    with pytest.raises(RuntimeError):
        connections(running)  # the analysis has not run: nothing to read yet
    s = open_session(path)
    assert connections(s) is connections(s)
    import numpy as np

    none = np.zeros(len(s), dtype=bool)
    assert len(build(s, none)) == 0
    some = none.copy()
    some[-1] = True
    assert len(build(s, some)) == 1


def test_stats_conv_tls_rows_are_the_connections(tmp_path):
    s, table = several(tmp_path)
    rows = tls_connections(s)
    assert [(r.stream, r.client, r.server, r.sni, r.cipher, r.ended) for r in rows] == \
        [(c.stream, c.client, c.server, c.sni, c.cipher, c.ended) for c in table]
    assert [r.end for r in rows] == ["close_notify_both", "rst", "alert", "open"]


def test_text_table(tmp_path):
    _, table = several(tmp_path)
    text = render_text(table)
    head, *rows = text.splitlines()
    assert head.split() == ["STREAM", "PROTO", "CLIENT", "SERVER", "SNI", "VERSION", "CIPHER", "ALPN", "CERT", "CN",
                            "NOT", "AFTER", "HS", "ms", "C→S", "S→C", "OUTCOME"]
    assert rows[0].startswith("tcp/0") and "10.0.0.1:40001" in rows[0] and rows[0].endswith(" ok")
    assert rows[2].endswith("alert protocol_version (server)")
    assert rows[-1] == "4 connections: 1 ok, 1 reset, 1 alert, 1 open"
    assert render_text(ConnectionTable.of([])) == "No TLS, DTLS or QUIC connections in this capture."


def test_text_from_packets_is_escaped(tmp_path):
    rec = record_connection(version=TLS12, server_hostname="evil\x1b[2Jname.test")
    t = TcpTalk()
    t.open()
    t.replay(rec)
    c = one(write(tmp_path / "esc.pcap", t))
    assert "\x1b" not in c.sni and "\x1b" not in render_text([c])
