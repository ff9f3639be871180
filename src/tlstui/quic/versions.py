"""QUIC versions as tshark 4.0 knows them: names, draft numbers, Initial salts and key labels.

Packet types are kept in Wireshark's version-independent numbering (``INITIAL`` .. ``RETRY``);
QUIC v2 (RFC 9369) encodes them differently on the wire.
"""
from __future__ import annotations

INITIAL, ZERO_RTT, HANDSHAKE, RETRY = 0, 1, 2, 3
VERSION_NEGOTIATION = 0xFE  # a long header with version 0: no packet type of its own
SHORT = 0xFF
PACKET_TYPE_NAMES = {INITIAL: "Initial", ZERO_RTT: "0-RTT", HANDSHAKE: "Handshake", RETRY: "Retry"}

V1 = 0x00000001
V2 = 0x6B3343CF
MAX_CID = 20

_SALT_DRAFT_22 = bytes.fromhex("7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a")
_SALT_DRAFT_23 = bytes.fromhex("c3eef712c72ebb5a11a7d2432bb46365bef9f502")
_SALT_DRAFT_29 = bytes.fromhex("afbfec289993d24c9e9786f19c6111e04390a899")
_SALT_V1 = bytes.fromhex("38762cf7f55934b34d179ae6a4c80cadccbb7f0a")
_SALT_V2 = bytes.fromhex("0dede3def700a6db819381be6e269dcbf9bd2ed9")
_SALT_Q050 = bytes.fromhex("504574efd066fe2f9d945cfcdbd3a7f0d3b56b45")
_SALT_T050 = bytes.fromhex("7ff579e5acd07291558030 4c43a2367c60488310".replace(" ", ""))
_SALT_T051 = bytes.fromhex("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d")
_GQUIC_TLS = {0x51303530: _SALT_Q050, 0x54303530: _SALT_T050, 0x54303531: _SALT_T051}


def draft_version(version: int) -> int:
    """The IETF draft a version follows (34 for v1, 100 for v2), 0 when unknown: tshark's table."""
    if version >> 8 == 0xFF0000:
        return version & 0xFF
    if version == 0xFACEB001:
        return 22
    if version in (0xFACEB002, 0xFACEB00E):
        return 27
    if version in _GQUIC_TLS:
        return 27
    if version & 0x0F0F0F0F == 0x0A0A0A0A:
        return 29  # reserved versions that force version negotiation: tshark 4.0 reads them as draft-29
    if version == V1:
        return 34
    if version == V2:
        return 100
    return 0


def is_v2(version: int) -> bool:
    return version == V2


def forces_negotiation(version: int) -> bool:
    return version & 0x0F0F0F0F == 0x0A0A0A0A


def draft_max(version: int, most: int) -> bool:
    d = draft_version(version)
    return 0 < d <= most


def heuristic_version(version: int) -> bool:
    """A version tshark's UDP heuristic takes as QUIC (draft 11 and later)."""
    return draft_version(version) >= 11


def is_gquic_tls(version: int) -> bool:
    return version in _GQUIC_TLS


def long_packet_type(first_byte: int, version: int) -> int:
    """Wireshark's packet type of a long header (v2 numbers its types differently)."""
    bits = (first_byte & 0x30) >> 4
    if version == 0:
        return VERSION_NEGOTIATION
    if not is_v2(version):
        return bits  # 0 Initial, 1 0-RTT, 2 Handshake, 3 Retry
    return (RETRY, INITIAL, ZERO_RTT, HANDSHAKE)[bits]


def initial_salt(version: int) -> bytes:
    """The salt of the Initial secrets (tshark's choice for versions it does not know: v2's)."""
    if version in _GQUIC_TLS:
        return _GQUIC_TLS[version]
    if draft_max(version, 22):
        return _SALT_DRAFT_22
    if draft_max(version, 28):
        return _SALT_DRAFT_23
    if draft_max(version, 32):
        return _SALT_DRAFT_29
    if draft_max(version, 34):
        return _SALT_V1
    return _SALT_V2


def key_labels(version: int) -> tuple[str, str, str]:
    """HKDF labels of the packet key, IV and header-protection key."""
    if is_v2(version):
        return "quicv2 key", "quicv2 iv", "quicv2 hp"
    return "quic key", "quic iv", "quic hp"


def key_update_label(version: int) -> str:
    if draft_max(version, 23):
        return "traffic upd"
    if draft_max(version, 34):
        return "quic ku"
    return "quicv2 ku"


_RANGES = (
    (0x00000000, 0x00000000, "Version Negotiation"), (0x00000001, 0x00000001, "1"),
    (0x45474700, 0x454747FF, "Quant"), (0x50435130, 0x50435131, "Picoquic internal"),
    (0x50524F58, 0x50524F58, "Proxied QUIC (PROX)"), (0x51303433, 0x51303433, "Google Q043"),
    (0x51303434, 0x51303434, "Google Q044"), (0x51303436, 0x51303436, "Google Q046"),
    (0x51303530, 0x51303530, "Google Q050"), (0x51474F00, 0x51474FFF, "QGO (QUIC GO)"),
    (0x54303530, 0x54303530, "Google T050"), (0x54303531, 0x54303531, "Google T051"),
    (0x91C17000, 0x91C170FF, "Quicly"), (0xABCD0000, 0xABCD000F, "MsQuic"),
    (0xF0F0F0F0, 0xF0F0F0FF, "ETH Zürich (Measurability experiments)"),
    (0xF0F0F1F0, 0xF0F0F1FF, "Telecom Italia (Measurability experiments)"),
    (0xF123F0C0, 0xF123F0CF, "MozQuic"), (0xFACEB001, 0xFACEB001, "Facebook mvfst (draft-22)"),
    (0xFACEB002, 0xFACEB002, "Facebook mvfst (draft-27)"), (0xFACEB003, 0xFACEB00D, "Facebook mvfst"),
    (0xFACEB00E, 0xFACEB00E, "Facebook mvfst (Experimental)"), (0xFACEB00F, 0xFACEB00F, "Facebook mvfst"),
    (0xFF020000, 0xFF020000, "v2-draft-00"), (0x709A50C4, 0x709A50C4, "v2-draft-01"), (V2, V2, "2"),
)


def version_name(version: int) -> str:
    if 0xFF000004 <= version <= 0xFF000022:
        return f"draft-{version & 0xFF:02d}"
    for lo, hi, name in _RANGES:
        if lo <= version <= hi:
            return name
    return "Unknown"
