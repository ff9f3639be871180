"""Names tshark 4.0 gives QUIC frame types and transport error codes."""
from __future__ import annotations

_FRAME_TYPES = (
    (0x00, 0x00, "PADDING"), (0x01, 0x01, "PING"), (0x02, 0x03, "ACK"), (0x04, 0x04, "RESET_STREAM"),
    (0x05, 0x05, "STOP_SENDING"), (0x06, 0x06, "CRYPTO"), (0x07, 0x07, "NEW_TOKEN"), (0x08, 0x0F, "STREAM"),
    (0x10, 0x10, "MAX_DATA"), (0x11, 0x11, "MAX_STREAM_DATA"), (0x12, 0x12, "MAX_STREAMS (BIDI)"),
    (0x13, 0x13, "MAX_STREAMS (UNI)"), (0x14, 0x14, "DATA_BLOCKED"), (0x15, 0x15, "STREAM_DATA_BLOCKED"),
    (0x16, 0x16, "STREAMS_BLOCKED (BIDI)"), (0x16, 0x17, "STREAMS_BLOCKED (UNI)"),
    (0x18, 0x18, "NEW_CONNECTION_ID"), (0x19, 0x19, "RETIRE_CONNECTION_ID"), (0x1A, 0x1A, "PATH_CHALLENGE"),
    (0x1B, 0x1B, "PATH_RESPONSE"), (0x1C, 0x1C, "CONNECTION_CLOSE (Transport)"),
    (0x1D, 0x1D, "CONNECTION_CLOSE (Application)"), (0x1E, 0x1E, "HANDSHAKE_DONE"), (0x30, 0x31, "DATAGRAM"),
    (0x40, 0x40, "MP_NEW_CONNECTION_ID"), (0x41, 0x41, "MP_RETIRE_CONNECTION_ID"), (0x42, 0x43, "MP_ACK"),
    (0x44, 0x44, "ADD_ADDRESS"), (0x45, 0x45, "REMOVE_ADDRESS"), (0x46, 0x46, "UNIFLOWS"),
    (0xAC, 0xAC, "IMMEDIATE_ACK"), (0xAF, 0xAF, "ACK_FREQUENCY"), (0x02F5, 0x02F5, "TIME_STAMP"),
)

TRANSPORT_ERRORS = {
    0x00: "NO_ERROR", 0x01: "INTERNAL_ERROR", 0x02: "CONNECTION_REFUSED", 0x03: "FLOW_CONTROL_ERROR",
    0x04: "STREAM_ID_ERROR", 0x05: "STREAM_STATE_ERROR", 0x06: "FINAL_SIZE_ERROR", 0x07: "FRAME_ENCODING_ERROR",
    0x08: "TRANSPORT_PARAMETER_ERROR", 0x09: "CONNECTION_ID_LIMIT_ERROR", 0x0A: "PROTOCOL_VIOLATION",
    0x0B: "INVALID_TOKEN", 0x0C: "APPLICATION_ERROR", 0x0D: "CRYPTO_BUFFER_EXCEEDED", 0x0E: "KEY_UPDATE_ERROR",
    0x0F: "AEAD_LIMIT_REACHED", 0x10: "NO_VIABLE_PATH", 0x11: "VERSION_NEGOTIATION_ERROR",
}


def frame_type_name(ft: int) -> str:
    v = ft & 0xFFFFFFFF  # tshark looks the type up as a 32-bit value
    for lo, hi, name in _FRAME_TYPES:
        if lo <= v <= hi:
            return name
    return "Unknown"


def transport_error_name(code: int) -> str:
    if code in TRANSPORT_ERRORS:
        return TRANSPORT_ERRORS[code]
    if 0x100 <= code <= 0x1FF:
        return "CRYPTO_ERROR"
    return f"Unknown ({code & 0xFFFFFFFF})"
