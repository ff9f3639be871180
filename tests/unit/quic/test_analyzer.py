"""QuicAnalyzer on hand-made datagrams: what tshark's heuristics take, and its second pass."""
from __future__ import annotations

import struct

from tlstui.quic import protection as P
from tlstui.quic.analyzer import QuicAnalyzer

import rfc_vectors as R


def _udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


class _Frames(dict):
    def feed(self, qa: QuicAnalyzer, number: int, direction: int, sport: int, dport: int, payload: bytes) -> bool:
        self[number] = _udp(sport, dport, payload)
        return qa.on_udp(0, direction, number, payload, 8, sport, dport)


def test_a_conversation_is_quic_from_its_first_datagram_after_the_pass():
    """tshark -2: a short header packet before the client's Initial is QUIC too (the conversation
    became QUIC), without a connection: no DCID, no packet number."""
    frames = _Frames()
    qa = QuicAnalyzer(frames.__getitem__)
    assert not frames.feed(qa, 1, 1, 443, 50000, b"\x41" + bytes(40))
    assert frames.feed(qa, 2, 0, 50000, 443, R.V1_CLIENT_PACKET)
    assert frames.feed(qa, 3, 1, 443, 50000, b"\x41" + bytes(40))
    assert 1 not in qa.datagrams
    qa.finish()
    assert qa.column(1) == ("QUIC", "Protected Payload (KP0)")
    layers, _ = qa.frame_layers(1, frames[1])
    assert any("Unknown QUIC connection" in f.label for f in layers[0].walk())
    assert qa.column(2) == ("QUIC", "Initial, DCID=8394c8f03e515708, PKN: 2, CRYPTO, PADDING")
    assert qa.connection(qa.datagrams[2].conn).sni == "example.com"


def test_heuristics():
    frames = _Frames()
    qa = QuicAnalyzer(frames.__getitem__)
    unknown_version = bytearray(R.V1_CLIENT_PACKET)
    unknown_version[1:5] = b"\x12\x34\x56\x78"
    assert not frames.feed(qa, 1, 0, 50000, 443, bytes(unknown_version))
    assert not frames.feed(qa, 2, 0, 50000, 443, b"\x40" + bytes(60))  # no QUIC seen yet: no short header
    assert not frames.feed(qa, 3, 0, 50000, 443, R.V1_CLIENT_PACKET[:12])  # too short
    assert frames.feed(qa, 4, 0, 50000, 443, R.V1_CLIENT_PACKET)


def test_decryption_failure_shows_no_packet_number():
    """tshark's second pass: a packet whose payload did not authenticate shows neither its number
    nor its frames."""
    frames = _Frames()
    qa = QuicAnalyzer(frames.__getitem__)
    bad = bytearray(R.V1_CLIENT_PACKET)
    bad[-1] ^= 1
    assert frames.feed(qa, 1, 0, 50000, 443, bytes(bad))
    assert qa.column(1) == ("QUIC", "Initial, DCID=8394c8f03e515708")
    assert qa.datagrams[1].packets[0].error.startswith("Decryption")


def test_server_initial_is_decrypted_with_the_clients_keys_and_its_cid_learnt():
    frames = _Frames()
    qa = QuicAnalyzer(frames.__getitem__)
    frames.feed(qa, 1, 0, 50000, 443, R.V1_CLIENT_PACKET)
    frames.feed(qa, 2, 1, 443, 50000, R.V1_SERVER_PACKET)
    assert qa.column(2) == ("QUIC", "Initial, SCID=f067a5502a4262b5, PKN: 1, ACK, CRYPTO")
    conn = qa.connection(0)
    assert conn.cipher == 0x1301 and conn.server_cids[0] == bytes.fromhex("f067a5502a4262b5")
    # the server's Initial keys are the RFC's
    assert conn.initial[1] == P.initial_keys(R.DCID, 1)[1]
