"""One direction's record protection: decrypt and authenticate one record at a time.

``RecordDecryptor.decrypt(content_type, version, payload, seq)`` takes a record's header
values and its payload as on the wire and returns ``(inner content type, plaintext)`` or
raises :class:`DecryptError`.  It holds no connection logic: which keys to use when is the
business of :mod:`.connection`.

Covered: TLS 1.2 AES-GCM, AES-CCM, AES-CCM_8, ChaCha20-Poly1305 (RFC 7905); CBC (AES,
Camellia, 3DES) with HMAC-SHA1/256/384 or MD5, TLS 1.1+ explicit IV, TLS 1.0 chained IV,
encrypt-then-MAC (RFC 7366); NULL ciphers; TLS 1.3 AEAD with the inner content type and
padding; DTLS 1.2 (epoch and sequence number in the nonce and additional data).
"""
from __future__ import annotations

import hmac

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from .kdf import hmac_digest
from .suites import AEAD, CBC, CipherSuite

try:  # 3DES moved to the 'decrepit' module in cryptography 43
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES as _TripleDES
except ImportError:  # pragma: no cover
    _TripleDES = getattr(algorithms, "TripleDES", None)


class DecryptError(Exception):
    """A record that did not decrypt or authenticate with these keys."""


def _block_cipher(name: str, key: bytes):
    if name == "AES":
        return algorithms.AES(key)
    if name == "CAMELLIA":
        return algorithms.Camellia(key)
    if name == "3DES" and _TripleDES is not None:
        return _TripleDES(key)
    raise DecryptError(f"no primitive for {name}")


class RecordDecryptor:
    """Decrypts the records one side of a connection sends with one set of keys.

    ``key``/``iv``/``mac_key`` as derived for this direction; ``version`` the negotiated
    version (0x0301-0x0304, 0xFEFF/0xFEFD for DTLS); ``etm`` when encrypt-then-MAC was
    negotiated; ``tls13`` for TLS 1.3 record protection.  ``seq`` counts records (the
    next sequence number) when the caller does not pass one.
    """

    def __init__(self, suite: CipherSuite, version: int, key: bytes, iv: bytes, mac_key: bytes = b"",
                 etm: bool = False, tls13: bool = False) -> None:
        self.suite = suite
        self.version = version
        self.key = key
        self.iv = iv
        self.mac_key = mac_key
        self.etm = etm
        self.tls13 = tls13 or suite.tls13
        self.dtls = version >> 8 == 0xFE
        self.seq = 0
        self._chain_iv = iv  # TLS 1.0 CBC: the last ciphertext block of the previous record
        self._aead = None
        if suite.mode == AEAD:
            if suite.aead == "GCM":
                self._aead = AESGCM(key)
            elif suite.aead == "CCM":
                self._aead = AESCCM(key, tag_length=suite.tag_len)
            elif suite.aead == "POLY1305":
                self._aead = ChaCha20Poly1305(key)

    def __deepcopy__(self, memo: dict) -> "RecordDecryptor":
        """A copy with its own counters and chained IV, sharing the AEAD context: that is fixed by
        the key, and cryptography's AEAD objects cannot be copied (the session forks the TLS state
        before the end-of-capture steps, issue 18)."""
        import copy

        new = self.__class__.__new__(self.__class__)
        memo[id(self)] = new
        for k, v in self.__dict__.items():
            setattr(new, k, v if k == "_aead" else copy.deepcopy(v, memo))
        return new

    # ------------------------------------------------------------------------------------
    def decrypt(self, content_type: int, version: int, payload: bytes, seq: int | None = None) -> tuple[int, bytes]:
        """(inner content type, plaintext) of one record; raises DecryptError.

        ``seq`` is the 64-bit sequence number (for DTLS: epoch << 48 | sequence); when None
        the decryptor's own counter is used.  The counter moves on past ``seq`` on success.
        """
        s = self.seq if seq is None else seq
        payload = bytes(payload)
        if self.suite.mode == AEAD:
            out = self._aead_open(content_type, version, payload, s)
        elif self.suite.mode == CBC:
            out = self._cbc_open(content_type, version, payload, s)
        else:
            out = self._null_open(content_type, version, payload, s)
        self.seq = s + 1
        return out

    def _nonce_xor(self, s: int) -> bytes:
        pad = s.to_bytes(len(self.iv), "big")
        return bytes(a ^ b for a, b in zip(self.iv, pad))

    def _aead_open(self, ct: int, version: int, payload: bytes, s: int) -> tuple[int, bytes]:
        suite = self.suite
        assert self._aead is not None
        if self.tls13:
            nonce = self._nonce_xor(s)
            aad = bytes([ct]) + version.to_bytes(2, "big") + len(payload).to_bytes(2, "big")
            body = payload
        else:
            if suite.explicit_nonce:
                if len(payload) < suite.explicit_nonce + suite.tag_len:
                    raise DecryptError("record shorter than nonce and tag")
                nonce = self.iv + payload[:suite.explicit_nonce]
                body = payload[suite.explicit_nonce:]
            else:
                nonce = self._nonce_xor(s)
                body = payload
            if len(body) < suite.tag_len:
                raise DecryptError("record shorter than the tag")
            aad = s.to_bytes(8, "big") + bytes([ct]) + version.to_bytes(2, "big") + \
                (len(body) - suite.tag_len).to_bytes(2, "big")
        try:
            plain = self._aead.decrypt(nonce, body, aad)
        except InvalidTag:
            raise DecryptError("authentication tag mismatch (wrong key or sequence number)") from None
        if not self.tls13:
            return ct, plain
        i = len(plain) - 1
        while i >= 0 and plain[i] == 0:
            i -= 1
        if i < 0:
            raise DecryptError("TLS 1.3 record has no inner content type")
        return plain[i], plain[:i]

    def _mac_input(self, ct: int, version: int, s: int, data: bytes) -> bytes:
        return s.to_bytes(8, "big") + bytes([ct]) + version.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data

    def _cbc_open(self, ct: int, version: int, payload: bytes, s: int) -> tuple[int, bytes]:
        suite = self.suite
        bs, ml = suite.block, suite.mac_len
        explicit = version not in (0x0300, 0x0301)
        if self.etm:
            if len(payload) < ml:
                raise DecryptError("record shorter than its MAC")
            enc, tag = payload[:-ml], payload[-ml:]
            want = hmac_digest(suite.mac, self.mac_key, self._mac_input(ct, version, s, enc))
            if not hmac.compare_digest(want, tag):
                raise DecryptError("bad record MAC (encrypt-then-MAC)")
        else:
            enc = payload
        if not enc or len(enc) % bs:
            raise DecryptError(f"ciphertext length {len(enc)} is not a multiple of the block size {bs}")
        if explicit:
            if len(enc) < 2 * bs:
                raise DecryptError("record shorter than IV and one block")
            iv, body = enc[:bs], enc[bs:]
        else:
            iv, body = self._chain_iv, enc
        dec = Cipher(_block_cipher(suite.cipher, self.key), modes.CBC(iv)).decryptor()
        plain = dec.update(body) + dec.finalize()
        if not explicit:  # chained even when this record fails: the next one starts from it
            self._chain_iv = body[-bs:]
        pad = plain[-1]
        if pad + 1 > len(plain) or any(b != pad for b in plain[len(plain) - pad - 1:]):
            raise DecryptError("bad CBC padding (wrong key?)")
        plain = plain[:len(plain) - pad - 1]
        if not self.etm:
            if len(plain) < ml:
                raise DecryptError("record shorter than its MAC")
            content, tag = plain[:len(plain) - ml], plain[len(plain) - ml:]
            want = hmac_digest(suite.mac, self.mac_key, self._mac_input(ct, version, s, content))
            if not hmac.compare_digest(want, tag):
                raise DecryptError("bad record MAC (wrong key?)")
            plain = content
        return ct, plain

    def _null_open(self, ct: int, version: int, payload: bytes, s: int) -> tuple[int, bytes]:
        ml = self.suite.mac_len
        if len(payload) < ml:
            raise DecryptError("record shorter than its MAC")
        content, tag = payload[:len(payload) - ml], payload[len(payload) - ml:]
        if not hmac.compare_digest(hmac_digest(self.suite.mac, self.mac_key,
                                               self._mac_input(ct, version, s, content)), tag):
            raise DecryptError("bad record MAC (wrong key?)")
        return ct, content
