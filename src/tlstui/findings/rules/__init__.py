"""The finding rules, one per module.  Each module has ``KINDS`` (the kinds it can report) and
``check(ctx) -> list[Finding]``; ``RULES`` is the order they run in (order does not matter for
the result, which is sorted)."""
from __future__ import annotations

from . import (
    analysis_limit_reached,
    capture_file_damaged,
    capture_file_truncated,
    capture_snaplen_truncated,
    dtls_fragmented_handshake,
    dtls_handshake_retransmission,
    dtls_handshake_stalled,
    ip_middlebox_signature,
    tcp_events,
    tcp_retransmission_mismatch,
    tcp_synack_without_options,
    tls_alert,
    tls_certificate_chain_incomplete,
    tls_certificate_name_mismatch,
    tls_certificate_validity,
    tls_client_certificate_missing,
    tls_encrypted_alert,
    tls_handshake_failure,
    tls_handshake_incomplete,
    tls_malformed,
    tls_reuse_after_close_notify,
    tls_sslv2_client_hello,
    tls_truncated_close,
)

# Rules that read only the frame index: safe while the analysis pass is still running.
CAPTURE_RULES = [capture_file_damaged, capture_file_truncated, capture_snaplen_truncated]

RULES = CAPTURE_RULES + [
    tcp_events,
    tcp_retransmission_mismatch,
    tcp_synack_without_options,
    ip_middlebox_signature,
    tls_alert,
    tls_encrypted_alert,
    tls_handshake_failure,
    tls_reuse_after_close_notify,
    tls_truncated_close,
    tls_handshake_incomplete,
    tls_certificate_validity,
    tls_certificate_chain_incomplete,
    tls_certificate_name_mismatch,
    tls_client_certificate_missing,
    tls_sslv2_client_hello,
    tls_malformed,
    dtls_handshake_retransmission,
    dtls_handshake_stalled,
    dtls_fragmented_handshake,
    analysis_limit_reached,
]
