"""Writes tests/data/x509_names.pcap: one TLS 1.2 handshake whose server sends a certificate chain made
to hold every kind of name tshark 4.0 decodes inside a certificate, and, with --truth, tshark 4.0's
truth beside it (../shared/tools/truth.sh: FILE.fields.tsv and FILE.filters.json, plus
FILE.x509.tsv: every x509 field below with -E occurrence=a).  The tests never need tshark.

    python tests/unit/tls/make_x509_capture.py [--truth]

The chain (made with ``cryptography``, keys new on each run, so the truth is rewritten with it):
- CA: subject and issuer with countryName (x509sat.CountryName), a PrintableString organizationName,
  UTF8String names, serialNumber, emailAddress (IA5String), domainComponent, localityName.
- Leaf: subject C=GB; extensions subjectAltName (dNSName, iPAddress, URI, rfc822Name, directoryName,
  registeredID), authorityKeyIdentifier (keyIdentifier, authorityCertIssuer as a directoryName,
  serial), cRLDistributionPoints (a fullName URI; a cRLIssuer directoryName), authorityInfoAccess
  (OCSP and caIssuers URIs), issuerAltName, certificatePolicies (a CPS URI) and an embedded SCT list
  (two SCTs signed ecdsa_secp256r1_sha256 and rsa_pkcs1_sha256: tls.handshake.sig_hash_alg).
- CA: nameConstraints (permitted and excluded subtrees: dNSName, iPAddress with mask, directoryName).
- A third, self-signed certificate whose name holds an attribute of each syntax (EV jurisdiction
  names, DirectoryStrings in each string type, PrintableString and IA5String attributes, userid), types
  tshark 4.0 does not know, and values in a string type their syntax does not allow.
"""
from __future__ import annotations

import datetime
import ipaddress
import struct
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS / "unit" / "tcp"))
from craft import TcpTalk  # noqa: E402
from factory import pcap  # noqa: E402

DATA = TESTS / "data"
TRUTH_SH = TESTS.parents[1] / "shared" / "tools" / "truth.sh"
NAME = "x509_names.pcap"
T0 = 1_700_000_000 * 10**9
X509_FIELDS = ["frame.number", "x509sat.CountryName", "x509sat.printableString", "x509sat.uTF8String",
               "x509sat.IA5String", "x509sat.DirectoryString", "pkcs1.?", "x509ce.dNSName",
               "x509ce.uniformResourceIdentifier", "x509ce.rfc822Name", "x509ce.iPAddress", "x509ce.registeredID",
               "x509ce.keyIdentifier", "x509ce.authorityCertSerialNumber", "x509af.serialNumber", "x509af.algorithm.id",
               "x509if.oid", "x509ce.id_policyQualifierId", "x509ce.cPSuri", "tls.handshake.sig_hash_alg",
               "x509af.extension.id", "x509ce.GeneralNames", "x509if.RDNSequence_item"]


def chain() -> tuple[bytes, bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, ObjectIdentifier

    def name(*attrs):
        return x509.Name([x509.NameAttribute(o, *(v if isinstance(v, tuple) else (v,))) for o, v in attrs])

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = name((NameOID.COUNTRY_NAME, "US"), (NameOID.STATE_OR_PROVINCE_NAME, "Calif"),
                   (NameOID.ORGANIZATION_NAME, ("Print Org", _ASN1Type.PrintableString)),
                   (NameOID.ORGANIZATIONAL_UNIT_NAME, "Unit"), (NameOID.COMMON_NAME, "Test CA"),
                   (NameOID.SERIAL_NUMBER, "12345"), (NameOID.EMAIL_ADDRESS, "ca@example.com"),
                   (NameOID.DOMAIN_COMPONENT, "example"), (NameOID.LOCALITY_NAME, "Town"))
    start = datetime.datetime(2024, 1, 1)
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(0x1234).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
          .add_extension(x509.NameConstraints(
              permitted_subtrees=[x509.DNSName("example"), x509.IPAddress(ipaddress.ip_network("192.0.2.0/24")),
                                  x509.DirectoryName(name((NameOID.COUNTRY_NAME, "US")))],
              excluded_subtrees=[x509.DNSName("bad.example"), x509.IPAddress(ipaddress.ip_network("2001:db8::/32"))]),
              True)
          .sign(ca_key, hashes.SHA256()))
    dirname = name((NameOID.COUNTRY_NAME, "DE"), (NameOID.ORGANIZATION_NAME, "Dir Org"),
                   (NameOID.COMMON_NAME, ("dir cn", _ASN1Type.PrintableString)))
    # Every attribute type tshark 4.0 knows a syntax for, some it does not, and values whose string type
    # is not the one the attribute's syntax allows (tshark shows no value for those).
    zoo_attrs = [x509.NameAttribute(ObjectIdentifier(o), v, t) for o, v, t in [
        ("1.3.6.1.4.1.311.60.2.1.3", "AB", _ASN1Type.PrintableString),  # jurisdictionOfIncorporationCountryName
        ("1.3.6.1.4.1.311.60.2.1.2", "Jur State", _ASN1Type.UTF8String),
        ("1.3.6.1.4.1.311.60.2.1.1", "Jur Town", _ASN1Type.UTF8String),
        ("2.5.4.15", "Private Organization", _ASN1Type.UTF8String), ("2.5.4.17", "12345", _ASN1Type.PrintableString),
        ("2.5.4.9", "1 Street", _ASN1Type.UTF8String), ("2.5.4.97", "VATDE-123", _ASN1Type.UTF8String),
        ("2.5.4.12", "Title", _ASN1Type.T61String), ("2.5.4.42", "Given", _ASN1Type.BMPString),
        ("2.5.4.4", "Sur", _ASN1Type.UniversalString), ("1.2.840.113549.1.9.2", "unstructured", _ASN1Type.IA5String),
        ("2.5.4.46", "dnq", _ASN1Type.PrintableString), ("2.5.4.65", "Pseudo", _ASN1Type.UTF8String),
        ("0.9.2342.19200300.100.1.1", "uid1", _ASN1Type.UTF8String), ("2.5.4.43", "I", _ASN1Type.UTF8String),
        ("2.5.4.44", "III", _ASN1Type.UTF8String), ("2.5.4.13", "Descr", _ASN1Type.UTF8String),
        ("2.5.4.18", "Box 1", _ASN1Type.UTF8String), ("2.5.4.41", "Name", _ASN1Type.UTF8String),
        ("2.5.4.6", "FR", _ASN1Type.UTF8String),  # a country that is not a PrintableString
        ("2.5.4.3", "ia5 cn", _ASN1Type.IA5String),  # a DirectoryString of a string type it does not allow
        ("1.2.840.113549.1.9.1", "utf8@example", _ASN1Type.UTF8String),
        ("2.5.4.5", "S/N", _ASN1Type.PrintableString), ("0.9.2342.19200300.100.1.25", "dc2", _ASN1Type.IA5String),
    ]]
    zoo_key = ec.generate_private_key(ec.SECP256R1())
    zoo = (x509.CertificateBuilder().subject_name(x509.Name(zoo_attrs)).issuer_name(x509.Name(zoo_attrs))
           .public_key(zoo_key.public_key()).serial_number(7).not_valid_before(start)
           .not_valid_after(start + datetime.timedelta(days=30)).sign(zoo_key, hashes.SHA256()))

    def sct(sigalg: int) -> bytes:
        body = (b"\0" + bytes(range(32)) + struct.pack(">QHHH", 1_700_000_000_000, 0, sigalg, 8) + bytes(8))
        return struct.pack(">H", len(body)) + body

    scts = sct(0x0403) + sct(0x0401)
    sct_list = struct.pack(">H", len(scts)) + scts
    uri = x509.UniformResourceIdentifier
    leaf = (x509.CertificateBuilder()
            .subject_name(name((NameOID.COUNTRY_NAME, "GB"), (NameOID.COMMON_NAME, "leaf.example"))).issuer_name(ca_name)
            .public_key(leaf_key.public_key()).serial_number(0x55AA).not_valid_before(start)
            .not_valid_after(start + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("leaf.example"), x509.DNSName("*.leaf.example"),
                x509.IPAddress(ipaddress.ip_address("192.0.2.7")), uri("https://leaf.example/"),
                x509.RFC822Name("a@leaf.example"), x509.DirectoryName(dirname),
                x509.RegisteredID(ObjectIdentifier("1.2.3.4"))]), False)
            .add_extension(x509.AuthorityKeyIdentifier(b"\x01" * 20, [x509.DirectoryName(ca_name)], 0x1234), False)
            .add_extension(x509.CRLDistributionPoints([
                x509.DistributionPoint([uri("http://crl.example/ca.crl")], None, None, None),
                x509.DistributionPoint(None, None, None, [x509.DirectoryName(dirname)])]), False)
            .add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(AuthorityInformationAccessOID.OCSP, uri("http://ocsp.example")),
                x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS, uri("http://ca.example/ca.der"))]),
                False)
            .add_extension(x509.IssuerAlternativeName([x509.DNSName("issuer.example"), x509.DirectoryName(dirname)]),
                           False)
            .add_extension(x509.CertificatePolicies([
                x509.PolicyInformation(ObjectIdentifier("2.23.140.1.2.1"), ["https://cps.example"])]), False)
            .add_extension(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"),
                                                      bytes([4, len(sct_list)]) + sct_list), False)
            .sign(ca_key, hashes.SHA256()))
    der = serialization.Encoding.DER
    return leaf.public_bytes(der), ca.public_bytes(der), zoo.public_bytes(der)


def capture() -> bytes:
    from make_real_bug_captures import _hs, _tls_record, _vec, client_hello

    leaf, ca, zoo = chain()
    sh = (struct.pack(">H", 0x0303) + bytes(range(96, 128)) + _vec(1, b"") + struct.pack(">HB", 0xC02B, 0)
          + _vec(2, b""))
    cert = _vec(3, _vec(3, leaf) + _vec(3, ca) + _vec(3, zoo))
    c = TcpTalk(cisn=7000, sisn=90000, sport=40500, dport=443, client=bytes([10, 1, 0, 1]),
                server=bytes([10, 1, 0, 2]), t0_ns=T0)
    c.open()
    c.records(True, [client_hello([0x0303], sni=b"leaf.example")])
    # ServerHelloDone in a record of its own after the chain's: the frame that completes the reassembled
    # record carries it too, and tshark's second TLS call there names tls again in frame.protocols
    c.records(False, [_tls_record(22, _hs(2, sh) + _hs(11, cert)), _tls_record(22, _hs(14, b""))])
    c.fin(True)
    c.fin(False)
    c.ack(True)
    return pcap(c.frames)


def main() -> None:
    p = DATA / NAME
    p.write_bytes(capture())
    if "--truth" in sys.argv:
        subprocess.run(["bash", str(TRUTH_SH), str(p)], check=True)
        p.with_name(p.name + ".tshark.txt").unlink(missing_ok=True)
        ok = subprocess.run(["tshark", "-G", "fields"], capture_output=True, text=True).stdout
        known = {line.split("\t")[2] for line in ok.splitlines() if line.startswith("F\t")}
        fields = [f for f in X509_FIELDS if f in known]
        out = subprocess.run(["tshark", "-2", "-n", "-r", str(p), "-T", "fields", "-E", "header=y", "-E", "occurrence=a",
                              "-E", "aggregator=,"] + sum((["-e", f] for f in fields), []),
                             capture_output=True, text=True, check=True).stdout
        p.with_name(p.name + ".x509.tsv").write_text(out)
    print(p)


if __name__ == "__main__":
    main()
