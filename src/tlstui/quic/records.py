"""What the analysis pass keeps of each QUIC datagram, for the columns and the lazy tree."""
from __future__ import annotations

from dataclasses import dataclass, field

from .cryptostream import Delivery
from .handshake import Handled


@dataclass(slots=True)
class CryptoSeen:
    """One CRYPTO frame's fate: the reassembly's verdict and what the TLS layer made of it."""

    delivery: Delivery
    handled: Handled | None = None


@dataclass(slots=True)
class Packet:
    """One QUIC packet of a datagram (offsets in the UDP payload)."""

    off: int
    end: int
    kind: str  # "long", "short", "vn", "forcing", "retry", "reset"
    ptype: int
    version: int = 0
    first: int | None = None  # first byte without header protection
    pn: int = -1
    pn_len: int = 0
    error: str | None = None
    plain: bytes | None = None  # the decrypted payload
    frame_types: tuple[int, ...] = ()
    info: str = ""
    dcid_len: int = 0  # the short header's DCID length, as the connection knows it
    crypto: list[CryptoSeen] = field(default_factory=list)
    malformed: bool = False
    retry_verified: bool | None = None


@dataclass(slots=True)
class Datagram:
    """A UDP payload dissected as QUIC."""

    frame_offset: int  # where the payload lies in the frame's bytes
    length: int
    conn: int | None  # connection number
    from_server: bool
    packets: list[Packet] = field(default_factory=list)
    padding_at: int = -1  # where unrelated bytes follow the last packet
    malformed: bool = False
    info: str = ""
    udp_info: str = ""  # the UDP Info text, for a datagram tshark gives up on
