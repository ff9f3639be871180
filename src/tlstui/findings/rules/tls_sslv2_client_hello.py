"""tls.sslv2_client_hello: a ClientHello in the legacy SSLv2 record format."""
from __future__ import annotations

from ..context import Context
from ..model import Finding
from ..tlsinfo import client_dir

KINDS = ("tls.sslv2_client_hello",)


def check(ctx: Context) -> list[Finding]:
    out = []
    for key, st in ctx.tls_streams.items():
        kind, stream = key
        frame = st.sslv2_client_hello
        if frame is None:
            hello = next((h for h in st.client_hellos if h.sslv2), None)
            frame = hello.frame if hello else None
        if frame is None:
            continue
        cdir = client_dir(st)
        hello = next((h for h in st.client_hellos if h.frame == frame), None)
        offered = ""
        if hello is not None:
            ver = {0x0002: "SSL 2.0", 0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1",
                   0x0303: "TLS 1.2"}.get(hello.version, f"0x{hello.version:04x}")
            offered = f" It asks for up to {ver} and offers {len(hello.ciphers)} cipher specs."
        answer = ""
        if st.server_hellos:
            answer = f" The server answered with a ServerHello in frame {st.server_hellos[0].frame}."
        elif st.alerts:
            answer = f" The server answered with an alert in frame {st.alerts[0].frame}."
        out.append(Finding(
            kind="tls.sslv2_client_hello", severity="warning",
            summary=f"the client sent a legacy SSLv2-format ClientHello in {ctx.where(kind, stream, cdir)}",
            explanation=(f"Frame {frame} carries a ClientHello in the SSLv2 record format (2-byte header with the "
                         f"high bit set, message type 1).{offered}{answer} This format cannot carry extensions: "
                         "no SNI, no ALPN, no elliptic curves, no TLS 1.3. Current servers (OpenSSL 1.1+, "
                         "most load balancers) refuse it. It comes from very old clients or libraries configured "
                         "for SSLv2 compatibility (SSLv23_method with SSLv2 enabled, old Java, scanners): update "
                         "the client or disable its SSLv2-compatible hello."),
            frames=[frame], stream=stream))
    return out
