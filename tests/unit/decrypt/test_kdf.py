"""Key derivation against published test vectors (real connections cover the rest)."""
from __future__ import annotations

from tlstui.tls.decrypt import hkdf_expand_label, prf, suite_info, tls13_traffic_keys


def test_tls12_prf_sha256_vector():
    # the widely used TLS 1.2 PRF (SHA-256) test vector (IETF TLS list, 2009)
    secret = bytes.fromhex("9bbe436ba940f017b17652849a71db35")
    seed = bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c")
    out = prf(0x0303, "sha256", secret, b"test label", seed, 100)
    assert out[:16].hex() == "e3f229ba727be17b8d122620557cd453"


def test_tls13_rfc8448_server_handshake_keys():
    # RFC 8448 section 3, "{server} derive write traffic keys for handshake data"
    secret = bytes.fromhex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
    key, iv = tls13_traffic_keys("sha256", secret, 16)
    assert key.hex() == "3fce516009c21727d0f2e4e86ee403bc"
    assert iv.hex() == "5d313eb2671276ee13000b30"
    assert hkdf_expand_label("sha256", secret, "key", b"", 16) == key


def test_suite_table():
    s = suite_info(0xC02F)
    assert (s.mode, s.cipher, s.aead, s.key_len, s.fixed_iv, s.explicit_nonce, s.prf) == \
        ("aead", "AES", "GCM", 16, 4, 8, "sha256")
    s = suite_info(0xC030)
    assert (s.key_len, s.prf) == (32, "sha384")
    s = suite_info(0xCCA8)
    assert (s.aead, s.fixed_iv, s.explicit_nonce, s.key_len) == ("POLY1305", 12, 0, 32)
    s = suite_info(0xC0A0)  # TLS_RSA_WITH_AES_128_CCM_8
    assert (s.aead, s.tag_len) == ("CCM", 8)
    s = suite_info(0x002F)
    assert (s.mode, s.block, s.mac, s.mac_len, s.prf) == ("cbc", 16, "sha1", 20, "sha256")
    s = suite_info(0xC028)  # ECDHE_RSA_WITH_AES_256_CBC_SHA384
    assert (s.mac, s.prf) == ("sha384", "sha384")
    s = suite_info(0x1303)
    assert s.tls13 and s.fixed_iv == 12 and s.explicit_nonce == 0
    assert suite_info(0x0005) is None  # RC4
    assert suite_info(0x0003) is None  # export
