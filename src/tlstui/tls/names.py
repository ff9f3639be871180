"""Field registrations for TLS, DTLS and X.509, and value-name lookups.

Every tls.*/dtls.*/x509* field tshark 4.0 knows is registered (so filters on any of them
compile, and are simply empty where we do not produce them), with tshark's type, base and
width, so ``format_value`` prints values exactly as ``tshark -T fields`` does.
"""
from __future__ import annotations

import dataclasses

from ..registry import REGISTRY, Base, FieldType, format_value, register, set_labeler
from .wsnames import FIELDS, VALUES

_BASES = {"HEX": Base.HEX, "DEC": Base.DEC, "DEC_HEX": Base.DEC_HEX, "NONE": Base.NONE}

# dtls.* value names are the same tables as tls.* (Wireshark shares them).
_SHARED = {k.replace("tls.", "dtls.", 1): v for k, v in VALUES.items() if k.startswith("tls.")}
_SHARED.update({k: v for k, v in VALUES.items() if k.startswith("dtls.")})
_ALL_VALUES = dict(VALUES)
for _k, _v in _SHARED.items():
    _ALL_VALUES.setdefault(_k, _v)

for _abbrev, _t, _b, _bits, _label in FIELDS:
    register(_abbrev, FieldType[_t], _label, base=_BASES[_b], bits=_bits or 32,
             value_names=_ALL_VALUES.get(_abbrev))

# Fields newer than tshark 4.0 (named as later Wireshark names them) and tlstui's own.
for _p in ("tls", "dtls"):
    register(f"{_p}.handshake.ja4", FieldType.STRING, "JA4")
    register(f"{_p}.handshake.ja4_r", FieldType.STRING, "JA4_r")
register("tlstui.tls.incomplete_record", FieldType.NONE,
         "TLS record not complete: bytes lost or cut by the snapshot length")
register("tlstui.tls.resync", FieldType.NONE, "TLS record boundary found again after a gap")
register("tlstui.tls.handshake_reassembled", FieldType.STRING,
         "Handshake message reassembled from several records (tshark 4.0 shows them as encrypted)")
register("tlstui.tls.cert_issued_by_next", FieldType.BOOLEAN,
         "This certificate's issuer is the subject of the next certificate in the chain")
register("tlstui.tls.cert_self_signed", FieldType.BOOLEAN, "Certificate is self-signed (issuer == subject)")
register("tlstui.dtls.retransmission", FieldType.BOOLEAN,
         "DTLS handshake fragment already seen (retransmitted flight)")
register("tlstui.dtls.unified_header", FieldType.NONE, "DTLS 1.3 record with a unified header (ciphertext)")

VERSION_NAMES = {
    0x0002: "SSL 2.0", 0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2",
    0x0304: "TLS 1.3", 0xFEFF: "DTLS 1.0", 0xFEFD: "DTLS 1.2", 0xFEFC: "DTLS 1.3", 0x0100: "DTLS 1.0 (OpenSSL pre 0.9.8f)",
}
VERSION_SHORT = {
    0x0002: "SSLv2", 0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2",
    0x0304: "TLSv1.3", 0xFEFF: "DTLSv1.0", 0xFEFD: "DTLSv1.2", 0xFEFC: "DTLSv1.3", 0x0100: "DTLS 1.0 (OpenSSL pre 0.9.8f)",
}

FIZZ_TLS13 = (0xFB17, 0xFB1A)  # Facebook's fizz: TLS 1.3 drafts 23 and 26 under versions of its own


def tls13_draft(version: int) -> int:
    """The TLS 1.3 draft number a version names (0x7fNN: draft NN; fizz's 0xfb17/0xfb1a: 23/26), or 0."""
    if version & 0xFF00 == 0x7F00 or version in FIZZ_TLS13:
        return version & 0xFF
    return 0


def negotiated_version(version: int, dtls: bool = False) -> int:
    """A TLS version as tshark 4.0 treats a session's (tls_try_get_version): TLS 1.3 drafts and
    fizz's versions are TLS 1.3 (0x0304); every other value as it is."""
    return 0x0304 if not dtls and tls13_draft(version) else version


CIPHER_SUITES: dict[int, str] = VALUES["tls.handshake.ciphersuite"]
SSL2_CIPHER_SPECS: dict[int, str] = VALUES["tls.handshake.cipherspec"]
HANDSHAKE_TYPES: dict[int, str] = VALUES["tls.handshake.type"]
ALERT_DESCRIPTIONS: dict[int, str] = VALUES["tls.alert_message.desc"]
ALERT_LEVELS: dict[int, str] = VALUES["tls.alert_message.level"]
EXTENSION_TYPES: dict[int, str] = VALUES["tls.handshake.extension.type"]
SIGNATURE_SCHEMES: dict[int, str] = VALUES["tls.handshake.sig_hash_alg"]
GROUPS: dict[int, str] = VALUES["tls.handshake.extensions_supported_group"]


def version_name(v: int) -> str:
    if (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF):
        return "Reserved (GREASE)"
    if 0x7F00 < v <= 0x7FFF:
        return f"TLS 1.3 (draft {v & 0xFF})"
    if v in FIZZ_TLS13:
        return f"TLS 1.3 (Facebook draft {v & 0xFF})"
    return VERSION_NAMES.get(v, "Unknown")


def is_grease(v: int) -> bool:
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def label_for(name: str, value: object) -> str:
    """'Description: value-name (value)' as Wireshark labels a field."""
    spec = REGISTRY.get(name)
    title = spec.description if spec else name
    if value is None:
        return title
    shown = format_value(spec, value)
    if spec is not None and isinstance(value, int):
        if name.endswith((".version", ".supported_version")) and spec.base is Base.HEX:
            return f"{title}: {version_name(value)} ({shown})"
        vn = spec.value_names.get(value)
        if vn is None and spec.value_names and name.endswith(("ciphersuite", "sig_hash_alg", "supported_group",
                                                              "key_share_group", "extension.type")):
            vn = "Reserved (GREASE)" if is_grease(value) else "Unknown"
        if vn is not None:
            return f"{title}: {vn} ({shown})"
    return f"{title}: {shown}"


for _protocol in ("tls", "dtls"):
    set_labeler(_protocol, label_for)


# Version fields filter by name as in tshark (tls.record.version == "TLS 1.2").
for _name in ("tls.record.version", "tls.handshake.version", "tls.handshake.extensions.supported_version",
              "dtls.record.version", "dtls.handshake.version"):
    _spec = REGISTRY.get(_name)
    if _spec is not None and not _spec.value_names:
        REGISTRY.add(dataclasses.replace(_spec, value_names=dict(VERSION_NAMES)))
