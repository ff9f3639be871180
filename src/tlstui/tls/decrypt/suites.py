"""Cipher suites as decryption sees them: suite id -> bulk cipher, key/IV/MAC sizes, hashes.

Declared once from the IANA names in :data:`tlstui.tls.names.CIPHER_SUITES` (the name says
it all: ``TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`` is AES-128 in GCM, PRF SHA-256), so
every suite the decoder can name is classified the same way.  ``suite_info(id)`` returns
None for suites that cannot be decrypted here (export, RC4, IDEA, ARIA, GOST, ...);
``why_unsupported(id)`` says why in words.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..names import CIPHER_SUITES

AEAD, CBC, STREAM_NULL = "aead", "cbc", "null"
HASH_LEN = {"md5": 16, "sha1": 20, "sha256": 32, "sha384": 48}


@dataclass(frozen=True, slots=True)
class CipherSuite:
    """How one suite encrypts records.

    ``mode``: ``aead`` (GCM, CCM, CCM_8, ChaCha20-Poly1305), ``cbc`` (block cipher + HMAC)
    or ``null`` (HMAC only).  ``cipher``: ``AES``, ``CAMELLIA``, ``3DES``, ``CHACHA20`` or
    ``NULL``; ``aead``: ``GCM``/``CCM``/``POLY1305`` for AEAD suites.  Lengths in bytes:
    ``fixed_iv`` is the implicit IV from the key block (4 for TLS 1.2 GCM/CCM, 12 for
    ChaCha20 and for every TLS 1.3 suite), ``explicit_nonce`` the per-record nonce carried
    in the record (8 for TLS 1.2 GCM/CCM).  ``mac`` is the HMAC hash (CBC/NULL), ``prf``
    the TLS 1.2 PRF / TLS 1.3 HKDF hash.
    """

    id: int
    name: str
    mode: str
    cipher: str
    key_len: int
    block: int = 0
    aead: str = ""
    tag_len: int = 0
    fixed_iv: int = 0
    explicit_nonce: int = 0
    mac: str = ""
    prf: str = "sha256"
    tls13: bool = False

    @property
    def mac_len(self) -> int:
        return HASH_LEN.get(self.mac, 0)

    @property
    def iv_len(self) -> int:
        """IV bytes taken from the TLS 1.0-1.2 key block (the CBC IV or the AEAD salt)."""
        return self.block if self.mode == CBC else self.fixed_iv


_BULK = re.compile(r"^(?P<c>AES_128|AES_256|CAMELLIA_128|CAMELLIA_256|3DES_EDE|CHACHA20|NULL)"
                   r"(?:_(?P<m>GCM|CCM_8|CCM|CBC|POLY1305))?(?:_(?P<h>SHA384|SHA256|SHA|MD5))?$")


@lru_cache(maxsize=None)
def suite_info(suite_id: int) -> CipherSuite | None:
    """The suite's parameters, or None when it cannot be decrypted here."""
    name = CIPHER_SUITES.get(suite_id)
    if not name:
        return None
    tls13 = 0x1300 <= suite_id <= 0x13FF
    if tls13:
        bulk = name[len("TLS_"):]
    elif "_WITH_" in name:
        bulk = name.split("_WITH_", 1)[1]
        if "EXPORT" in name:
            return None
    else:
        return None
    m = _BULK.match(bulk)
    if not m:
        return None
    c, mode, h = m.group("c"), m.group("m"), (m.group("h") or "").lower()
    h = {"sha": "sha1"}.get(h, h)
    if c == "NULL":
        if mode or h not in ("md5", "sha1", "sha256", "sha384"):
            return None
        return CipherSuite(suite_id, name, STREAM_NULL, "NULL", 0, mac=h, prf=_prf(h))
    if c == "CHACHA20":
        if mode != "POLY1305":
            return None
        return CipherSuite(suite_id, name, AEAD, "CHACHA20", 32, aead="POLY1305", tag_len=16, fixed_iv=12,
                           prf=h or "sha256", tls13=tls13)
    family, _, bits = c.partition("_")
    key_len = {"128": 16, "256": 32, "EDE": 24}[bits]
    family = "3DES" if family == "3DES" else family
    if mode in ("GCM", "CCM", "CCM_8"):
        if family != "AES" and not (family == "CAMELLIA" and mode == "GCM"):
            return None
        if family == "CAMELLIA":
            return None  # Camellia-GCM has no primitive in cryptography
        tag = 8 if mode == "CCM_8" else 16
        prf = h if h in ("sha256", "sha384") else "sha256"
        return CipherSuite(suite_id, name, AEAD, family, key_len, aead=mode.split("_")[0], tag_len=tag,
                           fixed_iv=12 if tls13 else 4, explicit_nonce=0 if tls13 else 8, prf=prf, tls13=tls13)
    if mode == "CBC" and h in ("md5", "sha1", "sha256", "sha384"):
        block = 8 if family == "3DES" else 16
        return CipherSuite(suite_id, name, CBC, family, key_len, block=block, mac=h, prf=_prf(h))
    return None


def _prf(mac: str) -> str:
    """TLS 1.2 PRF hash: SHA-384 for *_SHA384 suites, SHA-256 for everything else."""
    return "sha384" if mac == "sha384" else "sha256"


def why_unsupported(suite_id: int) -> str:
    """A short reason a suite cannot be decrypted ('' when it can)."""
    if suite_info(suite_id) is not None:
        return ""
    name = CIPHER_SUITES.get(suite_id)
    if not name:
        return f"unknown cipher suite 0x{suite_id:04x}"
    return f"cipher suite {name} (0x{suite_id:04x}) is not supported for decryption"
