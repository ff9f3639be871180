"""Names inside certificates as tshark 4.0 shows them (tests/data/x509_names.pcap, made by
make_x509_capture.py; tshark's truth beside it as x509_names.pcap.x509.tsv and .fields.tsv).

The chain holds countryName (x509sat.CountryName, not x509sat.printableString), DirectoryStrings of each
string type, PrintableString/IA5String attributes, values of a string type their syntax does not allow,
the GeneralNames of subjectAltName, issuerAltName, authorityKeyIdentifier, cRLDistributionPoints,
authorityInfoAccess and nameConstraints (with directoryNames inside), and SCTs whose signature
algorithms are tls.handshake.sig_hash_alg."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TESTS))
import truth  # noqa: E402

from tlstui.cli import main  # noqa: E402
from tlstui.registry import REGISTRY, format_value  # noqa: E402
from tlstui.session import Session  # noqa: E402

DATA = TESTS / "data"
CAPTURE = DATA / "x509_names.pcap"
CERT_FRAME = 8


def _truth() -> tuple[list[str], dict[int, list[str]]]:
    lines = Path(str(CAPTURE) + ".x509.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = {}
    for line in lines[1:]:
        cells = line.split("\t")
        rows[int(cells[0])] = cells + [""] * (len(header) - len(cells))
    return header, rows


def test_every_x509_field_gives_tsharks_cells(capsys):
    header, rows = _truth()
    fields = header[1:]
    assert main(["fields", "-r", str(CAPTURE), "-2", "-e", "frame.number"] + sum((["-e", f] for f in fields), [])) == 0
    got = {int(c[0]): c[1:] + [""] * len(fields) for c in (ln.split("\t") for ln in capsys.readouterr().out.splitlines())}
    bad = [(n, f, cells[i + 1], got[n][i]) for n, cells in rows.items() for i, f in enumerate(fields)
           if cells[i + 1] != got[n][i]]
    assert not bad, bad[:10]


@pytest.mark.parametrize("field", ["x509sat.CountryName", "x509sat.printableString", "x509sat.uTF8String",
                                   "x509ce.dNSName", "x509af.serialNumber", "x509af.algorithm.id",
                                   "tls.handshake.sig_hash_alg"])
def test_shared_fields_in_the_tree(field):
    """The tree (what the TUI and filters read) holds the same values, in tshark's order."""
    header, rows = truth.fields_truth(CAPTURE)
    s = Session.open(str(CAPTURE))
    s.analyze()
    for n, cells in rows.items():
        got = ",".join(format_value(REGISTRY.get(field), x.value) for x in s.tree(n).fields(field))
        assert got == cells[header.index(field)], (n, field)


def test_country_names_and_names_in_extensions():
    s = Session.open(str(CAPTURE))
    s.analyze()
    tree = s.tree(CERT_FRAME)
    countries = [f.value for f in tree.fields("x509sat.CountryName")]
    # leaf issuer, leaf subject, SAN directoryName, AKI issuer, CRL issuer, IAN, CA issuer/subject,
    # the CA's name constraint, the jurisdiction country of the third (issuer and subject); 'FR' is a
    # UTF8String there, which countryName's syntax does not allow: no value, as tshark
    assert countries == ["US", "GB", "DE", "US", "DE", "DE", "US", "US", "US", "AB", "AB"]
    assert "US" not in [f.value for f in tree.fields("x509sat.printableString")]
    assert [f.value for f in tree.fields("x509ce.uniformResourceIdentifier")] == [
        "https://leaf.example/", "http://crl.example/ca.crl", "http://ocsp.example", "http://ca.example/ca.der"]
    assert [f.value for f in tree.fields("x509ce.dNSName")] == [
        "leaf.example", "*.leaf.example", "issuer.example", "example", "bad.example"]
    assert [format_value(REGISTRY.get("tls.handshake.sig_hash_alg"), f.value)
            for f in tree.fields("tls.handshake.sig_hash_alg")] == ["0x0403", "0x0401"]


def test_truncated_extension_does_not_lose_the_certificate():
    """A broken extension value is malformed on its own; the names before and after it stay."""
    from tlstui.tls import x509

    s = Session.open(str(CAPTURE))
    s.analyze()
    cert = next(iter(s.tree(CERT_FRAME).fields("tls.handshake.certificate")))
    raw = bytearray(cert.value)
    i = raw.find(bytes.fromhex("0603551d23"))  # authorityKeyIdentifier's OID
    assert i > 0
    raw[i + 7] = 0x7F  # the extension's inner SEQUENCE now claims more than the OCTET STRING holds
    f = x509.certificate_field(bytes(raw), "tls.handshake.certificate", 0)
    names = [c.name for c in _walk(f)]
    assert "_ws.malformed" in names
    assert names.count("x509ce.dNSName") == 3  # the subjectAltName's two before it, issuerAltName's after it
    assert names.count("x509ce.keyIdentifier") == 0


def _walk(f):
    yield f
    for c in f.children or ():
        yield from _walk(c)


def test_frame_protocols_name_each_certificate_sub_dissector(capsys):
    """frame.protocols as tshark: x509sat/x509af per attribute, pkcs-1 for EC key parameters, x509ce /
    pkix1implicit per extension, pkix1explicit per CPS qualifier, tls for the SCT list, and tls again
    for the second TLS call in the frame (the ServerHelloDone record after the reassembled one)."""
    header, rows = truth.fields_truth(CAPTURE)
    i = header.index("frame.protocols")
    assert main(["fields", "-r", str(CAPTURE), "-2", "-e", "frame.number", "-e", "frame.protocols"]) == 0
    got = dict(line.split("\t") for line in capsys.readouterr().out.splitlines())
    assert {n: got[str(n)] for n in rows} == {n: cells[i] for n, cells in rows.items()}
    protos = got[str(CERT_FRAME)].split(":")
    assert protos[:5] == ["eth", "ethertype", "ip", "tcp", "tls"] and protos[-1] == "tls"
    assert protos.count("pkcs-1") == 3 and protos.count("pkix1explicit") == 1 and protos.count("x509af") == 2


def test_protocols_of_a_certificate_follow_its_tree():
    from tlstui.tls import x509

    s = Session.open(str(CAPTURE))
    s.analyze()
    certs = list(s.tree(CERT_FRAME).fields("tls.handshake.certificate"))
    assert len(certs) == 3
    leaf = x509.certificate_protocols(certs[:1])
    # issuer (9 attributes) and subject (2), the EC key, then the leaf's seven extensions in order
    assert leaf[:12] == ["x509sat"] * 11 + ["pkcs-1"]
    assert [p for p in leaf[12:] if p != "x509sat"] == ["x509ce", "x509ce", "x509ce", "pkix1implicit", "x509ce",
                                                       "x509ce", "pkix1explicit", "tls"]
