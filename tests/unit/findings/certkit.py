"""Certificate chains made at test time (cryptography), and captures of real TLS handshakes that
present them (tlspair through memory BIOs, laid onto TCP by craft)."""
from __future__ import annotations

import datetime as dt
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: craft, tlspair

import craft  # noqa: E402
import tlspair  # noqa: E402

NOW = dt.datetime.now(dt.timezone.utc)
DAY = dt.timedelta(days=1)


@dataclass
class Made:
    cert: x509.Certificate
    key: object

    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)


_KEYS: dict[int, list] = {}


def key(bits: int = 2048, fresh: bool = False):
    """An RSA key (a few cached per size: generating them is the slow part)."""
    pool = _KEYS.setdefault(bits, [])
    if fresh or not pool:
        pool.append(rsa.generate_private_key(public_exponent=65537, key_size=bits))
        return pool[-1]
    return pool[0]


def name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                                                                        "tlstui tests")])


def make(cn: str, issuer: Made | None = None, *, ca: bool = False, bits: int = 2048, hash_=None,
         not_before: dt.datetime | None = None, not_after: dt.datetime | None = None, eku=None, key_usage=None,
         sign_key=None, issuer_name: x509.Name | None = None, san: str | None = "localhost", k=None) -> Made:
    """A certificate for ``cn`` issued by ``issuer`` (self-signed when None)."""
    k = k or key(bits, fresh=ca)
    subject = name(cn)
    b = (x509.CertificateBuilder().subject_name(subject)
         .issuer_name(issuer_name or (issuer.cert.subject if issuer else subject))
         .public_key(k.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before or NOW - DAY).not_valid_after(not_after or NOW + 60 * DAY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                          crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
    elif key_usage is not None:
        bits_ = dict(digital_signature=False, content_commitment=False, key_encipherment=False,
                     data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                     encipher_only=False, decipher_only=False)
        bits_.update({b_: True for b_ in key_usage})
        b = b.add_extension(x509.KeyUsage(**bits_), critical=True)
    if not ca:
        b = b.add_extension(x509.ExtendedKeyUsage(eku if eku is not None else [ExtendedKeyUsageOID.SERVER_AUTH]),
                            critical=False)
        if san:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
    signer = sign_key or (issuer.key if issuer else k)
    cert = b.sign(signer, hash_ or hashes.SHA256())
    return Made(cert, k)


SHA256_RSA = bytes.fromhex("06092a864886f70d01010b")  # OID 1.2.840.113549.1.1.11
SHA1_RSA = bytes.fromhex("06092a864886f70d010105")  # OID 1.2.840.113549.1.1.5


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def sha1_signed(m: Made, signer) -> Made:
    """``m`` re-signed with SHA-1 by ``signer`` (cryptography no longer signs with SHA-1 itself):
    the algorithm OID swapped in the TBS and the outer AlgorithmIdentifier, the TBS signed again."""
    from cryptography.hazmat.primitives.asymmetric import padding

    tbs = m.cert.tbs_certificate_bytes
    assert tbs.count(SHA256_RSA) == 1
    tbs = tbs.replace(SHA256_RSA, SHA1_RSA)
    sig = signer.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    alg = b"\x30" + _der_len(len(SHA1_RSA) + 2) + SHA1_RSA + b"\x05\x00"
    bits = b"\x03" + _der_len(len(sig) + 1) + b"\x00" + sig
    body = tbs + alg + bits
    der = b"\x30" + _der_len(len(body)) + body
    return Made(x509.load_der_x509_certificate(der), m.key)


def pki():
    """(root, intermediate, leaf): an ordinary good chain."""
    root = make("Test Root CA", ca=True)
    inter = make("Test Intermediate CA", root, ca=True)
    leaf = make("localhost", inter)
    return root, inter, leaf


def write_pem(path: Path, *certs: Made) -> str:
    path.write_bytes(b"".join(c.pem() for c in certs))
    return str(path)


def server_files(tmp: Path, chain: list[Made], tag: str = "server") -> tuple[str, str]:
    """(chain PEM, key PEM) for tlspair.record_connection(certfile=...): leaf first."""
    cert = write_pem(tmp / f"{tag}-chain.pem", *chain)
    kp = tmp / f"{tag}-key.pem"
    kp.write_bytes(chain[0].key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))
    return cert, str(kp)


def capture(tmp: Path, chain: list[Made], *, t0_ns: int | None = None, verify: str | None = None,
            name_: str = "cap.pcap", **kw) -> Path:
    """A pcap of one TLS 1.2 connection whose server presents ``chain`` (leaf first).  OpenSSL's
    security level 0 on both sides, so RSA-1024 and SHA-1 certificates still handshake."""
    rec = tlspair.record_connection(ciphers="DEFAULT", certfile=server_files(tmp, chain), verify=verify,
                                    allow_failure=verify is not None, **kw)
    talk = craft.TcpTalk(t0_ns=t0_ns)
    talk.open()
    talk.replay(rec)
    talk.fin(True)
    talk.fin(False)
    talk.ack(True)
    return craft.write(tmp / name_, talk)


def findings(path: Path, ca_file: str | None = None) -> list:
    s = craft.open_session(path)
    s.ca_file = ca_file
    from tlstui.findings import find_all

    return find_all(s)


def of(found, *kinds) -> list:
    return [f for f in found if f.kind in kinds]


CERT_KINDS = ("tls.certificate_self_signed", "tls.certificate_untrusted", "tls.certificate_weak",
              "tls.certificate_usage", "tls.certificate_chain_incomplete", "tls.certificate_expired",
              "tls.certificate_not_yet_valid", "capture.clock_implausible", "tlstui.rule_error")


def epoch_ns(y: int, m: int = 1, d: int = 1) -> int:
    return int(dt.datetime(y, m, d, tzinfo=dt.timezone.utc).timestamp() * 1e9)


def now_ns() -> int:
    return time.time_ns()
