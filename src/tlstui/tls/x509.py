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
from .reader import mk

# Certificates from captures break RFC 5280 in small ways (a negative serial number...), and
# cryptography says so with a DeprecationWarning per parse.  Printed, it lands on stderr in the
# middle of `tlstui fields` output or the TUI's screen; the certificate is shown as it is instead.
warnings.filterwarnings("ignore", module=r"tlstui\.tls\.x509", category=DeprecationWarning)
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
WS_OID_NAMES = {"2.5.4.3": "id-at-commonName", "2.5.4.6": "id-at-countryName", "2.5.4.7": "id-at-localityName",
                "2.5.4.8": "id-at-stateOrProvinceName", "2.5.4.10": "id-at-organizationName",
                "2.5.4.11": "id-at-organizationalUnitName"}
STRING_TAGS = {0x13: "x509sat.printableString", 0x0C: "x509sat.uTF8String", 0x16: "x509sat.ia5String",
               0x14: "x509sat.teletexString", 0x1E: "x509sat.bmpString", 0x1C: "x509sat.universalString"}


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
    """RDNSequence content [pos, end) -> fields under ``parent``; returns 'CN=...,O=...'."""
    parts = []
    for (_t, s, h, ln) in children(buf, pos, end):  # SET
        rdn = Field("x509if.RDNSequence_item", "RDNSequence item", None, base + s, h + ln, source=src)
        parent.add(rdn)
        for (_t2, s2, h2, ln2) in children(buf, s + h, s + h + ln):  # SEQUENCE {oid, value}
            kids = children(buf, s2 + h2, s2 + h2 + ln2)
            if len(kids) < 2:
                continue
            (ot, os_, oh, ol), (vt, vs, vh, vl) = kids[0], kids[1]
            oid = oid_str(buf[os_ + oh:os_ + oh + ol])
            val = _decode_str(vt, buf[vs + vh:vs + vh + vl])
            short = OID_NAMES.get(oid, oid)
            item = Field("x509if.RelativeDistinguishedName_item_element",
                         f"RelativeDistinguishedName item ({WS_OID_NAMES.get(oid, oid)}={val})", None,
                         base + s2, h2 + ln2, source=src)
            rdn.add(item)
            item.add(mk("x509if.oid", oid, base + os_, oh + ol, f"Object Id: {oid} ({WS_OID_NAMES.get(oid, oid)})", src))
            sname = STRING_TAGS.get(vt)
            if sname:
                item.add(mk(sname, val, base + vs, vh + vl, source=src))
            parts.append(f"{short}={val}")
    return ",".join(reversed(parts))  # RFC 4514 order, as cryptography prints names


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
    return info


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

        return cx.load_der_x509_certificate(der).issuer == cx.load_der_x509_certificate(issuer_der).subject
    except Exception:
        return None


def certificate_field(der: bytes, name: str, offset: int, src: str = FRAME) -> Field:
    """``tls.handshake.certificate`` with the X.509 tree beneath it."""
    f = mk(name, der, offset, len(der), source=src)
    try:
        _cert_tree(der, offset, src, f)
    except (DerError, IndexError, ValueError) as e:
        f.add(mk("_ws.malformed", None, offset, len(der), f"[Malformed certificate: {e}]", src))
    return f


def _cert_tree(der: bytes, base: int, src: str, f: Field) -> None:
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
            rs = Field("x509af.rdnSequence", "rdnSequence", None, base + s, hh + ll, source=src)
            n.add(rs)
            text = name_fields(der, s + hh, s + hh + ll, base, src, rs)
            n.label = f"{key}: rdnSequence (0)"
            rs.label = f"rdnSequence: {len(rs.children)} items ({text})"
            rs.value = len(rs.children)
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
            _extensions(der, s, hh, ll, base, src, tbs)
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
              "2.5.29.35": "id-ce-authorityKeyIdentifier"}


def _extensions(der: bytes, s: int, h: int, ln: int, base: int, src: str, tbs: Field) -> None:
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
            elif t3 == 0x04 and oid == "2.5.29.17":
                gn = children(der, s3 + h3, s3 + h3 + l3)
                if gn:
                    _t4, s4, h4, l4 = gn[0]
                    names = children(der, s4 + h4, s4 + h4 + l4)
                    g = Field("x509ce.GeneralNames", f"GeneralNames: {len(names)} items", len(names), base + s4,
                              h4 + l4, source=src)
                    e.add(g)
                    for (t5, s5, h5, l5) in names:
                        val = der[s5 + h5:s5 + h5 + l5]
                        if t5 == 0x82:
                            g.add(mk("x509ce.dNSName", val.decode("latin-1"), base + s5, h5 + l5, source=src))
                        elif t5 == 0x87 and l5 == 4:
                            g.add(mk("x509ce.IPAddress.ipv4", int.from_bytes(val, "big"), base + s5, h5 + l5,
                                     source=src))
                        elif t5 == 0x87 and l5 == 16:
                            g.add(mk("x509ce.IPAddress.ipv6", bytes(val), base + s5, h5 + l5, source=src))
                        elif t5 == 0x86:
                            g.add(mk("x509ce.uniformResourceIdentifier", val.decode("latin-1"), base + s5, h5 + l5,
                                     source=src))
                        elif t5 == 0x81:
                            g.add(mk("x509ce.rfc822Name", val.decode("latin-1"), base + s5, h5 + l5, source=src))
