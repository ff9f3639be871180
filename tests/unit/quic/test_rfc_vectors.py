"""RFC 9001 Appendix A and RFC 9369 Appendix A: keys, header protection and the protected packets."""
from __future__ import annotations

import pytest

from tlstui.quic import protection as P
from tlstui.quic import versions as V

import rfc_vectors as R


def _hex(keys: P.Keys) -> tuple[str, str, str]:
    return keys.key.hex(), keys.iv.hex(), keys.hp.hex()


@pytest.mark.parametrize("version,client_secret,server_secret,ckeys,skeys", [
    (V.V1, R.V1_CLIENT_SECRET, R.V1_SERVER_SECRET, R.V1_CLIENT_KEYS, R.V1_SERVER_KEYS),
    (V.V2, R.V2_CLIENT_SECRET, R.V2_SERVER_SECRET, R.V2_CLIENT_KEYS, R.V2_SERVER_KEYS),
])
def test_initial_secrets_and_keys(version, client_secret, server_secret, ckeys, skeys):
    c, s = P.initial_secrets(R.DCID, version)
    assert (c.hex(), s.hex()) == (client_secret, server_secret)
    ck, sk = P.initial_keys(R.DCID, version)
    assert _hex(ck) == ckeys
    assert _hex(sk) == skeys


def test_v1_client_header_protection():
    ck, _ = P.initial_keys(R.DCID, V.V1)
    assert P.header_mask(ck, bytes.fromhex(R.V1_CLIENT_SAMPLE)).hex() == R.V1_CLIENT_MASK
    assert R.V1_CLIENT_PACKET[:22].hex() == R.V1_CLIENT_PROTECTED_HEADER
    assert P.remove_header_protection(R.V1_CLIENT_PACKET, 18, ck) == (0xC3, 4, 2)


@pytest.mark.parametrize("version,header,packet_check,payload,side,pn,pn_len", [
    (V.V1, R.V1_CLIENT_HEADER, R.V1_CLIENT_PACKET, R.CLIENT_PAYLOAD, 0, 2, 4),
    (V.V1, R.V1_SERVER_HEADER, R.V1_SERVER_PACKET, R.SERVER_PAYLOAD, 1, 1, 2),
    (V.V2, R.V2_SERVER_HEADER, R.V2_SERVER_PACKET, R.SERVER_PAYLOAD, 1, 1, 2),
])
def test_protect_and_unprotect_the_published_packets(version, header, packet_check, payload, side, pn, pn_len):
    keys = P.initial_keys(R.DCID, version)[side]
    body = P.encrypt_payload(keys, header, pn, payload)
    protected = P.apply_header_protection(header, pn_len, body, keys) + body
    assert protected == packet_check
    pn_off = len(header) - pn_len
    first, got_len, got_pn = P.remove_header_protection(packet_check, pn_off, keys)
    assert (first, got_len, got_pn) == (header[0], pn_len, pn)
    assert P.decrypt_payload(keys, header, pn, packet_check[len(header):]) == payload


def test_v2_client_initial():
    ck, _ = P.initial_keys(R.DCID, V.V2)
    body = P.encrypt_payload(ck, R.V2_CLIENT_HEADER, 2, R.CLIENT_PAYLOAD)
    hdr = P.apply_header_protection(R.V2_CLIENT_HEADER, 4, body, ck)
    assert hdr.hex() == R.V2_CLIENT_PROTECTED_HEADER
    packet = hdr + body
    assert len(packet) == 1200
    assert packet.hex().startswith(R.V2_CLIENT_PACKET_HEAD) and packet.hex().endswith(R.V2_CLIENT_PACKET_TAIL)
    assert V.long_packet_type(packet[0], V.V2) == V.INITIAL
    assert P.remove_header_protection(packet, 18, ck) == (R.V2_CLIENT_HEADER[0], 4, 2)


def test_a_wrong_key_does_not_authenticate():
    _, sk = P.initial_keys(R.DCID, V.V1)
    assert P.decrypt_payload(sk, R.V1_CLIENT_HEADER, 2, R.V1_CLIENT_PACKET[22:]) is None
    ck, _ = P.initial_keys(R.DCID, V.V1)
    assert P.decrypt_payload(ck, R.V1_CLIENT_HEADER, 3, R.V1_CLIENT_PACKET[22:]) is None


@pytest.mark.parametrize("version,keys_hex,ku,packet", [
    (V.V1, R.CHACHA_KEYS, R.CHACHA_KU, R.CHACHA_PACKET),
    (V.V2, R.V2_CHACHA_KEYS, R.V2_CHACHA_KU, R.V2_CHACHA_PACKET),
])
def test_chacha20_short_header(version, keys_hex, ku, packet):
    keys = P.keys_from_secret(R.CHACHA_SECRET, version, 0x1303)
    assert _hex(keys) == keys_hex
    assert P.next_secret(R.CHACHA_SECRET, version, 0x1303).hex() == ku
    first, pn_len, trunc = P.remove_header_protection(packet, 1, keys)
    assert (first, pn_len) == (0x42, 3)
    pn = P.expand_packet_number(654360563, trunc, pn_len)
    assert pn == R.CHACHA_PN
    header = bytes([first]) + trunc.to_bytes(pn_len, "big")
    assert header == R.CHACHA_HEADER
    assert P.decrypt_payload(keys, header, pn, packet[1 + pn_len:]) == b"\x01"


@pytest.mark.parametrize("version,retry", [(V.V1, R.V1_RETRY), (V.V2, R.V2_RETRY)])
def test_retry_integrity_tag(version, retry):
    assert P.retry_tag_valid(retry, R.DCID, version)
    assert not P.retry_tag_valid(retry, R.DCID[:-1] + b"\x00", version)


def test_packet_number_reconstruction():
    # RFC 9000 A.3: largest 0xa82f30ea, truncated 0x9b32 in 16 bits -> 0xa82f9b32
    assert P.expand_packet_number(0xA82F30EA, 0x9B32, 2) == 0xA82F9B32
    assert P.expand_packet_number(-1, 0, 1) == 0


def test_salts_per_version():
    assert P.initial_secrets(R.DCID, 0xFF00001D) != P.initial_secrets(R.DCID, V.V1)
    assert V.initial_salt(0xFF00001B) == V.initial_salt(0xFACEB002)  # mvfst draft-27
    assert V.initial_salt(0x1A2A3A4A) == V.initial_salt(0xFF00001D)  # forced negotiation: tshark 4.0 says draft-29
