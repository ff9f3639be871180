"""Hostile certificates never escape the X.509 code (tls/x509.py): real DER certificates (the test
captures' and the chain of tests/unit/tls/make_x509_capture.py: every kind of name, GeneralNames in
extensions, SCT lists), parsed into their DER tree and mutated node by node with the lengths around the
change re-encoded (so the damage reaches the attribute values, GeneralNames and SCTs instead of
stopping at the outer length), or left wrong.  Every field stays inside the certificate's bytes, every
label and tshark-formatted value can be built.  The long run is fuzz/x509.py; the crashes it found
are kept below as regressions."""
from __future__ import annotations

import datetime
import functools
import random
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from tlstui.field import FRAME
from tlstui.registry import REGISTRY, format_field
from tlstui.tls import x509

DATA = Path(__file__).resolve().parents[1] / "data"
CAPTURE = DATA / "x509_names.pcap"
_SEED_CAPTURES = ["s01_tls12_http_close_notify.pcap", "s03_mtls12_ok.pcap", "s05b_expired_leaf.pcap",
                  "starttls_ftp.pcap", "x509_names.pcap"]
BASE = 100


def _capture_certs() -> list[bytes]:
    from tlstui.session import Session

    out: dict[bytes, None] = {}
    for name in _SEED_CAPTURES:
        s = Session.open(str(DATA / name))
        s.analyze()
        for n in range(1, len(s) + 1):
            for f in s.tree(n).fields("tls.handshake.certificate"):
                out[bytes(f.value)] = None
        s.close()
    return list(out)


def _generated() -> list[bytes]:
    """Certificates the captures lack: Ed25519 and RSA keys, GeneralizedTime validity, a negative serial,
    v1 (no extensions), and extensions that hold no names (basicConstraints, keyUsage, EKU, policies with a
    user notice)."""
    from cryptography import x509 as cx
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    name = cx.Name([cx.NameAttribute(NameOID.COMMON_NAME, "gen.example"),
                    cx.NameAttribute(NameOID.COUNTRY_NAME, "DE")])
    t0 = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    ed = ed25519.Ed25519PrivateKey.generate()
    b = (cx.CertificateBuilder().subject_name(name).issuer_name(name).public_key(ed.public_key())
         .serial_number(7).not_valid_before(t0).not_valid_after(datetime.datetime(2060, 1, 1, tzinfo=datetime.timezone.utc))
         .add_extension(cx.BasicConstraints(ca=True, path_length=2), critical=True)
         .add_extension(cx.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
         .add_extension(cx.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                        critical=False)
         .add_extension(cx.CertificatePolicies([cx.PolicyInformation(cx.ObjectIdentifier("2.23.140.1.2.1"), [
             "https://cps.example", cx.UserNotice(cx.NoticeReference("Org", [1, 2]), "explicit text")])]),
             critical=False)
         .add_extension(cx.SubjectKeyIdentifier.from_public_key(ed.public_key()), critical=False))
    out = [b.sign(ed, None).public_bytes(_der())]
    rk = rsa.generate_private_key(65537, 1024)
    v1 = (cx.CertificateBuilder().subject_name(name).issuer_name(name).public_key(rk.public_key())
          .serial_number(1).not_valid_before(t0).not_valid_after(t0 + datetime.timedelta(days=1)))
    der = v1.sign(rk, hashes.SHA256()).public_bytes(_der())
    out.append(der)
    return out


def _der():
    from cryptography.hazmat.primitives.serialization import Encoding

    return Encoding.DER


# --- a DER tree: [tag, content bytes | list of children, encapsulated kind, length mode] ---------------
def parse(buf: bytes, depth: int = 0) -> list | None:
    """``buf`` as a list of DER nodes, or None if it is not exactly a sequence of them."""
    out, pos = [], 0
    while pos < len(buf):
        try:
            tag, h, ln, nxt = x509.tlv(buf, pos, len(buf))
        except x509.DerError:
            return None
        content = buf[pos + h:pos + h + ln]
        node: list = [tag, content, "", None]
        if depth < 12:
            if tag & 0x20:
                kids = parse(content, depth + 1)
                if kids is not None:
                    node[1] = kids
            elif tag == 0x04 and content[:1] in (b"\x30", b"\x04", b"\x03"):  # extnValue, SCT list wrapper
                kids = parse(content, depth + 1)
                if kids is not None:
                    node[1], node[2] = kids, "octets"
            elif tag == 0x03 and content[:2] == b"\x00\x30":  # a key inside a BIT STRING
                kids = parse(content[1:], depth + 1)
                if kids is not None:
                    node[1], node[2] = kids, "bits"
        out.append(node)
        pos = nxt
    return out


def _length(n: int, mode) -> bytes:
    if mode is None:
        if n < 0x80:
            return bytes([n])
        k = (n.bit_length() + 7) // 8
        return bytes([0x80 | k]) + n.to_bytes(k, "big")
    if mode == "indefinite":
        return b"\x80"
    if mode == "huge":
        return b"\x84\xff\xff\xff\xff"
    if mode == "five":
        return b"\x85\x00\x00\x00\x00" + bytes([min(n, 255)])
    if mode == "padded":
        return b"\x84" + n.to_bytes(4, "big")
    return _length(max(0, n + mode), None)  # an int: off by that much


def encode(nodes: list) -> bytes:
    out = []
    for tag, content, enc, mode in nodes:
        body = encode(content) if isinstance(content, list) else content
        if enc == "bits":
            body = b"\x00" + body
        out.append(bytes([tag]) + _length(len(body), mode) + body)
    return b"".join(out)


def _all_nodes(nodes: list, parent: list | None = None, out: list | None = None) -> list:
    out = [] if out is None else out
    for i, n in enumerate(nodes):
        out.append((nodes, i))
        if isinstance(n[1], list):
            _all_nodes(n[1], n, out)
    return out


def _oid_bytes(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytearray([parts[0] * 40 + parts[1]])
    for v in parts[2:]:
        chunk = [v & 0x7F]
        v >>= 7
        while v:
            chunk.append(0x80 | (v & 0x7F))
            v >>= 7
        out += bytes(reversed(chunk))
    return bytes(out)


OIDS = [_oid_bytes(o) for o in sorted({*x509._ATTR_SYNTAX, *x509._EXT_NAMES, *x509.WS_OID_NAMES,
                                       *x509._ALG_PROTO, *x509._QUALIFIER_PROTO, "2.5.4.99"})]
OIDS += [b"", b"\x80", b"\xff\xff\xff\xff\xff\xff\xff\xff\x7f", b"\x2a\x86", b"\x88\x37"]
TAGS = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x0C, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1A, 0x1C, 0x1E, 0x30,
        0x31, 0x80, 0x81, 0x82, 0x84, 0x86, 0x87, 0x88, 0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xBF, 0x1F, 0x00,
        0xFF]
CONTENTS = [b"", b"\x00", b"\xff", b"\xff" * 9, b"\x80" + bytes(20), b"a\x00b", b"\xd8\x00", b"\x00\xd8\x00",
            b"\x00\x00\x11\x00", b"\xff\xfe\xfd", "é\u202e\x1b[31m".encode(), b"20491231235959Z", b"491231235959Z",
            b"99999999999999Z", b"abcdZ", b"\x0a\x0b\x0c", bytes(16), bytes(5), bytes(4), b"\x00\x01\x00\x00"]


def mutate_der(der: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    """One certificate mutated in its DER tree (lengths re-encoded unless a length itself is the
    mutation), now and then followed by raw byte damage."""
    tree = parse(der)
    if tree is None or rng.random() < 0.08:
        return mutate_raw(der, rng)
    nodes = _all_nodes(tree)
    for _ in range(rng.randint(1, 4)):
        if not nodes:
            break
        siblings, i = rng.choice(nodes)
        if i >= len(siblings):
            continue
        n = siblings[i]
        op = rng.randrange(11)
        if op == 0:
            n[0] = rng.choice(TAGS) if rng.random() < 0.8 else rng.randrange(256)
        elif op == 1:
            n[3] = rng.choice(["indefinite", "huge", "five", "padded", 1, -1, 3, -3, 200])
        elif op == 2:
            n[1], n[2] = rng.choice(CONTENTS) if rng.random() < 0.7 else rng.randbytes(rng.randint(0, 40)), ""
        elif op == 3:
            del siblings[i]
        elif op == 4:
            siblings.insert(i, [n[0], n[1], n[2], n[3]])
        elif op == 5:  # a node of another certificate put here
            other = parse(rng.choice(pool)) or []
            cands = _all_nodes(other)
            if cands:
                s2, j = rng.choice(cands)
                siblings[i] = s2[j]
        elif op == 6 and isinstance(n[1], (bytes, bytearray)) and n[1]:
            c = bytearray(n[1])
            for _k in range(rng.randint(1, 3)):
                c[rng.randrange(len(c))] = rng.choice([0, 0x7F, 0x80, 0xFF, 0x30, rng.randrange(256)])
            n[1] = bytes(c)
        elif op == 7 and isinstance(n[1], (bytes, bytearray)):
            n[1] = n[1][:rng.randrange(len(n[1]) + 1)]
        elif op == 8:  # an OID swapped for one the code knows (an extension id with another's value ...)
            n[0], n[1], n[2] = 0x06, rng.choice(OIDS), ""
        elif op == 9 and isinstance(n[1], list) and n[1]:
            rng.shuffle(n[1])
        elif op == 10 and isinstance(n[1], list):  # children flattened into bytes, then damaged
            n[1], n[2] = mutate_raw(encode(n[1]) if n[2] != "bits" else b"\x00" + encode(n[1]), rng), ""
        nodes = _all_nodes(tree)
    out = encode(tree)
    if rng.random() < 0.1:
        out = mutate_raw(out, rng)
    return out


def mutate_raw(data: bytes, rng: random.Random, same_length: bool = False) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        if not b:
            break
        i = rng.randrange(len(b))
        op = rng.randrange(4 if same_length else 7)
        if op == 0:
            b[i] ^= 1 << rng.randrange(8)
        elif op == 1:
            b[i] = rng.choice([0, 1, 2, 4, 0x1F, 0x30, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF])
        elif op == 2:
            b[i:i + 2] = rng.choice([b"\xff\xff", b"\x00\x00", b"\x00\x01", b"\x80\x00"])[:len(b) - i]
        elif op == 3:
            b[i:i + 4] = rng.randbytes(4)[:len(b) - i]
        elif op == 4:
            del b[i:i + rng.randint(1, 40)]
        elif op == 5:
            b[i:i] = b[i:i + rng.randint(1, 40)]
        else:
            del b[rng.randrange(len(b) + 1):]
    return bytes(b)


def _check_fields(top, size: int) -> int:
    n = 0
    for f in top.walk():
        n += 1
        assert isinstance(f.label, str)
        assert f.source == FRAME
        assert BASE <= f.offset and f.offset + f.length <= BASE + size and f.length >= 0, (f.name, f.offset, f.length)
        if f.name:
            format_field(REGISTRY.get(f.name), f)
    return n


def check_cert(der: bytes) -> int:
    """Every entry point on one (hostile) DER certificate; returns the fields built.  A warning that
    gets past the module's filters counts as a failure: printed, it lands on stderr in the middle of
    `tlstui fields` output or the TUI's screen."""
    with warnings.catch_warnings(record=True) as shown:
        n = _check_cert(der)
    assert not shown, [str(w.message) for w in shown]
    return n


def _check_cert(der: bytes) -> int:
    n = 0
    for name in ("tls.handshake.certificate", "dtls.handshake.certificate"):
        top = x509.certificate_field(der, name, BASE)
        n += _check_fields(top, len(der))
        assert all(isinstance(p, str) for p in x509.certificate_protocols([top]))
    dn, text = x509.dname_field(der, "tls.handshake.dname", BASE)
    assert isinstance(text, str)
    n += _check_fields(dn, len(der))
    info = x509.cert_info.__wrapped__(der)
    assert isinstance(info.error, str) and isinstance(info.subject, str)
    assert x509.issued_by.__wrapped__(der, SEEDS[0]) in (True, False, None)
    return n


def check_sct(b: bytes) -> int:
    from tlstui.field import Field

    parent = Field("x509af.Extension_element", "Extension", None, BASE, len(b))
    x509.sct_list(b, BASE, FRAME, parent)
    return _check_fields(parent, len(b))


def _sct_lists(ders: list[bytes]) -> list[bytes]:
    oid = _oid_bytes(x509.SCT_LIST_OID)
    out = []
    for d in ders:
        i = d.find(b"\x06" + bytes([len(oid)]) + oid)
        if i < 0:
            continue
        j = i + 2 + len(oid)
        tag, h, ln, _ = x509.tlv(d, j, len(d))  # OCTET STRING { OCTET STRING { list } }
        tag2, h2, ln2, _ = x509.tlv(d, j + h, j + h + ln)
        out.append(d[j + h + h2:j + h + h2 + ln2])
    return out


def _spans() -> list[tuple[bytes, int, int]]:
    """(capture, start, end) of each certificate that lies whole in a seed capture's bytes (the pipeline
    cases overwrite one)."""
    out = []
    for name in _SEED_CAPTURES:
        cap = (DATA / name).read_bytes()
        out += [(cap, cap.find(d), cap.find(d) + len(d)) for d in SEEDS if cap.find(d) >= 0]
    return out


@functools.lru_cache(maxsize=1)
def _seeds() -> list[bytes]:
    return _capture_certs() + _generated()


SEEDS = _seeds()
SCT_LISTS = _sct_lists(SEEDS)
CERT_SPANS = _spans()


def test_seeds_are_real_and_round_trip():
    """The mutator's tree parser and encoder give back every seed unchanged, and the seeds hold what the
    run is meant to reach (SCT lists, a certificate whose bytes lie whole in the pipeline capture)."""
    assert len(SEEDS) >= 8 and SCT_LISTS and CERT_SPANS
    for d in SEEDS:
        assert encode(parse(d)) == d
        assert not x509.cert_info(d).error
        check_cert(d)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_mutated_certificates_never_raise(k, rng):
    check_cert(mutate_der(SEEDS[k % len(SEEDS)], rng, SEEDS))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.randoms(use_true_random=False))
def test_mutated_sct_lists_never_raise(k, rng):
    check_sct(mutate_raw(SCT_LISTS[k % len(SCT_LISTS)], rng))


REGRESSIONS = Path(__file__).resolve().parent / "regressions"


def test_regression_attribute_length_warning_stays_off_stderr(capfd):
    """fuzz/x509.py case 1054 (seed 9): an empty commonName; cryptography warned "Attribute's length must
    be >= 1 and <= 64" as cert_info read the name, and the warning went to stderr (amid `tlstui fields`
    output, or over the TUI).  The same for a countryName of 1 or 3 letters."""
    der = (REGRESSIONS / "x509_attribute_length_warning.der").read_bytes()
    check_cert(der)
    info = x509.cert_info.__wrapped__(der)
    assert info.subject == "CN=,O=TLSLab,C=XX" and not info.error
    assert capfd.readouterr().err == ""


def test_regression_bad_names_do_not_fail_the_trust_rule():
    """fuzz/x509.py cases 10025 and 12200 (seed 1): a certificate of s05b/s01 overwritten in place so that
    its issuer (a tag of class Application inside a name) or its subject no longer parses.  cryptography
    reads names lazily: load_der_x509_certificate accepted it and `c.issuer` raised in the middle of
    findings/trust.py's chain walk, a tlstui.rule_error note instead of the trust verdict.  Now such a
    certificate is unparsable from the start, and the other certificates' findings stand."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
    from pipeline import run_pipeline

    from tlstui.findings import find_all
    from tlstui.session import Session

    for name, kinds in (("x509_bad_issuer_name_trust.pcap", {"tls.certificate_not_yet_valid"}),
                        ("x509_bad_subject_name_trust.pcap", {"tls.certificate_untrusted", "tls.certificate_expired"})):
        data = (REGRESSIONS / name).read_bytes()
        run_pipeline(data, dissect_all=True, strict_rules=True, hidden_errors=True)
        s = Session.open(str(REGRESSIONS / name))
        s.analyze()
        got = {f.kind for f in find_all(s)}
        assert "tlstui.rule_error" not in got and kinds <= got, got
