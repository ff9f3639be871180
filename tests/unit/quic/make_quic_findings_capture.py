"""Writes tests/data/quicfail_crafted.pcap and its key log quicfail_crafted.keys: QUIC connections
that fail (or do not) in the ways the QUIC findings diagnose, protected as RFC 9001 says (Initial
keys from the client's DCID; Handshake and 1-RTT keys from made-up secrets in the key log).

    python tests/unit/quic/make_quic_findings_capture.py

Client 192.0.2.10 unless said, server 198.51.100.20:443, one client port per connection:

- 50101 clean: Initial (ClientHello) / Initial (ServerHello) + Handshake (EncryptedExtensions with
  ALPN h3, Finished) / client Handshake (Finished) / client 1-RTT / server 1-RTT HANDSHAKE_DONE /
  client 1-RTT CONNECTION_CLOSE (Application) H3_NO_ERROR.  No finding, with or without keys.
- 50102: the server's Initial answers the ClientHello with CONNECTION_CLOSE 0x128 (handshake_failure).
- 50103: the server's Initial answers with CONNECTION_CLOSE 0x178 (no_application_protocol).
- 50104: the client's Initial sent three times over 0.9 s, nothing comes back.
- 50105: ServerHello and the server's Handshake flight, then the client's Handshake packet carries
  CONNECTION_CLOSE 0x12a (bad_certificate): readable with the key log only.
- 50106 (client 192.0.2.11): a QUIC v2 Initial answered by Version Negotiation listing v1 and
  draft-29; the client never comes back.
- 50107 / 50108: a QUIC v2 Initial answered by Version Negotiation (v1); the client starts again
  with v1 from port 50108 and completes.
- 50109: ServerHello, then nothing more from the client (the capture stops following it).
- 50110: the server's Initial carries CONNECTION_CLOSE CONNECTION_REFUSED (0x2).
- 50111: the server answers with a Retry; the client never sends the new Initial.
- 50112 (the last frame): one Initial, no answer.
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))
from factory import pcap  # noqa: E402
from make_quic_capture import _csum, crypto, long_packet, short_packet  # noqa: E402

import rfc_vectors as R  # noqa: E402
from tlstui.quic import protection as P  # noqa: E402
from tlstui.quic import versions as V  # noqa: E402
from tlstui.quic.varint import encode_varint as vi  # noqa: E402

DATA = HERE.parents[1] / "data"
NAME = "quicfail_crafted.pcap"
T0 = 1_700_100_000 * 10**9
C4, C4_OTHER, S4 = bytes([192, 0, 2, 10]), bytes([192, 0, 2, 11]), bytes([198, 51, 100, 20])
MAC_C, MAC_S = bytes.fromhex("020000000001"), bytes.fromhex("020000000002")
CH = R.CLIENT_CRYPTO_FRAME[4:]  # RFC 9001 A.2's ClientHello message
SH_CRYPTO = R.SERVER_PAYLOAD[5:]  # A.3's CRYPTO frame with the ServerHello (TLS_AES_128_GCM_SHA256)
PAD = bytes(900)


def client_hello(tag: int) -> bytes:
    """A.2's ClientHello with its own random (the key log is indexed by it)."""
    return CH[:6] + bytes([tag]) * 32 + CH[38:]


def secrets(tag: int) -> dict[str, bytes]:
    return {label: bytes([tag, k]) * 16 for k, label in enumerate(
        ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0",
         "SERVER_TRAFFIC_SECRET_0"))}


KEYED = {0xA1: 50101, 0xA5: 50105}  # client random byte -> port of a connection the key log opens


def udp_frame(from_client: bool, cport: int, payload: bytes, client: bytes = C4, sport: int = 443) -> bytes:
    src, dst = (client, S4) if from_client else (S4, client)
    a, b = (cport, sport) if from_client else (sport, cport)
    udp = struct.pack(">HHHH", a, b, 8 + len(payload), 0) + payload
    pseudo = src + dst + struct.pack(">BBH", 0, 17, len(udp))
    udp = udp[:6] + struct.pack(">H", _csum(pseudo + udp) or 0xFFFF) + udp[8:]
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack(">H", _csum(ip)) + ip[12:]
    return (MAC_S + MAC_C if from_client else MAC_C + MAC_S) + b"\x08\x00" + ip + udp


def cc_transport(code: int, reason: bytes = b"", frame_type: int = 0x06) -> bytes:
    return b"\x1c" + vi(code) + vi(frame_type) + vi(len(reason)) + reason


def cc_application(code: int, reason: bytes = b"") -> bytes:
    return b"\x1d" + vi(code) + vi(len(reason)) + reason


def finished(tag: int) -> bytes:
    return b"\x14" + (32).to_bytes(3, "big") + bytes([tag]) * 32


def encrypted_extensions() -> bytes:
    alpn = b"\x00\x10\x00\x05\x00\x03\x02h3"
    body = len(alpn).to_bytes(2, "big") + alpn
    return b"\x08" + len(body).to_bytes(3, "big") + body


def vn_packet(dcid: bytes, scid: bytes, versions: list[int]) -> bytes:
    return bytes([0x80 | 0x2A]) + bytes(4) + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + \
        b"".join(v.to_bytes(4, "big") for v in versions)


def retry_packet(odcid: bytes, dcid: bytes, scid: bytes, token: bytes) -> bytes:
    """A v1 Retry with a valid integrity tag (RFC 9001 5.8)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    pkt = bytes([0xF0]) + (1).to_bytes(4, "big") + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid + token
    aad = bytes([len(odcid)]) + odcid + pkt
    tag = AESGCM(bytes.fromhex("be0c690b9f66575a1d766b54e368c84e")).encrypt(
        bytes.fromhex("461599d35d632bf2239825bb"), b"", aad)
    return pkt + tag


class Conn:
    """One connection's IDs and keys."""

    def __init__(self, port: int, n: int, version: int = V.V1, tag: int | None = None, client: bytes = C4) -> None:
        self.port, self.version, self.client = port, version, client
        self.dcid = bytes([0xD0, n]) + bytes(range(6))
        self.ccid = bytes([0xC0, n, 1, 2])
        self.scid = bytes([0x50, n, 3, 4, 5])
        self.ck, self.sk = P.initial_keys(self.dcid, version)
        self.tag = tag
        sec = secrets(tag) if tag is not None else None
        self.hs = (P.keys_from_secret(sec["CLIENT_HANDSHAKE_TRAFFIC_SECRET"], version, 0x1301),
                   P.keys_from_secret(sec["SERVER_HANDSHAKE_TRAFFIC_SECRET"], version, 0x1301)) if sec else None
        self.app = (P.keys_from_secret(sec["CLIENT_TRAFFIC_SECRET_0"], version, 0x1301),
                    P.keys_from_secret(sec["SERVER_TRAFFIC_SECRET_0"], version, 0x1301)) if sec else None
        self.ch = client_hello(tag if tag is not None else n)
        self.initial_bits = 1 if version == V.V2 else 0  # RFC 9369 3.2: v2 numbers Initial 0b01
        self.hs_bits = 3 if version == V.V2 else 2

    def c(self, payload: bytes) -> bytes:
        return udp_frame(True, self.port, payload, self.client)

    def s(self, payload: bytes) -> bytes:
        return udp_frame(False, self.port, payload, self.client)

    def c_initial(self, pn: int, payload: bytes | None = None) -> bytes:
        body = payload if payload is not None else crypto(0, self.ch) + PAD
        return long_packet(self.ck, self.version, self.initial_bits, self.dcid, self.ccid, pn, body, token=b"")

    def s_initial(self, pn: int, payload: bytes) -> bytes:
        return long_packet(self.sk, self.version, self.initial_bits, self.ccid, self.scid, pn, payload + bytes(4),
                           token=b"")

    def s_handshake(self, pn: int, payload: bytes) -> bytes:
        return long_packet(self.hs[1], self.version, self.hs_bits, self.ccid, self.scid, pn, payload)

    def c_handshake(self, pn: int, payload: bytes) -> bytes:
        return long_packet(self.hs[0], self.version, self.hs_bits, self.scid, self.ccid, pn, payload)

    def c_short(self, pn: int, payload: bytes) -> bytes:
        return short_packet(self.app[0], self.scid, pn, payload)

    def s_short(self, pn: int, payload: bytes) -> bytes:
        return short_packet(self.app[1], self.ccid, pn, payload)


def frames() -> list[tuple[int, bytes, int]]:
    out: list[tuple[float, bytes]] = []
    t = 0.0

    def add(dt: float, frame: bytes) -> None:
        nonlocal t
        t += dt
        out.append((t, frame))

    ms = 0.001
    # 50101: a clean handshake (HANDSHAKE_DONE, both Finished, H3_NO_ERROR close)
    a = Conn(50101, 1, tag=0xA1)
    add(0, a.c(a.c_initial(0)))
    add(ms, a.s(a.s_initial(0, SH_CRYPTO) + a.s_handshake(0, crypto(0, encrypted_extensions() + finished(0x5A)))))
    add(ms, a.c(a.c_handshake(0, crypto(0, finished(0xCA)) + bytes(8))))
    add(ms, a.c(a.c_short(0, b"\x01" + bytes(30))))
    add(ms, a.s(a.s_short(0, b"\x1e\x01" + bytes(30))))
    add(ms, a.c(a.c_short(1, cc_application(0x100) + bytes(20))))
    # 50102: handshake_failure before any ServerHello
    b = Conn(50102, 2)
    add(0.1, b.c(b.c_initial(0)))
    add(ms, b.s(b.s_initial(0, cc_transport(0x128, b"no shared cipher"))))
    # 50103: no_application_protocol
    c = Conn(50103, 3)
    add(0.1, c.c(c.c_initial(0)))
    add(ms, c.s(c.s_initial(0, cc_transport(0x178, b"no ALPN in common"))))
    # 50104: never answered, resent
    d = Conn(50104, 4)
    add(0.1, d.c(d.c_initial(0)))
    add(0.3, d.c(d.c_initial(1)))
    add(0.6, d.c(d.c_initial(2)))
    # 50105: the client rejects the certificate inside a Handshake packet
    e = Conn(50105, 5, tag=0xA5)
    add(0.1, e.c(e.c_initial(0)))
    add(ms, e.s(e.s_initial(0, SH_CRYPTO) + e.s_handshake(0, crypto(0, encrypted_extensions() + finished(0x5E)))))
    add(ms, e.c(e.c_handshake(0, cc_transport(0x12A, b"certificate verify failed") + bytes(8))))
    # 50106: Version Negotiation, no common version (another client host)
    f = Conn(50106, 6, version=V.V2, client=C4_OTHER)
    add(0.1, f.c(f.c_initial(0)))
    add(ms, f.s(vn_packet(f.ccid, f.dcid, [V.V1, 0xFF00001D])))
    # 50107 -> 50108: Version Negotiation, the client starts again with v1 and completes
    g = Conn(50107, 7, version=V.V2)
    add(0.1, g.c(g.c_initial(0)))
    add(ms, g.s(vn_packet(g.ccid, g.dcid, [V.V1])))
    g2 = Conn(50108, 8, tag=None)
    add(ms, g2.c(g2.c_initial(0)))
    add(ms, g2.s(g2.s_initial(0, SH_CRYPTO)))
    g2.app = (P.keys_from_secret(bytes(32), V.V1, 0x1301), None)  # keys nobody has: a 1-RTT packet, unread
    add(ms, g2.c(g2.c_short(0, b"\x01" + bytes(30))))
    # 50109: ServerHello, then nothing more from the client
    h = Conn(50109, 9)
    add(0.1, h.c(h.c_initial(0)))
    add(ms, h.s(h.s_initial(0, SH_CRYPTO)))
    # 50110: CONNECTION_REFUSED
    i = Conn(50110, 10)
    add(0.1, i.c(i.c_initial(0)))
    add(ms, i.s(i.s_initial(0, cc_transport(0x02, b"busy"))))
    # 50111: a Retry the client never follows
    j = Conn(50111, 11)
    add(0.1, j.c(j.c_initial(0)))
    add(ms, j.s(retry_packet(j.dcid, j.ccid, bytes([0x51, 11, 9, 9]), b"retry-token-11")))
    # 50112: one Initial at the end of the capture
    k = Conn(50112, 12)
    add(2.0, k.c(k.c_initial(0)))
    return [(T0 + round(tt * 1e9), fr, len(fr)) for tt, fr in out]


def keylog() -> str:
    lines = []
    for tag in KEYED:
        rnd = (bytes([tag]) * 32).hex()
        for label, secret in secrets(tag).items():
            lines.append(f"{label} {rnd} {secret.hex()}")
    return "\n".join(lines) + "\n"


def main() -> None:
    cap = DATA / NAME
    cap.write_bytes(pcap(frames()))
    (DATA / "quicfail_crafted.keys").write_text(keylog())
    print(f"wrote {cap}")


if __name__ == "__main__":
    main()
