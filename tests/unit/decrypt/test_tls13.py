"""TLS 1.3: every suite, handshake then application keys, KeyUpdate (real connections)."""
from __future__ import annotations

import shutil

import pytest

from decrypt_feed import decrypt_records
from tlspair import CLIENT, SERVER, record_openssl_key_update, record_tls13_suite
from tlstui.tls.decrypt import KeyLog

REQ = b"GET /tls13 HTTP/1.1\r\nHost: localhost\r\n\r\n"
RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@pytest.mark.parametrize("suite", ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                   "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
                                   "TLS_AES_128_CCM_8_SHA256"])
def test_tls13_suite(suite):
    try:
        rec = record_tls13_suite(suite, requests=(REQ,), responses=(RESP,))
    except RuntimeError as e:  # pragma: no cover - depends on the local OpenSSL build
        pytest.skip(f"OpenSSL would not negotiate {suite}: {e}")
    assert rec.cipher == suite
    cd, out = decrypt_records(rec.records, KeyLog.parse(rec.keylog))
    assert cd.status == "ok" and cd.failed == 0, cd.reason
    assert all(p is not None for d, ct, p in out if ct == 23)
    app = [(d, p.plaintext) for d, ct, p in out if p is not None and p.content_type == 23]
    assert app == [(CLIENT, REQ), (SERVER, RESP)]
    alerts = [(d, p.plaintext) for d, ct, p in out if p is not None and p.content_type == 21]
    assert alerts == [(CLIENT, b"\x01\x00"), (SERVER, b"\x01\x00")]
    keys = [(d, p.keys) for d, ct, p in out if p is not None]
    assert (SERVER, "handshake") in keys and (CLIENT, "handshake") in keys
    assert keys[-1][1] == "application"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_key_update_both_directions():
    rec = record_openssl_key_update()
    cd, out = decrypt_records(rec.records, KeyLog.parse(rec.keylog))
    assert cd.status == "ok" and cd.failed == 0, cd.reason
    data = [(d, p.keys, p.plaintext) for d, ct, p in out if p is not None and p.content_type == 23]
    assert (CLIENT, "application", b"before update\n") in data
    assert (CLIENT, "application+1", b"after client update\n") in data
    assert (SERVER, "application+1", b"after server update\n") in data
    # the server's KeyUpdate asked the client to update too
    assert (CLIENT, "application+2", b"last words\n") in data
    updates = [(d, p.plaintext) for d, ct, p in out if p is not None and p.plaintext[:1] == b"\x18"]
    assert (SERVER, b"\x18\x00\x00\x01\x01") in updates  # update_requested


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_unreadable_key_update_is_recovered():
    """A KeyUpdate record lost in a gap: the next generation's keys are tried and adopted."""
    rec = record_openssl_key_update()
    kept = [(d, r) for d, r in rec.records]
    # drop the client's first KeyUpdate record (the one right before 'after client update')
    cd0, out0 = decrypt_records(kept, KeyLog.parse(rec.keylog))
    idx = next(i for i, (d, ct, p) in enumerate(out0) if p is not None and d == CLIENT and p.plaintext[:1] == b"\x18")
    del kept[idx]
    cd, out = decrypt_records(kept, KeyLog.parse(rec.keylog))
    data = [(d, p.plaintext) for d, ct, p in out if p is not None and p.content_type == 23]
    assert (CLIENT, b"after client update\n") in data
    assert (CLIENT, b"last words\n") in data
