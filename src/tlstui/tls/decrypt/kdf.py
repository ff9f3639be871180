"""Key derivation: the TLS 1.0-1.2 PRF and key block, TLS 1.3 HKDF-Expand-Label.

Extended master secret (RFC 7627) changes how the master secret is made, not how the key
block is expanded from it; the key log carries the master secret, so nothing here depends
on it.
"""
from __future__ import annotations

import hashlib
import hmac

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from .suites import HASH_LEN, CipherSuite

_HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384}


def p_hash(name: str, secret: bytes, seed: bytes, n: int) -> bytes:
    """RFC 5246 P_hash: HMAC-<name> expansion to ``n`` bytes."""
    out = bytearray()
    a = seed
    while len(out) < n:
        a = hmac.new(secret, a, name).digest()
        out += hmac.new(secret, a + seed, name).digest()
    return bytes(out[:n])


def prf(version: int, prf_hash: str, secret: bytes, label: bytes, seed: bytes, n: int) -> bytes:
    """The TLS PRF for ``version`` (0x0301/0x0302: MD5 xor SHA-1; 0x0303 and DTLS 1.2: ``prf_hash``)."""
    if version in (0x0301, 0x0302, 0xFEFF):
        half = (len(secret) + 1) // 2
        s1, s2 = secret[:half], secret[len(secret) - half:]
        a = p_hash("md5", s1, label + seed, n)
        b = p_hash("sha1", s2, label + seed, n)
        return bytes(x ^ y for x, y in zip(a, b))
    return p_hash(prf_hash, secret, label + seed, n)


class KeyBlock:
    """The TLS 1.0-1.2 key block, split (RFC 5246 6.3)."""

    __slots__ = ("client_mac", "server_mac", "client_key", "server_key", "client_iv", "server_iv")

    def __init__(self, master_secret: bytes, client_random: bytes, server_random: bytes, version: int,
                 suite: CipherSuite) -> None:
        m, k, i = suite.mac_len if suite.mode != "aead" else 0, suite.key_len, suite.iv_len
        kb = prf(version, suite.prf, master_secret, b"key expansion", server_random + client_random, 2 * (m + k + i))
        self.client_mac, kb = kb[:m], kb[m:]
        self.server_mac, kb = kb[:m], kb[m:]
        self.client_key, kb = kb[:k], kb[k:]
        self.server_key, kb = kb[:k], kb[k:]
        self.client_iv, kb = kb[:i], kb[i:]
        self.server_iv = kb[:i]


def hkdf_expand_label(hash_name: str, secret: bytes, label: str, context: bytes, length: int) -> bytes:
    """RFC 8446 7.1 HKDF-Expand-Label."""
    full = b"tls13 " + label.encode()
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    return HKDFExpand(_HASHES[hash_name](), length, info).derive(secret)


def tls13_traffic_keys(hash_name: str, secret: bytes, key_len: int, iv_len: int = 12) -> tuple[bytes, bytes]:
    """(write key, write IV) from a TLS 1.3 traffic secret."""
    return (hkdf_expand_label(hash_name, secret, "key", b"", key_len),
            hkdf_expand_label(hash_name, secret, "iv", b"", iv_len))


def tls13_next_secret(hash_name: str, secret: bytes) -> bytes:
    """The traffic secret after a KeyUpdate (RFC 8446 7.2)."""
    return hkdf_expand_label(hash_name, secret, "traffic upd", b"", HASH_LEN[hash_name])


def hmac_digest(name: str, key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, name).digest()


def hash_len(name: str) -> int:
    return hashlib.new(name).digest_size
