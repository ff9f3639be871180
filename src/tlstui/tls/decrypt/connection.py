"""One connection's decryption state: which keys protect which record, in order.

A :class:`ConnectionDecryptor` is told the hellos (client random, server random, version,
cipher suite, extensions), sees every record of both directions in order, and returns the
plaintext of the protected ones.  It knows when protection starts (ChangeCipherSpec for
TLS 1.0-1.2, the ServerHello for TLS 1.3, epoch > 0 for DTLS), when TLS 1.3 moves from
handshake to application traffic keys (after each side's Finished) and KeyUpdate.

When the expected keys fail it tries, in order, the next sequence numbers (records lost
in a gap) and the next key stage (a Finished it could not see), so one lost record does
not end decryption for the rest of the connection.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import keylog as kl
from .kdf import KeyBlock, tls13_next_secret, tls13_traffic_keys
from .record import DecryptError, RecordDecryptor
from .suites import suite_info, why_unsupported

CT_CCS, CT_ALERT, CT_HANDSHAKE, CT_APP_DATA = 20, 21, 22, 23
HS_FINISHED, HS_KEY_UPDATE = 20, 24
LOOKAHEAD = 8  # sequence numbers tried past the expected one (records lost in a gap)

# Why a connection is not decrypted (stable words for findings and tests).
NO_KEY = "no_key"
UNSUPPORTED = "unsupported_cipher"
FAILED = "decrypt_failed"
NO_HELLO = "no_hello"


@dataclass(frozen=True, slots=True)
class Decrypted:
    """A record's plaintext: ``content_type`` is the real (TLS 1.3: inner) type;
    ``keys`` names the keys that opened it ('handshake', 'application', 'application+1'...,
    'session' for TLS 1.0-1.2, 'epoch N' for DTLS)."""

    content_type: int
    plaintext: bytes
    keys: str = ""
    tls13: bool = False
    http: str | None = None  # Info text of HTTP messages this record completes ('' none yet); None: not HTTP
    http_blank: bool = False  # data of a response read until close: tshark leaves the Info empty
    http2: bool = False  # ``http`` is HTTP/2 frames' Info: joined to what precedes it with ', '


class _Side:
    """One direction: the decryptor in use, the next one, and handshake bytes across records."""

    __slots__ = ("cur", "cur_name", "nxt", "nxt_name", "secret", "nxt_secret", "hs_buf", "epoch_keys")

    def __init__(self) -> None:
        self.cur: RecordDecryptor | None = None
        self.cur_name = ""
        self.nxt: RecordDecryptor | None = None
        self.nxt_name = ""
        self.secret = b""  # TLS 1.3 application traffic secret of ``cur`` (for KeyUpdate)
        self.nxt_secret = b""
        self.hs_buf = bytearray()
        self.epoch_keys: dict[int, RecordDecryptor] = {}  # DTLS: decryptor per epoch


class ConnectionDecryptor:
    """Decrypts one TLS or DTLS connection with secrets from a :class:`~.keylog.KeyLog`.

    Directions are 0/1 as the caller numbers them; ``client_direction`` is set by
    :meth:`client_hello`.  After use, ``status`` is '' (nothing to do), 'ok', or one of
    NO_KEY / UNSUPPORTED / FAILED / NO_HELLO with ``reason`` in words.
    """

    def __init__(self, keylog: kl.KeyLog, dtls: bool = False) -> None:
        self.keylog = keylog
        self.dtls = dtls
        self.client_direction: int | None = None
        self.client_random: bytes = b""
        self.server_random: bytes = b""
        self.version = 0
        self.cipher: int | None = None
        self.etm = False
        self.tls13 = False
        self.sides = (_Side(), _Side())
        self.protected = [False, False]
        self.status = ""
        self.reason = ""
        self.decrypted = 0
        self.failed = 0
        self._ready = False  # keys derived for the current hellos

    # -- what the handshake tells us ---------------------------------------------------
    def client_hello(self, direction: int, random: bytes) -> None:
        self.client_direction = direction
        self.client_random = bytes(random)

    def server_hello(self, direction: int, random: bytes, version: int, cipher: int,
                     extensions: list[int] | tuple[int, ...] = (), hrr: bool = False) -> None:
        """The ServerHello: ``version`` is the negotiated one (supported_versions if present)."""
        if hrr:
            return
        if self.client_direction is None:
            self.client_direction = 1 - direction
        self.server_random = bytes(random)
        self.version = version
        self.cipher = cipher
        self.etm = 22 in extensions
        self.tls13 = version in (0x0304, 0xFEFC)
        self._ready = False
        if self.tls13:
            self._setup_tls13()

    def change_cipher_spec(self, direction: int) -> None:
        """TLS 1.0-1.2 / DTLS: records this direction sends from now on are protected."""
        if self.tls13:
            return  # middlebox-compatibility CCS: no meaning
        if self.dtls:
            return  # DTLS: the epoch in each record says which keys to use
        side = self.sides[direction]
        dec = self._tls12_decryptor(direction)
        side.cur, side.cur_name, side.nxt = dec, "session", None
        self.protected[direction] = True

    # -- records -----------------------------------------------------------------------
    def is_protected(self, direction: int, content_type: int, epoch: int | None = None) -> bool:
        """Would a record with this header be encrypted?"""
        if self.dtls:
            return bool(epoch)
        if self.tls13:
            return content_type == CT_APP_DATA and self.protected[direction]
        return self.protected[direction]

    def record(self, direction: int, content_type: int, version: int, payload: bytes,
               epoch: int | None = None, seq: int | None = None) -> Decrypted | None:
        """The plaintext of one protected record, or None (not protected, or not decrypted:
        then ``status``/``reason`` say why).  Call for every record, in order."""
        if not self.is_protected(direction, content_type, epoch):
            return None
        if self.dtls:
            return self._dtls_record(direction, content_type, version, payload, epoch or 0, seq or 0)
        side = self.sides[direction]
        if side.cur is None and side.nxt is None:
            self._fail(self.status or NO_KEY, self.reason or "no keys")
            return None
        got = self._try(side, content_type, version, payload)
        if got is None:
            return None
        ct, plain, name = got
        self.decrypted += 1
        if not self.status or self.status == FAILED:
            self.status, self.reason = "ok", ""
        if self.tls13 and ct == CT_HANDSHAKE:
            self._tls13_handshake(direction, plain)
        return Decrypted(ct, plain, name, self.tls13)

    def skip(self, direction: int) -> None:
        """A protected record of this direction that could not be read (lost bytes): it still
        used a sequence number."""
        side = self.sides[direction]
        if side.cur is not None and self.protected[direction]:
            side.cur.seq += 1

    # -- internals -----------------------------------------------------------------------
    def _try(self, side: _Side, ct: int, version: int, payload: bytes) -> tuple[int, bytes, str] | None:
        err: DecryptError | None = None
        for which in ("cur", "nxt"):
            dec = side.cur if which == "cur" else side.nxt
            if dec is None:
                continue
            base = dec.seq
            for s in range(base, base + (1 if which == "nxt" else LOOKAHEAD + 1)):
                try:
                    ict, plain = dec.decrypt(ct, version, payload, s)
                except DecryptError as e:
                    err = err or e
                    if dec.suite.mode == "cbc" and dec.version in (0x0300, 0x0301):
                        break  # chained IV: retrying with another number cannot help
                    continue
                if which == "nxt":
                    self._advance(side)
                return ict, plain, side.cur_name
        self.failed += 1
        if self.status != "ok" or self.failed > self.decrypted:
            self._fail(FAILED, f"records do not decrypt with the logged keys: {err}")
        return None

    def _fail(self, status: str, reason: str) -> None:
        if self.status != "ok":
            self.status, self.reason = status, reason

    def _check_common(self) -> tuple | None:
        if not self.client_random:
            self._fail(NO_HELLO, "the ClientHello was not seen, so the client random is unknown")
            return None
        suite = suite_info(self.cipher) if self.cipher is not None else None
        if suite is None:
            self._fail(UNSUPPORTED, why_unsupported(self.cipher or 0))
            return None
        if not self.keylog.has(self.client_random):
            self._fail(NO_KEY, f"no key for client random {self.client_random.hex()}")
            return None
        return (suite,)

    def _tls12_decryptor(self, direction: int) -> RecordDecryptor | None:
        chk = self._check_common()
        if chk is None:
            return None
        suite = chk[0]
        if suite.tls13:
            self._fail(UNSUPPORTED, f"TLS 1.3 suite 0x{self.cipher:04x} with version 0x{self.version:04x}")
            return None
        ms = self.keylog.get(self.client_random, kl.CLIENT_RANDOM)
        if ms is None:
            self._fail(NO_KEY, f"no CLIENT_RANDOM (master secret) for client random {self.client_random.hex()}")
            return None
        kb = KeyBlock(ms, self.client_random, self.server_random, self.version, suite)
        client = direction == self.client_direction
        return RecordDecryptor(suite, self.version, kb.client_key if client else kb.server_key,
                               kb.client_iv if client else kb.server_iv,
                               kb.client_mac if client else kb.server_mac, etm=self.etm)

    def _setup_tls13(self) -> None:
        chk = self._check_common()
        if chk is None:
            return
        suite = chk[0]
        for d in (0, 1):
            client = d == self.client_direction
            hs_label = kl.CLIENT_HANDSHAKE if client else kl.SERVER_HANDSHAKE
            app_label = kl.CLIENT_TRAFFIC_0 if client else kl.SERVER_TRAFFIC_0
            hs_secret = self.keylog.get(self.client_random, hs_label)
            app_secret = self.keylog.get(self.client_random, app_label)
            side = self.sides[d]
            side.cur = self._tls13_decryptor(suite, hs_secret) if hs_secret else None
            side.cur_name = "handshake"
            side.nxt = self._tls13_decryptor(suite, app_secret) if app_secret else None
            side.nxt_name = "application"
            side.secret, side.nxt_secret = b"", app_secret or b""
            if side.cur is None and side.nxt is not None:  # only the application secrets were logged
                self._advance(side)
            if side.cur is None and side.nxt is None:
                self._fail(NO_KEY, f"no {hs_label} or {app_label} for client random {self.client_random.hex()}")
            self.protected[d] = True

    def _tls13_decryptor(self, suite, secret: bytes) -> RecordDecryptor:
        key, iv = tls13_traffic_keys(suite.prf, secret, suite.key_len, 12)
        return RecordDecryptor(suite, self.version, key, iv, tls13=True)

    def _tls13_handshake(self, direction: int, plain: bytes) -> None:
        """Follow handshake messages: Finished moves to application keys, KeyUpdate to the next."""
        side = self.sides[direction]
        buf = side.hs_buf
        buf += plain
        switch = False
        while len(buf) >= 4:
            n = int.from_bytes(buf[1:4], "big")
            if len(buf) < 4 + n:
                break
            t = buf[0]
            del buf[:4 + n]
            if (t == HS_FINISHED and side.cur_name == "handshake") or \
                    (t == HS_KEY_UPDATE and side.cur_name.startswith("application")):
                switch = True
        if switch and side.nxt is not None:
            self._advance(side)
            buf.clear()

    def _advance(self, side: _Side) -> None:
        """Move to the next keys; in the application stage, arm the next KeyUpdate generation as
        the fallback, so a KeyUpdate we could not read does not end decryption."""
        side.cur, side.cur_name, side.secret = side.nxt, side.nxt_name, side.nxt_secret
        side.nxt, side.nxt_name, side.nxt_secret = None, "", b""
        if self.tls13 and side.cur_name.startswith("application") and side.secret and side.cur is not None:
            gen = 0 if side.cur_name == "application" else int(side.cur_name.split("+")[1])
            side.nxt_secret = tls13_next_secret(side.cur.suite.prf, side.secret)
            side.nxt = self._tls13_decryptor(side.cur.suite, side.nxt_secret)
            side.nxt_name = f"application+{gen + 1}"

    def _dtls_record(self, direction: int, ct: int, version: int, payload: bytes, epoch: int,
                     seq: int) -> Decrypted | None:
        side = self.sides[direction]
        dec = side.epoch_keys.get(epoch)
        if dec is None:
            if epoch != 1 or self.tls13:
                self._fail(UNSUPPORTED, f"DTLS epoch {epoch} (renegotiation or DTLS 1.3) is not supported")
                return None
            dec = self._tls12_decryptor(direction)
            if dec is None:
                return None
            side.epoch_keys[epoch] = dec
        try:
            ict, plain = dec.decrypt(ct, version, payload, (epoch << 48) | seq)
        except DecryptError as e:
            self.failed += 1
            if self.status != "ok":
                self._fail(FAILED, f"records do not decrypt with the logged keys: {e}")
            return None
        self.decrypted += 1
        if self.status != "ok":
            self.status, self.reason = "ok", ""
        return Decrypted(ict, plain, f"epoch {epoch}")
