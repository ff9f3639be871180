"""Capture one TLS connection at both ends of a network-namespace path (run as root; needs ip,
tc, tcpdump, openssl): the pairs under tests/data/diff/ (netns_*_a.pcap at the client, netns_*_b.pcap
at the server).

    dcli: c0 10.77.0.1  <->  dmid: m0 [impair_bridge.py, 5 ms each way] m1  <->  dsrv: s0 10.77.0.2

Offloads are turned off on every veth (ethtool's ioctl, from Python) so that the captures hold the
segments as they are on the wire.  The client (Python ssl, TLS 1.2) sends one request; the server
answers with six 1000-byte application-data records and closes with close_notify.

    python tests/netns/make_pair.py clean|impair|nat [--out tests/data/diff]
"""
from __future__ import annotations

import argparse
import ctypes
import fcntl
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NS = ("dcli", "dmid", "dsrv")
PORT = 8443

SERVER = r"""
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.maximum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("10.77.0.2", %d)); ls.listen(1)
print("ready", flush=True)
c, _ = ls.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
t = ctx.wrap_socket(c, server_side=True)
req = t.recv(4096)
try:
    for i in range(6):
        t.sendall(bytes([65 + i]) * 1000)
    t.settimeout(3)
    t.recv(100)
except Exception as e:
    print("server:", e, flush=True)
try:
    t.unwrap()
except Exception as e:
    print("server close:", e, flush=True)
c.close()
""" % PORT

CLIENT = r"""
import socket, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = socket.create_connection(("10.77.0.2", %d))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
t = ctx.wrap_socket(s, server_hostname="localhost")
t.settimeout(5)
t.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
got = 0
try:
    while got < 6000:
        d = t.recv(65536)
        if not d:
            break
        got += len(d)
    print("client: received", got, flush=True)
    t.unwrap()
except Exception as e:
    print("client:", e, flush=True)
s.close()
""" % PORT


def sh(*args: str, check: bool = True) -> None:
    subprocess.run(list(args), check=check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def nsx(ns: str, *args: str) -> list[str]:
    return ["ip", "netns", "exec", ns, *args]


OFFLOAD_OFF = r"""
import ctypes, fcntl, socket, struct, sys
class EV(ctypes.Structure):
    _fields_ = [("cmd", ctypes.c_uint32), ("data", ctypes.c_uint32)]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for cmd in (0x1f, 0x24, 0x2c, 0x19, 0x17, 0x15):  # TSO, GSO, GRO, SG, TX csum, RX csum off
    ev = EV(cmd, 0)
    fcntl.ioctl(s.fileno(), 0x8946, struct.pack("16sP", sys.argv[1].encode(), ctypes.addressof(ev)))
"""


def setup() -> None:
    teardown()
    for ns in NS:
        sh("ip", "netns", "add", ns)
        sh(*nsx(ns, "ip", "link", "set", "lo", "up"))
        sh(*nsx(ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"), check=False)
        sh(*nsx(ns, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1"), check=False)
    sh("ip", "link", "add", "c0", "netns", "dcli", "type", "veth", "peer", "name", "m0", "netns", "dmid")
    sh("ip", "link", "add", "s0", "netns", "dsrv", "type", "veth", "peer", "name", "m1", "netns", "dmid")
    for ns, dev in (("dcli", "c0"), ("dmid", "m0"), ("dmid", "m1"), ("dsrv", "s0")):
        sh(*nsx(ns, sys.executable, "-c", OFFLOAD_OFF, dev))
        sh(*nsx(ns, "ip", "link", "set", dev, "up"))
    sh(*nsx("dcli", "ip", "addr", "add", "10.77.0.1/24", "dev", "c0"))
    sh(*nsx("dsrv", "ip", "addr", "add", "10.77.0.2/24", "dev", "s0"))


def teardown() -> None:
    for ns in NS:
        sh("ip", "netns", "del", ns, check=False)


def cert(tmp: Path) -> tuple[str, str]:
    c, k = tmp / "cert.pem", tmp / "key.pem"
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "30",
       "-subj", "/CN=localhost", "-keyout", str(k), "-out", str(c))
    return str(c), str(k)


def run(mode: str, out: Path) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="tlstui-netns-"))
    crt, key = cert(tmp)
    a, b = out / f"netns_{mode}_a.pcap", out / f"netns_{mode}_b.pcap"
    log = out / f"netns_{mode}.impair.log"
    setup()
    if mode == "nat":  # the server answers the client's public address: the client's MAC, statically
        mac = subprocess.run(nsx("dcli", "cat", "/sys/class/net/c0/address"), capture_output=True,
                             text=True).stdout.strip()
        sh(*nsx("dsrv", "ip", "neigh", "add", "10.77.0.99", "lladdr", mac, "dev", "s0", "nud", "permanent"))
    procs = []
    try:
        procs.append(subprocess.Popen(nsx("dmid", sys.executable, str(HERE / "impair_bridge.py"), "m0", "m1",
                                          "--mode", mode, "--server-port", str(PORT), "--log", str(log),
                                          "--delay-ms", "5")))
        for ns, dev, path in (("dcli", "c0", a), ("dsrv", "s0", b)):
            procs.append(subprocess.Popen(nsx(ns, "tcpdump", "-i", dev, "-U", "-s", "0", "-w", str(path), "tcp"),
                                          stderr=subprocess.DEVNULL))
        time.sleep(1.0)
        srv = subprocess.Popen(nsx("dsrv", sys.executable, "-c", SERVER, crt, key), stdout=subprocess.PIPE, text=True)
        srv.stdout.readline()
        cli = subprocess.run(nsx("dcli", sys.executable, "-c", CLIENT), capture_output=True, text=True, timeout=30)
        print(cli.stdout.strip(), cli.stderr.strip()[-300:])
        try:
            print(srv.communicate(timeout=10)[0].strip())
        except subprocess.TimeoutExpired:
            srv.kill()
        time.sleep(1.0)
    finally:
        for p in procs[::-1]:
            p.terminate()
            p.wait(timeout=10)
        teardown()
    print(f"wrote {a} and {b}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("clean", "impair", "nat"))
    ap.add_argument("--out", type=Path, default=HERE.parent / "data" / "diff")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    run(args.mode, args.out)


if __name__ == "__main__":
    main()
