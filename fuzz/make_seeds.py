"""Writes the crafted seed captures of fuzz/seeds/ that no test capture provides, for
``fuzz/run.py --seed-dir fuzz/seeds``:

- h2c_prior_knowledge.pcap: cleartext HTTP/2 on port 80 (the connection preface, SETTINGS, HPACK
  HEADERS, DATA, WINDOW_UPDATE, PING, PRIORITY, RST_STREAM, GOAWAY): reaches the HTTP/2 frame
  reader and HPACK with bytes the mutations can change (inside TLS they break the AEAD tag).

The other seeds there (h2_tls13_dsb.pcapng, quic_crafted_dsb.pcapng) are test captures rewritten by
``tlstui fields -r X --keylog K -w OUT.pcapng`` so that their key logs travel inside them.

    python fuzz/make_seeds.py
"""
from __future__ import annotations

import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from factory import pcap  # noqa: E402
from tcpfactory import ACK, FIN, PSH, Conn  # noqa: E402

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def h2(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def h2c_frames() -> list:
    import hpack

    enc_c, enc_s = hpack.Encoder(), hpack.Encoder()
    req = enc_c.encode([(":method", "GET"), (":scheme", "http"), (":path", "/index.html"),
                        (":authority", "example.com"), ("user-agent", "fuzz/1"), ("cookie", "a=b; c=d")])
    req2 = enc_c.encode([(":method", "POST"), (":scheme", "http"), (":path", "/form"), (":authority", "example.com"),
                         ("content-type", "text/plain")])
    resp = enc_s.encode([(":status", "200"), ("content-type", "text/html"), ("server", "seed"),
                         ("set-cookie", "id=42; Path=/")])
    settings = struct.pack(">HI", 1, 4096) + struct.pack(">HI", 3, 100) + struct.pack(">HI", 4, 65535)
    c = Conn(sport=40080, dport=80)
    c.handshake()
    client = [PREFACE + h2(4, 0, 0, settings) + h2(8, 0, 0, struct.pack(">I", 1 << 20)),
              h2(1, 0x05, 1, req) + h2(2, 0, 1, struct.pack(">IB", 0, 15)),
              h2(4, 0x01, 0, b"") + h2(1, 0x04, 3, req2) + h2(0, 0x09, 3, b"\x04abcdXYZ\0\0\0\0"),
              h2(6, 0, 0, b"pingpong") + h2(3, 0, 3, struct.pack(">I", 8))]
    server = [h2(4, 0, 0, settings) + h2(4, 0x01, 0, b""),
              h2(1, 0x04, 1, resp) + h2(0, 0, 1, b"<html>hello</html>") + h2(0, 0x01, 1, b""),
              h2(6, 0x01, 0, b"pingpong") + h2(7, 0, 0, struct.pack(">II", 3, 0x0B) + b"bye")]
    seq_c = seq_s = 1
    for i in range(max(len(client), len(server))):
        if i < len(client):
            c.send(True, seq_c, seq_s, PSH | ACK, client[i])
            seq_c += len(client[i])
        if i < len(server):
            c.send(False, seq_s, seq_c, PSH | ACK, server[i])
            seq_s += len(server[i])
    c.send(True, seq_c, seq_s, FIN | ACK)
    c.send(False, seq_s, seq_c + 1, FIN | ACK)
    c.send(True, seq_c + 1, seq_s + 1, ACK)
    return c.frames


def main() -> None:
    out = HERE / "seeds" / "h2c_prior_knowledge.pcap"
    out.write_bytes(pcap(h2c_frames()))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
