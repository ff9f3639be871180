"""Just enough TLS 1.3 to check reassembled streams against known plaintext (tests only).

Splits a reassembled byte stream into records, finds the keys of its connection in an NSS key
log by the ClientHello random, and decrypts application data with AES-GCM or ChaCha20-Poly1305.
"""
from __future__ import annotations

import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305

SUITES = {0x1301: (AESGCM, 16, hashlib.sha256), 0x1302: (AESGCM, 32, hashlib.sha384),
          0x1303: (ChaCha20Poly1305, 32, hashlib.sha256)}


def records(stream: bytes) -> list[tuple[int, bytes, bytes]]:
    """[(content type, 5-byte header, body)] of a whole, gap-free TLS stream."""
    out, pos = [], 0
    while pos + 5 <= len(stream):
        n = struct.unpack_from(">H", stream, pos + 3)[0]
        assert pos + 5 + n <= len(stream), "the stream ends inside a record"
        out.append((stream[pos], stream[pos:pos + 5], stream[pos + 5:pos + 5 + n]))
        pos += 5 + n
    assert pos == len(stream), "trailing bytes that are not a record"
    return out


def _expand_label(h, secret: bytes, label: str, length: int) -> bytes:
    full = b"tls13 " + label.encode()
    info = struct.pack(">HB", length, len(full)) + full + b"\0"
    out, t, i = b"", b"", 1
    while len(out) < length:
        t = hmac.new(secret, t + info + bytes([i]), h).digest()
        out += t
        i += 1
    return out[:length]


def keylog(path: str) -> dict[tuple[str, bytes], bytes]:
    keys = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            keys[(parts[0], bytes.fromhex(parts[1]))] = bytes.fromhex(parts[2])
    return keys


def application_data(client: bytes, server: bytes, keys: dict, from_server: bool) -> bytes:
    """The decrypted application data of one direction of a TLS 1.3 connection."""
    ch = records(client)[0][2]
    client_random = ch[6:38]
    sh = records(server)[0][2]
    sid_len = sh[38]
    suite = struct.unpack_from(">H", sh, 39 + sid_len)[0]
    aead, key_len, h = SUITES[suite]
    side = "SERVER" if from_server else "CLIENT"
    secrets = [keys[(f"{side}_HANDSHAKE_TRAFFIC_SECRET", client_random)],
               keys[(f"{side}_TRAFFIC_SECRET_0", client_random)]]
    epoch, seq = 0, 0
    out = bytearray()
    for ctype, hdr, body in records(server if from_server else client):
        if ctype != 23:
            continue
        while True:
            secret = secrets[epoch]
            key = _expand_label(h, secret, "key", key_len)
            iv = _expand_label(h, secret, "iv", 12)
            nonce = bytes(a ^ b for a, b in zip(iv, seq.to_bytes(12, "big")))
            try:
                plain = aead(key).decrypt(nonce, body, hdr)
                break
            except Exception:
                assert epoch == 0, "a record that does not decrypt"
                epoch, seq = 1, 0
        seq += 1
        plain = plain.rstrip(b"\0")
        if plain[-1] == 23:
            out += plain[:-1]
    return bytes(out)
