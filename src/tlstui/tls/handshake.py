"""Handshake message bodies and hello extensions, for TLS and DTLS alike.

Each decoder reads one message body from a :class:`Reader` into Fields named like
Wireshark's (``tls.handshake.*`` or ``dtls.handshake.*`` by the reader's prefix) and records
what the analysis needs in a small ``info`` dict.  They raise :class:`Cut` or
:class:`Malformed` and leave the caller to mark the damage.
"""
from __future__ import annotations

import hashlib
from typing import Callable

from ..field import NULL_FIELD, Field
from .names import (ALERT_DESCRIPTIONS, CIPHER_SUITES, EXTENSION_TYPES, GROUPS, SIGNATURE_SCHEMES,
                    SSL2_CIPHER_SPECS, is_grease, tls13_draft)
from .reader import Cut, Malformed, Reader, mk
from . import x509

HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")

HS_HELLO_REQUEST, HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_HELLO_VERIFY_REQUEST = 0, 1, 2, 3
HS_NEW_SESSION_TICKET, HS_ENCRYPTED_EXTENSIONS, HS_CERTIFICATE = 4, 8, 11
HS_SERVER_KEY_EXCHANGE, HS_CERTIFICATE_REQUEST, HS_SERVER_HELLO_DONE = 12, 13, 14
HS_CERTIFICATE_VERIFY, HS_CLIENT_KEY_EXCHANGE, HS_FINISHED = 15, 16, 20
KNOWN_HS_TYPES = {0, 1, 2, 3, 4, 5, 6, 8, 11, 12, 13, 14, 15, 16, 20, 21, 22, 23, 24, 25, 67, 254}


class Ctx:
    """What decoding a message needs to know about its session (small, copied per record)."""

    __slots__ = ("dtls", "version", "cipher", "from_server", "tls13")

    def __init__(self, dtls: bool = False, version: int = 0, cipher: int | None = None,
                 from_server: bool | None = None) -> None:
        self.dtls = dtls
        self.version = version  # negotiated version if known (0 otherwise)
        self.cipher = cipher
        self.from_server = from_server
        self.tls13 = version in (0x0304, 0xFEFC)


def _kex(cipher: int | None) -> str:
    name = CIPHER_SUITES.get(cipher or -1, "")
    if not name or "PSK" in name or "SRP" in name or "KRB5" in name:
        return ""
    if "_ECDHE_" in name or "_ECDH_anon" in name:
        return "ecdhe"
    if "_DHE_" in name or "_DH_anon" in name:
        return "dhe"
    if name.startswith(("TLS_RSA_", "SSL_RSA_")):
        return "rsa"
    return ""


# --------------------------------------------------------------------------------------
# extensions


def _list_u16(r: Reader, parent: Field, len_suffix: str, list_suffix: str | None, item_suffix: str,
              lenbytes: int, noun: str, itemsize: int = 2) -> list[int]:
    n = r.uint(parent, len_suffix, lenbytes)
    out = []
    cnt = n // itemsize
    lst = parent if parent is NULL_FIELD or not (list_suffix or noun) else \
        r.node(parent, list_suffix, n, f"{noun} ({cnt} {'item' if cnt == 1 else 'items'})")
    with r.limit(n):
        out = r.uints(lst, item_suffix, itemsize)
    return out


def _sig_algs(r: Reader, parent: Field) -> list[int]:
    n = r.uint(parent, "handshake.sig_hash_alg_len", 2)
    lst = r.node(parent, "handshake.sig_hash_algs", n, f"Signature Hash Algorithms ({n // 2} algorithms)")
    if lst is NULL_FIELD:
        with r.limit(n):
            return r.uints(lst, None, 2)
    out = []
    with r.limit(n):
        while r.left >= 2:
            v = r.peek_uint(2)
            f = mk(r.name("handshake.sig_hash_alg"), v, r.off(), 2, source=r.src)
            f.label = f"Signature Algorithm: {SIGNATURE_SCHEMES.get(v, 'Unknown')} (0x{v:04x})"
            lst.add(f)
            r.uint(f, "handshake.sig_hash_hash", 1)
            r.uint(f, "handshake.sig_hash_sig", 1)
            out.append(v)
    return out


def _ext_body(r: Reader, et: int, n: int, node: Field, hs_type: int, info: dict) -> None:
    P = r.P
    if et == 0:  # server_name
        if n == 0:
            return
        sni = r.node(node, None, n, "Server Name Indication extension")
        ln = r.uint(sni, "handshake.extensions_server_name_list_len", 2)
        with r.limit(ln):
            while r.left >= 3:
                r.uint(sni, "handshake.extensions_server_name_type", 1)
                sl = r.uint(sni, "handshake.extensions_server_name_len", 2)
                name = r.raw(sni, "handshake.extensions_server_name", sl, as_text=True)
                info.setdefault("sni", name.decode("utf-8", "replace"))
    elif et == 16:  # ALPN
        ln = r.uint(node, "handshake.extensions_alpn_len", 2)
        lst = r.node(node, "handshake.extensions_alpn_list", ln, "ALPN Protocol")
        alpn = []
        with r.limit(ln):
            while r.left >= 1:
                sl = r.uint(lst, "handshake.extensions_alpn_str_len", 1)
                alpn.append(r.raw(lst, "handshake.extensions_alpn_str", sl, as_text=True).decode("utf-8", "replace"))
        info["alpn"] = alpn
    elif et == 43:  # supported_versions
        if hs_type == HS_CLIENT_HELLO:
            ln = r.uint(node, "handshake.extensions.supported_versions_len", 1)
            with r.limit(ln):
                vs = r.uints(node, "handshake.extensions.supported_version", 2)
            info["supported_versions"] = vs
        else:
            info["selected_version"] = r.uint(node, "handshake.extensions.supported_version", 2)
    elif et == 10:  # supported_groups
        ln = r.uint(node, "handshake.extensions_supported_groups_length", 2)
        lst = r.node(node, "handshake.extensions_supported_groups", ln, f"Supported Groups ({ln // 2} groups)")
        with r.limit(ln):
            groups = r.uints(lst, "handshake.extensions_supported_group", 2)
        info["groups"] = groups
    elif et == 11:  # ec_point_formats
        ln = r.uint(node, "handshake.extensions_ec_point_formats_length", 1)
        lst = r.node(node, "handshake.extensions_ec_point_formats", ln, f"Elliptic curves point formats ({ln})")
        with r.limit(ln):
            fm = r.uints(lst, "handshake.extensions_ec_point_format", 1)
        info["ec_point_formats"] = fm
    elif et in (13, 50):  # signature_algorithms(_cert)
        algs = _sig_algs(r, node)
        if et == 13:
            info["sig_algs"] = algs
    elif et == 51:  # key_share
        ks = r.node(node, None, n, f"Key Share extension")
        if hs_type == HS_CLIENT_HELLO:
            ln = r.uint(ks, "handshake.extensions_key_share_client_length", 2)
            groups = []
            with r.limit(ln):
                while r.left >= 4:
                    g = r.peek_uint(2)
                    kl = r.peek_uint(2, 2)
                    e = r.node(ks, None, 4 + kl, f"Key Share Entry: Group: {GROUPS.get(g, 'Unknown')}, Key Exchange length: {kl}")
                    r.uint(e, "handshake.extensions_key_share_group", 2)
                    r.uint(e, "handshake.extensions_key_share_key_exchange_length", 2)
                    r.raw(e, "handshake.extensions_key_share_key_exchange", kl)
                    groups.append(g)
            info["key_share_groups"] = groups
        elif n == 2:  # HelloRetryRequest
            info["key_share_groups"] = [r.uint(ks, "handshake.extensions_key_share_selected_group", 2)]
        else:
            g = r.peek_uint(2)
            kl = r.peek_uint(2, 2)
            e = r.node(ks, None, 4 + kl, f"Key Share Entry: Group: {GROUPS.get(g, 'Unknown')}, Key Exchange length: {kl}")
            r.uint(e, "handshake.extensions_key_share_group", 2)
            r.uint(e, "handshake.extensions_key_share_key_exchange_length", 2)
            r.raw(e, "handshake.extensions_key_share_key_exchange", kl)
            info["key_share_groups"] = [g]
    elif et == 45:  # psk_key_exchange_modes
        ln = r.uint(node, "extension.psk_ke_modes_length", 1)
        with r.limit(ln):
            modes = r.uints(node, "extension.psk_ke_mode", 1)
        info["psk_modes"] = modes
    elif et == 41:  # pre_shared_key
        if hs_type == HS_CLIENT_HELLO:
            ln = r.uint(node, "handshake.extensions.psk.identities.length", 2)
            with r.limit(ln):
                while r.left >= 2:
                    il = r.uint(node, "handshake.extensions.psk.identity.identity_length", 2)
                    r.raw(node, "handshake.extensions.psk.identity.identity", il)
                    r.uint(node, "handshake.extensions.psk.identity.obfuscated_ticket_age", 4)
            bl = r.uint(node, "handshake.extensions.psk.binders_len", 2)
            r.node(node, "handshake.extensions.psk.binders", bl, f"PSK Binders length: {bl}")
            r.pos += 0
            r.need(bl)
            r.pos += bl
        else:
            info["psk_selected"] = r.uint(node, "handshake.extensions.psk.identity.selected", 2)
    elif et == 65281:  # renegotiation_info
        ln = r.uint(node, "handshake.extensions_reneg_info_len", 1)
        if ln:
            r.raw(node, "handshake.extensions_reneg_info", ln)
    elif et == 5:  # status_request
        if n:
            r.uint(node, "handshake.extensions_status_request_type", 1)
            ln = r.uint(node, "handshake.extensions_status_request_responder_ids_len", 2)
            r.need(ln)
            r.pos += ln
            ln = r.uint(node, "handshake.extensions_status_request_exts_len", 2)
            r.need(ln)
            r.pos += ln
        info["status_request"] = True
    elif et == 44:  # cookie
        ln = r.uint(node, "handshake.extensions.cookie_len", 2)
        r.raw(node, "handshake.extensions.cookie", ln)
    elif et == 21:  # padding
        r.raw(node, "handshake.extensions_padding_data", n)
    elif et == 28:
        r.uint(node, "record_size_limit", 2)
    elif et == 15:
        r.uint(node, "handshake.extension.heartbeat.mode", 1)
    elif et == 35:  # session_ticket
        if n:
            r.raw(node, "handshake.extension.data", n, label=f"Data ({n} bytes)")
        else:
            node.add(mk("", None, r.off(), 0, "Data (0 bytes)", r.src))
    elif et in (22, 23, 49):  # encrypt_then_mac, extended_master_secret, post_handshake_auth: empty
        pass
    elif n:
        r.raw(node, "handshake.extension.data", n, label=f"Data ({n} bytes)")


def extensions(r: Reader, parent: Field, hs_type: int, info: dict) -> None:
    if r.left <= 0:
        return
    total = r.uint(parent, "handshake.extensions_length", 2)
    types = []
    null = parent is NULL_FIELD  # the analysis pass: no labels to build
    with r.limit(total):
        while r.left >= 4:
            et = r.peek_uint(2)
            n = r.peek_uint(2, 2)
            if null:
                node = NULL_FIELD
                r.pos += 4
            else:
                name = EXTENSION_TYPES.get(et, "Reserved (GREASE)" if is_grease(et) else "Unknown type %d" % et)
                node = r.node(parent, None, 4 + n, f"Extension: {name} (len={n})")
                r.uint(node, "handshake.extension.type", 2)
                r.uint(node, "handshake.extension.len", 2)
            types.append(et)
            with r.limit(n):
                try:
                    _ext_body(r, et, n, node, hs_type, info)
                except Malformed:
                    node.add(mk("_ws.malformed", None, r.off(), 0, "[Malformed extension]", r.src))
        if r.left:
            raise Malformed("trailing bytes in extensions")
    info["extensions"] = types


# --------------------------------------------------------------------------------------
# fingerprints


def _md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def ja3(info: dict) -> tuple[str, str]:
    ng = lambda vs: "-".join(str(v) for v in vs if not is_grease(v))  # noqa: E731
    full = ",".join([str(info.get("version", 0)), ng(info.get("ciphers", [])), ng(info.get("extensions", [])),
                     ng(info.get("groups", [])), ng(info.get("ec_point_formats", []))])
    return full, _md5(full)


def ja3s(info: dict) -> tuple[str, str]:
    full = ",".join([str(info.get("version", 0)), str(info.get("cipher", 0)),
                     "-".join(str(v) for v in info.get("extensions", []))])
    return full, _md5(full)


_JA4_VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
                 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}


def ja4(info: dict, proto: str = "t") -> tuple[str, str]:
    """JA4 and JA4_r (FoxIO spec) of a ClientHello summary."""
    vers = [v for v in info.get("supported_versions", []) if not is_grease(v)]
    if vers:
        vers.sort(key=lambda v: (0xFFFF - v) if v >= 0xFE00 else v)
    v = vers[-1] if vers else info.get("version", 0)
    ciphers = [c for c in info.get("ciphers", []) if not is_grease(c)]
    exts = [e for e in info.get("extensions", []) if not is_grease(e)]
    alpn = (info.get("alpn") or [""])[0]
    if alpn:
        a = alpn[0] + alpn[-1]
        if not (alpn[0].isascii() and alpn[0].isalnum() and alpn[-1].isascii() and alpn[-1].isalnum()):
            h = alpn.encode("utf-8", "replace").hex()
            a = h[0] + h[-1]
    else:
        a = "00"
    head = f"{proto}{_JA4_VERSIONS.get(v, '00')}{'d' if 'sni' in info else 'i'}" \
           f"{min(len(ciphers), 99):02d}{min(len(exts), 99):02d}{a}"
    cs = ",".join(f"{c:04x}" for c in sorted(ciphers))
    es = ",".join(f"{e:04x}" for e in sorted(e for e in exts if e not in (0, 16)))
    sig = ",".join(f"{s:04x}" for s in info.get("sig_algs", []))
    ext_str = es + ("_" + sig if sig else "")
    h = lambda s: hashlib.sha256(s.encode()).hexdigest()[:12] if s else "000000000000"  # noqa: E731
    return f"{head}_{h(cs)}_{h(ext_str)}", f"{head}_{cs}_{ext_str}"


# --------------------------------------------------------------------------------------
# messages


def client_hello(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    info["version"] = r.uint(node, "handshake.version", 2)
    _random(r, node, info)
    sl = r.uint(node, "handshake.session_id_length", 1)
    if sl:
        info["session_id"] = r.raw(node, "handshake.session_id", sl)
    if ctx.dtls:
        cl = r.uint(node, "handshake.cookie_length", 1)
        if cl:
            r.raw(node, "handshake.cookie", cl)
    n = r.uint(node, "handshake.cipher_suites_length", 2)
    lst = r.node(node, "handshake.ciphersuites", n, f"Cipher Suites ({n // 2} suites)")
    with r.limit(n):
        info["ciphers"] = r.uints(lst, "handshake.ciphersuite", 2)
    n = r.uint(node, "handshake.comp_methods_length", 1)
    lst = r.node(node, "handshake.comp_methods", n, f"Compression Methods ({n} method{'s' if n != 1 else ''})")
    with r.limit(n):
        r.uints(lst, "handshake.comp_method", 1)
    extensions(r, node, HS_CLIENT_HELLO, info)
    full, digest = ja3(info)
    node.add(mk(r.name("handshake.ja3_full"), full, node.offset, 0, f"[JA3 Fullstring: {full}]", r.src))
    node.add(mk(r.name("handshake.ja3"), digest, node.offset, 0, f"[JA3: {digest}]", r.src))
    j4, j4r = ja4(info, "d" if ctx.dtls else "t")
    info["ja3"], info["ja3_full"], info["ja4"] = digest, full, j4
    node.add(mk(r.name("handshake.ja4"), j4, node.offset, 0, f"[JA4: {j4}]", r.src))
    node.add(mk(r.name("handshake.ja4_r"), j4r, node.offset, 0, f"[JA4_r: {j4r}]", r.src))


def _random(r: Reader, node: Field, info: dict) -> None:
    r.need(32)
    rnd = bytes(r.buf[r.pos:r.pos + 32])
    f = mk(r.name("handshake.random"), rnd, r.off(), 32, source=r.src)
    node.add(f)
    info["random"] = rnd
    r.pos += 32


def server_hello(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    info["version"] = r.uint(node, "handshake.version", 2)
    _random(r, node, info)
    info["hrr"] = info["random"] == HRR_RANDOM
    # TLS 1.3 drafts before 22 put their version here and had no session id or compression.
    early_draft = not ctx.dtls and 0 < tls13_draft(info["version"]) < 22
    if not early_draft:
        sl = r.uint(node, "handshake.session_id_length", 1)
        if sl:
            info["session_id"] = r.raw(node, "handshake.session_id", sl)
    info["cipher"] = r.uint(node, "handshake.ciphersuite", 2)
    if not early_draft:
        r.uint(node, "handshake.comp_method", 1)
    extensions(r, node, HS_SERVER_HELLO, info)
    full, digest = ja3s(info)
    info["ja3s"], info["ja3s_full"] = digest, full
    node.add(mk(r.name("handshake.ja3s_full"), full, node.offset, 0, f"[JA3S Fullstring: {full}]", r.src))
    node.add(mk(r.name("handshake.ja3s"), digest, node.offset, 0, f"[JA3S: {digest}]", r.src))


def hello_verify_request(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    r.uint(node, "handshake.version", 2)
    cl = r.uint(node, "handshake.cookie_length", 1)
    r.raw(node, "handshake.cookie", cl)


def certificate(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    if ctx.tls13:
        cl = r.uint(node, "handshake.certificate_request_context_length", 1)
        if cl:
            r.raw(node, "handshake.certificate_request_context", cl)
    total = r.uint(node, "handshake.certificates_length", 3)
    certs: list[bytes] = []
    lst = r.node(node, "handshake.certificates", total, f"Certificates ({total} bytes)")
    with r.limit(total):
        while r.left >= 3:
            cl = r.uint(lst, "handshake.certificate_length", 3)
            r.need(cl)
            der = bytes(r.buf[r.pos:r.pos + cl])
            if lst is not NULL_FIELD:
                lst.add(x509.certificate_field(der, r.name("handshake.certificate"), r.off(), r.src))
            certs.append(der)
            r.pos += cl
            if ctx.tls13:
                el = r.uint(lst, "handshake.extensions_length", 2)
                r.need(el)
                r.pos += el
    info["certificates"] = certs
    info["cert_count"] = len(certs)


def certificate_request(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    if ctx.tls13:
        cl = r.uint(node, "handshake.certificate_request_context_length", 1)
        if cl:
            r.raw(node, "handshake.certificate_request_context", cl)
        extensions(r, node, HS_CERTIFICATE_REQUEST, info)
        return
    n = r.uint(node, "handshake.cert_types_count", 1)
    lst = r.node(node, "handshake.cert_types", n, f"Certificate types ({n} type{'s' if n != 1 else ''})")
    types = []
    with r.limit(n):
        while r.left >= 1:
            types.append(r.uint(lst, "handshake.cert_type", 1))
    info["cert_types"] = types
    if ctx.version in (0x0303, 0xFEFD) or (ctx.version == 0 and r.left >= 2 and False):
        info["sig_algs"] = _sig_algs(r, node)
    n = r.uint(node, "handshake.dnames_len", 2)
    lst = r.node(node, "handshake.dnames", n, f"Distinguished Names ({n} byte{'s' if n != 1 else ''})")
    names = []
    with r.limit(n):
        while r.left >= 2:
            dl = r.uint(lst, "handshake.dname_len", 2)
            r.need(dl)
            der = bytes(r.buf[r.pos:r.pos + dl])
            f, text = x509.dname_field(der, r.name("handshake.dname"), r.off(), r.src)
            lst.add(f)
            names.append(text)
            r.pos += dl
    info["ca_names"] = names


def _sig(r: Reader, node: Field, ctx: Ctx, prefix: str = "handshake.") -> None:
    if ctx.version in (0x0303, 0x0304, 0xFEFD, 0xFEFC):
        v = r.peek_uint(2)
        f = mk(r.name("handshake.sig_hash_alg"), v, r.off(), 2, source=r.src)
        f.label = f"Signature Algorithm: {SIGNATURE_SCHEMES.get(v, 'Unknown')} (0x{v:04x})"
        node.add(f)
        r.uint(f, "handshake.sig_hash_hash", 1)
        r.uint(f, "handshake.sig_hash_sig", 1)
    n = r.uint(node, prefix + "sig_len", 2)
    r.raw(node, prefix + "sig", n)


def server_key_exchange(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    kex = _kex(ctx.cipher)
    if kex == "ecdhe":
        p = r.node(node, None, r.left, "EC Diffie-Hellman Server Params")
        r.uint(p, "handshake.server_curve_type", 1)
        info["group"] = r.uint(p, "handshake.server_named_curve", 2)
        n = r.uint(p, "handshake.server_point_len", 1)
        r.raw(p, "handshake.server_point", n)
        if r.left:
            _sig(r, p, ctx)
    elif kex == "dhe":
        p = r.node(node, None, r.left, "Diffie-Hellman Server Params")
        for a in ("p", "g", "ys"):
            n = r.uint(p, f"handshake.{a}_len", 2)
            r.raw(p, f"handshake.{a}", n)
        if r.left:
            _sig(r, p, ctx)


def client_key_exchange(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    kex = _kex(ctx.cipher)
    if kex == "ecdhe":
        p = r.node(node, None, r.left, "EC Diffie-Hellman Client Params")
        n = r.uint(p, "handshake.client_point_len", 1)
        r.raw(p, "handshake.client_point", n)
    elif kex == "dhe":
        p = r.node(node, None, r.left, "Diffie-Hellman Client Params")
        n = r.uint(p, "handshake.yc_len", 2)
        r.raw(p, "handshake.yc", n)
    elif kex == "rsa":
        p = r.node(node, None, r.left, "RSA Encrypted PreMaster Secret")
        if ctx.version == 0x0300:
            r.raw(p, "handshake.epms", r.left)
        else:
            n = r.uint(p, "handshake.epms_len", 2)
            r.raw(p, "handshake.epms", n)


def certificate_verify(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    _sig(r, node, ctx, "handshake.client_cert_vrfy.")


def finished(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    node.add(mk(r.name("handshake.verify_data"), None, r.off(), r.left, "Verify Data", r.src))
    r.need(r.left)
    r.pos = r.end


def new_session_ticket(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    t = r.node(node, None, r.left, "TLS Session Ticket")
    r.uint(t, "handshake.session_ticket_lifetime_hint", 4)
    if ctx.tls13:
        r.uint(t, "handshake.session_ticket_age_add", 4)
        n = r.uint(t, "handshake.session_ticket_nonce_length", 1)
        r.raw(t, "handshake.session_ticket_nonce", n)
    n = r.uint(t, "handshake.session_ticket_length", 2)
    r.raw(t, "handshake.session_ticket", n)
    if ctx.tls13:
        extensions(r, node, HS_NEW_SESSION_TICKET, info)


def encrypted_extensions(r: Reader, node: Field, ctx: Ctx, info: dict) -> None:
    extensions(r, node, HS_ENCRYPTED_EXTENSIONS, info)


BODY: dict[int, Callable[[Reader, Field, Ctx, dict], None]] = {
    HS_CLIENT_HELLO: client_hello, HS_SERVER_HELLO: server_hello, HS_HELLO_VERIFY_REQUEST: hello_verify_request,
    HS_CERTIFICATE: certificate, HS_CERTIFICATE_REQUEST: certificate_request,
    HS_SERVER_KEY_EXCHANGE: server_key_exchange, HS_CLIENT_KEY_EXCHANGE: client_key_exchange,
    HS_CERTIFICATE_VERIFY: certificate_verify, HS_FINISHED: finished, HS_NEW_SESSION_TICKET: new_session_ticket,
    HS_ENCRYPTED_EXTENSIONS: encrypted_extensions,
}


# Fields that come from a message's header (type, length) or the record's, never from a body.
_HEADER_FIELDS = frozenset(("tls.handshake", "tls.handshake.type", "tls.handshake.length"))
# Certificates and the names of a CertificateRequest are the only bodies with X.509 in them.
_CERT_PREFIXES = ("x509", "pkix", "pkcs1", "cms", "ber", "ocsp", "tls.handshake.certificate")


def bodies_holding(name: str) -> frozenset[int] | None:
    """The handshake message types whose bodies can hold the field ``name`` (the others need not
    be decoded to find its occurrences: a column build), or None when any body can."""
    if name in _HEADER_FIELDS or name.startswith("tls.record"):
        return frozenset()
    if name.startswith(_CERT_PREFIXES):
        return frozenset((HS_CERTIFICATE, HS_CERTIFICATE_REQUEST))
    if name.startswith("tls.handshake.extensions_server_name"):  # a ClientHello's; empty in the server's
        return frozenset((HS_CLIENT_HELLO, HS_SERVER_HELLO, HS_ENCRYPTED_EXTENSIONS))
    return None


def body(r: Reader, hs_type: int, node: Field, ctx: Ctx, info: dict) -> None:
    """Decode one message body (``r`` limited to it).  Cut/Malformed propagate."""
    fn = BODY.get(hs_type)
    if fn is not None:
        fn(r, node, ctx, info)


# --------------------------------------------------------------------------------------
# SSLv2


def sslv2_client_hello(r: Reader, node: Field, info: dict) -> None:
    info["version"] = r.uint(node, "handshake.version", 2)
    cl = r.uint(node, "handshake.cipher_spec_len", 2)
    sl = r.uint(node, "handshake.session_id_length", 2)
    chl = r.uint(node, "handshake.challenge_length", 2)
    lst = r.node(node, None, cl, f"Cipher Specs ({cl // 3} specs)")
    specs = []
    with r.limit(cl):
        while r.left >= 3:
            v = r.uint(lst, "handshake.cipherspec", 3)
            specs.append(v)
    info["cipher_specs"] = specs
    info["ciphers"] = [v for v in specs if v >> 16 == 0]
    if sl:
        info["session_id"] = r.raw(node, "handshake.session_id", sl)
    if chl:
        r.raw(node, "handshake.challenge", chl)


def alert_text(level: int, desc: int) -> str:
    lv = {1: "Warning", 2: "Fatal"}.get(level, "Unknown")
    return f"Alert (Level: {lv}, Description: {ALERT_DESCRIPTIONS.get(desc, 'Unknown')})"


__all__ = ["Ctx", "Cut", "Malformed", "body", "client_hello", "server_hello", "sslv2_client_hello", "ja3", "ja3s",
           "ja4", "alert_text", "HRR_RANDOM", "KNOWN_HS_TYPES"]
