"""TLS alert descriptions by their RFC 8446 names, and what each usually means in practice."""
from __future__ import annotations

ALERT_NAMES: dict[int, str] = {
    0: "close_notify", 1: "end_of_early_data", 10: "unexpected_message", 20: "bad_record_mac",
    21: "decryption_failed", 22: "record_overflow", 30: "decompression_failure", 40: "handshake_failure",
    41: "no_certificate", 42: "bad_certificate", 43: "unsupported_certificate", 44: "certificate_revoked",
    45: "certificate_expired", 46: "certificate_unknown", 47: "illegal_parameter", 48: "unknown_ca",
    49: "access_denied", 50: "decode_error", 51: "decrypt_error", 60: "export_restriction",
    70: "protocol_version", 71: "insufficient_security", 80: "internal_error", 86: "inappropriate_fallback",
    90: "user_canceled", 100: "no_renegotiation", 109: "missing_extension", 110: "unsupported_extension",
    111: "certificate_unobtainable", 112: "unrecognized_name", 113: "bad_certificate_status_response",
    114: "bad_certificate_hash_value", 115: "unknown_psk_identity", 116: "certificate_required",
    120: "no_application_protocol", 121: "ech_required",
}

LEVELS = {1: "warning", 2: "fatal"}

# What the alert usually means when it is seen in a capture, and what to check next.
MEANINGS: dict[int, str] = {
    0: "an orderly close: the sender will send no more data on this connection.",
    10: "a message arrived that the peer did not expect at this point: often a middlebox or a "
        "protocol mismatch (plain HTTP to a TLS port, or the reverse).",
    20: "a record failed its integrity check: corruption in the path, a device rewriting data, or "
        "mismatched keys. Look for TCP retransmissions whose bytes differ.",
    40: "the sender could not agree on parameters: after a ClientHello usually no shared cipher "
        "suite or version; after a CertificateRequest usually a missing or rejected client certificate.",
    42: "the certificate was rejected (bad signature, wrong key usage); often a client certificate "
        "the server does not accept.",
    43: "the certificate type or key is not supported by the receiver.",
    44: "the certificate has been revoked by its issuer.",
    45: "a certificate in the chain is expired (or not yet valid) by the receiver's clock: check the "
        "dates in the Certificate message and the receiver's clock.",
    46: "the certificate was refused for an unspecified reason: compare its chain, names and key "
        "usage with what the receiver trusts.",
    47: "a field in a handshake message was out of range or inconsistent.",
    48: "the receiver could not build a chain to a CA it trusts: the server usually omits an "
        "intermediate certificate, or the root is not in the client's trust store.",
    49: "the certificate was valid but access was refused by policy.",
    50: "a message could not be decoded: a broken implementation or data changed in transit.",
    51: "a signature or Finished check failed: wrong key, or data changed in transit.",
    70: "the peer does not support the protocol version offered: compare the client's supported "
        "versions with the server's configured minimum and maximum.",
    71: "the offered parameters are too weak for the receiver's policy.",
    80: "the sender hit an internal error unrelated to the peer; check its logs.",
    86: "a client retried with a lower version although the server supports a higher one (downgrade "
        "protection).",
    90: "the sender cancelled the handshake.",
    100: "the peer refused to renegotiate.",
    109: "a required extension was missing from the handshake.",
    110: "an extension was sent that the receiver did not offer or allow.",
    112: "the server has no certificate for the SNI name the client asked for.",
    115: "the server does not know the PSK identity the client offered.",
    116: "the server requires a client certificate and the client sent none.",
    120: "no ALPN protocol in common (for example h2 only against an http/1.1-only server).",
}


def alert_name(desc: int | None) -> str:
    if desc is None:
        return "unknown"
    return ALERT_NAMES.get(desc, f"alert {desc}")


def alert_label(level: int | None, desc: int | None) -> str:
    """'fatal handshake_failure (40)'."""
    lv = LEVELS.get(level, f"level {level}") if level is not None else ""
    return (f"{lv} " if lv else "") + f"{alert_name(desc)} ({desc})"


def alert_meaning(desc: int | None) -> str:
    return MEANINGS.get(desc, "see RFC 8446 section 6 for this alert.") if desc is not None else ""
