"""TlsAnalyzer: TLS over reassembled TCP and DTLS over UDP, in one pass over the capture.

The analysis keeps, per record, a :class:`RecordSummary` and where its bytes lie
((frame, offset, length) chunks), never the Field tree; :meth:`TlsAnalyzer.frame_layers`
rebuilds one frame's tree on demand from those bytes.  Per stream it keeps a
:class:`StreamTls` with the handshake facts the findings need.

Feeding protocol (called by the TCP reassembly, in capture order):
``on_tcp_data`` in-order bytes of one direction; ``on_tcp_gap`` bytes that will never
arrive; ``on_tcp_close``; ``on_udp`` one datagram.  Records belong to the frame whose
chunk completes them (Wireshark with out-of-order reassembly).
"""
from __future__ import annotations

import sys
from array import array
from bisect import bisect_left, bisect_right
from typing import Callable

from .. import limits
from ..field import FRAME, PROTOCOL_AGAIN, Field
from ..quic import fields as _quic_fields  # noqa: F401 - the quic.* names, known before any capture is read
from . import handshake as hs
from . import x509
from .model import AlertEvent, CertChain, CertRequestInfo, HelloInfo, RecordSummary, StreamTls
from .names import VERSION_SHORT, negotiated_version
from .records import (CT_ALERT, CT_APP_DATA, CT_CCS, CT_HANDSHAKE, CUT_NOTE, Decoded, DtlsFragment, decode_dtls, decode_tls,
                      looks_like_sslv2, plausible_dtls, plausible_tls_header, TLS_CONTENT_TYPES, MAX_RECORD)

Chunk = tuple[int, int, int]  # (frame, offset in the frame's bytes, length)


class _Rec:
    """A record as stored for the lazy rebuild (slots: millions of these may exist)."""

    __slots__ = ("s", "chunks", "declared", "ctx", "dtls_reasm", "sslv2_enc", "plain", "id")

    def __init__(self, s: RecordSummary, chunks: tuple[Chunk, ...], declared: int, ctx: hs.Ctx,
                 dtls_reasm: tuple | None = None, sslv2_enc: bool = False, plain=None, id: int = 0) -> None:
        self.id = id  # order of the record among all records (tree order within a frame)
        self.plain = plain  # decrypt.Decrypted when the record was decrypted
        self.s = s
        self.chunks = chunks
        self.declared = declared
        self.ctx = ctx
        self.dtls_reasm = dtls_reasm  # (total_len, ((frame, off, len, frag_off), ...)) when reassembled here
        self.sslv2_enc = sslv2_enc


class _Dir:
    __slots__ = ("buf", "chunks", "synced", "skip", "ccs", "nrec", "ad_left", "ad_ver", "ad_len")

    def __init__(self) -> None:
        # An application-data record whose header is read is not buffered: ``ad_left`` counts
        # the bytes still to come (``ad_ver``/``ad_len`` are its header) and only chunks are kept.
        self.ad_left = 0
        self.ad_ver = 0
        self.ad_len = 0
        self.buf = bytearray()
        self.chunks: list[list[int]] = []
        self.synced = True
        self.skip = 0
        self.ccs = False
        self.nrec = 0


class _Stream:
    __slots__ = ("info", "dirs", "ctx", "version_from_records", "sslv2_cmk", "dtls_frags", "dtls_done",
                 "dtls_covered")

    def __init__(self, info: StreamTls) -> None:
        self.info = info
        self.dirs = (_Dir(), _Dir())
        self.ctx = [hs.Ctx(info.dtls), hs.Ctx(info.dtls)]
        self.version_from_records: int | None = None
        self.sslv2_cmk = False
        self.dtls_frags: dict[tuple[int, int], dict] = {}
        self.dtls_done: set[tuple[int, int]] = set()
        self.dtls_covered: dict[tuple[int, int], int] = {}


class TlsAnalyzer:
    """Fed in capture order; afterwards answers per frame (see module docstring)."""

    def __init__(self, get_frame_bytes: Callable[[int], bytes] | None = None, decrypt=None,
                 limits_hit: limits.Limits | None = None) -> None:
        self.limits = limits_hit if limits_hit is not None else limits.Limits()
        self._get = get_frame_bytes
        self.decrypt = decrypt  # decrypt.CaptureDecryption (with a key log) or None
        self._streams: dict[tuple[str, int], _Stream] = {}
        self._by_frame: dict[int, list[_Rec]] = {}
        self._nrec = 0
        self._compact = decrypt is None and get_frame_bytes is not None
        # Whole application-data records (most of a capture) are kept as columns, not objects:
        # completing frame (non-decreasing), stream, direction, version, length, record id and
        # the first of its chunks in the _ch_* columns.
        self._c_frame = array("I")
        self._c_stream = array("I")
        self._c_dir = array("B")
        self._c_ver = array("H")
        self._c_len = array("H")
        self._c_id = array("I")
        self._c_ch = array("I")
        self._ch_frame = array("I")
        self._ch_off = array("I")
        self._ch_len = array("I")
        self._partial = bytearray()  # 1 at frames whose bytes start a record completed later
        self._cont: dict[int, tuple[tuple[str, int], Chunk]] = {}  # frames with bytes we could not read as records
        self._journal: list | None = None  # while an end-of-capture overlay runs: what it changed (overlay_begin)
        from ..quic.analyzer import QuicAnalyzer  # here: quic imports tls.names, which loads this module

        self.quic = QuicAnalyzer(get_frame_bytes, decrypt, self.limits)  # UDP payloads go to QUIC first

    # ------------------------------------------------------------------ feeding: TCP
    def _stream(self, kind: str, stream: int, dtls: bool = False) -> _Stream:
        st = self._streams.get((kind, stream))
        if st is None:
            st = self._streams[(kind, stream)] = _Stream(StreamTls(kind, stream, dtls=dtls))
        return st

    def on_tcp_data(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
                    stream_offset: int = 0, sport: int = 0, dport: int = 0,
                    deliver_frame: int | None = None) -> None:
        """In-order bytes of one direction of a TCP stream: ``data`` lies at ``frame_offset`` in
        frame ``frame``'s bytes.  ``deliver_frame`` is the frame in which the bytes became
        available in order (the one that filled a gap, for out-of-order segments); records that
        these bytes complete belong to it.  It defaults to ``frame``."""
        completing = frame if deliver_frame is None else deliver_frame
        if not data:
            return
        key = ("tcp", stream)
        st = self._streams.get(key)
        d = st.dirs[direction] if st else None
        pos = 0
        if st is None:
            # Only start a TLS stream on bytes that look like TLS (tshark's heuristics + port 443).
            if not (plausible_tls_header(data) or looks_like_sslv2(data)):
                return
            st = self._stream("tcp", stream)
            d = st.dirs[direction]
        assert d is not None
        if d.skip:
            n = min(d.skip, len(data))
            d.skip -= n
            pos = n
        if pos >= len(data):
            return
        if not d.synced:
            if plausible_tls_header(data, pos):
                d.synced = True
            else:
                self._continuation(key, completing, frame_offset + pos, len(data) - pos, frame)
                return
        if d.ad_left:
            n = min(d.ad_left, len(data) - pos)
            d.chunks.append([frame, frame_offset + pos, n])
            d.ad_left -= n
            pos += n
            if d.ad_left:
                self._set_partial(frame)
                return
            self._emit_compact(st, d, direction, completing, 5 + d.ad_len)
            if pos >= len(data):
                return
        d.buf += data[pos:] if pos else data
        d.chunks.append([frame, frame_offset + pos, len(data) - pos])
        self._drain(st, d, direction, completing)

    def _take(self, d: _Dir, n: int) -> tuple[Chunk, ...]:
        """The (frame, offset, length) pieces of the next ``n`` bytes of ``d``, removed from it."""
        chunks = d.chunks
        out = []
        k = 0
        while n > 0 and k < len(chunks):
            c = chunks[k]
            if c[2] <= n:
                out.append((c[0], c[1], c[2]))
                n -= c[2]
                k += 1
            else:
                out.append((c[0], c[1], n))
                c[1] += n
                c[2] -= n
                n = 0
        del chunks[:k]
        return tuple(out)

    def _drain(self, st: _Stream, d: _Dir, direction: int, frame: int) -> None:
        buf = d.buf
        key = ("tcp", st.info.stream)
        while buf:
            if buf[0] in TLS_CONTENT_TYPES:
                if len(buf) < 5:
                    break
                if not plausible_tls_header(buf):
                    chunks = self._take(d, len(buf))
                    for c in chunks:
                        self._continuation(key, frame, c[1], c[2], c[0])
                    buf.clear()
                    d.synced = False
                    return
                total = 5 + int.from_bytes(buf[3:5], "big")
                if buf[0] == CT_APP_DATA and self._compact and not st.sslv2_cmk:
                    d.ad_ver = (buf[1] << 8) | buf[2]
                    d.ad_len = total - 5
                    if len(buf) >= total:
                        del buf[:total]
                        self._emit_compact(st, d, direction, frame, total)
                        continue
                    d.ad_left = total - len(buf)
                    buf.clear()
                    break
            elif buf[0] & 0x80:
                if len(buf) < 3:
                    break
                if not looks_like_sslv2(buf) and not (st.info.client_hellos and st.info.client_hellos[0].sslv2):
                    chunks = self._take(d, len(buf))
                    for c in chunks:
                        self._continuation(key, frame, c[1], c[2], c[0])
                    buf.clear()
                    d.synced = False
                    return
                total = 2 + (((buf[0] & 0x7F) << 8) | buf[1])
            elif st.sslv2_cmk and len(buf) >= 3:  # SSLv2 record with a 3-byte header (padding)
                total = 3 + (((buf[0] & 0x3F) << 8) | buf[1])
            elif st.sslv2_cmk:
                break
            else:
                chunks = self._take(d, len(buf))
                for c in chunks:
                    self._continuation(key, frame, c[1], c[2], c[0])
                buf.clear()
                d.synced = False
                return
            if len(buf) < total:
                break
            rec = bytes(buf[:total])
            del buf[:total]
            chunks = self._take(d, total)
            self._emit_tls(st, d, direction, frame, rec, total, chunks, True)
        if buf or d.ad_left:
            self._mark_partial(d)

    def _held_in(self, frame: int, chunks) -> None:  # noqa: ANN001 - Chunk tuples or lists
        """A record completed in ``frame`` from bytes of other frames too (a record over several
        segments, or segments held behind a hole until ``frame`` filled it): those frames are
        tshark's '[TCP segment of a reassembled PDU]' unless a record completes in them as well."""
        for c in chunks:
            if c[0] != frame:
                self._set_partial(c[0])

    def _mark_partial(self, d: _Dir) -> None:
        for c in d.chunks:
            self._set_partial(c[0])

    def _set_partial(self, frame: int) -> None:
        p = self._partial
        if self._journal is not None and frame < len(p):
            self._journal.append((0, frame, p[frame]))
        if frame >= len(p):
            p.extend(bytes(max(frame + 1 - len(p), 65536)))
        p[frame] = 1

    def _emit_compact(self, st: _Stream, d: _Dir, direction: int, frame: int, total: int) -> None:
        """A whole application-data record (its ``total`` bytes are the first of ``d.chunks``)
        that decryption does not touch: columns only."""
        ver, ln = d.ad_ver, d.ad_len
        d.nrec += 1
        cf = self._c_frame
        chunks = self._take(d, total)
        self._held_in(frame, chunks)
        if cf and cf[-1] > frame:  # never in capture order; kept as an object to keep the columns sorted
            s = RecordSummary(frame, "tcp", st.info.stream, direction, CT_APP_DATA, ver, ln, (), None, True, True,
                              _APP_DATA)
            self._store(frame, _Rec(s, chunks, 5 + ln, st.ctx[direction], None, False, None))
        else:
            if self._cont:
                self._pop_cont(frame)
            cf.append(frame)
            self._c_stream.append(st.info.stream)
            self._c_dir.append(direction)
            self._c_ver.append(ver)
            self._c_len.append(ln)
            self._c_id.append(self._nrec)
            chf, cho, chl = self._ch_frame, self._ch_off, self._ch_len
            self._c_ch.append(len(chf))
            for f, o, n in chunks:
                chf.append(f)
                cho.append(o)
                chl.append(n)
            self._nrec += 1
        info = st.info
        info.last_record_frame[direction] = frame
        if st.version_from_records is None and ver >> 8 in (3, 0xFE):
            st.version_from_records = ver
        info.app_data_frames[direction] += 1
        if info.first_app_data[direction] is None:
            info.first_app_data[direction] = frame

    def on_tcp_gap(self, stream: int, direction: int, frame: int, length: int) -> None:
        """``length`` bytes of this direction will never arrive (lost, or cut by the snapshot length)."""
        st = self._streams.get(("tcp", stream))
        if st is None or length <= 0:
            return
        d = st.dirs[direction]
        if d.skip:
            n = min(d.skip, length)
            d.skip -= n
            length -= n
            if not length:
                return
        if not d.synced:
            return
        buf = d.buf
        if d.ad_left:  # an application-data record cut short: read what arrived back from the frames
            missing, total = d.ad_left, 5 + d.ad_len
            d.ad_left = 0
            chunks = self._take(d, total - missing)
            d.chunks.clear()
            rec = b"".join(self._get(f)[o:o + n] for (f, o, n) in chunks)
            self._emit_tls(st, d, direction, frame, rec, total, chunks, False)
            if length < missing:
                d.skip = missing - length
            elif length > missing:
                d.synced = False
            return
        if buf and ((buf[0] in TLS_CONTENT_TYPES and len(buf) >= 5) or (buf[0] & 0x80 and len(buf) >= 2)):
            if buf[0] in TLS_CONTENT_TYPES:
                total = 5 + int.from_bytes(buf[3:5], "big")
            else:
                total = 2 + (((buf[0] & 0x7F) << 8) | buf[1])
            missing = total - len(buf)
            rec = bytes(buf)
            chunks = self._take(d, len(buf))
            buf.clear()
            d.chunks.clear()
            self._emit_tls(st, d, direction, frame, rec, total, chunks, False)
            if length < missing:
                d.skip = missing - length  # the record's end is still a boundary we can prove
            elif length > missing:
                d.synced = False
        else:
            buf.clear()
            d.chunks.clear()
            d.synced = False

    def on_tcp_close(self, stream: int, direction: int, frame: int, kind: str) -> None:
        """FIN or RST from ``direction``; nothing pending can complete after it."""
        st = self._streams.get(("tcp", stream))
        if st is None:
            return
        d = st.dirs[direction]
        if kind == "rst":
            d.buf.clear()
            d.chunks.clear()
            d.ad_left = 0

    def _continuation(self, key: tuple[str, int], frame: int, off: int, length: int, src: int | None = None) -> None:
        if not self._has_records(frame) and frame not in self._cont and (src is None or src == frame):
            if self._journal is not None:
                self._journal.append((2, frame, _MISSING))
            self._cont[frame] = (key, (frame, off, length))

    def _pop_cont(self, frame: int) -> None:
        old = self._cont.pop(frame, _MISSING)
        if self._journal is not None and old is not _MISSING:
            self._journal.append((2, frame, old))

    # ------------------------------------------------------------------ overlays (issue 18)
    def overlay_begin(self, streams, memo: dict) -> None:  # noqa: ANN001 - TCP stream numbers
        """Before the end of the capture feeds held TCP data of ``streams`` (Reassembler.finish): note
        what it changes, so that ``overlay_undo`` puts the running state back for a growth."""
        import copy

        keys = [("tcp", sn) for sn in streams]
        saved = {k: copy.deepcopy(self._streams[k], memo) if k in self._streams else None for k in keys}
        lengths = tuple(len(a) for a in (self._c_frame, self._c_stream, self._c_dir, self._c_ver, self._c_len,
                                         self._c_id, self._c_ch, self._ch_frame, self._ch_off, self._ch_len))
        self._overlay = (saved, lengths, self._nrec, len(self._partial))
        self._journal = []

    def overlay_end(self) -> None:
        self._journal_done, self._journal = self._journal, None

    def overlay_undo(self) -> None:
        """Put back what was noted at ``overlay_begin`` (the streams' state restored in place: the
        records stored before point at their handshake contexts)."""
        overlay = self.__dict__.pop("_overlay", None)
        if overlay is None:
            return
        saved, lengths, nrec, partial_len = overlay
        journal = self.__dict__.pop("_journal_done", None) or self._journal or []
        self._journal = None
        p, by_frame, cont = self._partial, self._by_frame, self._cont
        for kind, frame, old in reversed(journal):
            if kind == 0:
                p[frame] = old
            elif kind == 1:
                if old is None:
                    del by_frame[frame]
                else:
                    del by_frame[frame][old:]
            elif old is _MISSING:
                cont.pop(frame, None)
            else:
                cont[frame] = old
        del p[partial_len:]
        for a, n in zip((self._c_frame, self._c_stream, self._c_dir, self._c_ver, self._c_len, self._c_id,
                         self._c_ch, self._ch_frame, self._ch_off, self._ch_len), lengths):
            del a[n:]
        self._nrec = nrec
        for k, copy_ in saved.items():
            st = self._streams.get(k)
            if copy_ is None:
                self._streams.pop(k, None)
            elif st is None:
                self._streams[k] = copy_
            else:
                for o, c in zip(st.dirs, copy_.dirs):
                    _restore_into(o, c)
                for o, c in zip(st.ctx, copy_.ctx):
                    _restore_into(o, c)
                _restore_into(st.info, copy_.info)
                for slot in ("version_from_records", "sslv2_cmk", "dtls_frags", "dtls_done", "dtls_covered"):
                    setattr(st, slot, getattr(copy_, slot))

    # ------------------------------------------------------------------ records
    def _emit_tls(self, st: _Stream, d: _Dir, direction: int, frame: int, rec: bytes, declared: int,
                  chunks: tuple[Chunk, ...], complete: bool) -> None:
        info = st.info
        ctx = st.ctx[direction]
        sslv2_enc = bool(rec[0] not in TLS_CONTENT_TYPES and st.sslv2_cmk)
        plain = self.decrypt.tls_record(info, direction, frame, rec, complete) if self.decrypt else None
        if plain is not None:
            top, dec, _src = self.decrypt.decode_tls(plain, rec, declared, 0, FRAME, ctx)
        elif rec[0] == CT_APP_DATA and not sslv2_enc and len(rec) >= declared == 5 + int.from_bytes(rec[3:5], "big"):
            # Most records are whole application data: their summary needs no decode (and no Fields).
            dec = Decoded(info=["Application Data"], encrypted=True)
        else:
            _top, dec = decode_tls(rec, declared, 0, FRAME, ctx, False, sslv2_enc, tree=False)
        d.nrec += 1
        if rec[0] not in TLS_CONTENT_TYPES:
            ct, ver, ln = 0, 0x0002, declared - (2 if rec[0] & 0x80 else 3)
        else:
            ct, ver, ln = rec[0], int.from_bytes(rec[1:3], "big"), int.from_bytes(rec[3:5], "big")
        s = RecordSummary(frame, info.kind, info.stream, direction, ct, ver, ln, tuple(dec.hs_types), dec.alert,
                          dec.encrypted, complete and not dec.cut, _info_text(dec), None, None)
        self._held_in(frame, chunks)
        self._store(frame, _Rec(s, chunks, declared, ctx, None, sslv2_enc, plain))
        if dec.cut or not complete:
            info.incomplete_frames.append(frame)
        # After the sender's ChangeCipherSpec a handshake record is encrypted (a Finished): bytes that
        # happen to read as a broken plaintext message are not a malformed record.
        if dec.malformed and not (ct == CT_HANDSHAKE and plain is None and st.dirs[direction].ccs):
            info.malformed_frames.append(frame)
        self._learn(st, direction, frame, s, dec, rec, ver, plain.content_type if plain else ct)

    def _store(self, frame: int, rec: _Rec) -> None:
        rec.id = self._nrec
        self._nrec += 1
        lst = self._by_frame.get(frame)
        if lst is None:
            if self._journal is not None:
                self._journal.append((1, frame, None))
            self._by_frame[frame] = [rec]
            self._pop_cont(frame)
        else:
            if self._journal is not None:
                self._journal.append((1, frame, len(lst)))
            lst.append(rec)

    def _learn(self, st: _Stream, direction: int, frame: int, s: RecordSummary, dec, rec: bytes, ver: int,
               ct: int) -> None:
        """Update the stream's handshake state from one decoded record."""
        info = st.info
        info.last_record_frame[direction] = frame
        if ct in (CT_ALERT, CT_APP_DATA, CT_CCS) and st.version_from_records is None and ver >> 8 in (3, 0xFE):
            st.version_from_records = ver
        if ct == CT_CCS:
            info.ccs_frames[direction].append(frame)
            st.dirs[direction].ccs = True if not info.dtls else True
            if info.resumed is None and not info.certificates and info.server_hellos:
                info.resumed = True
        elif ct == CT_ALERT:
            lv, ds = dec.alert if dec.alert else (None, None)
            info.alerts.append(AlertEvent(frame, direction, lv, ds, dec.encrypted))
        elif ct == CT_APP_DATA:
            info.app_data_frames[direction] += 1
            if info.first_app_data[direction] is None:
                info.first_app_data[direction] = frame
        elif ct == CT_HANDSHAKE and dec.encrypted and st.dirs[direction].ccs:
            if not info.finished_frames[direction]:
                info.finished_frames[direction].append(frame)
        for t, m in dec.hs_infos:
            self._learn_handshake(st, direction, frame, t, m)

    def _learn_handshake(self, st: _Stream, direction: int, frame: int, t: int, m: dict) -> None:
        info = st.info
        if t == hs.HS_CLIENT_HELLO and "version" in m:
            h = _hello(frame, m)
            info.client_hellos.append(h)
            if info.client_direction is None:
                info.client_direction = direction
            if h.sni is not None and info.sni is None:
                info.sni = h.sni
            if h.alpn and not info.alpn_offered:
                info.alpn_offered = list(h.alpn)
            if h.sslv2 and info.sslv2_client_hello is None:
                info.sslv2_client_hello = frame
        elif t == hs.HS_SERVER_HELLO and m.get("sslv2"):
            info.version = 0x0002
        elif t == hs.HS_SERVER_HELLO and "version" in m:
            h = _hello(frame, m)
            info.server_hellos.append(h)
            if info.client_direction is None:
                info.client_direction = 1 - direction
            v = negotiated_version(h.selected_version or h.version, info.kind == "udp")
            info.version = v
            if "cipher" in m:
                info.cipher = m["cipher"]
            if h.alpn:
                info.alpn_selected = h.alpn[0]
            for c in st.ctx:
                c.version = v
                c.tls13 = v in (0x0304, 0xFEFC)
                c.cipher = info.cipher
        elif t == 2 and m.get("sslv2") is None and info.kind == "tcp" and False:
            pass
        elif t == hs.HS_CERTIFICATE and "certificates" in m:
            ders = m["certificates"]
            chain = CertChain(frame, direction, [x509.cert_info(c) for c in ders],
                              [x509.issued_by(ders[i], ders[i + 1]) for i in range(len(ders) - 1)])
            info.certificates.append(chain)
            if info.client_direction is not None and direction == info.client_direction:
                info.client_certificate_empty = not ders
            if info.resumed is None:
                info.resumed = False
        elif t == hs.HS_CERTIFICATE_REQUEST:
            info.cert_request = CertRequestInfo(frame, m.get("cert_types", []), m.get("sig_algs", []),
                                                m.get("ca_names", []))
        elif t == hs.HS_CERTIFICATE_VERIFY:
            if info.client_direction is None or direction == info.client_direction:
                info.client_certificate_verify = True
        elif t == hs.HS_FINISHED:
            info.finished_frames[direction].append(frame)
        if t == 2 and m.get("sslv2"):
            pass
        if info.kind == "tcp" and m.get("sslv2") and t == 2:  # SSLv2 Client Master Key
            st.sslv2_cmk = True

    # ------------------------------------------------------------------ feeding: UDP / DTLS
    def on_udp(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
               sport: int = 0, dport: int = 0) -> None:
        """One UDP datagram's payload; decoded as QUIC or, when it reads as DTLS records, DTLS."""
        if self.quic.on_udp(stream, direction, frame, data, frame_offset, sport, dport):
            return
        if not plausible_dtls(data):
            return
        st = self._stream("udp", stream, dtls=True)
        info = st.info
        pos = 0
        n = 0
        while plausible_dtls(data, pos):
            ln = int.from_bytes(data[pos + 11:pos + 13], "big")
            rec = bytes(data[pos:pos + 13 + ln])
            self._emit_dtls(st, direction, frame, rec, frame_offset + pos)
            pos += 13 + ln
            n += 1
        info.dtls_max_records_per_datagram = max(info.dtls_max_records_per_datagram, n)

    def _emit_dtls(self, st: _Stream, direction: int, frame: int, rec: bytes, off: int) -> None:
        info = st.info
        ctx = st.ctx[direction]
        ct = rec[0]
        ver = int.from_bytes(rec[1:3], "big")
        epoch = int.from_bytes(rec[3:5], "big")
        seq = int.from_bytes(rec[5:11], "big")
        ln = int.from_bytes(rec[11:13], "big")
        frag = None
        reasm = None
        frag_tuple = None
        if ct == CT_HANDSHAKE and epoch == 0 and ln >= 12:
            t = rec[13]
            mlen = int.from_bytes(rec[14:17], "big")
            mseq = int.from_bytes(rec[17:19], "big")
            foff = int.from_bytes(rec[19:22], "big")
            flen = int.from_bytes(rec[22:25], "big")
            k = (direction, mseq)
            frag = DtlsFragment()
            if k in st.dtls_done:
                frag.retransmission = True
                info.dtls_retransmissions.append(frame)
            if not (foff == 0 and flen == mlen):
                frag_tuple = (mseq, foff, flen)
                info.dtls_fragmented.append(frame)
                if k in st.dtls_covered:
                    # tshark: a fragment of a message already whole is a reassembly error
                    frag.overlap_error = True
                    info.malformed_frames.append(frame)
                state = self._dtls_state(st, k, mlen, frame)
                if state is not None:
                    body = rec[25:25 + flen]
                    if foff + len(body) <= len(state["have"]):
                        state["have"][foff:foff + len(body)] = body
                        state["cov"].append((foff, foff + len(body)))
                        state["refs"].append((frame, off + 25, len(body), foff))
                    if k not in st.dtls_covered and _covered(state["cov"], mlen):
                        st.dtls_covered[k] = frame
                    if foff + flen == mlen:
                        if _covered(state["cov"], mlen):
                            frag.full = bytes(state["have"])
                            reasm = (mlen, tuple(state["refs"]))
                            st.dtls_frags.pop(k, None)
            if foff + flen == mlen:
                st.dtls_done.add(k)
            info.dtls_last_handshake_frame = frame
        plain = self.decrypt.dtls_record(info, direction, frame, rec) if self.decrypt else None
        if plain is not None:
            top, dec, _src = self.decrypt.decode_dtls(plain, rec, 0, FRAME, ctx)
        else:
            top, dec = decode_dtls(rec, 0, FRAME, ctx, frag, "reassembled")
        s = RecordSummary(frame, "udp", info.stream, direction, ct, ver, ln, tuple(dec.hs_types), dec.alert,
                          dec.encrypted, not dec.cut, _info_text(dec), epoch, seq, frag_tuple,
                          bool(frag and frag.retransmission), bool(frag and frag.overlap_error))
        self._store(frame, _Rec(s, ((frame, off, len(rec)),), len(rec), ctx, reasm, False, plain))
        if dec.malformed:
            info.malformed_frames.append(frame)
        if frag is not None and not frag.retransmission and (frag.full is not None or frag_tuple is None):
            seqs = tuple(m for (m, *_rest) in [(int.from_bytes(rec[17:19], "big"),)])
            if info.dtls_flights and info.dtls_flights[-1][1] == direction:
                f0, d0, ms = info.dtls_flights[-1]
                info.dtls_flights[-1] = (f0, d0, ms + seqs)
            else:
                info.dtls_flights.append((frame, direction, seqs))
        self._learn(st, direction, frame, s, dec, rec, ver, plain.content_type if plain else ct)

    def _dtls_state(self, st: _Stream, k: tuple[int, int], mlen: int, frame: int) -> dict | None:
        """The reassembly buffer of one fragmented DTLS message, within the bounds of limits.py."""
        state = st.dtls_frags.get(k)
        if state is not None:
            return state
        if mlen > limits.DTLS_MESSAGE_BYTES:
            self.limits.hit("dtls_message", "udp", st.info.stream, frame,
                            f"a fragment claims a {mlen}-byte handshake message (bound {limits.DTLS_MESSAGE_BYTES}); "
                            "not reassembled")
            return None
        if len(st.dtls_frags) >= limits.DTLS_MESSAGES_IN_PROGRESS:
            self.limits.hit("dtls_in_progress", "udp", st.info.stream, frame,
                            f"{len(st.dtls_frags)} fragmented messages already wait for their other fragments "
                            f"(bound {limits.DTLS_MESSAGES_IN_PROGRESS}); this one is not reassembled")
            return None
        state = st.dtls_frags[k] = {"len": mlen, "have": bytearray(mlen), "cov": [], "refs": []}
        return state

    # ------------------------------------------------------------------ queries
    def records(self, frame: int) -> list[RecordSummary]:
        """Compact summaries of the records that complete in ``frame`` (in tree order)."""
        return [r.s for r in self._recs(frame)]

    def plaintexts(self, frame: int) -> list[tuple[RecordSummary, object]]:
        """(summary, decrypt.Decrypted or None) of the records completing in ``frame``: the
        plaintext where a key log opened the record (findings ask what a record really is)."""
        return [(r.s, r.plain) for r in self._recs(frame)]

    def _compact_range(self, frame: int) -> tuple[int, int]:
        cf = self._c_frame
        lo = bisect_left(cf, frame)
        if lo == len(cf) or cf[lo] != frame:
            return lo, lo
        return lo, bisect_right(cf, frame, lo)

    def _has_records(self, frame: int) -> bool:
        if frame in self._by_frame:
            return True
        lo, hi = self._compact_range(frame)
        return hi > lo

    def _recs(self, frame: int) -> list[_Rec]:
        """The records completing in ``frame``, in tree order (compact ones as objects again)."""
        rich = self._by_frame.get(frame, [])
        lo, hi = self._compact_range(frame)
        if hi == lo:
            return rich
        out = list(rich)
        chs = self._c_ch
        for i in range(lo, hi):
            st = self._streams[("tcp", self._c_stream[i])]
            direction, ver, ln = self._c_dir[i], self._c_ver[i], self._c_len[i]
            a = chs[i]
            b = chs[i + 1] if i + 1 < len(chs) else len(self._ch_frame)
            chunks = tuple((self._ch_frame[k], self._ch_off[k], self._ch_len[k]) for k in range(a, b))
            s = RecordSummary(frame, "tcp", st.info.stream, direction, CT_APP_DATA, ver, ln, (), None, True, True,
                              _APP_DATA)
            out.append(_Rec(s, chunks, 5 + ln, st.ctx[direction], None, False, None, self._c_id[i]))
        out.sort(key=lambda r: r.id)
        return out

    def streams(self) -> dict[tuple[str, int], StreamTls]:
        """Per-stream handshake state, keyed by ("tcp"|"udp", stream index)."""
        out = {}
        for k, st in self._streams.items():
            if st.info.version is None and st.version_from_records is not None:
                st.info.version = st.version_from_records
            out[k] = st.info
        return out

    NO_TLS, APPLICATION_DATA_ONLY, OTHER_TLS = 0, 1, 2

    def frame_content(self, frame: int) -> int:
        """NO_TLS; APPLICATION_DATA_ONLY when every record completing in ``frame`` is a whole
        application-data record kept as columns (its tree can only hold APP_DATA_FIELDS, so
        filters need not build it); OTHER_TLS otherwise."""
        if frame in self._by_frame or frame in self._cont or frame in self.quic.datagrams:
            return self.OTHER_TLS
        cf = self._c_frame
        i = bisect_left(cf, frame)
        return self.APPLICATION_DATA_ONLY if i < len(cf) and cf[i] == frame else self.NO_TLS

    def frames_with_tls(self, app_data: bool = True):
        """Frame numbers (a NumPy array, ascending) where TLS/DTLS records complete or continue:
        the only frames a tls.*/dtls.* field can be on.  ``app_data=False`` leaves out the frames
        whose records are all whole application data (they hold only APP_DATA_FIELDS)."""
        import numpy as np

        rich = set(self._by_frame) | set(self._cont) | set(self.quic.datagrams)
        if app_data and len(self._c_frame):
            rich.update(np.frombuffer(self._c_frame, dtype=np.uint32).tolist())
        return np.asarray(sorted(rich), dtype=np.int64)

    # Fields that only records of one content type can hold (any decrypted record too: its inner
    # type is not the wire's), so a column of one of them is built on far fewer frames.
    _BY_CONTENT = ((("tls.alert_message", "dtls.alert_message"), 21),
                   (("tls.handshake", "dtls.handshake", "x509", "pkix", "pkcs1", "cms", "ocsp", "ber"), 22),
                   (("tls.change_cipher_spec", "dtls.change_cipher_spec"), 20))

    def frames_for(self, name: str):
        """Frame numbers (ascending NumPy array) that can hold ``name``, from the record summaries
        of the pass: narrower than ``frames_with_tls`` for the fields of one content type (a frame
        with a record of that type, a decrypted record, an SSLv2 or non-record one, or a QUIC
        datagram); ``frames_with_tls`` for the others."""
        import numpy as np

        want = next((ct for prefixes, ct in self._BY_CONTENT if name.startswith(prefixes)), None)
        if want is None:
            return self.frames_with_tls(app_data=name in APP_DATA_FIELDS)
        plain_types = (20, 21, 22, 23)
        # A field of some handshake bodies only: TLS records need a message of one of those types
        # (the pass's decode of the same bytes listed them); DTLS fragments are always asked.
        bodies = hs.bodies_holding(name) if want == CT_HANDSHAKE else None

        def may_hold(r: _Rec) -> bool:
            ct = r.s.content_type
            if r.plain is not None or ct not in plain_types:
                return True
            if ct != want:
                return False
            return not bodies or r.s.kind != "tcp" or not r.s.complete or not bodies.isdisjoint(r.s.handshake_types)

        frames = [f for f, recs in self._by_frame.items() if any(may_hold(r) for r in recs)]
        frames.extend(self.quic.datagrams)
        return np.unique(np.asarray(frames, dtype=np.int64))

    def only_application_data(self, frame: int) -> bool:
        return self.frame_content(frame) == self.APPLICATION_DATA_ONLY

    def has_tls(self, frame: int) -> bool:
        return frame in self._cont or self._has_records(frame) or frame in self.quic.datagrams

    def finish(self) -> None:
        """After the pass (what needs the whole capture: QUIC conversations found late)."""
        self.quic.finish()

    def unfinish(self) -> None:
        """Take back what ``finish`` added (a growing capture feeds on)."""
        self.quic.unfinish()

    def segment_of_pdu(self, frame: int) -> bool:
        """True when the frame's TCP bytes belong to a TLS record completed in a later frame
        and no record completes here (Wireshark's '[TCP segment of a reassembled PDU]')."""
        p = self._partial
        return frame < len(p) and p[frame] == 1 and not self._has_records(frame)

    def _version_of(self, st: _Stream) -> int | None:
        v = st.info.version
        if v is None:
            v = st.version_from_records
        return v

    def _rec_info(self, r: _Rec) -> str:
        try:
            _f, dec, _srcs = self._rebuild(r, r.s.frame, None)
        except Exception:
            return ""
        if dec is None:
            return ""
        txt = ", ".join(dec.info)
        if dec.cut:
            txt += CUT_NOTE
        return txt

    def column(self, frame: int) -> tuple[str, str] | None:
        """(_ws.col.Protocol, _ws.col.Info) for a frame whose top protocol is TLS/DTLS/QUIC, else None."""
        if frame in self.quic.datagrams:
            return self.quic.column(frame)
        recs = self._recs(frame)
        if not recs:
            c = self._cont.get(frame)
            if c is None:
                return None
            st = self._streams[c[0]]
            v = self._version_of(st)
            return (VERSION_SHORT.get(v, "SSL") if v else "SSL"), "Continuation Data"
        parts = []
        proto = ""
        for r in recs:
            st = self._streams[(r.s.kind, r.s.stream)]
            parts.append(r.s.info)
            if r.s.content_type == 0 and r.s.version == 0x0002:
                proto = "SSLv2"
            else:
                v = self._version_of(st)
                if r.s.kind == "udp":
                    v = v if v in (0xFEFF, 0xFEFD) else r.s.version
                    if v == 0xFEFC:
                        v = 0xFEFD
                proto = VERSION_SHORT.get(v or r.s.version, "TLS" if r.s.kind == "tcp" else "DTLS")
        info = ""
        for p in parts:
            if not p:
                continue
            if not info or info.endswith(CUT_NOTE):
                info += p
            elif p.startswith(CUT_NOTE):
                info += p
            else:
                info += ", " + p
        if self.decrypt is not None:
            return self.decrypt.column(frame, [r.s.info for r in recs], [r.plain for r in recs], proto, info)
        return proto, info

    # ------------------------------------------------------------------ rebuild
    def _frame_bytes(self, frame: int, cur: int | None, cur_bytes: bytes | None) -> bytes:
        if frame == cur and cur_bytes is not None:
            return cur_bytes
        if self._get is None:
            raise LookupError("no get_frame_bytes to rebuild a record spanning frames")
        return self._get(frame)

    def _record_bytes(self, r: _Rec, cur: int | None, cur_bytes: bytes | None) -> bytes:
        parts = [self._frame_bytes(f, cur, cur_bytes)[o:o + n] for (f, o, n) in r.chunks]
        return b"".join(parts)

    def _decode(self, r: _Rec, st: _Stream, data: bytes, base: int, src: str, reasm_src: str = "",
                full: bytes | None = None, bodies: frozenset[int] | None = None):
        if r.s.kind == "udp":
            frag = None
            if r.s.fragment is not None or r.s.retransmission:
                frag = DtlsFragment(full=full, retransmission=r.s.retransmission,
                                    overlap_error=r.s.reassembly_error)
            return decode_dtls(data, base, src, r.ctx, frag, reasm_src)
        tls13 = self._version_of(st) == 0x0304
        return decode_tls(data, r.declared, base, src, r.ctx, tls13, r.sslv2_enc, bodies=bodies)

    def _rebuild(self, r: _Rec, frame: int, frame_bytes: bytes | None, data: bytes | None = None,
                 bodies: frozenset[int] | None = None):
        """(record Field, Decoded or None, sources) for one stored record (``bodies``: see
        ``decode_tls``; a decrypted record is decoded whole)."""
        st = self._streams[(r.s.kind, r.s.stream)]
        proto = "dtls" if r.s.kind == "udp" else "tls"
        if data is None:
            data = self._record_bytes(r, frame, frame_bytes)
        sources: dict[str, bytes] = {}
        single = len(r.chunks) == 1 and r.chunks[0][0] == frame
        if single:
            base, src = r.chunks[0][1], FRAME
        else:
            src = f"Reassembled TCP ({len(data)} bytes)"
            sources[src] = data
            base = 0
        reasm_src, full = "", None
        if r.dtls_reasm is not None:
            total, refs = r.dtls_reasm
            buf = bytearray(total)
            for (f, o, n, fo) in refs:
                buf[fo:fo + n] = self._frame_bytes(f, frame, frame_bytes)[o:o + n]
            full = bytes(buf)
            reasm_src = f"Reassembled DTLS ({total} bytes)"
            sources[reasm_src] = full
        try:
            if r.plain is not None:
                if r.s.kind == "udp":
                    rec_field, dec, dsrc = self.decrypt.decode_dtls(r.plain, data, base, src, r.ctx)
                else:
                    rec_field, dec, dsrc = self.decrypt.decode_tls(r.plain, data, r.declared, base, src, r.ctx)
                sources.update(dsrc)
            else:
                rec_field, dec = self._decode(r, st, data, base, src, reasm_src, full, bodies)
        except Exception as e:  # defensive: a decoder bug must not take the frame down
            rec_field = Field(f"{proto}.record", "Record", None, base, len(data), source=src)
            rec_field.add(Field("_ws.malformed", f"[Malformed Packet: {e.__class__.__name__}: {e}]", None,
                                base, len(data), source=src))
            dec = None
        return rec_field, dec, sources

    def frame_layers(self, frame: int, frame_bytes: bytes, want: str | None = None) -> tuple[list[Field], dict[str, bytes]]:
        """The TLS/DTLS/QUIC protocol Fields of one frame, and the reassembled sources they refer to.
        ``want``: only the occurrences of this one field matter (a column build): handshake bodies
        that cannot hold it are not decoded, and the protocols the tree names again are left out."""
        bodies = hs.bodies_holding(want) if want is not None else None
        if frame in self.quic.datagrams:
            return self.quic.frame_layers(frame, frame_bytes)
        recs = self._recs(frame)
        sources: dict[str, bytes] = {}
        if not recs:
            c = self._cont.get(frame)
            if c is None:
                return [], {}
            _k, (f, o, n) = c
            top = Field("tls", "Transport Layer Security", None, o, n)
            top.add(Field("", "Continuation Data", None, o, n))
            return [top], {}
        layers: list[Field] = []
        cur_group: Field | None = None
        cur_end = -1
        for r in recs:
            st = self._streams[(r.s.kind, r.s.stream)]
            proto = "dtls" if r.s.kind == "udp" else "tls"
            try:
                data = self._record_bytes(r, frame, frame_bytes)
            except Exception as e:  # a frame we cannot fetch: say so, never raise
                top = Field(proto, "Transport Layer Security", None, 0, 0)
                top.add(Field("_ws.expert", f"[Record bytes unavailable: {e}]", None, 0, 0))
                layers.append(top)
                cur_group = None
                continue
            single = len(r.chunks) == 1 and r.chunks[0][0] == frame
            base = r.chunks[0][1] if single else 0
            rec_field, dec, srcs = self._rebuild(r, frame, frame_bytes, data, bodies)
            src = rec_field.source
            sources.update(srcs)
            if not r.s.complete:
                rec_field.add(Field("tlstui.tls.incomplete_record",
                                    f"[Incomplete record: {len(data)} of {r.declared} bytes available]", None,
                                    base, len(data), source=src))
            if single and cur_group is not None and cur_group.source == FRAME and base == cur_end \
                    and cur_group.name == proto:
                cur_group.add(rec_field)
                cur_group.length = base + len(data) - cur_group.offset
            else:
                label = "Datagram Transport Layer Security" if proto == "dtls" else "Transport Layer Security"
                cur_group = Field(proto, label, None, base, len(data), source=src)
                cur_group.add(rec_field)
                if any(f.name == proto for f in layers):
                    # a second call of tshark's dissector in this frame (the records after a reassembled one):
                    # frame.protocols names it again
                    layers.append(cur_group)
                    layers.append(Field("", PROTOCOL_AGAIN, proto, 0, 0, hidden=True))
                else:
                    layers.append(cur_group)
                if not single:
                    cur_group = None
            cur_end = base + len(data) if single else -1
            if want is None and (data[:1] == b"\x16" or r.plain is not None):  # certificates add their protocols
                for p in x509.certificate_protocols([rec_field]):
                    layers.append(Field("", PROTOCOL_AGAIN, p, 0, 0, hidden=True))
        if self.decrypt is not None:
            http, hsrc = self.decrypt.frame_layers(frame)
            layers += http
            sources.update(hsrc)
        return layers, sources


_APP_DATA = sys.intern("Application Data")


def _application_data_fields() -> frozenset[str]:
    """Every field name the tree of a whole application-data record can hold, found by decoding
    one as each version and as TLS 1.3 (a test checks it against every such record in the corpus)."""
    names = {"tls"}
    for ver in (0x0300, 0x0301, 0x0302, 0x0303, 0x0304):
        rec = bytes([CT_APP_DATA]) + ver.to_bytes(2, "big") + (16).to_bytes(2, "big") + bytes(16)
        for tls13 in (False, True):
            ctx = hs.Ctx(False)
            top, _dec = decode_tls(rec, len(rec), 0, FRAME, ctx, tls13)
            names.update(f.name for f in top.walk() if f.name)
    return frozenset(names)


APP_DATA_FIELDS = _application_data_fields()


_MISSING = object()


def _restore_into(obj, saved) -> None:  # noqa: ANN001 - two objects of one class
    """Give ``obj`` the attributes of ``saved`` (its earlier copy), keeping ``obj`` itself."""
    if hasattr(obj, "__dict__"):
        obj.__dict__.clear()
        obj.__dict__.update(saved.__dict__)
    for klass in type(obj).__mro__:
        for slot in getattr(klass, "__slots__", ()):
            if slot in ("__dict__", "__weakref__"):
                continue
            if hasattr(saved, slot):
                setattr(obj, slot, getattr(saved, slot))
            elif hasattr(obj, slot):
                delattr(obj, slot)


def _info_text(dec) -> str:
    txt = ", ".join(dec.info) + (CUT_NOTE if dec.cut else "")
    return sys.intern(txt)


def _covered(cov: list[tuple[int, int]], total: int) -> bool:
    end = 0
    for a, b in sorted(cov):
        if a > end:
            return False
        end = max(end, b)
    return end >= total


def _hello(frame: int, m: dict) -> HelloInfo:
    return HelloInfo(
        frame=frame, version=m.get("version", 0), random=m.get("random", b""), session_id=m.get("session_id", b""),
        ciphers=list(m.get("ciphers", [m["cipher"]] if "cipher" in m else [])), extensions=list(m.get("extensions", [])),
        sni=m.get("sni"), alpn=list(m.get("alpn", [])), supported_versions=list(m.get("supported_versions", [])),
        selected_version=m.get("selected_version"), groups=list(m.get("groups", [])),
        sig_algs=list(m.get("sig_algs", [])), key_share_groups=list(m.get("key_share_groups", [])),
        psk_modes=list(m.get("psk_modes", [])), hrr=bool(m.get("hrr")), sslv2=bool(m.get("sslv2")),
        ja3=m.get("ja3", ""), ja3_full=m.get("ja3_full", ""), ja3s=m.get("ja3s", ""), ja4=m.get("ja4", ""))
