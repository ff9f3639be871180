"""Real TLS handshakes that fail, recorded through memory BIOs (no sockets): what went over the wire.

``record_rejected_client`` is TLS mutual authentication where the server requires a client
certificate and the client has none: in TLS 1.3 the client finishes its side, sends its
(empty) Certificate and Finished encrypted, and the server answers with an encrypted
certificate_required alert; in TLS 1.2 the empty Certificate is in the clear and the server's
alert too.  ``optional=True`` makes the server ask but carry on without one.
"""
from __future__ import annotations

import ssl
import tempfile
from pathlib import Path

from tlspair import Recording, cert_files, wire


def record_rejected_client(version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3, optional: bool = False,
                           request: bytes = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n") -> Recording:
    certfile, keyfile = cert_files("rsa")
    keylog = Path(tempfile.mkdtemp(prefix="tlstui-keylog-")) / "keys.log"
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.minimum_version = cctx.maximum_version = version
    cctx.keylog_filename = str(keylog)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(certfile, keyfile)
    sctx.minimum_version = sctx.maximum_version = version
    sctx.verify_mode = ssl.CERT_OPTIONAL if optional else ssl.CERT_REQUIRED
    sctx.load_verify_locations(certfile)  # the CA list the CertificateRequest names
    rec = Recording()
    client, server, pump = wire(cctx, sctx, rec)

    failed = False
    done = [False, False]
    for _ in range(50):
        for i, o in enumerate((client, server)):
            if done[i]:
                continue
            try:
                o.do_handshake()
                done[i] = True
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except ssl.SSLError:
                done[i] = failed = True
        if done[0] and not failed and request:
            try:
                client.write(request)
                request = b""
            except ssl.SSLError:
                pass
        if not pump() and all(done):
            break
    if not failed:  # optional client auth: the exchange goes on
        for _ in range(5):
            try:
                server.read(65536)
            except (ssl.SSLWantReadError, ssl.SSLError):
                pass
            pump()
        try:
            server.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except ssl.SSLError:
            pass
        pump()
    rec.keylog = keylog.read_text() if keylog.exists() else ""
    return rec
