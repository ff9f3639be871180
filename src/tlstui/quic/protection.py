"""QUIC packet protection (RFC 9001 5, RFC 9369 3.3): keys from secrets, header protection, AEAD.

Everything here is a pure function of bytes; failures are ``None`` results, never exceptions.
"""
from __future__ import annotations

import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from . import versions

# TLS 1.3 cipher suites: (AEAD, key length, hash, tag length)
SUITES = {
    0x1301: ("aes-gcm", 16, "sha256", 16),
    0x1302: ("aes-gcm", 32, "sha384", 16),
    0x1303: ("chacha20", 32, "sha256", 16),
    0x1304: ("aes-ccm", 16, "sha256", 16),
    0x1305: ("aes-ccm8", 16, "sha256", 8),
}
HASH_LEN = {"sha256": 32, "sha384": 48}


def hkdf_extract(salt: bytes, ikm: bytes, hash_name: str = "sha256") -> bytes:
    return hmac.new(salt, ikm, hash_name).digest()


def hkdf_expand_label(secret: bytes, label: str, length: int, hash_name: str = "sha256",
                      context: bytes = b"") -> bytes:
    """RFC 8446 7.1 HKDF-Expand-Label ("tls13 " + label)."""
    full = b"tls13 " + label.encode()
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(secret, block + info + bytes([i]), hash_name).digest()
        out += block
        i += 1
    return out[:length]


@dataclass(frozen=True, slots=True)
class Keys:
    """One direction's packet protection at one level: AEAD key and IV, header-protection key."""

    suite: int
    key: bytes
    iv: bytes
    hp: bytes

    @property
    def aead(self) -> str:
        return SUITES[self.suite][0]

    @property
    def tag_len(self) -> int:
        return SUITES[self.suite][3]


def keys_from_secret(secret: bytes, version: int, suite: int = 0x1301) -> Keys | None:
    """Packet keys derived from a traffic secret (Initial, Handshake, 0-RTT or 1-RTT)."""
    info = SUITES.get(suite)
    if info is None:
        return None
    _aead, klen, hname, _tag = info
    if len(secret) != HASH_LEN[hname]:
        return None
    lk, liv, lhp = versions.key_labels(version)
    return Keys(suite, hkdf_expand_label(secret, lk, klen, hname), hkdf_expand_label(secret, liv, 12, hname),
                hkdf_expand_label(secret, lhp, klen, hname))


def initial_secrets(dcid: bytes, version: int) -> tuple[bytes, bytes]:
    """(client, server) Initial secrets from the client's first Destination Connection ID."""
    prk = hkdf_extract(versions.initial_salt(version), dcid)
    return hkdf_expand_label(prk, "client in", 32), hkdf_expand_label(prk, "server in", 32)


def initial_keys(dcid: bytes, version: int) -> tuple[Keys, Keys]:
    """(client, server) Initial packet keys (AES-128-GCM, SHA-256)."""
    c, s = initial_secrets(dcid, version)
    ck, sk = keys_from_secret(c, version), keys_from_secret(s, version)
    assert ck is not None and sk is not None
    return ck, sk


def next_secret(secret: bytes, version: int, suite: int) -> bytes:
    """The secret after a key update (RFC 9001 6)."""
    hname = SUITES[suite][2]
    return hkdf_expand_label(secret, versions.key_update_label(version), len(secret), hname)


def header_mask(keys: Keys, sample: bytes) -> bytes | None:
    """The 5-byte header-protection mask for a 16-byte sample."""
    if len(sample) != 16:
        return None
    if keys.aead == "chacha20":
        enc = Cipher(algorithms.ChaCha20(keys.hp, sample), mode=None).encryptor()
        return enc.update(bytes(5))
    enc = Cipher(algorithms.AES(keys.hp), modes.ECB()).encryptor()
    return (enc.update(sample) + enc.finalize())[:5]


def remove_header_protection(packet: bytes, pn_offset: int, keys: Keys, start: int = 0) -> tuple[int, int, int] | None:
    """(first byte, packet number length, truncated packet number) of a protected packet that
    starts at ``start`` in ``packet`` and whose packet number starts at ``pn_offset``; None when
    the packet is too short for a sample."""
    sample = packet[pn_offset + 4:pn_offset + 20]
    mask = header_mask(keys, bytes(sample))
    if mask is None:
        return None
    first = packet[start]
    first ^= mask[0] & (0x0F if first & 0x80 else 0x1F)
    pn_len = (first & 0x03) + 1
    if pn_offset + pn_len > len(packet):
        return None
    pn = 0
    for i in range(pn_len):
        pn = (pn << 8) | (packet[pn_offset + i] ^ mask[1 + i])
    return first, pn_len, pn


def apply_header_protection(header: bytes, pn_len: int, protected_payload: bytes, keys: Keys) -> bytes | None:
    """The protected form of an unprotected ``header`` (packet number in its last ``pn_len``
    bytes) whose encrypted payload follows: the sender's side, for tests and crafted captures."""
    pn_offset = len(header) - pn_len
    sample = protected_payload[4 - pn_len:20 - pn_len]
    mask = header_mask(keys, bytes(sample))
    if mask is None:
        return None
    out = bytearray(header)
    out[0] ^= mask[0] & (0x0F if out[0] & 0x80 else 0x1F)
    for i in range(pn_len):
        out[pn_offset + i] ^= mask[1 + i]
    return bytes(out)


def expand_packet_number(largest: int, truncated: int, pn_len: int) -> int:
    """The full packet number closest to the next expected one (tshark's reconstruction: ngtcp2's)."""
    bits = 8 * pn_len
    k = largest + 1 if largest >= 0 else 0
    u = k & ~((1 << bits) - 1)
    a = u | truncated
    b = (u + (1 << bits)) | truncated
    return a if abs(a - k) < abs(b - k) else b


def _nonce(keys: Keys, pn: int) -> bytes:
    return bytes(x ^ y for x, y in zip(keys.iv, (pn & 0xFFFFFFFFFFFFFFFF).to_bytes(12, "big")))


def _aead(keys: Keys):  # noqa: ANN202
    if keys.aead == "aes-gcm":
        return AESGCM(keys.key)
    if keys.aead == "chacha20":
        return ChaCha20Poly1305(keys.key)
    return AESCCM(keys.key, tag_length=keys.tag_len)


def decrypt_payload(keys: Keys, header: bytes, pn: int, ciphertext: bytes) -> bytes | None:
    """The plaintext of a packet payload (``ciphertext`` with its tag), ``header`` unprotected
    (associated data); None when it does not authenticate."""
    if len(ciphertext) <= keys.tag_len:
        return None
    try:
        return _aead(keys).decrypt(_nonce(keys, pn), bytes(ciphertext), bytes(header))
    except (InvalidTag, ValueError):
        return None


def encrypt_payload(keys: Keys, header: bytes, pn: int, plaintext: bytes) -> bytes:
    """The sender's side of ``decrypt_payload`` (for tests and crafted captures)."""
    return _aead(keys).encrypt(_nonce(keys, pn), bytes(plaintext), bytes(header))


_RETRY = {  # (key, nonce) of the Retry Integrity Tag
    "d25": ("4d32ecdb2a2133c841e4043df27d4430", "4d1611d05513a552c587d575"),
    "d29": ("ccce187ed09a09d05728155a6cb96be1", "e54930f97f2136f0530a8c1c"),
    "v1": ("be0c690b9f66575a1d766b54e368c84e", "461599d35d632bf2239825bb"),
    "v2": ("8fb4b01b56ac48e260fbcbcead7ccc92", "d86969bc2d7c6d9990efb04a"),
}


def retry_tag_valid(packet: bytes, odcid: bytes, version: int) -> bool:
    """Whether a Retry packet's last 16 bytes are the integrity tag over ``odcid`` (RFC 9001 5.8)."""
    if len(packet) < 16 or len(odcid) > 255:
        return False
    which = "d25" if versions.draft_max(version, 28) else "d29" if versions.draft_max(version, 32) else \
        "v1" if versions.draft_max(version, 34) else "v2"
    key, nonce = (bytes.fromhex(x) for x in _RETRY[which])
    aad = bytes([len(odcid)]) + odcid + bytes(packet[:-16])
    try:
        AESGCM(key).decrypt(nonce, bytes(packet[-16:]), aad)
        return True
    except InvalidTag:
        return False

