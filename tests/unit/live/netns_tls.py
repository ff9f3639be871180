"""Run inside a fresh network namespace (``unshare --net``): capture a real TLS connection on its
loopback with the real capture program, and print what tlstui read from the capture (JSON).

    unshare --net python netns_tls.py KIND OUTDIR        KIND: dumpcap or tcpdump

Used by test_live.py only when the machine allows namespaces and has the program.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/ (tlspair)


def main(kind: str, outdir: str) -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    from tlspair import cert_files

    from tlstui.capture.live import LiveCapture, Ring
    from tlstui.findings import find_all
    from tlstui.session import Session

    os.environ["TLSTUI_CAPTURE_PROGRAM"] = f"{kind}:{shutil.which(kind, path=os.environ.get('PATH', '') + ':/usr/sbin:/sbin')}"
    out = Path(outdir)
    live = LiveCapture("lo", "tcp port 8443", Ring(files=4, filesize_kb=1024), directory=out / "ring")
    first = live.start()
    time.sleep(0.3)  # the program is capturing once the file header is there; let it settle
    cert, key = cert_files()
    keylog = out / "keys.log"
    srv_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv_ctx.load_cert_chain(cert, key)
    lsock = socket.create_server(("127.0.0.1", 8443))

    def serve():
        conn, _ = lsock.accept()
        with srv_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            try:
                tls.unwrap()
            except (ssl.SSLError, OSError):
                pass

    t = threading.Thread(target=serve)
    t.start()
    cli_ctx = ssl.create_default_context(cafile=cert)
    cli_ctx.keylog_filename = str(keylog)
    with socket.create_connection(("127.0.0.1", 8443)) as raw, cli_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.sendall(b"GET /live HTTP/1.1\r\nHost: localhost\r\n\r\n")
        reply = b""
        while chunk := tls.recv(4096):
            reply += chunk
        tls.unwrap()  # close_notify back: a clean close on both sides
    t.join(5)
    lsock.close()
    time.sleep(0.5)
    live.stop()
    files = live.files()
    s = Session.open(files[0], str(keylog))
    s.analyze()
    kinds = sorted({f.kind for f in find_all(s)})
    hs = [str(f.value) for n in range(1, len(s) + 1) for f in s.view(n).fields("tls.handshake.type")]
    methods = [str(f.value) for n in range(1, len(s) + 1) for f in s.tree(n).fields("http.request.method")]
    print(json.dumps({"first": first, "files": files, "format": s.capture.format, "frames": len(s),
                      "packets": live.packets, "handshake": hs, "methods": methods, "findings": kinds,
                      "reply": reply.decode(errors="replace"), "summary": live.summary()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
