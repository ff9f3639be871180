"""Trust stores and certificate-chain verification for the certificate findings.

The store is the system's, found the way Python's ``ssl`` finds it
(``ssl.get_default_verify_paths()``: its cafile bundle and the hashed files of its capath, which
``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` override), or the one file named by ``--ca-file``.  It is
loaded on first use only (a capture without certificates never loads it) and kept for the
process.  ``verify_chain`` walks a chain as sent: each certificate must be signed (signature
checked with ``cryptography``) by the next one on the path, which ends at a certificate of the
store, at a self-signed certificate, or at an issuer nobody sent.
"""
from __future__ import annotations

import functools
import os
import re
import ssl
import warnings
from dataclasses import dataclass, field

_HASHED = re.compile(r"[0-9a-f]{8}\.r?\d+")
MAX_CAPATH_FILES = 5000

_default_ca_file: str | None = None  # the TUI's --ca-file, for sessions that do not carry one


def set_default_ca_file(path: str | None) -> None:
    """The --ca-file of this process (the TUI sets it once; sessions may carry their own)."""
    global _default_ca_file
    _default_ca_file = path


def ca_file_of(session) -> str | None:
    """The --ca-file for this session: its own ``ca_file`` attribute, else the process default."""
    return getattr(session, "ca_file", None) or _default_ca_file


def canon(name) -> str:
    """A comparison key for a distinguished name (RFC 4514 text, case and runs of spaces folded),
    roughly as OpenSSL canonicalises names before comparing them."""
    text = name if isinstance(name, str) else name.rfc4514_string()
    return re.sub(r"\s+", " ", ",".join(p.strip() for p in text.split(","))).lower()


@dataclass
class Store:
    """A loaded trust store."""

    label: str  # how explanations name it: 'the system trust store'
    where: str = ""  # the files it came from
    certs: list = field(default_factory=list)  # cryptography Certificates
    problem: str = ""  # why it is empty or partly unreadable ('' when fine)
    by_subject: dict = field(default_factory=dict)  # canon(subject) -> [Certificate]
    keys: set = field(default_factory=set)  # (canon(subject), public key DER) of every certificate

    def __post_init__(self) -> None:
        from cryptography.hazmat.primitives import serialization

        for c in self.certs:
            k = canon(c.subject)
            self.by_subject.setdefault(k, []).append(c)
            try:
                spki = c.public_key().public_bytes(serialization.Encoding.DER,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
            except Exception:
                spki = b""
            self.keys.add((k, spki))

    @property
    def description(self) -> str:
        """'the system trust store (/etc/ssl/certs/ca-certificates.crt, /etc/ssl/certs; 144 certificates)',
        with its problem if it has one."""
        n = len(self.certs)
        inside = (f"{self.where}; " if self.where else "") + f"{n} certificate{'s' if n != 1 else ''}"
        return f"{self.label} ({inside}{'; ' + self.problem if self.problem else ''})"

    def holds(self, cert) -> bool:
        """The certificate itself is in the store (same subject and same key, as a trust anchor)."""
        from cryptography.hazmat.primitives import serialization

        try:
            spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                                  serialization.PublicFormat.SubjectPublicKeyInfo)
        except Exception:
            return False
        return (canon(cert.subject), spki) in self.keys

    def named(self, name) -> list:
        return self.by_subject.get(canon(name), [])


def _load_pem(data: bytes) -> tuple[list, int]:
    """Certificates of a PEM bundle; a bad block is skipped (counted), not the whole bundle."""
    from cryptography import x509

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return list(x509.load_pem_x509_certificates(data)), 0
        except Exception:
            pass
        out, bad = [], 0
        for m in re.finditer(rb"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", data, re.S):
            try:
                out.append(x509.load_pem_x509_certificate(m.group()))
            except Exception:
                bad += 1
        if not out and not bad:
            try:  # a single DER certificate
                out.append(x509.load_der_x509_certificate(data))
            except Exception:
                pass
        return out, bad


def _read(path: str) -> tuple[list, str]:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return [], f"{path}: {e.strerror or e}"
    certs, bad = _load_pem(data)
    if not certs:
        return [], f"{path}: no certificate in it"
    return certs, (f"{path}: {bad} unreadable certificate{'s' if bad != 1 else ''} skipped" if bad else "")


def _dedupe(certs: list) -> list:
    from cryptography.hazmat.primitives import serialization

    seen, out = set(), []
    for c in certs:
        der = c.public_bytes(serialization.Encoding.DER)
        if der not in seen:
            seen.add(der)
            out.append(c)
    return out


@functools.lru_cache(maxsize=8)
def load_store(ca_file: str | None = None) -> Store:
    """The trust store: ``ca_file`` alone when given, else the system's.  Cached per process."""
    if ca_file:
        certs, problem = _read(ca_file)
        return Store(f"the --ca-file {ca_file}", "", _dedupe(certs), problem)
    paths = ssl.get_default_verify_paths()
    certs, problems, where = [], [], []
    if paths.cafile and os.path.isfile(paths.cafile):
        got, problem = _read(paths.cafile)
        certs += got
        where.append(paths.cafile)
        if problem:
            problems.append(problem)
    if paths.capath and os.path.isdir(paths.capath):
        try:
            names = sorted(n for n in os.listdir(paths.capath) if _HASHED.fullmatch(n))[:MAX_CAPATH_FILES]
        except OSError:
            names = []
        for n in names:
            got, _ = _read(os.path.join(paths.capath, n))
            certs += got
        if names:
            where.append(paths.capath)
    if not where:
        problems.append("no CA file or directory found (ssl.get_default_verify_paths: cafile "
                        f"{paths.cafile or paths.openssl_cafile}, capath {paths.capath or paths.openssl_capath})")
    return Store("the system trust store", ", ".join(where), _dedupe(certs), "; ".join(problems))


@dataclass(frozen=True)
class Verdict:
    """What ``verify_chain`` found.

    ``status``: 'trusted' (the path reaches a certificate of the store, or a certificate the
    store's CA signed), 'self_signed' (it ends at a self-signed certificate the store does not
    hold), 'untrusted' (it ends at a certificate whose issuer was not sent and is not in the
    store), 'bad_signature' (a certificate's signature does not verify with the key of the
    certificate named as its issuer), 'unparsable' (the leaf does not decode).
    ``path``: indexes into the chain as sent, leaf first.  ``anchor``: the store certificate's
    subject; ``anchor_index`` the index of the anchor when it was sent (a self-signed certificate, or
    a sent certificate the store holds), -1 when the anchor is only in the store.  ``bad``: (child,
    issuer) indexes, issuer -1 for a store certificate.  ``unchecked``: signature checks that could
    not run (unsupported algorithm), as (child, issuer) indexes.  ``store_names_key``: the store
    had a certificate with the issuer's name whose key does not verify (a different CA of the
    same name).
    """

    status: str
    path: tuple[int, ...] = ()
    anchor: str = ""
    anchor_index: int = -1
    missing_issuer: str = ""
    bad: tuple[int, int] | None = None
    unchecked: tuple[tuple[int, int], ...] = ()
    store_names_key: bool = False

    @property
    def top(self) -> int:
        return self.path[-1] if self.path else 0


def _sig(child, issuer) -> bool | None:
    """True: ``issuer``'s key verifies ``child``'s signature; False: it does not; None: cannot tell."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

    try:
        child.verify_directly_issued_by(issuer)
        return True
    except InvalidSignature:
        return False
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    except Exception:
        return None


@functools.lru_cache(maxsize=1024)
def verify_chain(ders: tuple[bytes, ...], ca_file: str | None = None) -> Verdict:
    """The verdict for one chain (DER certificates, leaf first, as sent), against the store."""
    from cryptography import x509

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        certs = []
        for d in ders:
            try:
                c = x509.load_der_x509_certificate(d)
                c.subject.rfc4514_string(), c.issuer.rfc4514_string()  # names are parsed lazily: a bad one
                certs.append(c)  # raised later, in the middle of the walk (fuzz/x509.py)
            except Exception:
                certs.append(None)
    if not certs or certs[0] is None:
        return Verdict("unparsable")
    store = load_store(ca_file)
    path, used, unchecked = [0], {0}, []
    named_wrong_key = False
    cur = 0
    while True:
        c = certs[cur]
        if store.holds(c):
            return Verdict("trusted", tuple(path), anchor=c.subject.rfc4514_string(), anchor_index=cur,
                           unchecked=tuple(unchecked))
        maybe = None
        for ca in store.named(c.issuer):
            r = _sig(c, ca)
            if r:
                return Verdict("trusted", tuple(path), anchor=ca.subject.rfc4514_string(), unchecked=tuple(unchecked))
            if r is None and maybe is None:
                maybe = ca
            elif r is False:
                named_wrong_key = True
        if maybe is not None:  # the name matches and the signature could not be checked
            unchecked.append((cur, -1))
            return Verdict("trusted", tuple(path), anchor=maybe.subject.rfc4514_string(), unchecked=tuple(unchecked))
        if canon(c.issuer) == canon(c.subject):
            r = _sig(c, c)
            if r is False:
                # Self-issued but not self-signed: a CA's new key signed by its old one, or damage.
                return Verdict("bad_signature", tuple(path), bad=(cur, cur), unchecked=tuple(unchecked),
                               store_names_key=named_wrong_key)
            if r is None:
                unchecked.append((cur, cur))
            return Verdict("self_signed", tuple(path), anchor=c.subject.rfc4514_string(), anchor_index=cur,
                           unchecked=tuple(unchecked), store_names_key=named_wrong_key)
        cands = [j for j in range(len(certs)) if j not in used and certs[j] is not None
                 and canon(certs[j].subject) == canon(c.issuer)]
        cands.sort(key=lambda j: (j != cur + 1, j))  # the next one sent first
        if not cands:
            return Verdict("untrusted", tuple(path), missing_issuer=c.issuer.rfc4514_string(),
                           unchecked=tuple(unchecked), store_names_key=named_wrong_key)
        chosen = None
        for j in cands:
            r = _sig(c, certs[j])
            if r is True or (r is None and chosen is None):
                chosen = (j, r)
                if r is True:
                    break
        if chosen is None:
            return Verdict("bad_signature", tuple(path), bad=(cur, cands[0]), unchecked=tuple(unchecked),
                           store_names_key=named_wrong_key)
        j, r = chosen
        if r is None:
            unchecked.append((cur, j))
        path.append(j)
        used.add(j)
        cur = j


def chain_verdict(ctx, chain) -> Verdict | None:
    """The verdict for one ``CertChain`` of the analysis (None when it holds no DER to check)."""
    ders = tuple(getattr(c, "der", b"") for c in chain.certs)
    if not ders or not all(ders):
        return None
    return verify_chain(ders, ca_file_of(ctx.session))


def store_description(ctx) -> str:
    return load_store(ca_file_of(ctx.session)).description


def reset() -> None:
    """Forget the loaded stores and verdicts (tests that change the store)."""
    load_store.cache_clear()
    verify_chain.cache_clear()
