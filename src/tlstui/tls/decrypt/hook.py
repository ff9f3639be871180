"""Decryption for a whole capture, as the TLS analyzer calls it.

The analyzer needs three calls (see ``INTEGRATION`` in the package docstring):

* :meth:`CaptureDecryption.tls_record` / :meth:`dtls_record` for every record, in order,
  before decoding it: returns a :class:`~.connection.Decrypted` for a protected record it
  could open (keep it with the record), else None;
* :meth:`CaptureDecryption.decode_tls` / :meth:`decode_dtls` to build a decrypted record's
  Fields (at analysis time and again on the lazy rebuild; pure);
* :meth:`CaptureDecryption.frame_layers` for the HTTP layers of a frame.

Hello facts come from the analyzer's own :class:`~tlstui.tls.model.StreamTls`, read when
they change, so the decoder need not call anything else.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Sequence

from ...field import Field
from ...http import HttpTracker, message_info, message_protocol
from ...http.fields import message_layers
from ..model import StreamTls
from ..records import CT_NAMES, Decoded, decode_dtls, decode_tls
from .connection import ConnectionDecryptor, Decrypted
from .keylog import KeyLog, load_keylog

CT_APP_DATA = 23


def source_name(plain: Decrypted) -> str:
    """The hex view's tab for a decrypted record, as Wireshark names it."""
    return f"Decrypted TLS ({len(plain.plaintext)} bytes)"


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """Why one connection was or was not decrypted (for findings, the CLI and the UI)."""

    kind: str  # "tcp" / "udp"
    stream: int
    client_random: str  # hex, '' when no ClientHello was seen
    status: str  # "ok", "no_key", "unsupported_cipher", "decrypt_failed", "no_hello"
    reason: str
    decrypted: int
    failed: int

    def message(self) -> str:
        where = f"{self.kind} stream {self.stream}"
        if self.status == "ok":
            extra = f" ({self.failed} did not)" if self.failed else ""
            return f"{where}: {self.decrypted} records decrypted{extra}"
        return f"{where}: not decrypted: {self.reason}"


class _Conn:
    __slots__ = ("dec", "n_ch", "n_sh")

    def __init__(self, dec: ConnectionDecryptor) -> None:
        self.dec = dec
        self.n_ch = 0
        self.n_sh = 0


class CaptureDecryption:
    """Per-connection decryptors for one capture, plus HTTP over what they decrypt."""

    def __init__(self, keylog: KeyLog) -> None:
        self.keylog = keylog
        self._conns: dict[tuple[str, int], _Conn] = {}
        self.http = HttpTracker()

    @classmethod
    def create(cls, keylog_path: str | None, dsb: Iterable[object] = (), use_env: bool = True,
               environ: dict[str, str] | None = None) -> "CaptureDecryption | None":
        """From ``--keylog``, pcapng Decryption Secrets Blocks and ``$SSLKEYLOGFILE``; None when
        none of them is there (decryption off)."""
        kl = load_keylog(keylog_path, dsb, use_env, environ)
        return cls(kl) if kl is not None else None

    # -- feeding ----------------------------------------------------------------------
    def _conn(self, info: StreamTls) -> _Conn:
        key = (info.kind, info.stream)
        c = self._conns.get(key)
        if c is None:
            c = self._conns[key] = _Conn(ConnectionDecryptor(self.keylog, dtls=info.dtls))
        d = c.dec
        if len(info.client_hellos) > c.n_ch:
            c.n_ch = len(info.client_hellos)
            h = info.client_hellos[-1]
            if h.random and not h.sslv2:
                d.client_hello(info.client_direction if info.client_direction is not None else 0, h.random)
            elif h.sslv2 and h.random:  # SSLv2 challenge, right-aligned in 32 bytes
                d.client_hello(info.client_direction or 0, h.random.rjust(32, b"\0")[-32:])
        if len(info.server_hellos) > c.n_sh:
            c.n_sh = len(info.server_hellos)
            h = info.server_hellos[-1]
            cdir = info.client_direction if info.client_direction is not None else 0
            if d.client_direction is None:
                d.client_direction = cdir
            d.server_hello(1 - cdir, h.random, h.selected_version or h.version,
                           h.ciphers[0] if h.ciphers else (info.cipher or 0), h.extensions, h.hrr)
        return c

    def tls_record(self, info: StreamTls, direction: int, frame: int, rec: bytes,
                   complete: bool = True) -> Decrypted | None:
        """One TLS record (header + body as on the wire), in stream order."""
        if len(rec) < 5 or rec[0] not in (20, 21, 22, 23, 24):
            return None
        c = self._conn(info)
        d = c.dec
        ct = rec[0]
        if not complete:
            if d.is_protected(direction, ct):
                d.skip(direction)
            return None
        plain = d.record(direction, ct, int.from_bytes(rec[1:3], "big"), rec[5:])
        if ct == 20 and plain is None and not d.protected[direction]:
            d.change_cipher_spec(direction)
        return self._app_data(info, direction, frame, plain)

    def _app_data(self, info: StreamTls, direction: int, frame: int, plain: Decrypted | None) -> Decrypted | None:
        if plain is None or plain.content_type != CT_APP_DATA:
            return plain
        conn = (info.kind, info.stream)
        cdir = info.client_direction if info.client_direction is not None else info.guessed_client_direction
        h2_server = info.alpn_selected == "h2" and direction != cdir
        msgs = self.http.feed(conn, direction, frame, plain.plaintext, source_name(plain), h2_server=h2_server)
        if msgs or self.http.is_http(conn, direction):
            plain = replace(plain, http=_infos(msgs), http_blank=self.http.blank,
                            http2=any(m.kind in ("h2_frame", "h2_preface") for m in msgs))
        return plain

    def dtls_record(self, info: StreamTls, direction: int, frame: int, rec: bytes) -> Decrypted | None:
        """One DTLS record (13-byte header + body)."""
        if len(rec) < 13:
            return None
        c = self._conn(info)
        epoch = int.from_bytes(rec[3:5], "big")
        seq = int.from_bytes(rec[5:11], "big")
        plain = c.dec.record(direction, rec[0], int.from_bytes(rec[1:3], "big"), rec[13:], epoch, seq)
        return self._app_data(info, direction, frame, plain)

    # -- Fields -------------------------------------------------------------------------
    @staticmethod
    def decode_tls(plain: Decrypted, rec: bytes, declared: int, base: int, src: str, ctx
                   ) -> tuple[Field, Decoded, dict[str, bytes]]:
        """The Fields of a decrypted TLS record: header from the wire, body from the plaintext
        (in the 'Decrypted TLS (N bytes)' source).  Application data keeps its ciphertext
        field and points at the plaintext."""
        top, dec = decode_tls(rec, declared, base, src, ctx, plain.tls13)
        return _merge(top, dec, plain, rec, 5, base, src, plain.tls13,
                      lambda syn, name: decode_tls(syn, len(syn), -5, name, ctx, False))

    @staticmethod
    def decode_dtls(plain: Decrypted, rec: bytes, base: int, src: str, ctx) -> tuple[Field, Decoded, dict[str, bytes]]:
        top, dec = decode_dtls(rec, base, src, ctx)
        return _merge(top, dec, plain, rec, 13, base, src, False,
                      lambda syn, name: decode_dtls(syn, -13, name, ctx))

    # -- answers ------------------------------------------------------------------------
    def frame_layers(self, frame: int) -> tuple[list[Field], dict[str, bytes]]:
        """HTTP (or HTTP/2 preface) layers of the messages that complete in ``frame``."""
        layers, sources = [], {}
        for m in self.http.messages(frame):
            got, extra = message_layers(m)  # with the body's media layer (data-text-lines, json, data ...)
            layers.extend(got)
            sources.update(extra)
        return layers, sources

    def column(self, frame: int, infos: Sequence[str], plains: Sequence[Decrypted | None], proto: str,
               info: str) -> tuple[str, str]:
        """The frame's (Protocol, Info) once HTTP is decoded, from the analyzer's own
        (``proto``, ``info``) and each record's Info text and plaintext, as tshark composes
        them: HTTP text is appended without a separator, TLS text after ', '; a frame whose
        decrypted data only continues an HTTP message is '[TLS segment of a reassembled PDU]'."""
        if not any(p is not None and p.http is not None for p in plains):
            return proto, info
        out = ""
        http = blank = False
        for text, p in zip(infos, plains):
            if p is not None and p.http is not None:
                if p.http:
                    http = True
                    out += (", " if out and p.http2 else "") + p.http
                blank = blank or p.http_blank
                continue
            if text:
                out += (", " if out else "") + text
        msgs = self.http.messages(frame)
        if http and msgs:
            proto = message_protocol(msgs[-1])
        if not out and not blank:
            out = "[TLS segment of a reassembled PDU]"
        return proto, out

    def statuses(self) -> list[StreamStatus]:
        """One entry per connection that had protected records or hellos, in stream order."""
        out = []
        for (kind, stream), c in sorted(self._conns.items()):
            d = c.dec
            if not d.status:
                continue
            out.append(StreamStatus(kind, stream, d.client_random.hex(), d.status, d.reason, d.decrypted, d.failed))
        return out

    def problems(self) -> list[str]:
        """Plain-language lines: key log lines that were not understood, and every connection
        that could not be decrypted, naming its client random and why."""
        out = [f"key log {p}" for p in self.keylog.problems]
        out += [s.message() for s in self.statuses() if s.status != "ok"]
        return out


def _infos(msgs) -> str:
    """Info text of the messages one record completes: HTTP/2 frames joined with ', ' as tshark."""
    out = ""
    for m in msgs:
        text = message_info(m)
        if m.kind in ("h2_frame", "h2_preface"):
            out += (", " if out else "") + text
        else:
            out += text
    return out


def _merge(top: Field, dec: Decoded, plain: Decrypted, rec: bytes, hlen: int, base: int, src: str, tls13: bool,
           decode_plain) -> tuple[Field, Decoded, dict[str, bytes]]:
    name = source_name(plain)
    pt = plain.plaintext
    ict = plain.content_type
    proto = top.name.split(".")[0]
    sources = {name: pt}
    header = top.children[:5 if hlen == 13 else 3]
    extra: list[Field] = []
    if tls13:
        extra.append(Field(f"{proto}.record.content_type", f"[Content Type: {CT_NAMES.get(ict, 'Unknown')} ({ict})]",
                           ict, base, 0, source=src))
    if ict == CT_APP_DATA:
        body = top.children[len(header):]
        body.append(Field("", f"Decrypted Application Data ({len(pt)} bytes)", None, 0, len(pt), source=name))
        top.children = header + extra + body
        dec.encrypted = False
        if tls13:
            top.label = top.label.replace("TLSv1.2 Record Layer", "TLSv1.3 Record Layer", 1)
        return top, dec, sources
    if hlen == 13:  # DTLS: decode as epoch 0, the only epoch the decoder reads in clear
        syn = bytes([ict]) + rec[1:3] + b"\0\0" + rec[5:11] + len(pt).to_bytes(2, "big") + pt
    else:
        syn = bytes([ict]) + rec[1:3] + len(pt).to_bytes(2, "big") + pt
    stop, sdec = decode_plain(syn, name)
    top.children = header + extra + stop.children[len(header):]
    label = stop.label
    if tls13:
        label = label.replace("TLSv1.2 Record Layer", "TLSv1.3 Record Layer", 1)
    top.label = label
    return top, sdec, sources
