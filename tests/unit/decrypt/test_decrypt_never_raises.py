"""Garbage records never raise anything but DecryptError (record level) or nothing at all
(connection level: a failure is a status, not an exception)."""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from tlstui.tls.decrypt import ConnectionDecryptor, DecryptError, KeyLog, RecordDecryptor, suite_info

SUITES = [0xC02F, 0xC030, 0xCCA8, 0xC0AC, 0xC0A0, 0x002F, 0xC028, 0x000A, 0x0002, 0x1301, 0x1303, 0x1305]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SUITES), st.sampled_from([0x0301, 0x0302, 0x0303, 0xFEFD]), st.booleans(),
       st.binary(max_size=120), st.integers(0, 2**64 - 1))
def test_record_decryptor_raises_only_decrypt_error(suite_id, version, etm, payload, seq):
    s = suite_info(suite_id)
    assert s is not None
    dec = RecordDecryptor(s, version, b"k" * s.key_len, b"i" * (s.fixed_iv if s.mode == "aead" else s.block),
                          b"m" * s.mac_len, etm=etm)
    try:
        dec.decrypt(23, version, payload, seq)
    except DecryptError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 1), st.sampled_from([20, 21, 22, 23]), st.binary(max_size=64)),
                max_size=12),
       st.sampled_from(SUITES), st.sampled_from([0x0301, 0x0303, 0x0304]), st.booleans())
def test_connection_never_raises(records, suite_id, version, known):
    cr = b"\x11" * 32
    kl = KeyLog()
    if known:
        kl.add(cr, "CLIENT_RANDOM", b"\x22" * 48)
        for label in ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                      "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"):
            kl.add(cr, label, b"\x33" * 32)
    cd = ConnectionDecryptor(kl)
    cd.client_hello(0, cr)
    cd.server_hello(1, b"\x44" * 32, version, suite_id, [22])
    for d, ct, payload in records:
        if ct == 20:
            cd.change_cipher_spec(d)
        cd.record(d, ct, 0x0303, payload)
    assert cd.status in ("", "ok", "no_key", "unsupported_cipher", "decrypt_failed", "no_hello")
