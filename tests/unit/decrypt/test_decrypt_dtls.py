"""DTLS 1.2 AEAD (AES-256-GCM) on real captures from tests/data (openssl s_client/s_server
-dtls1_2), read here with dpkt so the test does not depend on the decoder: epoch and
sequence number in the nonce and additional data, the Finished messages and close_notify."""
from __future__ import annotations

from pathlib import Path

import dpkt
import pytest

from tlstui.tls.decrypt import ConnectionDecryptor, KeyLog

DATA = Path(__file__).resolve().parents[2] / "data"


def _datagrams(path: Path):
    with open(path, "rb") as fh:
        for _ts, buf in dpkt.pcap.Reader(fh):
            ip = dpkt.ethernet.Ethernet(buf).data
            if isinstance(ip, (dpkt.ip.IP, dpkt.ip6.IP6)) and isinstance(ip.data, dpkt.udp.UDP):
                yield (ip.data.sport, ip.data.dport), bytes(ip.data.data)


def _records(payload: bytes):
    p = 0
    while p + 13 <= len(payload):
        n = int.from_bytes(payload[p + 11:p + 13], "big")
        yield payload[p:p + 13 + n]
        p += 13 + n


@pytest.mark.parametrize("name", ["s10a_dtls12_fragmented", "s10b_dtls12_lossy_retransmit"])
def test_dtls12_gcm_capture(name):
    keylog = KeyLog.from_file(DATA / f"{name}.keys")
    cd = ConnectionDecryptor(keylog, dtls=True)
    client_ports = None
    out = []
    for ports, payload in _datagrams(DATA / f"{name}.pcap"):
        for rec in _records(payload):
            ct, epoch = rec[0], int.from_bytes(rec[3:5], "big")
            if client_ports is None and ct == 22 and rec[13] == 1:
                client_ports = ports
            d = 0 if ports == client_ports else 1
            if ct == 22 and epoch == 0 and rec[13] in (1, 2) and int.from_bytes(rec[19:22], "big") == 0:
                body = rec[25:]
                random = body[2:34]
                if rec[13] == 1:
                    cd.client_hello(d, random)
                else:
                    sid = body[34]
                    cipher = int.from_bytes(body[35 + sid:37 + sid], "big")
                    cd.server_hello(d, random, int.from_bytes(body[0:2], "big"), cipher, [])
            plain = cd.record(d, ct, int.from_bytes(rec[1:3], "big"), rec[13:], epoch,
                              int.from_bytes(rec[5:11], "big"))
            out.append((d, ct, epoch, plain))
    assert cd.cipher == 0xC030
    assert cd.status == "ok" and cd.failed == 0, cd.reason
    protected = [(d, p) for d, ct, e, p in out if e > 0]
    assert protected and all(p is not None for d, p in protected)
    finished = [d for d, p in protected if p.content_type == 22 and p.plaintext[0] == 20]
    assert sorted(set(finished)) == [0, 1]
    assert any(p.content_type == 23 and p.plaintext for d, p in protected)
    alerts = [p.plaintext for d, p in protected if p.content_type == 21]
    assert alerts and all(a == b"\x01\x00" for a in alerts)
