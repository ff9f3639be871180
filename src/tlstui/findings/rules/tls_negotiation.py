"""tls.obsolete_version, tls.weak_cipher, tls.missing_sni: what the hellos negotiated.

Read from the ServerHello (what was chosen), not the ClientHello (what was offered): a client that
offers TLS 1.0 among others is not a finding, a server that picks it is.  One finding per version
or cipher across the capture, listing the streams, so a capture of many connections to one old
server says it once.
"""
from __future__ import annotations

from collections import defaultdict

from ..context import Context, frame_list, plural
from ..model import Finding
from ..tlsinfo import client_dir

KINDS = ("tls.obsolete_version", "tls.weak_cipher", "tls.missing_sni")

OBSOLETE = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0xFEFF: "DTLS 1.0",
            0x0100: "DTLS 0.9 (Cisco's pre-standard DTLS)"}
_OBSOLETE_WHY = {
    0x0300: "SSL 3.0 is broken (POODLE) and prohibited by RFC 7568",
    0x0301: "TLS 1.0 is deprecated by RFC 8996 (no AEAD ciphers, weak MAC-then-encrypt CBC constructions)",
    0x0302: "TLS 1.1 is deprecated by RFC 8996",
    0xFEFF: "DTLS 1.0 (based on TLS 1.1) is deprecated by RFC 8996",
    0x0100: "this pre-RFC DTLS version is only spoken by old Cisco VPN stacks",
}
# (substring of the IANA name, what it means); the first that matches names the weakness.
_WEAK = (
    ("_NULL_", "NULL encryption: the data is sent in the clear"),
    ("WITH_NULL", "NULL encryption: the data is sent in the clear"),
    ("EXPORT", "an EXPORT cipher (40/56-bit keys, breakable in hours: FREAK, Logjam)"),
    ("_anon_", "anonymous key exchange: no server authentication, open to man-in-the-middle"),
    ("RC4", "RC4, prohibited by RFC 7465 (biased key stream)"),
    ("3DES", "3DES, a 64-bit block cipher (Sweet32) with 112-bit security"),
    ("_DES_", "single DES (56-bit keys)"),
    ("DES40", "40-bit DES"),
    ("RC2", "RC2 (40-bit export strength)"),
)


def _cipher_name(c: int) -> str:
    from ...tls.names import CIPHER_SUITES

    return CIPHER_SUITES.get(c, f"0x{c:04x}")


def weakness(cipher: int) -> str | None:
    name = _cipher_name(cipher)
    for key, why in _WEAK:
        if key in name:
            return why
    return None


def _negotiated_version(st) -> int | None:
    if not st.server_hellos:
        return None
    sh = st.server_hellos[0]
    if sh.hrr and len(st.server_hellos) > 1:
        sh = st.server_hellos[1]
    return sh.selected_version or sh.version or None


def _where(ctx: Context, keys: list) -> tuple[str, int | None]:
    if len(keys) == 1:
        kind, stream = keys[0]
        return ctx.where(kind, stream, client_dir(ctx.tls_streams[keys[0]])), stream
    streams = ", ".join(f"{k.upper()} {s}" for k, s in keys[:8]) + (f" and {len(keys) - 8} more" if len(keys) > 8 else "")
    return f"{plural(len(keys), 'stream')} ({streams})", None


def _peer_names(ctx: Context, keys: list) -> str:
    servers = []
    for key in keys:
        st = ctx.tls_streams[key]
        eps = ctx.endpoints(*key)
        if eps is None:
            continue
        from ..context import fmt_endpoint

        server = fmt_endpoint(eps[1 - client_dir(st)])
        name = f"{ctx.esc(st.sni)} ({server})" if st.sni else server
        if name not in servers:
            servers.append(name)
    return ", ".join(servers[:6]) + (f" and {len(servers) - 6} more" if len(servers) > 6 else "")


def check(ctx: Context) -> list[Finding]:
    out: list[Finding] = []
    by_version: dict[int, list] = defaultdict(list)
    by_cipher: dict[int, list] = defaultdict(list)
    no_sni: list = []
    for key, st in ctx.tls_streams.items():
        v = _negotiated_version(st)
        if v in OBSOLETE:
            by_version[v].append(key)
        sh = st.server_hellos[-1] if st.server_hellos else None
        if sh is not None and sh.ciphers and weakness(sh.ciphers[0]):
            by_cipher[sh.ciphers[0]].append(key)
        if not st.dtls and st.client_hellos and not any(h.sni for h in st.client_hellos) and \
                not all(h.sslv2 for h in st.client_hellos):
            no_sni.append(key)
    for v, keys in sorted(by_version.items()):
        where, only = _where(ctx, keys)
        frames = [ctx.tls_streams[k].server_hellos[0].frame for k in keys]
        offered = sorted({max(h.supported_versions or [h.version]) for k in keys for h in ctx.tls_streams[k].client_hellos
                          if (h.supported_versions or h.version)})
        best = max(offered) if offered else None
        client_note = ""
        if best is not None and best > v and best in (0x0303, 0x0304):
            client_note = (f" The client offered up to {'TLS 1.3' if best == 0x0304 else 'TLS 1.2'}, so it is the "
                           "server that chose the old version.")
        elif best is not None and best <= v:
            client_note = " The client offered nothing newer, so the client is old too."
        out.append(Finding(
            kind="tls.obsolete_version", severity="warning",
            summary=f"{OBSOLETE[v]} negotiated in {where}",
            explanation=(f"Seen: the ServerHello (frames {frame_list(frames)}) selects {OBSOLETE[v]} with "
                         f"{_peer_names(ctx, keys)}. {_OBSOLETE_WHY[v]}.{client_note} Current clients refuse it "
                         "(browsers since 2020, OpenSSL 3 at its default security level), so connections fail "
                         "with protocol_version alerts as clients upgrade. Enable TLS 1.2 and 1.3 on the server."),
            frames=frames, stream=only))
    for c, keys in sorted(by_cipher.items()):
        where, only = _where(ctx, keys)
        frames = [ctx.tls_streams[k].server_hellos[-1].frame for k in keys]
        out.append(Finding(
            kind="tls.weak_cipher", severity="warning",
            summary=f"weak cipher suite {_cipher_name(c)} negotiated in {where}",
            explanation=(f"Seen: the ServerHello (frames {frame_list(frames)}) selects {_cipher_name(c)} "
                         f"(0x{c:04x}) with {_peer_names(ctx, keys)}: {weakness(c)}. Modern clients do not "
                         "offer it, so only old or misconfigured clients can connect this way. Remove it from "
                         "the server's cipher list (and the client's) and prefer ECDHE with AES-GCM or "
                         "ChaCha20-Poly1305."),
            frames=frames, stream=only))
    if no_sni:
        where, only = _where(ctx, no_sni)
        frames = [ctx.tls_streams[k].client_hellos[0].frame for k in no_sni]
        out.append(Finding(
            kind="tls.missing_sni", severity="note",
            summary=f"ClientHello without server name (SNI) in {where}",
            explanation=(f"Seen: the ClientHello in frames {frame_list(frames)} carries no server_name extension "
                         f"(servers: {_peer_names(ctx, no_sni)}). Usual when a client connects by IP address or "
                         "is not a browser (VPNs, agents, old libraries). A server or load balancer hosting "
                         "several names then answers with its default certificate, which can cause a name "
                         "mismatch or a handshake_failure / unrecognized_name; CDNs and SNI-based firewalls "
                         "may drop the connection. If the connection fails, check that the client is given a "
                         "host name, not an address."),
            frames=frames, stream=only))
    return out
