"""TLS and DTLS decryption with an NSS key log (SSLKEYLOGFILE, --keylog, pcapng DSBs).

Layers, each usable alone:

* :mod:`.keylog`: :class:`KeyLog` (parse, merge, look up by client random; bad lines are
  :class:`KeyLogProblem` with line numbers), :func:`load_keylog`;
* :mod:`.suites`: :func:`suite_info` (suite id -> :class:`CipherSuite`);
* :mod:`.kdf`: TLS PRF and key block, TLS 1.3 HKDF-Expand-Label, traffic keys, KeyUpdate;
* :mod:`.record`: :class:`RecordDecryptor` (one direction, one set of keys);
* :mod:`.connection`: :class:`ConnectionDecryptor` (one connection: which keys when);
* :mod:`.hook`: :class:`CaptureDecryption` (what the analyzer calls; HTTP on top).

INTEGRATION (the calls the TLS analyzer makes; nothing else in the decoder changes):
``TlsAnalyzer(get_frame_bytes, decrypt=CaptureDecryption.create(keylog, capture.secrets))``;
in ``_emit_tls``/``_emit_dtls`` ``plain = decrypt.tls_record(info, direction, frame, rec,
complete)`` before decoding, and when it is not None decode with
``decrypt.decode_tls(plain, ...)`` (also on the lazy rebuild) and learn from the inner
content type; ``frame_layers`` appends ``decrypt.frame_layers(frame)``.
"""
from __future__ import annotations

from .connection import ConnectionDecryptor, Decrypted
from .hook import CaptureDecryption, StreamStatus, source_name
from .kdf import KeyBlock, hkdf_expand_label, prf, tls13_next_secret, tls13_traffic_keys
from .keylog import KeyLog, KeyLogProblem, load_keylog
from .record import DecryptError, RecordDecryptor
from .suites import CipherSuite, suite_info, why_unsupported

__all__ = ["KeyLog", "KeyLogProblem", "load_keylog", "CipherSuite", "suite_info", "why_unsupported", "KeyBlock",
           "prf", "hkdf_expand_label", "tls13_traffic_keys", "tls13_next_secret", "RecordDecryptor",
           "DecryptError", "ConnectionDecryptor", "Decrypted", "CaptureDecryption", "StreamStatus", "source_name"]
