"""Real TLS connections recorded with their key logs, made at test time (no tshark, no network).

``record_connection`` runs a Python ``ssl`` client and server against each other through
memory BIOs in one thread (deterministic: no sockets, no timing), writes the client's key
log with ``SSLContext.keylog_filename`` and keeps every byte each side put on the "wire",
split into TLS records.  Ciphers and versions are forced with ``set_ciphers`` and
``minimum_version``/``maximum_version``; TLS 1.3 suites with ``record_tls13_suite``.
"""
from __future__ import annotations

import datetime
import ssl
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

CLIENT, SERVER = 0, 1


@lru_cache(maxsize=None)
def cert_files(kind: str = "rsa") -> tuple[str, str]:
    """A self-signed certificate and key for 'localhost' (RSA 2048 or ECDSA P-256), as files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" else \
        ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    d = Path(tempfile.mkdtemp(prefix="tlstui-cert-"))
    (d / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (d / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))
    return str(d / "cert.pem"), str(d / "key.pem")


@dataclass
class Recording:
    """What went over the wire: ``records`` as (direction, record bytes) in the order they were
    sent (0 = client, 1 = server); the client's key log text; what each side read."""

    records: list[tuple[int, bytes]] = field(default_factory=list)
    keylog: str = ""
    cipher: str = ""
    version: str = ""
    server_got: bytes = b""
    client_got: bytes = b""
    error: str = ""  # why the handshake failed (allow_failure=True), '' when it finished


class _Splitter:
    def __init__(self) -> None:
        self.buf = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while len(self.buf) >= 5:
            n = 5 + int.from_bytes(self.buf[3:5], "big")
            if len(self.buf) < n:
                break
            out.append(bytes(self.buf[:n]))
            del self.buf[:n]
        return out


def wire(cctx: ssl.SSLContext, sctx: ssl.SSLContext, rec: Recording, server_hostname: str | None = "localhost"):
    """A client and a server joined through memory BIOs, and ``pump()``: move what each side wrote
    to the other, recording it into ``rec.records`` as TLS records; True if anything moved."""
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = cctx.wrap_bio(c_in, c_out, server_hostname=server_hostname)  # an IP address: no SNI sent
    server = sctx.wrap_bio(s_in, s_out, server_side=True)
    split = (_Splitter(), _Splitter())

    def pump() -> bool:
        moved = False
        for src, dst, d in ((c_out, s_in, CLIENT), (s_out, c_in, SERVER)):
            data = src.read()
            if data:
                moved = True
                dst.write(data)
                rec.records.extend((d, r) for r in split[d].feed(data))
        return moved

    return client, server, pump


def record_connection(ciphers: str | None = None, version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_2,
                      cert: str = "rsa", requests: tuple[bytes, ...] = (b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",),
                      responses: tuple[bytes, ...] = (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",),
                      close: bool = True, options: int = 0, alpn: tuple[str, ...] = (),
                      server_hostname: str | None = "localhost", certfile: tuple[str, str] | None = None,
                      verify: str | None = None, allow_failure: bool = False) -> Recording:
    """One connection: handshake, each request answered by its response, close_notify both ways.

    ``certfile``: (PEM chain, key) the server presents instead of the self-signed 'localhost'
    certificate (the chain file may hold the leaf and its intermediates).  ``verify``: a CA file
    the client checks the server's chain against (it then rejects a chain that does not verify,
    with an alert); ``allow_failure``: a handshake that fails is recorded (``error``), not raised."""
    certfile, keyfile = certfile or cert_files(cert)
    keylog = Path(tempfile.mkdtemp(prefix="tlstui-keylog-")) / "keys.log"
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    if verify:
        cctx.verify_mode = ssl.CERT_REQUIRED
        cctx.load_verify_locations(cafile=verify)
    cctx.minimum_version = cctx.maximum_version = version
    cctx.keylog_filename = str(keylog)
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.minimum_version = sctx.maximum_version = version
    sctx.options |= options
    cctx.options |= options
    if ciphers:
        for c in (cctx, sctx):
            c.set_ciphers(ciphers + ":@SECLEVEL=0")
    sctx.load_cert_chain(certfile, keyfile)  # after the security level: a weak certificate loads at level 0
    if alpn:
        for c in (cctx, sctx):
            c.set_alpn_protocols(list(alpn))
    rec = Recording()
    client, server, pump = wire(cctx, sctx, rec, server_hostname)

    def step(obj, fn, *a):
        try:
            return fn(*a)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return None

    done = [False, False]
    for _ in range(50):
        for i, o in enumerate((client, server)):
            if not done[i]:
                try:
                    o.do_handshake()
                    done[i] = True
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                    pass
                except ssl.SSLError as e:
                    if not allow_failure:
                        raise
                    rec.error = rec.error or f"{'client' if i == CLIENT else 'server'}: {e}"
        if not pump() and (all(done) or rec.error):
            break
    if rec.error:
        pump()
        rec.keylog = keylog.read_text() if keylog.exists() else ""
        return rec
    assert all(done), "handshake did not finish"
    rec.cipher, rec.version = client.cipher()[0], client.version()
    for req, resp in zip(requests, responses):
        client.write(req)
        pump()
        got = b""
        for _ in range(20):
            r = step(server, server.read, 65536)
            if r:
                got += r
            pump()
            if len(got) >= len(req):
                break
        rec.server_got += got
        server.write(resp)
        pump()
        got = b""
        for _ in range(20):
            r = step(client, client.read, 65536)
            if r:
                got += r
            pump()
            if len(got) >= len(resp):
                break
        rec.client_got += got
    if close:
        step(client, client.unwrap)
        pump()
        step(server, server.unwrap)
        pump()
        pump()
    rec.keylog = keylog.read_text()
    return rec


OPENSSL_CONF = """openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Ciphersuites = {suites}
"""


def record_tls13_suite(suite: str, **kwargs) -> Recording:
    """A TLS 1.3 connection restricted to ``suite``.  Python 3.11's ssl cannot choose TLS 1.3
    suites, but OpenSSL reads them from its configuration file at start-up, so the
    connection runs in a child interpreter with ``OPENSSL_CONF`` pointing at one."""
    import json
    import os
    import subprocess
    import sys

    d = Path(tempfile.mkdtemp(prefix="tlstui-ossl-"))
    conf = d / "openssl.cnf"
    conf.write_text(OPENSSL_CONF.format(suites=suite))
    env = dict(os.environ, OPENSSL_CONF=str(conf))
    code = ("import json, ssl, sys; sys.path.insert(0, %r); import tlspair; "
            "r = tlspair.record_connection(version=ssl.TLSVersion.TLSv1_3, **json.loads(sys.argv[1])); "
            "print(json.dumps({'records': [[a, b.hex()] for a, b in r.records], 'keylog': r.keylog, "
            "'cipher': r.cipher, 'version': r.version}))") % str(Path(__file__).resolve().parent)
    args = {k: ([v.decode("latin-1") for v in val] if isinstance(val, tuple) else val) for k, val in kwargs.items()}
    code = code.replace("**json.loads(sys.argv[1])",
                        "**{k: (tuple(x.encode('latin-1') for x in v) if isinstance(v, list) else v) "
                        "for k, v in json.loads(sys.argv[1]).items()}")
    p = subprocess.run([sys.executable, "-c", code, json.dumps(args)], env=env, capture_output=True, text=True,
                       timeout=60)
    if p.returncode:
        raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr.strip() else f"exit {p.returncode}")
    j = json.loads(p.stdout)
    return Recording([(a, bytes.fromhex(b)) for a, b in j["records"]], j["keylog"], j["cipher"], j["version"])


def record_openssl_key_update(timeout: float = 10.0) -> Recording:
    """A TLS 1.3 connection between ``openssl s_client`` and ``openssl s_server`` with
    KeyUpdates in both directions ('k' on the client, 'K' -- update and request one -- on
    the server), recorded by a TCP relay in between.  Python's ssl cannot send KeyUpdate."""
    import shutil
    import socket
    import subprocess
    import threading
    import time

    exe = shutil.which("openssl")
    if exe is None:
        raise RuntimeError("no openssl command")
    certfile, keyfile = cert_files("rsa")
    d = Path(tempfile.mkdtemp(prefix="tlstui-ku-"))
    keylog = d / "keys.log"

    def free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    sport = free_port()
    server = subprocess.Popen([exe, "s_server", "-accept", f"127.0.0.1:{sport}", "-cert", certfile, "-key", keyfile,
                               "-tls1_3", "-naccept", "1"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    relay = socket.socket()
    relay.bind(("127.0.0.1", 0))
    relay.listen(1)
    rport = relay.getsockname()[1]
    chunks: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def forward(src: socket.socket, dst: socket.socket, direction: int) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            with lock:
                chunks.append((direction, data))
                dst.sendall(data)

    def accept() -> None:
        c, _ = relay.accept()
        for _ in range(100):
            try:
                s = socket.create_connection(("127.0.0.1", sport))
                break
            except OSError:
                time.sleep(0.05)
        threads.extend([threading.Thread(target=forward, args=(c, s, CLIENT), daemon=True),
                        threading.Thread(target=forward, args=(s, c, SERVER), daemon=True)])
        for t in threads:
            t.start()

    threads: list[threading.Thread] = []
    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    time.sleep(0.3)
    client = subprocess.Popen([exe, "s_client", "-connect", f"127.0.0.1:{rport}", "-tls1_3", "-keylogfile",
                               str(keylog)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
    try:
        assert client.stdin and server.stdin
        time.sleep(0.8)
        for proc, line in ((client, b"before update\n"), (client, b"k\n"), (client, b"after client update\n"),
                           (server, b"K\n"), (server, b"after server update\n"), (client, b"last words\n")):
            proc.stdin.write(line)
            proc.stdin.flush()
            time.sleep(0.3)
        client.stdin.write(b"Q\n")
        client.stdin.flush()
        time.sleep(0.3)
    finally:
        for p in (client, server):
            p.kill()
            p.wait(timeout=timeout)
        relay.close()
    rec = Recording(keylog=keylog.read_text() if keylog.exists() else "", version="TLSv1.3")
    split = (_Splitter(), _Splitter())
    for direction, data in chunks:
        rec.records.extend((direction, r) for r in split[direction].feed(data))
    return rec
