"""tls.no_shared_cipher / tls.version_mismatch: a ClientHello answered by a handshake_failure /
protocol_version alert instead of a ServerHello.  QUIC too: there the alert is a CONNECTION_CLOSE
with the crypto error 0x100 + alert (RFC 9001 4.8), read from the server's Initial packet."""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir

KINDS = ("tls.no_shared_cipher", "tls.version_mismatch")

HANDSHAKE_FAILURE, PROTOCOL_VERSION, INSUFFICIENT_SECURITY = 40, 70, 71


def _version(v: int) -> str:
    try:
        from ...tls.names import VERSION_SHORT

        return VERSION_SHORT.get(v, f"0x{v:04x}")
    except Exception:
        return f"0x{v:04x}"


def _ciphers(ids: list[int], limit: int = 8) -> str:
    try:
        from ...tls.names import CIPHER_SUITES
    except Exception:
        CIPHER_SUITES = {}
    names = [CIPHER_SUITES.get(c, f"0x{c:04x}") for c in ids if (c & 0x0F0F) != 0x0A0A and c != 0x00FF]
    text = ", ".join(names[:limit])
    return text + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _offered_versions(ch) -> list[int]:
    vs = [v for v in ch.supported_versions if (v & 0x0F0F) != 0x0A0A]
    return vs or [ch.version]


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        if not st.client_hellos:
            continue
        cdir = client_dir(st)
        sdir = 1 - cdir
        for a in st.alerts:
            if a.description not in (HANDSHAKE_FAILURE, PROTOCOL_VERSION, INSUFFICIENT_SECURITY) or a.level is None:
                continue
            hellos = [h for h in st.client_hellos if h.frame <= a.frame]
            if not hellos:
                continue
            ch = hellos[-1]
            server_hello = next((h for h in st.server_hellos if ch.frame <= h.frame <= a.frame), None)
            offered = _offered_versions(ch)
            proto = "DTLS" if st.dtls else "TLS"
            if a.description == PROTOCOL_VERSION:
                if a.direction == sdir and server_hello is None:
                    who, what = "server", "refused every protocol version the client offered"
                elif a.direction == cdir and server_hello is not None:
                    who, what = "client", (f"refused the version the server chose "
                                            f"({_version(server_hello.selected_version or server_hello.version)})")
                else:
                    continue
                vers = ", ".join(_version(v) for v in offered)
                out.append(Finding(
                    kind="tls.version_mismatch", severity="error",
                    summary=f"no common {proto} version: the {who} answered with protocol_version in "
                            f"{ctx.where(kind, stream, cdir)}",
                    explanation=(f"The ClientHello in frame {ch.frame} offers {vers} (highest "
                                 f"{_version(max(offered))}); in frame {a.frame} the {who} {what} with a fatal "
                                 "protocol_version(70) alert. Usually the server is configured for newer "
                                 "versions only (for example TLS 1.3 only) while the client is limited to older "
                                 "ones, or the reverse. Compare the client's allowed versions with the server's "
                                 "minimum and maximum (ssl_protocols, MinProtocol, -tls1_2/-tls1_3)."),
                    frames=[ch.frame, a.frame] + ([server_hello.frame] if server_hello else []), stream=stream))
            elif a.direction == sdir and server_hello is None:
                n = len([c for c in ch.ciphers if (c & 0x0F0F) != 0x0A0A and c != 0x00FF])
                why = ("handshake_failure(40)" if a.description == HANDSHAKE_FAILURE
                       else "insufficient_security(71)")
                out.append(Finding(
                    kind="tls.no_shared_cipher", severity="error",
                    summary=f"the server refused the ClientHello ({why}, no ServerHello): no shared cipher "
                            f"suite in {ctx.where(kind, stream, cdir)}",
                    explanation=(f"The ClientHello in frame {ch.frame} offers {n} cipher suite"
                                 f"{'s' if n != 1 else ''} ({_ciphers(ch.ciphers)}) for "
                                 f"{', '.join(_version(v) for v in offered)}; the server answered in frame "
                                 f"{a.frame} with a fatal {why} alert and no ServerHello. The usual cause is no "
                                 "cipher suite in common (a server restricted to old RSA/CBC suites against a "
                                 "modern client, or the reverse); also possible: no common signature algorithm "
                                 "or group, or an SNI the server has no certificate for. Compare the offered "
                                 "list with the server's cipher configuration (openssl ciphers -v '<its list>')."),
                    frames=[ch.frame, a.frame], stream=stream))
    out.extend(_quic(ctx))
    return out


def _quic(ctx: Context) -> list[Finding]:
    """The same diagnoses for QUIC: the server's CONNECTION_CLOSE with handshake_failure,
    insufficient_security or protocol_version as its crypto error, before any ServerHello."""
    from ..quicinfo import quic_connections

    out = []
    for q in quic_connections(ctx):
        if q.probe or q.client_hello_frame is None:
            continue
        c = next((c for c in q.closes if c.side == 1 and c.frame_type == 0x1C and 0x100 <= c.code <= 0x1FF
                  and c.frame >= q.client_hello_frame), None)
        if c is None or (q.server_hello_frame is not None and q.server_hello_frame <= c.frame):
            continue
        desc = c.code - 0x100
        if desc not in (HANDSHAKE_FAILURE, PROTOCOL_VERSION, INSUFFICIENT_SECURITY):
            continue
        info = q.client_hello or {}
        where = ctx.where("udp", q.stream, q.cdir)
        carried = (f"a CONNECTION_CLOSE frame with crypto error 0x{c.code:x} (QUIC's form of a fatal alert, "
                   "RFC 9001 4.8)")
        if desc == PROTOCOL_VERSION:
            vers = ", ".join(_version(v) for v in info.get("supported_versions", [])
                             if (v & 0x0F0F) != 0x0A0A) or "TLS 1.3"
            out.append(Finding(
                kind="tls.version_mismatch", severity="error",
                summary=f"no common TLS version: the server answered with protocol_version in QUIC {where}",
                explanation=(f"The ClientHello in frame {q.client_hello_frame} (a QUIC Initial) offers {vers}; in "
                             f"frame {c.frame} the server refused it with {carried} for protocol_version(70), and "
                             "no ServerHello. QUIC runs on TLS 1.3 only: a server that answers so is misconfigured "
                             "(a TLS 1.3 minimum or maximum below 1.3) or is not the QUIC stack the client expects."),
                frames=[q.client_hello_frame, c.frame], stream=q.stream))
            continue
        ciphers = info.get("ciphers", [])
        n = len([x for x in ciphers if (x & 0x0F0F) != 0x0A0A and x != 0x00FF])
        why = "handshake_failure(40)" if desc == HANDSHAKE_FAILURE else "insufficient_security(71)"
        offers = (f" offers {n} cipher suite{'s' if n != 1 else ''} ({_ciphers(ciphers)})" if ciphers
                  else "")
        out.append(Finding(
            kind="tls.no_shared_cipher", severity="error",
            summary=f"the server refused the ClientHello ({why}, no ServerHello): no shared cipher suite in QUIC {where}",
            explanation=(f"The ClientHello in frame {q.client_hello_frame} (a QUIC Initial){offers}; the server "
                         f"answered in frame {c.frame} with {carried} for {why} and no ServerHello. The usual "
                         "cause is no TLS 1.3 cipher suite, group or signature algorithm in common; also "
                         "possible: an SNI the server has no certificate for. Compare the client's offer with the "
                         "server's QUIC TLS configuration."),
            frames=[q.client_hello_frame, c.frame], stream=q.stream))
    return out
