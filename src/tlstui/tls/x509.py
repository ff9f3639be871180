"""X.509 certificates and distinguished names: Fields (with DER byte ranges) and summaries.

The tree is walked from the DER itself, so every field covers its bytes; the meaning
(names, validity, keys, SANs) comes from ``cryptography``.  A certificate that
``cryptography`` rejects still gets its DER tree, with ``_ws.malformed`` where it fails.
"""
from __future__ import annotations

import functools
import warnings

import datetime as _dt
from dataclasses import dataclass, field

from ..field import FRAME, Field
from .names import SIGNATURE_SCHEMES
from .reader import mk

# Certificates from captures break RFC 5280 in small ways (a negative serial number...), and
# cryptography says so with a DeprecationWarning per parse.  Printed, it lands on stderr in the
# middle of `tlstui fields` output or the TUI's screen; the certificate is shown as it is instead.
warnings.filterwarnings("ignore", module=r"tlstui\.tls\.x509", category=DeprecationWarning)
# Likewise its UserWarning for a name attribute of a length its type does not allow (a countryName of
# 3 letters, an empty commonName), raised as the name is read, here and in findings/trust.py alike.
warnings.filterwarnings("ignore", message=r"Attribute's length must be", category=UserWarning)
try:
    from cryptography.utils import CryptographyDeprecationWarning as _CDW

    warnings.filterwarnings("ignore", category=_CDW)
except ImportError:  # pragma: no cover
    pass

OID_NAMES = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O", "2.5.4.11": "OU",
    "2.5.4.5": "serialNumber", "1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC",
    "2.5.4.9": "street", "2.5.4.17": "postalCode", "2.5.4.4": "SN", "2.5.4.42": "GN",
}
_JUR = "1.3.6.1.4.1.311.60.2.1."
WS_OID_NAMES = {"2.5.4.3": "id-at-commonName", "2.5.4.6": "id-at-countryName", "2.5.4.7": "id-at-localityName",
                "2.5.4.8": "id-at-stateOrProvinceName", "2.5.4.10": "id-at-organizationName",
                "2.5.4.11": "id-at-organizationalUnitName", "2.5.4.5": "id-at-serialNumber", "2.5.4.4": "id-at-surname",
                "2.5.4.9": "id-at-streetAddress", "2.5.4.12": "id-at-title", "2.5.4.13": "id-at-description",
                "2.5.4.15": "id-at-businessCategory", "2.5.4.17": "id-at-postalCode", "2.5.4.18": "id-at-postOfficeBox",
                "2.5.4.41": "id-at-name", "2.5.4.42": "id-at-givenName", "2.5.4.43": "id-at-initials",
                "2.5.4.44": "id-at-generationQualifier", "2.5.4.46": "id-at-dnQualifier", "2.5.4.65": "id-at-pseudonym",
                "1.2.840.113549.1.9.1": "pkcs-9-at-emailAddress", "0.9.2342.19200300.100.1.25": "dc",
                "0.9.2342.19200300.100.1.1": "id-userid", _JUR + "1": "jurisdictionOfIncorporationLocalityName",
                _JUR + "2": "jurisdictionOfIncorporationStateOrProvinceName",
                _JUR + "3": "jurisdictionOfIncorporationCountryName"}
# An attribute value as tshark 4.0's x509sat/x509af dissect it, by attribute type: (field, the string tag its
# syntax requires); a DirectoryString (any of its five string types) is None.  A value of another string type,
# or of a type tshark does not know, gets no value field (tshark: a BER error / "OID not implemented").
_ATTR_SYNTAX: dict[str, tuple[str, int] | None] = {
    **{f"2.5.4.{n}": None for n in (2, 3, 4, 7, 8, 9, 10, 11, 12, 13, 15, 17, 18, 19, 41, 42, 43, 44, 51, 65)},
    _JUR + "1": None, _JUR + "2": None,
    "2.5.4.6": ("x509sat.CountryName", 0x13), _JUR + "3": ("x509sat.CountryName", 0x13),
    "2.5.4.5": ("x509sat.PrintableString", 0x13), "2.5.4.46": ("x509sat.PrintableString", 0x13),
    "1.2.840.113549.1.9.1": ("x509sat.IA5String", 0x16), "0.9.2342.19200300.100.1.25": ("x509sat.IA5String", 0x16),
    "0.9.2342.19200300.100.1.1": ("x509af.Userid", 0x0C),
}
# DirectoryString's choices: tag -> (field, choice number, name)
DIRECTORY_STRING = {0x14: ("x509sat.teletexString", 0, "teletexString"),
                    0x13: ("x509sat.printableString", 1, "printableString"),
                    0x1C: ("x509sat.universalString", 2, "universalString"), 0x1E: ("x509sat.bmpString", 3, "bmpString"),
                    0x0C: ("x509sat.uTF8String", 4, "uTF8String")}
STRING_TAGS = {t: v[0] for t, v in DIRECTORY_STRING.items()}


class DerError(ValueError):
    pass


def tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int, int]:
    """(tag, header_len, content_len, next_pos) of the DER element at ``pos``."""
    if pos + 2 > end:
        raise DerError("short")
    tag = buf[pos]
    ln = buf[pos + 1]
    h = 2
    if ln & 0x80:
        n = ln & 0x7F
        if n == 0 or n > 4 or pos + 2 + n > end:
            raise DerError("length")
        ln = int.from_bytes(buf[pos + 2:pos + 2 + n], "big")
        h += n
    if pos + h + ln > end:
        raise DerError("overrun")
    return tag, h, ln, pos + h + ln


def children(buf: bytes, pos: int, end: int) -> list[tuple[int, int, int, int]]:
    """Elements inside a constructed element's content [pos, end): (tag, start, hdr, len)."""
    out = []
    while pos < end:
        tag, h, ln, nxt = tlv(buf, pos, end)
        out.append((tag, pos, h, ln))
        pos = nxt
    return out


def oid_str(b: bytes) -> str:
    if not b:
        return ""
    first = b[0]
    parts = [str(min(first // 40, 2)), str(first - 40 * min(first // 40, 2))]
    v = 0
    for c in b[1:]:
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            parts.append(str(v))
            v = 0
    return ".".join(parts)


def _decode_str(tag: int, b: bytes) -> str:
    if tag == 0x1E:
        return b.decode("utf-16-be", "replace")
    if tag == 0x1C:
        return b.decode("utf-32-be", "replace")
    return b.decode("utf-8" if tag == 0x0C else "latin-1", "replace")


def _time_str(tag: int, b: bytes) -> str:
    s = b.decode("ascii", "replace").rstrip("Z")
    if tag == 0x17 and len(s) >= 12:
        yy = int(s[:2]) if s[:2].isdigit() else 0
        s = ("19" if yy >= 50 else "20") + s
    if len(s) >= 14:
        return f"{s[0:4]}-{s[4:6]}-{s[6:8]} {s[8:10]}:{s[10:12]}:{s[12:14]} (UTC)"
    return s


def name_fields(buf: bytes, pos: int, end: int, base: int, src: str, parent: Field) -> str:
    """RDNSequence content [pos, end) -> fields under ``parent``; returns 'CN=...,O=...'.

    ``parent``'s label becomes tshark's 'rdnSequence: N items (id-at-commonName=...,...)'."""
    parts = []
    ws_parts = []
    for (_t, s, h, ln) in children(buf, pos, end):  # SET
        rdn = Field("x509if.RDNSequence_item", "RDNSequence item", None, base + s, h + ln, source=src)
        parent.add(rdn)
        n_items = 0
        rdn_ws = []
        for (_t2, s2, h2, ln2) in children(buf, s + h, s + h + ln):  # SEQUENCE {oid, value}
            kids = children(buf, s2 + h2, s2 + h2 + ln2)
            if len(kids) < 2:
                continue
            (ot, os_, oh, ol), (vt, vs, vh, vl) = kids[0], kids[1]
            oid = oid_str(buf[os_ + oh:os_ + oh + ol])
            val = _decode_str(vt, buf[vs + vh:vs + vh + vl])
            short = OID_NAMES.get(oid, oid)
            wsn = WS_OID_NAMES.get(oid, oid)
            item = Field("x509if.RelativeDistinguishedName_item_element",
                         f"RelativeDistinguishedName item ({wsn}={val})", None, base + s2, h2 + ln2, source=src)
            rdn.add(item)
            n_items += 1
            item.add(mk("x509if.oid", oid, base + os_, oh + ol, f"Object Id: {oid} ({wsn})", src))
            _attr_value(oid, vt, val, base + vs, vh + vl, src, item)
            parts.append(f"{short}={val}")
            rdn_ws.append(f"{wsn}={val}")
        rdn.value = n_items
        rdn.label = f"RDNSequence item: {n_items} item{'' if n_items == 1 else 's'} ({'+'.join(rdn_ws)})"
        ws_parts.append("+".join(rdn_ws))
    n = len(parent.children)
    parent.value = n
    parent.label = f"rdnSequence: {n} item{'' if n == 1 else 's'} ({','.join(reversed(ws_parts))})"
    return ",".join(reversed(parts))  # RFC 4514 order, as cryptography prints names


def _attr_value(oid: str, tag: int, val: str, off: int, size: int, src: str, item: Field) -> None:
    if oid not in _ATTR_SYNTAX:
        return
    syn = _ATTR_SYNTAX[oid]
    if syn is None:
        choice = DIRECTORY_STRING.get(tag)
        if choice is None:
            return
        fname, num, cname = choice
        d = Field("x509sat.DirectoryString", f"DirectoryString: {cname} ({num})", num, off, size, source=src)
        item.add(d)
        d.add(mk(fname, val, off, size, source=src))
    elif tag == syn[1]:
        item.add(mk(syn[0], val, off, size, source=src))
    else:  # tshark: a BER error of the Malformed group (the frame matches _ws.malformed)
        item.add(mk("_ws.malformed", None, off, size, f"[BER Error: String with tag={syn[1]} expected but "
                                                      f"class:UNIVERSAL(0) Primitive tag:{tag} was unexpected]", src))


def dname_field(der: bytes, name: str, offset: int, src: str = FRAME) -> tuple[Field, str]:
    """A CertificateRequest distinguished name: ``tls.handshake.dname`` with the RDNs under it."""
    f = Field(name, "Distinguished Name", None, offset, len(der), source=src)
    try:
        tag, h, ln, _ = tlv(der, 0, len(der))
        rs = Field("x509if.rdnSequence", "rdnSequence", None, offset, len(der), source=src)
        text = name_fields(der, h, h + ln, offset, src, rs)
        f.label = f"Distinguished Name: ({text})"
        f.add(rs)
        return f, text
    except DerError as e:
        f.add(mk("_ws.malformed", None, offset, len(der), f"[Malformed distinguished name: {e}]", src))
        return f, ""


@dataclass(slots=True)
class CertInfo:
    """What findings need to know about one certificate (``cryptography`` decoded)."""

    subject: str = ""
    issuer: str = ""
    serial: int = 0
    not_before: float | None = None  # seconds since the epoch, UTC
    not_after: float | None = None
    san_dns: list[str] = field(default_factory=list)
    san_ip: list[str] = field(default_factory=list)
    key_type: str = ""  # "RSA", "EC", "Ed25519", ...
    key_bits: int = 0
    sig_alg: str = ""  # signature algorithm OID name, e.g. "sha256WithRSAEncryption"
    self_signed: bool = False
    is_ca: bool | None = None
    error: str = ""  # why cryptography refused it, if it did
    der_len: int = 0
    der: bytes = b""  # the certificate itself (signature checks in findings/trust.py)
    key_usage: tuple[str, ...] | None = None  # keyUsage bits set ('digital_signature', ...); None: no extension
    ext_key_usage: tuple[str, ...] | None = None  # extendedKeyUsage OIDs (dotted); None: no extension
    sig_hash: str = ""  # the signature's hash ('sha1', 'md5', 'sha256'; '' when none or unknown)


def _ts(d: _dt.datetime) -> float:
    if d.tzinfo is None:
        d = d.replace(tzinfo=_dt.timezone.utc)
    return d.timestamp()


@functools.lru_cache(maxsize=512)
def cert_info(der: bytes) -> CertInfo:
    """Summary of a DER certificate; never raises (``error`` says what went wrong).

    Cached: a server sends the same chain on every connection.  Treat the result as read-only.
    """
    info = CertInfo(der_len=len(der), der=der)
    with warnings.catch_warnings():  # as findings/trust.py: whatever filters are in force (pytest resets them)
        warnings.simplefilter("ignore")
        _fill_info(info, der)
    return info


def _fill_info(info: CertInfo, der: bytes) -> None:
    try:
        from cryptography import x509 as cx
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa

        c = cx.load_der_x509_certificate(der)
        info.subject = c.subject.rfc4514_string()
        info.issuer = c.issuer.rfc4514_string()
        info.serial = c.serial_number
        try:
            info.not_before = _ts(c.not_valid_before_utc)
            info.not_after = _ts(c.not_valid_after_utc)
        except AttributeError:  # older cryptography
            info.not_before = _ts(c.not_valid_before)
            info.not_after = _ts(c.not_valid_after)
        info.self_signed = c.subject == c.issuer
        try:
            san = c.extensions.get_extension_for_class(cx.SubjectAlternativeName).value
            info.san_dns = list(san.get_values_for_type(cx.DNSName))
            info.san_ip = [str(a) for a in san.get_values_for_type(cx.IPAddress)]
        except Exception:
            pass
        try:
            bc = c.extensions.get_extension_for_class(cx.BasicConstraints).value
            info.is_ca = bc.ca
        except Exception:
            pass
        info.key_usage, info.ext_key_usage = _usages(c)
        try:
            h = c.signature_hash_algorithm
            info.sig_hash = h.name if h is not None else ""
        except Exception:  # an algorithm cryptography does not know (md2, GOST ...): the OID name says
            info.sig_hash = ""
        try:
            info.sig_alg = c.signature_algorithm_oid._name  # noqa: SLF001
        except Exception:
            info.sig_alg = c.signature_algorithm_oid.dotted_string
        try:
            k = c.public_key()
            if isinstance(k, rsa.RSAPublicKey):
                info.key_type, info.key_bits = "RSA", k.key_size
            elif isinstance(k, ec.EllipticCurvePublicKey):
                info.key_type, info.key_bits = "EC", k.key_size
            elif isinstance(k, dsa.DSAPublicKey):
                info.key_type, info.key_bits = "DSA", k.key_size
            else:
                info.key_type = type(k).__name__.replace("PublicKey", "").lstrip("_")
        except Exception as e:  # unsupported key types
            info.key_type = f"unsupported ({e.__class__.__name__})"
    except Exception as e:
        info.error = str(e) or e.__class__.__name__


KEY_USAGE_BITS = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                  "key_agreement", "key_cert_sign", "crl_sign")


def _usages(c) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """(keyUsage bits set, extendedKeyUsage dotted OIDs); None where the extension is absent
    (or does not decode: then nothing can be said about it)."""
    from cryptography import x509 as cx

    ku = eku = None
    try:
        v = c.extensions.get_extension_for_class(cx.KeyUsage).value
        ku = tuple(b for b in KEY_USAGE_BITS if getattr(v, b))
    except Exception:
        pass
    try:
        v = c.extensions.get_extension_for_class(cx.ExtendedKeyUsage).value
        eku = tuple(o.dotted_string for o in v)
    except Exception:
        pass
    return ku, eku


@functools.lru_cache(maxsize=512)
def issued_by(der: bytes, issuer_der: bytes) -> bool | None:
    """Whether ``der``'s issuer name equals ``issuer_der``'s subject (None if either fails to parse)."""
    try:
        from cryptography import x509 as cx

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cx.load_der_x509_certificate(der).issuer == cx.load_der_x509_certificate(issuer_der).subject
    except Exception:
        return None


def certificate_field(der: bytes, name: str, offset: int, src: str = FRAME) -> Field:
    """``tls.handshake.certificate`` with the X.509 tree beneath it."""
    f = mk(name, der, offset, len(der), source=src)
    try:
        _cert_tree(der, offset, src, f, name.split(".", 1)[0])
    except (DerError, IndexError, ValueError) as e:
        f.add(mk("_ws.malformed", None, offset, len(der), f"[Malformed certificate: {e}]", src))
    return f


def _cert_tree(der: bytes, base: int, src: str, f: Field, prefix: str = "tls") -> None:
    tag, h, ln, _ = tlv(der, 0, len(der))
    top = children(der, h, h + ln)
    if len(top) < 3:
        raise DerError("certificate needs 3 parts")
    (tt, ts, th, tl), (at, as_, ah, al), (st, ss, sh, sl) = top[:3]
    tbs = Field("x509af.signedCertificate_element", "signedCertificate", None, base + ts, th + tl, source=src)
    f.add(tbs)
    subject_text = ""
    parts = children(der, ts + th, ts + th + tl)
    i = 0
    if parts and parts[0][0] == 0xA0:
        _t, s, hh, ll = parts[0]
        inner = children(der, s + hh, s + hh + ll)
        if inner:
            _t2, s2, h2, l2 = inner[0]
            v = int.from_bytes(der[s2 + h2:s2 + h2 + l2], "big")
            tbs.add(mk("x509af.version", v, base + s2, h2 + l2, f"version: v{v + 1} ({v})", src))
        i = 1
    names = ["serial", "signature", "issuer", "validity", "subject", "spki"]
    for key, (t, s, hh, ll) in zip(names, parts[i:i + 6]):
        if key == "serial":
            tbs.add(mk("x509af.serialNumber", der[s + hh:s + hh + ll], base + s, hh + ll, source=src))
        elif key == "signature":
            n = Field("x509af.signature_element", "signature", None, base + s, hh + ll, source=src)
            tbs.add(n)
            _alg(der, s, hh, ll, base, src, n)
        elif key in ("issuer", "subject"):
            n = Field(f"x509af.{key}", key, 0, base + s, hh + ll, source=src)
            tbs.add(n)
            # tshark 4.0 names the issuer's sequence from x509if, the subject's from x509af
            rs = Field("x509if.rdnSequence" if key == "issuer" else "x509af.rdnSequence", "rdnSequence", None,
                       base + s, hh + ll, source=src)
            n.add(rs)
            text = name_fields(der, s + hh, s + hh + ll, base, src, rs)
            n.label = f"{key}: rdnSequence (0)"
            if key == "subject":
                subject_text = text
        elif key == "validity":
            n = Field("x509af.validity_element", "validity", None, base + s, hh + ll, source=src)
            tbs.add(n)
            for which, (t2, s2, h2, l2) in zip(("notBefore", "notAfter"), children(der, s + hh, s + hh + ll)):
                w = Field(f"x509af.{which}", f"{which}: utcTime (0)" if t2 == 0x17 else f"{which}: generalTime (1)",
                          0 if t2 == 0x17 else 1, base + s2, h2 + l2, source=src)
                n.add(w)
                txt = _time_str(t2, der[s2 + h2:s2 + h2 + l2])
                w.add(mk("x509af.utcTime" if t2 == 0x17 else "x509af.generalTime", txt, base + s2, h2 + l2,
                         source=src))
        elif key == "spki":
            n = Field("x509af.subjectPublicKeyInfo_element", "subjectPublicKeyInfo", None, base + s, hh + ll,
                      source=src)
            tbs.add(n)
            kids = children(der, s + hh, s + hh + ll)
            if kids:
                a = Field("x509af.algorithm_element", "algorithm", None, base + kids[0][1], kids[0][2] + kids[0][3],
                          source=src)
                n.add(a)
                _alg(der, kids[0][1], kids[0][2], kids[0][3], base, src, a)
            if len(kids) > 1:
                _t3, s3, h3, l3 = kids[1]
                n.add(mk("x509af.subjectPublicKey", der[s3 + h3 + 1:s3 + h3 + l3], base + s3, h3 + l3, source=src))
    for (t, s, hh, ll) in parts[i + 6:]:
        if t == 0xA3:
            _extensions(der, s, hh, ll, base, src, tbs, prefix)
    a = Field("x509af.algorithmIdentifier_element", "algorithmIdentifier", None, base + as_, ah + al, source=src)
    f.add(a)
    _alg(der, as_, ah, al, base, src, a)
    f.add(mk("x509af.encrypted", der[ss + sh + 1:ss + sh + sl], base + ss, sh + sl, source=src))
    f.label = f"Certificate: {der[:16].hex()}… ({subject_text})" if subject_text else f"Certificate ({len(der)} bytes)"


def _alg(der: bytes, s: int, h: int, ln: int, base: int, src: str, parent: Field) -> None:
    kids = children(der, s + h, s + h + ln)
    if kids and kids[0][0] == 0x06:
        _t, s2, h2, l2 = kids[0]
        oid = oid_str(der[s2 + h2:s2 + h2 + l2])
        parent.add(mk("x509af.algorithm.id", oid, base + s2, h2 + l2, source=src))


_EXT_NAMES = {"2.5.29.17": "id-ce-subjectAltName", "2.5.29.19": "id-ce-basicConstraints", "2.5.29.15": "id-ce-keyUsage",
              "2.5.29.37": "id-ce-extKeyUsage", "2.5.29.14": "id-ce-subjectKeyIdentifier",
              "2.5.29.35": "id-ce-authorityKeyIdentifier", "2.5.29.18": "id-ce-issuerAltName",
              "2.5.29.31": "id-ce-cRLDistributionPoints", "2.5.29.46": "id-ce-freshestCRL",
              "2.5.29.30": "id-ce-nameConstraints", "2.5.29.32": "id-ce-certificatePolicies",
              "1.3.6.1.5.5.7.1.1": "id-pe-authorityInfoAccess", "1.3.6.1.5.5.7.1.11": "id-pe-subjectInfoAccess",
              "1.3.6.1.4.1.11129.2.4.2": "SignedCertificateTimestampList"}
_GN_CHOICES = {0: "otherName", 1: "rfc822Name", 2: "dNSName", 3: "x400Address", 4: "directoryName",
               5: "ediPartyName", 6: "uniformResourceIdentifier", 7: "iPAddress", 8: "registeredID"}
_GN_STRINGS = {1: "x509ce.rfc822Name", 2: "x509ce.dNSName", 6: "x509ce.uniformResourceIdentifier"}
SCT_LIST_OID = "1.3.6.1.4.1.11129.2.4.2"


def _items(n: int) -> str:
    return f"{n} item{'' if n == 1 else 's'}"


def general_name(der: bytes, t: int, s: int, h: int, ln: int, base: int, src: str, parent: Field,
                 wrapper: str = "x509ce.GeneralName") -> None:
    """One GeneralName (RFC 5280 4.2.1.6) as tshark 4.0's x509ce shows it: the CHOICE under ``wrapper``
    (x509ce.GeneralName, x509ce.base, pkix1implicit.accessLocation) with its value beneath."""
    num = t & 0x1F
    cname = _GN_CHOICES.get(num, str(num))
    g = Field(wrapper, f"{wrapper.rsplit('.', 1)[1]}: {cname} ({num})", num, base + s, h + ln, source=src)
    parent.add(g)
    val = der[s + h:s + h + ln]
    if num in _GN_STRINGS:
        g.add(mk(_GN_STRINGS[num], val.decode("latin-1"), base + s, h + ln, source=src))
    elif num == 7 and ln == 4:
        g.add(mk("x509ce.IPAddress.ipv4", int.from_bytes(val, "big"), base + s, h + ln, source=src))
    elif num == 7 and ln == 16:
        g.add(mk("x509ce.IPAddress.ipv6", bytes(val), base + s, h + ln, source=src))
    elif num == 8:
        g.add(mk("x509ce.registeredID", oid_str(val), base + s, h + ln, source=src))
    elif num == 4 and t & 0x20:  # [4] EXPLICIT Name: the rdnSequence inside
        inner = children(der, s + h, s + h + ln)
        if inner and inner[0][0] == 0x30:
            _t2, s2, h2, l2 = inner[0]
            dn = Field("x509ce.directoryName", "directoryName: rdnSequence (0)", 0, base + s2, h2 + l2, source=src)
            g.add(dn)
            rs = Field("x509if.rdnSequence", "rdnSequence", None, base + s2, h2 + l2, source=src)
            dn.add(rs)
            name_fields(der, s2 + h2, s2 + h2 + l2, base, src, rs)
    elif num == 0 and t & 0x20:  # otherName: type-id and an [0] value
        inner = children(der, s + h, s + h + ln)
        on = Field("x509ce.otherName_element", "otherName", None, base + s, h + ln, source=src)
        g.add(on)
        if inner and inner[0][0] == 0x06:
            _t2, s2, h2, l2 = inner[0]
            on.add(mk("x509ce.type_id", oid_str(der[s2 + h2:s2 + h2 + l2]), base + s2, h2 + l2, source=src))


def general_names(der: bytes, s: int, h: int, ln: int, base: int, src: str, parent: Field, name: str) -> None:
    """A GeneralNames SEQUENCE (or an IMPLICIT-tagged one) [s, s+h+ln) as ``name`` with its items."""
    names = children(der, s + h, s + h + ln)
    g = Field(name, f"{name.rsplit('.', 1)[1]}: {_items(len(names))}", len(names), base + s, h + ln, source=src)
    parent.add(g)
    for (t2, s2, h2, l2) in names:
        general_name(der, t2, s2, h2, l2, base, src, g)


def _ext_value(oid: str, der: bytes, s: int, h: int, ln: int, base: int, src: str, e: Field, prefix: str) -> None:
    """The extnValue OCTET STRING's content [s+h, s+h+ln) of the extensions that carry names."""
    inner = children(der, s + h, s + h + ln)
    if not inner:
        return
    t1, s1, h1, l1 = inner[0]
    if oid in ("2.5.29.17", "2.5.29.18") and t1 == 0x30:
        general_names(der, s1, h1, l1, base, src, e, "x509ce.GeneralNames")
    elif oid == "2.5.29.35" and t1 == 0x30:
        aki = Field("x509ce.AuthorityKeyIdentifier_element", "AuthorityKeyIdentifier", None, base + s1, h1 + l1,
                    source=src)
        e.add(aki)
        for (t2, s2, h2, l2) in children(der, s1 + h1, s1 + h1 + l1):
            if t2 == 0x80:
                aki.add(mk("x509ce.keyIdentifier", der[s2 + h2:s2 + h2 + l2], base + s2, h2 + l2, source=src))
            elif t2 == 0xA1:
                general_names(der, s2, h2, l2, base, src, aki, "x509ce.authorityCertIssuer")
            elif t2 == 0x82:
                aki.add(mk("x509ce.authorityCertSerialNumber", der[s2 + h2:s2 + h2 + l2], base + s2, h2 + l2,
                           source=src))
    elif oid in ("2.5.29.31", "2.5.29.46") and t1 == 0x30:
        dps = children(der, s1 + h1, s1 + h1 + l1)
        lst = Field("x509ce.CRLDistPointsSyntax", f"CRLDistPointsSyntax: {_items(len(dps))}", len(dps), base + s1,
                    h1 + l1, source=src)
        e.add(lst)
        for (_t2, s2, h2, l2) in dps:
            dp = Field("x509ce.DistributionPoint_element", "DistributionPoint", None, base + s2, h2 + l2, source=src)
            lst.add(dp)
            for (t3, s3, h3, l3) in children(der, s2 + h2, s2 + h2 + l2):
                if t3 == 0xA0:  # distributionPoint: [0] fullName | [1] nameRelativeToCRLIssuer
                    for (t4, s4, h4, l4) in children(der, s3 + h3, s3 + h3 + l3)[:1]:
                        num = t4 & 0x1F
                        dpn = Field("x509ce.distributionPoint",
                                    f"distributionPoint: {'fullName' if num == 0 else 'nameRelativeToCRLIssuer'} ({num})",
                                    num, base + s4, h4 + l4, source=src)
                        dp.add(dpn)
                        if num == 0:
                            general_names(der, s4, h4, l4, base, src, dpn, "x509ce.fullName")
                elif t3 == 0xA2:
                    general_names(der, s3, h3, l3, base, src, dp, "x509ce.cRLIssuer")
    elif oid in ("1.3.6.1.5.5.7.1.1", "1.3.6.1.5.5.7.1.11") and t1 == 0x30:
        ads = children(der, s1 + h1, s1 + h1 + l1)
        which = "AuthorityInfoAccessSyntax" if oid.endswith(".1") else "SubjectInfoAccessSyntax"
        lst = Field(f"pkix1implicit.{which}", f"{which}: {_items(len(ads))}", len(ads), base + s1, h1 + l1,
                    source=src)
        e.add(lst)
        for (_t2, s2, h2, l2) in ads:
            ad = Field("pkix1implicit.AccessDescription_element", "AccessDescription", None, base + s2, h2 + l2,
                       source=src)
            lst.add(ad)
            kids = children(der, s2 + h2, s2 + h2 + l2)
            if kids and kids[0][0] == 0x06:
                _t3, s3, h3, l3 = kids[0]
                ad.add(mk("pkix1implicit.accessMethod", oid_str(der[s3 + h3:s3 + h3 + l3]), base + s3, h3 + l3,
                          source=src))
            for (t3, s3, h3, l3) in kids[1:2]:
                general_name(der, t3, s3, h3, l3, base, src, ad, "pkix1implicit.accessLocation")
    elif oid == "2.5.29.30" and t1 == 0x30:
        nc = Field("x509ce.NameConstraintsSyntax_element", "NameConstraintsSyntax", None, base + s1, h1 + l1,
                   source=src)
        e.add(nc)
        for (t2, s2, h2, l2) in children(der, s1 + h1, s1 + h1 + l1):
            if t2 not in (0xA0, 0xA1):
                continue
            subtrees = children(der, s2 + h2, s2 + h2 + l2)
            which = "permittedSubtrees" if t2 == 0xA0 else "excludedSubtrees"
            st = Field(f"x509ce.{which}", f"{which}: {_items(len(subtrees))}", len(subtrees), base + s2, h2 + l2,
                       source=src)
            nc.add(st)
            for (_t3, s3, h3, l3) in subtrees:
                gs = Field("x509ce.GeneralSubtree_element", "GeneralSubtree", None, base + s3, h3 + l3, source=src)
                st.add(gs)
                for (t4, s4, h4, l4) in children(der, s3 + h3, s3 + h3 + l3)[:1]:
                    general_name(der, t4, s4, h4, l4, base, src, gs, "x509ce.base")
    elif oid == "2.5.29.32" and t1 == 0x30:
        pols = children(der, s1 + h1, s1 + h1 + l1)
        lst = Field("x509ce.CertificatePoliciesSyntax", f"CertificatePoliciesSyntax: {_items(len(pols))}", len(pols),
                    base + s1, h1 + l1, source=src)
        e.add(lst)
        for (_t2, s2, h2, l2) in pols:
            pi = Field("x509ce.PolicyInformation_element", "PolicyInformation", None, base + s2, h2 + l2, source=src)
            lst.add(pi)
            kids = children(der, s2 + h2, s2 + h2 + l2)
            if kids and kids[0][0] == 0x06:
                _t3, s3, h3, l3 = kids[0]
                pi.add(mk("x509ce.policyIdentifier", oid_str(der[s3 + h3:s3 + h3 + l3]), base + s3, h3 + l3,
                          source=src))
            for (t3, s3, h3, l3) in kids[1:2]:
                quals = children(der, s3 + h3, s3 + h3 + l3)
                ql = Field("x509ce.policyQualifiers", f"policyQualifiers: {_items(len(quals))}", len(quals),
                           base + s3, h3 + l3, source=src)
                pi.add(ql)
                for (_t4, s4, h4, l4) in quals:
                    qi = Field("x509ce.PolicyQualifierInfo_element", "PolicyQualifierInfo", None, base + s4, h4 + l4,
                               source=src)
                    ql.add(qi)
                    qk = children(der, s4 + h4, s4 + h4 + l4)
                    if qk and qk[0][0] == 0x06:
                        _t5, s5, h5, l5 = qk[0]
                        qi.add(mk("x509ce.id", oid_str(der[s5 + h5:s5 + h5 + l5]), base + s5, h5 + l5, source=src))
    elif oid == SCT_LIST_OID and t1 == 0x04:
        sct_list(der[s1 + h1:s1 + h1 + l1], base + s1 + h1, src, e, prefix)


def sct_list(b: bytes, off: int, src: str, parent: Field, prefix: str = "tls") -> None:
    """A SignedCertificateTimestampList (RFC 6962 3.3) as tshark's tls_dissect_sct_list shows it, the
    signature algorithm of each SCT as ``tls.handshake.sig_hash_alg``."""
    if len(b) < 2:
        return
    total = int.from_bytes(b[:2], "big")
    parent.add(mk(f"{prefix}.sct.scts_length", total, off, 2, source=src))
    p, end = 2, min(len(b), 2 + total)
    while p + 2 <= end:
        n = int.from_bytes(b[p:p + 2], "big")
        parent.add(mk(f"{prefix}.sct.sct_length", n, off + p, 2, source=src))
        q, e = p + 2, min(end, p + 2 + n)
        if q + 1 + 32 + 8 + 2 > e:
            break
        parent.add(mk(f"{prefix}.sct.sct_version", b[q], off + q, 1, source=src))
        parent.add(mk(f"{prefix}.sct.sct_logid", b[q + 1:q + 33], off + q + 1, 32, source=src))
        ts = int.from_bytes(b[q + 33:q + 41], "big")
        parent.add(mk(f"{prefix}.sct.sct_timestamp", ts / 1000.0, off + q + 33, 8, source=src))
        xl = int.from_bytes(b[q + 41:q + 43], "big")
        parent.add(mk(f"{prefix}.sct.sct_extensions_length", xl, off + q + 41, 2, source=src))
        q += 43 + xl
        if q + 4 > e:
            break
        v = int.from_bytes(b[q:q + 2], "big")
        f = mk(f"{prefix}.handshake.sig_hash_alg", v, off + q, 2,
               f"Signature Algorithm: {SIGNATURE_SCHEMES.get(v, 'Unknown')} (0x{v:04x})", src)
        parent.add(f)
        f.add(mk(f"{prefix}.handshake.sig_hash_hash", b[q], off + q, 1, source=src))
        f.add(mk(f"{prefix}.handshake.sig_hash_sig", b[q + 1], off + q + 1, 1, source=src))
        sl = int.from_bytes(b[q + 2:q + 4], "big")
        parent.add(mk(f"{prefix}.sct.sct_signature_length", sl, off + q + 2, 2, source=src))
        if q + 4 + sl <= e:
            parent.add(mk(f"{prefix}.sct.sct_signature", b[q + 4:q + 4 + sl], off + q + 4, sl, source=src))
        p += 2 + n


def _extensions(der: bytes, s: int, h: int, ln: int, base: int, src: str, tbs: Field, prefix: str = "tls") -> None:
    inner = children(der, s + h, s + h + ln)
    if not inner:
        return
    _t, s1, h1, l1 = inner[0]
    exts = children(der, s1 + h1, s1 + h1 + l1)
    node = Field("x509af.extensions", f"extensions: {len(exts)} items", len(exts), base + s, h + ln, source=src)
    tbs.add(node)
    for (_t2, s2, h2, l2) in exts:
        parts = children(der, s2 + h2, s2 + h2 + l2)
        if not parts:
            continue
        oid = oid_str(der[parts[0][1] + parts[0][2]:parts[0][1] + parts[0][2] + parts[0][3]])
        e = Field("x509af.Extension_element", f"Extension ({_EXT_NAMES.get(oid, oid)})", None, base + s2, h2 + l2,
                  source=src)
        node.add(e)
        e.add(mk("x509af.extension.id", oid, base + parts[0][1], parts[0][2] + parts[0][3], source=src))
        for (t3, s3, h3, l3) in parts[1:]:
            if t3 == 0x01:
                e.add(mk("x509af.critical", int(der[s3 + h3] != 0) if l3 else 0, base + s3, h3 + l3, source=src))
            elif t3 == 0x04:
                try:
                    _ext_value(oid, der, s3, h3, l3, base, src, e, prefix)
                except (DerError, IndexError, ValueError) as err:  # one broken extension: the rest still shown
                    e.add(mk("_ws.malformed", None, base + s3, h3 + l3, f"[Malformed extension: {err}]", src))


# The protocols tshark 4.0 names in frame.protocols as it dissects a certificate: one per call of a
# sub-dissector registered for an OID (an attribute type, a key's parameters, an extension, a policy
# qualifier), in tree order; 'tls' again for an SCT list (its dissector is TLS's).
_ATTR_PROTO = {**{oid: "x509sat" for oid in _ATTR_SYNTAX}, "0.9.2342.19200300.100.1.1": "x509af",
               "2.5.4.16": "x509sat", "2.5.4.20": "x509sat", "2.5.4.27": "x509sat"}
_ALG_PROTO = {"1.2.840.10045.2.1": "pkcs-1", "1.2.840.113549.1.1.10": "pkcs-1"}
_EXT_PROTO = {**{f"2.5.29.{n}": "x509ce" for n in (9, 14, 15, 16, 17, 18, 19, 20, 21, 23, 24, 27, 28, 29, 30, 31,
                                                   32, 33, 35, 36, 37, 46, 54, 56)},
              "1.3.6.1.4.1.311.21.1": "x509ce", "1.3.6.1.4.1.311.21.7": "x509ce", "1.3.6.1.4.1.311.21.10": "x509ce",
              "1.3.6.1.4.1.311.20.2": "x509ce", "1.3.6.1.5.5.7.1.1": "pkix1implicit",
              "1.3.6.1.5.5.7.1.11": "pkix1implicit", SCT_LIST_OID: "tls"}
_QUALIFIER_PROTO = {"1.3.6.1.5.5.7.2.1": "pkix1explicit", "1.3.6.1.5.5.7.2.2": "pkix1implicit"}
_PROTO_OF = {"x509if.oid": _ATTR_PROTO, "x509af.algorithm.id": _ALG_PROTO, "x509af.extension.id": _EXT_PROTO,
             "x509ce.id": _QUALIFIER_PROTO}


def certificate_protocols(fields) -> list[str]:
    """The protocols the certificates among ``fields`` (and beneath them) add to frame.protocols, in order."""
    out: list[str] = []
    for top in fields:
        for f in top.walk():
            if f.name == "x509if.oid" and f.value in _ATTR_SYNTAX and _ATTR_SYNTAX[f.value] is None:
                continue  # a DirectoryString: named with its value (below), not when its string type is refused
            if f.name == "x509sat.DirectoryString":
                out.append("x509sat")
                continue
            table = _PROTO_OF.get(f.name)
            if table is not None:
                p = table.get(f.value)
                if p:
                    out.append(p)
    return out
