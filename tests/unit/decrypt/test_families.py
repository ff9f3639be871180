"""Each cipher family decrypted from a real TLS connection (Python ssl + its key log)."""
from __future__ import annotations

import ssl

import pytest

from decrypt_feed import decrypt_records
from tlspair import CLIENT, SERVER, record_connection
from tlstui.tls.decrypt import KeyLog

REQ = b"GET /family HTTP/1.1\r\nHost: localhost\r\n\r\n"
RESP = b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world"
TLS12 = ssl.TLSVersion.TLSv1_2

FAMILIES = [
    # (OpenSSL cipher string, certificate, expected suite name fragment, version)
    ("ECDHE-RSA-AES128-GCM-SHA256", "rsa", "AES128-GCM", TLS12),
    ("ECDHE-RSA-AES256-GCM-SHA384", "rsa", "AES256-GCM", TLS12),
    ("ECDHE-RSA-CHACHA20-POLY1305", "rsa", "CHACHA20", TLS12),
    ("ECDHE-ECDSA-AES128-CCM", "ec", "AES128-CCM", TLS12),
    ("ECDHE-ECDSA-AES256-CCM8", "ec", "AES256-CCM8", TLS12),
    ("AES128-CCM", "rsa", "AES128-CCM", TLS12),
    ("ECDHE-RSA-AES128-SHA", "rsa", "AES128-SHA", TLS12),
    ("ECDHE-RSA-AES256-SHA", "rsa", "AES256-SHA", TLS12),
    ("ECDHE-RSA-AES128-SHA256", "rsa", "AES128-SHA256", TLS12),
    ("ECDHE-RSA-AES256-SHA384", "rsa", "AES256-SHA384", TLS12),
    ("AES256-SHA256", "rsa", "AES256-SHA256", TLS12),
    ("ECDHE-RSA-CAMELLIA128-SHA256", "rsa", "CAMELLIA128", TLS12),
    ("ECDHE-RSA-AES128-SHA", "rsa", "AES128-SHA", ssl.TLSVersion.TLSv1_1),
    ("ECDHE-RSA-AES128-SHA", "rsa", "AES128-SHA", ssl.TLSVersion.TLSv1),
    (None, "rsa", "TLS_AES_256_GCM_SHA384", ssl.TLSVersion.TLSv1_3),
]


def _check(rec, expect_cbc_etm: bool | None = None):
    cd, out = decrypt_records(rec.records, KeyLog.parse(rec.keylog))
    assert cd.status == "ok", cd.reason
    assert cd.failed == 0
    protected = [(d, plain) for d, ct, plain in out if plain is not None]
    app = [(d, p.plaintext) for d, p in protected if p.content_type == 23]
    assert b"".join(p for d, p in app if d == CLIENT) == REQ
    assert b"".join(p for d, p in app if d == SERVER) == RESP
    alerts = [(d, p.plaintext) for d, p in protected if p.content_type == 21]
    assert alerts == [(CLIENT, b"\x01\x00"), (SERVER, b"\x01\x00")]  # close_notify both ways
    finished = [p for d, p in protected if p.content_type == 22 and p.plaintext[:1] == b"\x14"]
    assert len(finished) == 2  # both Finished messages read
    # every record after the CCS was opened: nothing encrypted is left unread
    seen_ccs = [False, False]
    for d, ct, plain in out:
        if seen_ccs[d] and ct != 20 or cd.tls13 and ct == 23:
            assert plain is not None
        seen_ccs[d] = seen_ccs[d] or ct == 20
    return cd


@pytest.mark.parametrize("ciphers,cert,name,version", FAMILIES,
                         ids=[f"{f[0] or f[2]}-{f[3].name}" for f in FAMILIES])
def test_family_decrypts(ciphers, cert, name, version):
    try:
        rec = record_connection(ciphers, version, cert, (REQ,), (RESP,))
    except ssl.SSLError as e:  # pragma: no cover - depends on the local OpenSSL build
        pytest.skip(f"this OpenSSL cannot negotiate {ciphers} {version.name}: {e}")
    assert name.replace("-", "_") in rec.cipher.replace("-", "_") or name in rec.cipher
    _check(rec)


# SSL_OP_NO_ENCRYPT_THEN_MAC (OpenSSL 1.1+/3.x); Python's ssl passes unknown option bits through
NO_ETM = getattr(ssl, "OP_NO_ENCRYPT_THEN_MAC", 1 << 19)


@pytest.mark.parametrize("ciphers,version", [("ECDHE-RSA-AES128-SHA256", TLS12), ("ECDHE-RSA-AES256-SHA384", TLS12),
                                             ("ECDHE-RSA-AES256-SHA", TLS12),
                                             ("ECDHE-RSA-AES128-SHA", ssl.TLSVersion.TLSv1_1),
                                             ("ECDHE-RSA-AES128-SHA", ssl.TLSVersion.TLSv1)])
def test_cbc_without_encrypt_then_mac(ciphers, version):
    """OpenSSL negotiates encrypt-then-MAC for CBC suites by default; turning it off exercises
    MAC-then-encrypt."""
    rec = record_connection(ciphers, version, "rsa", (REQ,), (RESP,), options=NO_ETM)
    cd = _check(rec)
    assert cd.etm is False


def test_cbc_with_encrypt_then_mac_by_default():
    rec = record_connection("ECDHE-RSA-AES128-SHA256", TLS12, "rsa", (REQ,), (RESP,))
    cd = _check(rec)
    assert cd.etm is True


def test_extended_master_secret_is_irrelevant_given_the_master_secret():
    """EMS is on by default in OpenSSL 3; the logged master secret already includes it."""
    rec = record_connection("ECDHE-RSA-AES128-GCM-SHA256", TLS12, "rsa", (REQ,), (RESP,))
    from decrypt_feed import parse_hello
    sh = next(parse_hello(r) for d, r in rec.records if d == SERVER and parse_hello(r))
    assert 23 in sh["extensions"]  # extended_master_secret negotiated
    _check(rec)


def test_tls13_handshake_messages_are_read():
    rec = record_connection(None, ssl.TLSVersion.TLSv1_3, "rsa", (REQ,), (RESP,))
    cd, out = decrypt_records(rec.records, KeyLog.parse(rec.keylog))
    hs = [p.plaintext[0] for d, ct, p in out if p is not None and p.content_type == 22 and d == SERVER]
    # EncryptedExtensions, Certificate, CertificateVerify, Finished, then NewSessionTickets
    assert hs[:4] == [8, 11, 15, 20]
    assert 4 in hs[4:]
    assert [p.keys for d, ct, p in out if p is not None and d == SERVER][:4] == ["handshake"] * 4
