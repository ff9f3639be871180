"""Compact results of the TLS/DTLS analysis, for findings and fast filters.

These are what the analysis keeps for the whole capture (the Field trees are rebuilt
lazily, one frame at a time).  They are plain data; nothing here refers to the UI.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .x509 import CertInfo


@dataclass(slots=True)
class RecordSummary:
    """One TLS/DTLS record as the analysis saw it.

    ``frame`` is where the record completes (where its fields are shown).  ``content_type``
    is the type on the wire (23 for every TLS 1.3 encrypted record).  ``handshake_types``
    lists the plaintext handshake messages that start in the record (empty when encrypted).
    ``alert`` is (level, description) of a plaintext alert.  ``complete`` is False when
    bytes of the record were lost or cut by the snapshot length.
    """

    frame: int
    kind: str  # "tcp" or "udp"
    stream: int
    direction: int
    content_type: int  # 0 for an SSLv2 record, -1 for bytes that are not a record
    version: int
    length: int
    handshake_types: tuple[int, ...] = ()
    alert: tuple[int, int] | None = None
    encrypted: bool = False
    complete: bool = True
    info: str = ""  # this record's part of the Info column
    # DTLS
    epoch: int | None = None
    sequence: int | None = None
    fragment: tuple[int, int, int] | None = None  # (message_seq, offset, length) of a fragmented message
    retransmission: bool = False
    reassembly_error: bool = False  # a fragment of a message already whole (tshark: overlap error)


@dataclass(slots=True)
class HelloInfo:
    """A ClientHello or ServerHello, decoded."""

    frame: int
    version: int = 0  # legacy_version field
    random: bytes = b""
    session_id: bytes = b""
    ciphers: list[int] = field(default_factory=list)  # ClientHello: offered; ServerHello: [chosen]
    extensions: list[int] = field(default_factory=list)
    sni: str | None = None
    alpn: list[str] = field(default_factory=list)
    supported_versions: list[int] = field(default_factory=list)  # ClientHello
    selected_version: int | None = None  # ServerHello supported_versions
    groups: list[int] = field(default_factory=list)
    sig_algs: list[int] = field(default_factory=list)
    key_share_groups: list[int] = field(default_factory=list)
    psk_modes: list[int] = field(default_factory=list)
    hrr: bool = False
    sslv2: bool = False
    ja3: str = ""
    ja3_full: str = ""
    ja3s: str = ""
    ja4: str = ""


@dataclass(slots=True)
class CertRequestInfo:
    frame: int
    cert_types: list[int] = field(default_factory=list)
    sig_algs: list[int] = field(default_factory=list)
    ca_names: list[str] = field(default_factory=list)  # RFC 4514-like 'CN=...,O=...'


@dataclass(slots=True)
class CertChain:
    """One Certificate message: the chain in the order sent, and whether each is issued by the next."""

    frame: int
    direction: int
    certs: list[CertInfo] = field(default_factory=list)
    issued_by_next: list[bool | None] = field(default_factory=list)  # len(certs)-1 entries


@dataclass(slots=True)
class AlertEvent:
    frame: int
    direction: int
    level: int | None  # None when encrypted
    description: int | None
    encrypted: bool


@dataclass(slots=True)
class StreamTls:
    """The handshake state of one TCP or UDP stream carrying TLS/DTLS.

    ``client_direction`` is the direction (0/1, as the TCP layer numbers them) that sent
    the first ClientHello (None if none was seen).  Per-direction lists are indexed by
    direction.
    """

    kind: str
    stream: int
    dtls: bool = False
    client_direction: int | None = None
    # With no hello seen: the side guessed to be the client (the pass sets it from the SYN or the
    # ports, tcp.conversations.client_side), so that "client" and "server" are never swapped.
    guessed_client_direction: int = 0
    client_hellos: list[HelloInfo] = field(default_factory=list)
    server_hellos: list[HelloInfo] = field(default_factory=list)
    version: int | None = None  # negotiated (supported_versions, else ServerHello.version, else records)
    cipher: int | None = None
    sni: str | None = None
    alpn_offered: list[str] = field(default_factory=list)
    alpn_selected: str | None = None
    certificates: list[CertChain] = field(default_factory=list)
    cert_request: CertRequestInfo | None = None
    client_certificate_empty: bool | None = None  # None: client sent no Certificate message at all
    client_certificate_verify: bool = False
    alerts: list[AlertEvent] = field(default_factory=list)
    ccs_frames: list[list[int]] = field(default_factory=lambda: [[], []])
    finished_frames: list[list[int]] = field(default_factory=lambda: [[], []])  # plaintext or encrypted Finished
    app_data_frames: list[int] = field(default_factory=lambda: [0, 0])  # count per direction
    first_app_data: list[int | None] = field(default_factory=lambda: [None, None])
    last_record_frame: list[int | None] = field(default_factory=lambda: [None, None])
    malformed_frames: list[int] = field(default_factory=list)
    incomplete_frames: list[int] = field(default_factory=list)
    sslv2_client_hello: int | None = None  # frame
    resumed: bool | None = None  # abbreviated handshake (ServerHello then CCS without Certificate)
    # DTLS
    dtls_flights: list[tuple[int, int, tuple[int, ...]]] = field(default_factory=list)  # (frame, dir, msg seqs)
    dtls_retransmissions: list[int] = field(default_factory=list)  # frames
    dtls_fragmented: list[int] = field(default_factory=list)  # frames with handshake fragments
    dtls_max_records_per_datagram: int = 0
    dtls_last_handshake_frame: int | None = None
