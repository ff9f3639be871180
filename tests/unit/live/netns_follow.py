"""Run inside a fresh network namespace (``unshare --net``): `tlstui findings --follow -i lo --json`
with the real capture program while a TLS client refuses the server's self-signed certificate;
print what it printed, and when (JSON).

    unshare --net python netns_follow.py KIND OUTDIR        KIND: dumpcap or tcpdump
"""
from __future__ import annotations

import glob
import json
import os
import shutil
import signal
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

    out = Path(outdir).resolve()  # XDG_CACHE_HOME must be absolute
    prog = shutil.which(kind, path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    env = {**os.environ, "TLSTUI_CAPTURE_PROGRAM": f"{kind}:{prog}", "XDG_CACHE_HOME": str(out / "cache")}
    p = subprocess.Popen([sys.executable, "-m", "tlstui", "findings", "--follow", "-i", "lo", "-f", "tcp port 8443",
                          "--json", "--quiet", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    deadline = time.monotonic() + 20
    while not glob.glob(str(out / "cache" / "tlstui" / "live" / "*" / "live*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    cert, key = cert_files()
    srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.load_cert_chain(cert, key)
    lsock = socket.create_server(("127.0.0.1", 8443))

    def serve():
        conn, _ = lsock.accept()
        try:
            with srv.wrap_socket(conn, server_side=True) as tls:
                tls.recv(100)
        except (ssl.SSLError, OSError):
            pass

    t = threading.Thread(target=serve)
    t.start()
    cli = ssl.create_default_context()  # the system store: the self-signed certificate is refused
    refused = ""
    try:
        with socket.create_connection(("127.0.0.1", 8443)) as raw, cli.wrap_socket(raw, server_hostname="localhost"):
            pass
    except ssl.SSLCertVerificationError as e:
        refused = e.reason or str(e)
    t.join(5)
    lsock.close()
    t0 = time.monotonic()
    lines = []
    got = threading.Event()

    def read():
        for line in p.stdout:
            lines.append((time.monotonic() - t0, line))
            if '"tls.alert"' in line:
                got.set()

    r = threading.Thread(target=read, daemon=True)
    r.start()
    got.wait(30)
    before_ctrl_c = len(lines)
    p.send_signal(signal.SIGINT)
    p.wait(60)
    r.join(5)
    err = p.stderr.read()
    print(json.dumps({"refused": refused, "before_ctrl_c": before_ctrl_c, "rc": p.returncode,
                      "findings": [json.loads(x) for _t, x in lines], "stderr": err}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
