"""A RecordDecryptor can be deep-copied (the session forks the TLS state before the end-of-capture
steps, issue 18): the copy has its own sequence counter and decrypts what the original would.
Fuzzing found the crash (cryptography's AEAD objects cannot be pickled): tests/fuzz/regressions/
tls_keyed_held_data_fork_deepcopy*.pcapng."""
from __future__ import annotations

import copy

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tlstui.tls.decrypt.record import RecordDecryptor
from tlstui.tls.decrypt.suites import suite_info

KEY, IV = bytes(range(16)), bytes(range(100, 112))


def _record(seq: int, inner: bytes, ct: int = 22) -> bytes:
    """A TLS 1.3 record body (TLS_AES_128_GCM_SHA256) with sequence number ``seq``."""
    plain = inner + bytes([ct])
    n = len(plain) + 16
    nonce = bytes(a ^ b for a, b in zip(IV, seq.to_bytes(12, "big")))
    return AESGCM(KEY).encrypt(nonce, plain, bytes([23, 3, 3]) + n.to_bytes(2, "big"))


def test_deepcopy_keeps_its_own_counter_and_decrypts():
    d = RecordDecryptor(suite_info(0x1301), 0x0304, KEY, IV, tls13=True)
    assert d.decrypt(23, 0x0303, _record(0, b"first")) == (22, b"first")
    c = copy.deepcopy(d)
    assert c is not d and c.seq == d.seq == 1
    assert c.decrypt(23, 0x0303, _record(1, b"second")) == (22, b"second")
    assert (c.seq, d.seq) == (2, 1)  # the original did not move
    assert d.decrypt(23, 0x0303, _record(1, b"second")) == (22, b"second")
