"""Wrong and partial key logs: a clear message per connection, the rest still decrypted."""
from __future__ import annotations

import ssl

from decrypt_feed import stream_info
from tlspair import record_connection
from tlstui.tls.decrypt import CaptureDecryption, KeyLog

REQ = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
RESP = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def _run(recordings, keylog: KeyLog) -> CaptureDecryption:
    """Feed several connections (stream i = recording i) through CaptureDecryption."""
    cap = CaptureDecryption(keylog)
    frame = 0
    for stream, rec in enumerate(recordings):
        for i, (d, r) in enumerate(rec.records):
            frame += 1
            cap.tls_record(stream_info(rec.records, i, stream), d, frame, r)
    return cap


def _conns():
    a = record_connection("ECDHE-RSA-AES128-GCM-SHA256", ssl.TLSVersion.TLSv1_2, requests=(REQ,), responses=(RESP,))
    b = record_connection(None, ssl.TLSVersion.TLSv1_3, requests=(REQ,), responses=(RESP,))
    c = record_connection("ECDHE-RSA-AES256-SHA384", ssl.TLSVersion.TLSv1_2, requests=(REQ,), responses=(RESP,))
    return [a, b, c]


def _random(rec) -> str:
    return rec.records[0][1][11:43].hex()


def test_partial_keylog_names_the_connection_without_a_key():
    conns = _conns()
    keylog = KeyLog.parse(conns[0].keylog + conns[2].keylog)  # no key for the TLS 1.3 one
    cap = _run(conns, keylog)
    st = {s.stream: s for s in cap.statuses()}
    assert st[0].status == "ok" and st[2].status == "ok"
    assert st[0].failed == 0 and st[2].failed == 0
    assert st[1].status == "no_key"
    assert st[1].client_random == _random(conns[1])
    msgs = cap.problems()
    assert len(msgs) == 1
    assert f"no key for client random {_random(conns[1])}" in msgs[0]
    assert msgs[0].startswith("tcp stream 1: not decrypted")
    # HTTP was still read on the other two
    assert sum(len(v) for v in cap.http.by_frame.values()) == 4


def test_wrong_keylog_says_the_records_do_not_decrypt():
    conns = _conns()
    # right client randoms, wrong secrets: swap the secrets between two connections
    good = KeyLog.parse(conns[0].keylog + conns[1].keylog + conns[2].keylog)
    wrong = KeyLog()
    r0, r2 = bytes.fromhex(_random(conns[0])), bytes.fromhex(_random(conns[2]))
    wrong.secrets[r0] = good.secrets[r2]
    wrong.secrets[r2] = good.secrets[r0]
    wrong.secrets[bytes.fromhex(_random(conns[1]))] = good.secrets[bytes.fromhex(_random(conns[1]))]
    cap = _run(conns, wrong)
    st = {s.stream: s for s in cap.statuses()}
    assert st[0].status == "decrypt_failed" and st[2].status == "decrypt_failed"
    assert "do not decrypt with the logged keys" in st[0].reason
    assert st[1].status == "ok" and st[1].failed == 0
    assert len(cap.problems()) == 2


def test_bad_keylog_lines_are_reported_with_the_streams():
    conns = _conns()[:1]
    keylog = KeyLog.parse("garbage line here\n" + conns[0].keylog, "k.log")
    cap = _run(conns, keylog)
    assert cap.problems() == ["key log k.log:1: unknown label 'garbage'"]
    assert cap.statuses()[0].status == "ok"


def test_unsupported_cipher_is_named():
    from tlstui.tls.decrypt import ConnectionDecryptor

    cd = ConnectionDecryptor(KeyLog())
    cd.client_hello(0, b"\1" * 32)
    cd.server_hello(1, b"\2" * 32, 0x0303, 0x0005)  # RC4
    cd.change_cipher_spec(0)
    assert cd.record(0, 22, 0x0303, b"\0" * 40) is None
    assert cd.status == "unsupported_cipher"
    assert "TLS_RSA_WITH_RC4_128_SHA" in cd.reason
