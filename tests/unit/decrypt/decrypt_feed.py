"""Drive a ConnectionDecryptor / CaptureDecryption from a recording, as the analyzer would.

The hellos are read by a deliberately tiny parser here, so these tests do not depend on the
decoder's internals.
"""
from __future__ import annotations

from tlstui.tls.decrypt import ConnectionDecryptor, KeyLog
from tlstui.tls.model import HelloInfo, StreamTls


def parse_hello(rec: bytes) -> dict | None:
    """ClientHello/ServerHello facts from one plaintext handshake record (first message only)."""
    try:
        return _parse_hello(rec)
    except IndexError:
        return None


def _parse_hello(rec: bytes) -> dict | None:
    if rec[0] != 22 or len(rec) < 5 + 4 + 2 + 32 or rec[5] not in (1, 2):
        return None
    t = rec[5]
    b = rec[9:]
    out = {"type": t, "version": int.from_bytes(b[0:2], "big"), "random": b[2:34], "extensions": []}
    p = 34
    sid = b[p]
    p += 1 + sid
    if t == 1:
        n = int.from_bytes(b[p:p + 2], "big")
        p += 2 + n
        p += 1 + b[p]
    else:
        out["cipher"] = int.from_bytes(b[p:p + 2], "big")
        p += 3
    if p + 2 <= len(b):
        end = p + 2 + int.from_bytes(b[p:p + 2], "big")
        p += 2
        while p + 4 <= end:
            et = int.from_bytes(b[p:p + 2], "big")
            ln = int.from_bytes(b[p + 2:p + 4], "big")
            out["extensions"].append(et)
            if et == 43 and t == 2:
                out["selected_version"] = int.from_bytes(b[p + 4:p + 6], "big")
            p += 4 + ln
    return out


def decrypt_records(records: list[tuple[int, bytes]], keylog: KeyLog) -> tuple[ConnectionDecryptor, list]:
    """Feed every record; returns the decryptor and [(direction, wire type, Decrypted | None)]."""
    cd = ConnectionDecryptor(keylog)
    out = []
    for d, rec in records:
        h = parse_hello(rec) if not cd.protected[d] else None
        if h and h["type"] == 1:
            cd.client_hello(d, h["random"])
        elif h and h["type"] == 2:
            cd.server_hello(d, h["random"], h.get("selected_version", h["version"]), h["cipher"], h["extensions"])
        plain = cd.record(d, rec[0], int.from_bytes(rec[1:3], "big"), rec[5:])
        if rec[0] == 20 and plain is None and not cd.protected[d]:
            cd.change_cipher_spec(d)
        out.append((d, rec[0], plain))
    return cd, out


def stream_info(records: list[tuple[int, bytes]], upto: int, stream: int = 0) -> StreamTls:
    """The StreamTls the analyzer would have after ``records[:upto]`` (hellos only)."""
    info = StreamTls("tcp", stream)
    ccs = [False, False]
    for d, rec in records[:upto]:
        ccs[d] = ccs[d] or rec[0] == 20 or bool(info.server_hellos and rec[0] == 23)
        h = parse_hello(rec) if not ccs[d] else None
        if not h:
            continue
        hi = HelloInfo(0, version=h["version"], random=h["random"], extensions=h["extensions"],
                       ciphers=[h["cipher"]] if "cipher" in h else [], selected_version=h.get("selected_version"))
        if h["type"] == 1:
            info.client_hellos.append(hi)
            if info.client_direction is None:
                info.client_direction = d
        else:
            info.server_hellos.append(hi)
            info.cipher = h["cipher"]
    return info
