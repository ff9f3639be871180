"""QUIC connections as tshark 4.0 tracks them: by the connection IDs each side chose, the
client's first Destination Connection ID, and the UDP conversation (packet-quic.c's maps).

The keys of a connection live here too: Initial keys from the client's first DCID, Handshake,
0-RTT and 1-RTT keys from the key log once the TLS handshake names the client random and the
cipher suite.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import protection as P
from .cryptostream import CryptoStream
from .handshake import HandshakeStream


@dataclass
class AppKeys:
    """1-RTT protection of one side: header protection for all key phases, packet keys per phase."""

    hp: P.Keys
    phase_keys: list[P.Keys | None]
    next_secret: bytes
    key_phase: int = 0


@dataclass(eq=False)
class Connection:
    number: int
    version: int
    server_port: int
    stream: int  # UDP stream of the client's first Initial
    client_dir: int
    prev: "Connection | None" = None
    client_cids: list[bytes] = field(default_factory=lambda: [b""])
    server_cids: list[bytes] = field(default_factory=lambda: [b""])
    client_dcid_initial: bytes = b""
    client_dcid_set: bool = False
    initial: list[P.Keys | None] = field(default_factory=lambda: [None, None])  # client, server
    handshake: list[P.Keys | None] = field(default_factory=lambda: [None, None])
    zero_rtt: P.Keys | None = None
    app: list[AppKeys | None] = field(default_factory=lambda: [None, None])
    app_ready: bool = False
    skip_decryption: bool = False
    max_pn: list[list[int]] = field(default_factory=lambda: [[0, 0, 0], [0, 0, 0]])
    crypto: dict[tuple[int, int], CryptoStream] = field(default_factory=dict)
    tls: dict[tuple[int, int], HandshakeStream] = field(default_factory=dict)
    client_random: bytes | None = None
    cipher: int | None = None
    alpn: str | None = None
    sni: str | None = None
    reset_tokens: list[list[bytes]] = field(default_factory=lambda: [[], []])
    # facts for findings and connection lists
    first_frame: int = 0
    last_frame: int = 0
    handshake_done: bool = False
    client_finished: bool = False
    server_finished: bool = False
    closes: list[tuple[int, int, int, int, str]] = field(default_factory=list)  # frame, side, type, code, reason
    versions_offered: list[int] = field(default_factory=list)

    def crypto_stream(self, side: int, level: int) -> CryptoStream:
        k = (side, level)
        s = self.crypto.get(k)
        if s is None:
            s = self.crypto[k] = CryptoStream()
        return s

    def tls_stream(self, side: int, level: int) -> HandshakeStream:
        k = (side, level)
        s = self.tls.get(k)
        if s is None:
            s = self.tls[k] = HandshakeStream()
        return s


def cids_match(items: list[bytes], raw: bytes) -> bool:
    """tshark's quic_cids_has_match: a known CID is a prefix of ``raw`` (an empty one matches)."""
    return any(raw.startswith(c) for c in items)


class Tracker:
    """The connection maps of one capture."""

    def __init__(self) -> None:
        self.client: dict[bytes, Connection] = {}  # CIDs the client chose -> connection
        self.server: dict[bytes, Connection] = {}
        self.initial: dict[bytes, Connection] = {}  # the client's first DCID -> connection
        self.lengths: set[int] = set()
        self.by_stream: dict[int, Connection] = {}  # most recent connection of a UDP conversation
        self.all: list[Connection] = []

    def _insert(self, cid: bytes, conn: Connection, from_server: bool) -> None:
        (self.server if from_server else self.client)[cid] = conn
        self.lengths.add(len(cid))

    def find_dcid(self, dcid: bytes | None, stream: int, direction: int, sport: int) -> tuple[Connection | None, bool]:
        conn = None
        from_server = False
        check_ports = False
        if dcid:
            if len(dcid) not in self.lengths:
                return None, False
            conn = self.client.get(dcid)
            if conn is not None:
                from_server = True
                check_ports = dcid in self.server
            else:
                conn = self.server.get(dcid)
        else:
            conn = self.by_stream.get(stream)
            check_ports = conn is not None
        if check_ports and conn is not None:
            from_server = self.is_server(conn, stream, direction, sport)
        return conn, from_server

    @staticmethod
    def is_server(conn: Connection, stream: int, direction: int, sport: int) -> bool:
        if stream == conn.stream:
            return direction != conn.client_dir
        return sport == conn.server_port

    def find(self, ptype: int, dcid: bytes, stream: int, direction: int, sport: int) -> tuple[Connection | None, bool, bytes]:
        """quic_connection_find: (connection, from_server, DCID as matched)."""
        from . import versions as V

        conn = None
        from_server = False
        if ptype == V.ZERO_RTT and dcid:
            conn = self.initial.get(dcid)
        elif ptype != V.SHORT:
            conn, from_server = self.find_dcid(dcid, stream, direction, sport)
            if ptype == V.INITIAL and conn is None and dcid:
                conn = self.initial.get(dcid)
                from_server = False
            if ptype == V.INITIAL and conn is not None and not from_server and dcid and \
                    dcid != conn.client_dcid_initial and not cids_match(conn.server_cids, dcid):
                conn = None
        if ptype == V.SHORT and conn is None:
            conn, from_server = self.find_dcid(None, stream, direction, sport)
            while conn is not None:
                if (from_server and cids_match(conn.client_cids, dcid)) or \
                        (not from_server and cids_match(conn.server_cids, dcid)):
                    break
                conn = conn.prev
            n = len(dcid)
            while conn is None and n > 1:
                n -= 1
                if n in self.lengths:
                    conn, from_server = self.find_dcid(dcid[:n], stream, direction, sport)
            if conn is None:
                dcid = b""
        return conn, from_server, dcid

    def create(self, version: int, stream: int, direction: int, dport: int, frame: int) -> Connection:
        conn = Connection(len(self.all), version, dport, stream, direction, prev=self.by_stream.get(stream),
                          first_frame=frame, last_frame=frame)
        self.by_stream[stream] = conn
        self.all.append(conn)
        return conn

    def update_initial(self, conn: Connection, scid: bytes, dcid: bytes) -> None:
        if scid:
            conn.client_cids[0] = scid
            self._insert(scid, conn, False)
        if dcid:
            conn.client_dcid_initial = dcid
            self.initial[dcid] = conn
            conn.client_dcid_set = True

    def create_or_update(self, conn: Connection | None, ptype: int, version: int, scid: bytes, dcid: bytes,
                         from_server: bool, stream: int, direction: int, dport: int, frame: int) -> Connection | None:
        from . import versions as V

        if ptype == V.INITIAL and not from_server:
            if conn is None:
                conn = self.create(version, stream, direction, dport, frame)
                self.update_initial(conn, scid, dcid)
            elif not conn.client_dcid_set and dcid:
                self.update_initial(conn, scid, dcid)
                self.server.pop(conn.server_cids[0], None)
                conn.server_cids[0] = b""
            return conn
        if ptype in (V.INITIAL, V.RETRY, V.HANDSHAKE) and from_server and conn is not None:
            if ptype == V.RETRY:
                self.initial.pop(conn.client_dcid_initial, None)
                conn.client_dcid_initial = b""
                conn.client_dcid_set = False
            if not conn.server_cids[0] and scid:
                conn.server_cids[0] = scid
                self._insert(scid, conn, True)
        return conn

    def add_cid(self, conn: Connection, cid: bytes, from_server: bool) -> None:
        items = conn.server_cids if from_server else conn.client_cids
        if cids_match(items, cid):
            return
        items.insert(1, cid)
        self._insert(cid, conn, from_server)

    def reset_match(self, stream: int, direction: int, sport: int, tail: bytes) -> tuple[Connection | None, bool]:
        conn = self.by_stream.get(stream)
        while conn is not None:
            side = self.is_server(conn, stream, direction, sport)
            if tail in conn.reset_tokens[1 if side else 0]:
                return conn, side
            conn = conn.prev
        return None, False
