"""Writes tests/data/quic_crafted.pcap (and its key log quic_crafted.keys) from the RFC 9001 and
RFC 9369 Appendix A packets and packets protected here the same way, and, with --truth, tshark's
fields for it beside it (without and with the key log: .quic.tsv, .decrypted.quic.tsv: not
.fields.tsv, which the corpus-wide tests read as the full field set).

    python tests/unit/quic/make_quic_capture.py [--truth]

Connection 1 (client port 50001): RFC 9001 A.2's client Initial, A.3's server Initial
(ServerHello) coalesced with a server Handshake packet (EncryptedExtensions with ALPN h3, under
a made-up handshake secret written to the key log), a server 1-RTT packet (HANDSHAKE_DONE,
NEW_CONNECTION_ID, PING) and a client 1-RTT CONNECTION_CLOSE; zeros after the Handshake packet
(tshark takes them for a short header packet that does not decrypt).
Connection 2 (50002): a ClientHello in four CRYPTO frames over two Initials, out of order; the
server answers with CONNECTION_CLOSE carrying crypto error 0x128 (alert handshake_failure).
Connection 3 (50003): RFC 9369 A.2's QUIC v2 client Initial (its DCID is connection 1's, so
tshark takes it for connection 1 and fails to decrypt it: a tracking case).  Connection 4 (50004): an Initial of a
version that forces negotiation and the server's Version Negotiation.  Connection 5 (50005): a
draft-29 Initial and the RFC 9001 A.4 Retry.  Then a UDP datagram to port 443 that is not QUIC.
"""
from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
from factory import pcap  # noqa: E402

import rfc_vectors as R  # noqa: E402
from tlstui.quic import protection as P  # noqa: E402
from tlstui.quic import versions as V  # noqa: E402
from tlstui.quic.varint import encode_varint as vi  # noqa: E402

DATA = HERE.parents[1] / "data"
NAME = "quic_crafted.pcap"
T0 = 1_700_000_000 * 10**9
C4, S4 = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20])
MAC_C, MAC_S = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
HS_SECRET_S = bytes(range(32))
HS_SECRET_C = bytes(range(32, 64))
APP_SECRET_S = bytes(range(64, 96))
APP_SECRET_C = bytes(range(96, 128))
CLIENT_RANDOM = R.CLIENT_CRYPTO_FRAME[10:42]
FIELDS = ["frame.number", "_ws.col.Protocol", "_ws.col.Info", "frame.protocols", "udp.stream", "quic.header_form",
          "quic.long.packet_type", "quic.long.packet_type_v2", "quic.version", "quic.dcid", "quic.scid",
          "quic.packet_number", "quic.length", "quic.token_length", "quic.frame_type", "quic.crypto.offset",
          "quic.crypto.length", "quic.cc.error_code", "quic.cc.error_code.tls_alert", "quic.cc.reason_phrase",
          "quic.supported_version", "quic.retry_token", "quic.nci.connection_id", "quic.connection.number",
          "tls.handshake.type", "tls.handshake.ciphersuite", "tls.handshake.extensions_server_name",
          "tls.handshake.extension.type", "tls.handshake.extensions_alpn_str", "tls.handshake.random",
          "tls.handshake.extensions.supported_version", "tls.handshake.ja3", "tls.handshake.ja3s"]


def _csum(b: bytes) -> int:
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f">{len(b) // 2}H", b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def udp_frame(from_client: bool, cport: int, payload: bytes, sport: int = 443) -> bytes:
    src, dst = (C4, S4) if from_client else (S4, C4)
    a, b = (cport, sport) if from_client else (sport, cport)
    udp = struct.pack(">HHHH", a, b, 8 + len(payload), 0) + payload
    pseudo = src + dst + struct.pack(">BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack(">H", _csum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", _csum(ip)) + ip[12:]
    return (MAC_S + MAC_C if from_client else MAC_C + MAC_S) + b"\x08\x00" + ip + udp


def long_packet(keys: P.Keys, version: int, ptype_bits: int, dcid: bytes, scid: bytes, pn: int, payload: bytes,
                token: bytes | None = None, pn_len: int = 2) -> bytes:
    """A protected long header packet (``token`` for Initials)."""
    first = 0xC0 | (ptype_bits << 4) | (pn_len - 1)
    head = bytes([first]) + version.to_bytes(4, "big") + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    if token is not None:
        head += vi(len(token)) + token
    length = pn_len + len(payload) + 16
    header = head + (length | 0x4000).to_bytes(2, "big") + pn.to_bytes(pn_len, "big")
    body = P.encrypt_payload(keys, header, pn, payload)
    return P.apply_header_protection(header, pn_len, body, keys) + body


def short_packet(keys: P.Keys, dcid: bytes, pn: int, payload: bytes, pn_len: int = 2) -> bytes:
    header = bytes([0x40 | (pn_len - 1)]) + dcid + pn.to_bytes(pn_len, "big")
    body = P.encrypt_payload(keys, header, pn, payload)
    return P.apply_header_protection(header, pn_len, body, keys) + body


def crypto(offset: int, data: bytes) -> bytes:
    return b"\x06" + vi(offset) + vi(len(data)) + data


def frames() -> list[tuple[int, bytes, int]]:
    out: list[bytes] = []
    v1 = V.V1
    # -- connection 1: the RFC packets, then Handshake and 1-RTT under key log secrets
    out.append(udp_frame(True, 50001, R.V1_CLIENT_PACKET))
    scid = bytes.fromhex("f067a5502a4262b5")
    alpn = b"\x00\x10\x00\x05\x00\x03\x02h3"
    body = len(alpn).to_bytes(2, "big") + alpn
    ee = b"\x08" + len(body).to_bytes(3, "big") + body  # EncryptedExtensions: ALPN h3
    hs_s = P.keys_from_secret(HS_SECRET_S, v1, 0x1301)
    hs_pkt = long_packet(hs_s, v1, 2, b"", scid, 0, crypto(0, ee) + bytes(20))
    out.append(udp_frame(False, 50001, R.V1_SERVER_PACKET + hs_pkt + bytes(30)))
    app_s = P.keys_from_secret(APP_SECRET_S, v1, 0x1301)
    nci = b"\x18" + vi(1) + vi(0) + b"\x08" + bytes.fromhex("1122334455667788") + bytes(range(16))
    out.append(udp_frame(False, 50001, short_packet(app_s, b"", 0, b"\x1e" + nci + b"\x01" + bytes(8))))
    app_c = P.keys_from_secret(APP_SECRET_C, v1, 0x1301)
    close = b"\x1c" + vi(0x0A) + vi(0) + vi(6) + b"bye-bye"[:6]
    out.append(udp_frame(True, 50001, short_packet(app_c, scid, 0, close + bytes(4))))
    # -- connection 2: a ClientHello in pieces, out of order, then CONNECTION_CLOSE with an alert
    dcid2, scid2 = bytes.fromhex("0001020304050607"), bytes.fromhex("a1a2a3a4")
    ck2, sk2 = P.initial_keys(dcid2, v1)
    ch = R.CLIENT_CRYPTO_FRAME[4:]  # the ClientHello message of A.2
    p1 = crypto(150, ch[150:]) + b"\x01" + crypto(0, ch[:60])
    p2 = crypto(100, ch[100:150]) + crypto(60, ch[60:100])
    out.append(udp_frame(True, 50002, long_packet(ck2, v1, 0, dcid2, scid2, 0, p1 + bytes(900), token=b"")))
    out.append(udp_frame(True, 50002, long_packet(ck2, v1, 0, dcid2, scid2, 1, p2 + bytes(900), token=b"")))
    cc = b"\x1c" + vi(0x128) + vi(6) + vi(13) + b"no cipher, sorry"[:13]
    out.append(udp_frame(False, 50002, long_packet(sk2, v1, 0, scid2, bytes.fromhex("b1b2b3b4b5"), 0, cc + bytes(10),
                                                   token=b"")))
    # -- connection 3: RFC 9369 A.2 (QUIC v2)
    ck3, _sk3 = P.initial_keys(R.DCID, V.V2)
    body3 = P.encrypt_payload(ck3, R.V2_CLIENT_HEADER, 2, R.CLIENT_PAYLOAD)
    out.append(udp_frame(True, 50003, P.apply_header_protection(R.V2_CLIENT_HEADER, 4, body3, ck3) + body3))
    # -- connection 4: a version that forces negotiation, and the Version Negotiation
    dcid4, scid4 = bytes.fromhex("c1c2c3c4c5c6c7c8"), bytes.fromhex("d1d2d3d4")
    ck4, _ = P.initial_keys(dcid4, 0x1A2A3A4A)
    out.append(udp_frame(True, 50004, long_packet(ck4, 0x1A2A3A4A, 0, dcid4, scid4, 0, crypto(0, ch[:40]) + bytes(900),
                                                  token=b"")))
    vn = bytes([0x80 | 0x2A]) + bytes(4) + bytes([len(scid4)]) + scid4 + bytes([len(dcid4)]) + dcid4 + \
        b"\x00\x00\x00\x01\xff\x00\x00\x1d\x6b\x33\x43\xcf"
    out.append(udp_frame(False, 50004, vn))
    # -- connection 5: draft-29 Initial, then RFC 9001 A.4's Retry (its DCID empty, as A.2's SCID)
    ck5, _ = P.initial_keys(R.DCID, 0xFF00001D)
    out.append(udp_frame(True, 50005, long_packet(ck5, 0xFF00001D, 0, R.DCID, b"", 3, crypto(0, ch) + bytes(900),
                                                  token=b"")))
    out.append(udp_frame(False, 50005, R.V1_RETRY))
    # -- not QUIC: UDP to 443 that no heuristic takes
    out.append(udp_frame(True, 50006, b"\x40not quic at all, just bytes to port 443"))
    return [(T0 + i * 1_000_000, f, len(f)) for i, f in enumerate(out)]


def keylog() -> str:
    cr = CLIENT_RANDOM.hex()
    return (f"SERVER_HANDSHAKE_TRAFFIC_SECRET {cr} {HS_SECRET_S.hex()}\n"
            f"CLIENT_HANDSHAKE_TRAFFIC_SECRET {cr} {HS_SECRET_C.hex()}\n"
            f"SERVER_TRAFFIC_SECRET_0 {cr} {APP_SECRET_S.hex()}\n"
            f"CLIENT_TRAFFIC_SECRET_0 {cr} {APP_SECRET_C.hex()}\n")


def tshark_fields(cap: Path, keys: Path | None) -> str:
    cmd = ["tshark", "-2", "-n", "-r", str(cap), "-o", f"tls.keylog_file:{keys or ''}", "-T", "fields",
           "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,", "-E", "quote=n"]
    for f in FIELDS:
        cmd += ["-e", f]
    return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout


def main() -> None:
    cap = DATA / NAME
    cap.write_bytes(pcap(frames()))
    keys = DATA / "quic_crafted.keys"
    keys.write_text(keylog())
    if "--truth" in sys.argv:
        (DATA / (NAME + ".quic.tsv")).write_text(tshark_fields(cap, None))
        (DATA / (NAME + ".decrypted.quic.tsv")).write_text(tshark_fields(cap, keys))
    print(f"wrote {cap}")


if __name__ == "__main__":
    main()
