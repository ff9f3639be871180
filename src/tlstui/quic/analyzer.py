"""QuicAnalyzer: QUIC over UDP in one pass over the capture, as tshark 4.0 dissects it (two-pass).

``on_udp`` takes each UDP payload in capture order and says whether it is QUIC (tshark's
heuristics: a long header of a version it knows, or a short header whose Destination
Connection ID names a known connection; then the whole UDP conversation is QUIC).  Per
datagram it keeps a ``records.Datagram``; ``frame_layers`` and ``column`` answer for one frame
afterwards (``tree.build``).  What is shown is what tshark's second pass shows: a packet whose
decryption failed in the first pass shows no packet number and no frames.
"""
from __future__ import annotations

from array import array
from typing import Callable

from .. import limits
from ..field import Field
from ..tls import handshake as tls_hs
from . import fields as _fields  # noqa: F401 - registers the quic.* fields
from . import protection as P
from . import versions as V
from .connection import AppKeys, Connection, Tracker
from .cryptostream import Delivery
from .frames import parse_frames
from .handshake import decode_message
from .header import first_dcid, packet_end, parse_long
from .records import CryptoSeen, Datagram, Packet

_KEYLOG_LABELS = {  # (level, side) -> key log label
    (V.HANDSHAKE, 0): "CLIENT_HANDSHAKE_TRAFFIC_SECRET", (V.HANDSHAKE, 1): "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    (V.SHORT, 0): "CLIENT_TRAFFIC_SECRET_0", (V.SHORT, 1): "SERVER_TRAFFIC_SECRET_0",
    (V.ZERO_RTT, 0): "CLIENT_EARLY_TRAFFIC_SECRET",
}
_PN_SPACE = {V.INITIAL: 0, V.HANDSHAKE: 1}
_LATE_FRAMES_PER_STREAM = 256


class QuicAnalyzer:
    """Fed in capture order; afterwards answers per frame."""

    def __init__(self, get_frame_bytes: Callable[[int], bytes] | None = None, decrypt=None,  # noqa: ANN001
                 limits_hit: limits.Limits | None = None) -> None:
        self._get = get_frame_bytes
        self.decrypt = decrypt  # tls.decrypt.CaptureDecryption (its key log), or None
        self.limits = limits_hit if limits_hit is not None else limits.Limits()
        self.tracker = Tracker()
        self.datagrams: dict[int, Datagram] = {}
        self._streams: set[int] = set()  # UDP conversations tshark hands to QUIC
        # UDP payloads of each conversation before it became QUIC: frame numbers and payload offsets
        self._before: dict[int, array] = {}
        self._finished = False
        self._late: list[int] = []  # frames ``finish`` added to ``datagrams`` (taken back by ``unfinish``)
        self._dsb_count = 0
        self._dsb = None

    # ------------------------------------------------------------------ feeding
    def on_udp(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
               sport: int = 0, dport: int = 0) -> bool:
        """One UDP payload; True when it is QUIC (nothing else should decode it then)."""
        if not data:
            return False
        if stream not in self._streams:
            if not self._heuristic(data, stream, direction, sport):
                lst = self._before.get(stream)
                if lst is None and len(self._before) < 1_000_000:
                    lst = self._before[stream] = array("I")
                if lst is not None and len(lst) < 2 * _LATE_FRAMES_PER_STREAM:
                    lst.extend((frame, frame_offset))
                return False
            self._streams.add(stream)
        try:
            dg = self._datagram(stream, direction, frame, data, frame_offset, sport, dport)
        except Exception as e:  # a dissector bug must not stop the pass: the frame shows it
            dg = Datagram(frame_offset, len(data), None, False, malformed=True,
                          info=f"[Malformed Packet: {e.__class__.__name__}]")
        self.datagrams[frame] = dg
        return True

    def _heuristic(self, data: bytes, stream: int, direction: int, sport: int) -> bool:
        """tshark's dissect_quic_heur."""
        n = len(data)
        if n < 13:
            return False
        if not data[0] & 0x80:
            if not self.tracker.lengths or n < 1 + 1 + 1 + 16:
                return False
            dcid = bytes(data[1:1 + min(V.MAX_CID, n - 1 - 1 - 16)])
            conn, _s, _d = self.tracker.find(V.SHORT, dcid, stream, direction, sport)
            return conn is not None
        version = int.from_bytes(data[1:5], "big")
        if not V.heuristic_version(version):
            return False
        dcil = data[5]
        if dcil > V.MAX_CID:
            return False
        p = 6 + dcil
        if p >= n:
            return False
        return data[p] <= V.MAX_CID

    def finish(self) -> None:
        """After the pass: earlier datagrams of a conversation that became QUIC are QUIC too
        (tshark's second pass hands the whole conversation to QUIC), without a connection.

        An overlay (issue 18): those datagrams are noted, ``unfinish`` takes them back before a
        growing capture feeds on, and ``_before`` stays for the next ``finish``."""
        self.unfinish()
        self._finished = True
        late = self._late
        for stream, seen in self._before.items():
            if stream not in self._streams or self._get is None:
                continue
            for k in range(0, len(seen), 2):
                frame, off = seen[k], seen[k + 1]
                if frame in self.datagrams:
                    continue
                ln = 0
                try:
                    raw = self._get(frame)
                    sport, dport, ulen = (int.from_bytes(raw[off - 8 + i:off - 6 + i], "big") for i in (0, 2, 4))
                    ln = max(0, min(ulen - 8, len(raw) - off)) if ulen >= 8 else len(raw) - off
                    data = raw[off:off + ln]
                    dg = self._datagram(stream, 0, frame, data, off, sport, dport, lookup=False)
                except Exception as e:  # a dissector bug must not stop the pass
                    dg = Datagram(off, ln, None, False, malformed=True, info=f"[Malformed Packet: {e.__class__.__name__}]")
                self.datagrams[frame] = dg
                late.append(frame)

    def unfinish(self) -> None:
        """Take back the datagrams ``finish`` added (a growth feeds on from the pass's own state)."""
        for frame in self._late:
            self.datagrams.pop(frame, None)
        self._late = []
        self._finished = False

    # ------------------------------------------------------------------ one datagram
    def _datagram(self, stream: int, direction: int, frame: int, data: bytes, frame_offset: int,
                  sport: int, dport: int, lookup: bool = True) -> Datagram:
        tr = self.tracker
        conn: Connection | None = None
        from_server = False
        retry_odcid: bytes | None = None
        reset = False
        got = first_dcid(data, 0, len(data)) if lookup else None
        if got is not None:
            ptype, version, dcid, scid = got
            conn, from_server, _dcid = tr.find(ptype, dcid, stream, direction, sport)
            if conn is not None and ptype == V.RETRY and conn.client_dcid_set:
                retry_odcid = conn.client_dcid_initial
            if conn is None and len(data) >= 16:
                conn, from_server = tr.reset_match(stream, direction, sport, bytes(data[-16:]))
                reset = conn is not None
            if not reset:
                conn = tr.create_or_update(conn, ptype, version, scid, dcid, from_server, stream, direction,
                                           dport, frame)
        dg = Datagram(frame_offset, len(data), conn.number if conn else None, from_server,
                      udp_info=f"{sport} \u2192 {dport} Len={len(data)}")
        if conn is not None:
            conn.last_frame = frame
        if reset:
            dg.packets.append(Packet(0, len(data), "reset", V.SHORT))
            dg.info = "Stateless Reset"
            return dg
        side = 1 if from_server else 0
        off = 0
        first_pkt_dcid = b""
        info = ""
        while True:
            end = packet_end(data, off, len(data))
            this_dcid = self._packet_dcid(data, off, end, conn, from_server)
            if off == 0:
                first_pkt_dcid = this_dcid or b""
            elif this_dcid is not None and this_dcid != first_pkt_dcid:
                dg.padding_at = off
                break
            first = data[off]
            if first & 0x80:
                h = parse_long(data, off, end)
                if h.version == 0 and off + 5 <= end:
                    pkt = Packet(off, end, "vn", V.VERSION_NEGOTIATION, 0)
                    pkt.info = "Version Negotiation" + _cid_info(h)
                    pkt.malformed = h.cut >= 0
                    if conn is not None and h.cut < 0:
                        p = h.pn_off
                        while p + 4 <= end:
                            conn.versions_offered.append(int.from_bytes(data[p:p + 4], "big"))
                            p += 4
                    dg.packets.append(pkt)
                    info = pkt.info
                    break
                if h.ptype == V.RETRY:
                    pkt = self._retry(data, h, retry_odcid)
                else:
                    pkt = self._long(data, h, conn, side, frame)
            else:
                pkt = self._short(data, off, end, conn, side, frame)
            dg.packets.append(pkt)
            info = pkt.info
            if pkt.malformed:
                dg.malformed = True
                break
            off = end
            if off >= len(data):
                break
        dg.info = info
        return dg

    @staticmethod
    def _packet_dcid(data: bytes, off: int, end: int, conn: Connection | None, from_server: bool) -> bytes | None:
        """check_dcid_on_coalesced_packet's view of a packet's DCID (None: cannot tell)."""
        if data[off] & 0x80:
            if off + 5 >= end:
                return b""
            n = data[off + 5]
            return bytes(data[off + 6:off + 6 + n]) if 0 < n <= V.MAX_CID else b""
        if conn is None:
            return None
        n = len(conn.client_cids[0] if from_server else conn.server_cids[0])
        return bytes(data[off + 1:off + 1 + n])

    # ------------------------------------------------------------------ packets
    def _retry(self, data: bytes, h, odcid: bytes | None) -> Packet:  # noqa: ANN001
        pkt = Packet(h.off, h.end, "retry", V.RETRY, h.version)
        pkt.info = "Retry" + _cid_info(h)
        if h.cut >= 0:
            pkt.malformed = True
            return pkt
        if not V.draft_max(h.version, 24):
            if h.end - h.pn_off < 16:
                pkt.malformed = True
            elif odcid is not None:
                pkt.retry_verified = P.retry_tag_valid(bytes(data[h.off:h.end]), odcid, h.version)
        return pkt

    def _long(self, data: bytes, h, conn: Connection | None, side: int, frame: int) -> Packet:  # noqa: ANN001
        ptype = h.ptype
        pkt = Packet(h.off, h.end, "long", ptype, h.version)
        pkt.info = V.PACKET_TYPE_NAMES.get(ptype, "Long Header") + _cid_info(h)
        keys: P.Keys | None = None
        slot = False
        error: str | None = None
        dcid = h.dcid_usable
        if conn is not None:
            if ptype == V.INITIAL:
                slot = True
                if side == 0 and dcid == conn.client_dcid_initial:
                    conn.initial = list(P.initial_keys(dcid, conn.version))
                elif side == 1 and h.version != conn.version:
                    conn.version = h.version
                    conn.initial = list(P.initial_keys(conn.client_dcid_initial, conn.version))
                keys = conn.initial[side]
            elif ptype == V.ZERO_RTT and side == 0:
                slot = True
                secret = self._secret(conn, V.ZERO_RTT, 0)
                if secret is None:
                    error = "Secrets are not available"
                else:
                    keys = _zero_rtt_keys(secret, h.version)
                    conn.zero_rtt = keys
            elif ptype == V.HANDSHAKE:
                slot = True
                if conn.handshake[side] is None:
                    error = self._handshake_keys(conn, side)
                keys = conn.handshake[side]
        if h.cut >= 0:
            pkt.malformed = True
            return pkt
        if slot and error is None:
            error = "Header deprotection failed"
            if keys is not None:
                got = P.remove_header_protection(data[:h.end], h.pn_off, keys, h.off)
                if got is not None:
                    error = None
                    first, pn_len, trunc = got
                    space = _PN_SPACE.get(ptype, 2)
                    pkt.first, pkt.pn_len = first, pn_len
                    pkt.pn = P.expand_packet_number(conn.max_pn[side][space], trunc, pn_len)
        if error is not None:
            pkt.error = error
            return pkt
        if conn is None or not pkt.pn_len:
            return pkt
        self._payload(data, h.off, h.pn_off, h.end, pkt, keys, conn, side, frame, ptype)
        return pkt

    def _short(self, data: bytes, off: int, end: int, conn: Connection | None, side: int, frame: int) -> Packet:
        pkt = Packet(off, end, "short", V.SHORT)
        keys = None
        if conn is not None:
            pkt.dcid_len = len(conn.client_cids[0] if side == 1 else conn.server_cids[0])
            hp, error = self._app_hp(conn, side)
            if hp is not None:
                got = P.remove_header_protection(data[:end], off + 1 + pkt.dcid_len, hp, off)
                if got is not None:
                    first, pn_len, trunc = got
                    pkt.first, pkt.pn_len = first, pn_len
                    pkt.pn = P.expand_packet_number(conn.max_pn[side][2], trunc, pn_len)
            if error is not None:
                pkt.error = error
            phase = 1 if pkt.pn_len and pkt.first & 0x04 else 0
            keys = self._app_keys(conn, side, phase)
        phase = 1 if pkt.pn_len and pkt.first & 0x04 else 0
        pkt.info = f"Protected Payload (KP{phase})"
        if pkt.dcid_len:
            pkt.info += ", DCID=" + bytes(data[off + 1:off + 1 + pkt.dcid_len]).hex()
        if off + 1 + pkt.dcid_len > end:
            pkt.malformed = True
            return pkt
        if pkt.error is not None or conn is None or conn.skip_decryption or not pkt.pn_len:
            return pkt
        self._payload(data, off, off + 1 + pkt.dcid_len, end, pkt, keys, conn, side, frame, V.SHORT)
        return pkt

    def _payload(self, data: bytes, off: int, pn_off: int, end: int, pkt: Packet, keys: P.Keys | None,
                 conn: Connection, side: int, frame: int, level: int) -> None:
        """Decrypt and read the frames; on failure the packet shows neither its number nor frames."""
        hdr_end = pn_off + pkt.pn_len
        if keys is None:  # the number is known, the payload key is not: tshark shows the number only
            pkt.info += f", PKN: {pkt.pn}"
            return
        if end - hdr_end <= keys.tag_len:
            pkt.error = "Decryption not possible, ciphertext is too short"
            return
        header = bytearray(data[off:hdr_end])
        header[0] = pkt.first
        header[-pkt.pn_len:] = (pkt.pn & ((1 << (8 * pkt.pn_len)) - 1)).to_bytes(pkt.pn_len, "big")
        plain = P.decrypt_payload(keys, bytes(header), pkt.pn, data[hdr_end:end])
        if plain is None:
            pkt.error = "Decryption (checktag) failed: Checksum error"
            return
        pkt.plain = plain
        conn.max_pn[side][_PN_SPACE.get(level, 2)] = pkt.pn
        parsed = parse_frames(plain, "", gquic=V.is_gquic_tls(conn.version))
        pkt.frame_types = tuple(parsed.types)
        if parsed.info:
            pkt.info += f", PKN: {pkt.pn}, " + ", ".join(parsed.info)
        else:
            pkt.info += f", PKN: {pkt.pn}"
        if parsed.malformed:
            pkt.malformed = True
        for c in parsed.crypto:
            cs = conn.crypto_stream(side, level)
            d = cs.add(c.offset, plain[c.data_pos:c.data_pos + c.length], frame)
            seen = CryptoSeen(d)
            if d.kind in ("deliver", "reassembled"):
                seen.handled = conn.tls_stream(side, level).feed(d.data, frame)
                self._learn(conn, side, seen, d)
            pkt.crypto.append(seen)
        for cid, token in parsed.new_cids:
            self.tracker.add_cid(conn, cid, side == 1)
            conn.reset_tokens[side].append(token)
        for cl in parsed.closes:
            conn.closes.append((frame, side, cl.frame_type, cl.error, cl.reason))
        if 0x1E in parsed.types:
            conn.handshake_done = True

    def _learn(self, conn: Connection, side: int, seen: CryptoSeen, d: Delivery) -> None:
        ctx = tls_hs.Ctx(False, 0x0304, conn.cipher)
        for m in seen.handled.messages:
            raw = m.reassembled if m.reassembled is not None else d.data[m.pos:m.pos + m.length]
            _node, t, info = decode_message(raw, 0, "", ctx, False)
            if t == tls_hs.HS_CLIENT_HELLO and "random" in info and conn.client_random is None:
                conn.client_random = info["random"]
                conn.sni = info.get("sni")
            elif t == tls_hs.HS_SERVER_HELLO and "cipher" in info:
                conn.cipher = info["cipher"]
            elif t == tls_hs.HS_ENCRYPTED_EXTENSIONS and info.get("alpn"):
                conn.alpn = info["alpn"][0]
            elif t == tls_hs.HS_FINISHED:
                if side == 0:
                    conn.client_finished = True
                else:
                    conn.server_finished = True

    # ------------------------------------------------------------------ keys
    def _secret(self, conn: Connection, level: int, side: int) -> bytes | None:
        label = _KEYLOG_LABELS.get((level, side))
        if label is None or conn.client_random is None:
            return None
        kl = getattr(self.decrypt, "keylog", None)
        got = kl.get(conn.client_random, label) if kl is not None else None
        if got is None:
            dsb = self._dsb_keylog()
            got = dsb.get(conn.client_random, label) if dsb is not None else None
        return got

    def _dsb_keylog(self):  # noqa: ANN202
        """The key log of the capture's own pcapng Decryption Secrets Blocks (tshark uses them
        unasked).  The session makes its decryption before the file is indexed, so the blocks
        are read here, from the capture behind ``get_frame_bytes``, as they are found."""
        owner = getattr(self._get, "__self__", None)
        blocks = getattr(getattr(owner, "capture", None), "secrets", None) or []
        if len(blocks) != self._dsb_count:
            from ..tls.decrypt.keylog import KeyLog

            self._dsb_count = len(blocks)
            self._dsb = KeyLog.from_dsb(blocks) if blocks else None
        return self._dsb

    def _handshake_keys(self, conn: Connection, side: int) -> str | None:
        if conn.cipher is None or conn.cipher not in P.SUITES:
            return "Unable to retrieve cipher information"
        secret = self._secret(conn, V.HANDSHAKE, side)
        if secret is None:
            return "Secrets are not available"
        keys = P.keys_from_secret(secret, conn.version, conn.cipher)
        if keys is None:
            return "Failed to create HP cipher"
        conn.handshake[side] = keys
        return None

    def _app_hp(self, conn: Connection, side: int) -> tuple[P.Keys | None, str | None]:
        if conn.skip_decryption:
            return None, None
        if not conn.app_ready:
            if conn.cipher is None or conn.cipher not in P.SUITES:
                return None, "Missing TLS handshake, unsupported ciphers or padding"
            secrets = [self._secret(conn, V.SHORT, s) for s in (0, 1)]
            if secrets[0] is None or secrets[1] is None:
                conn.skip_decryption = True
                return None, "Secrets are not available"
            for s, secret in enumerate(secrets):
                keys = P.keys_from_secret(secret, conn.version, conn.cipher)
                if keys is None:
                    conn.skip_decryption = True
                    return None, "Failed to derive key material for HP cipher"
                conn.app[s] = AppKeys(keys, [keys, None], P.next_secret(secret, conn.version, conn.cipher))
            conn.app_ready = True
        st = conn.app[side]
        return (st.hp if st else None), None

    def _app_keys(self, conn: Connection, side: int, phase: int) -> P.Keys | None:
        if conn.skip_decryption:
            return None
        st = conn.app[side]
        if st is None:
            return None
        if phase != st.key_phase:
            keys = P.keys_from_secret(st.next_secret, conn.version, conn.cipher or 0x1301)
            st.phase_keys[phase] = keys
            st.next_secret = P.next_secret(st.next_secret, conn.version, conn.cipher or 0x1301)
            st.key_phase = phase
        return st.phase_keys[phase]

    # ------------------------------------------------------------------ queries
    def has_quic(self, frame: int) -> bool:
        return frame in self.datagrams

    def frames(self) -> list[int]:
        return sorted(self.datagrams)

    def column(self, frame: int) -> tuple[str, str] | None:
        dg = self.datagrams.get(frame)
        if dg is None:
            return None
        info = dg.info
        if dg.malformed:
            info = (info or dg.udp_info) + "[Malformed Packet]"
        return "QUIC", info

    def connection(self, number: int | None) -> Connection | None:
        if number is None or not 0 <= number < len(self.tracker.all):
            return None
        return self.tracker.all[number]

    def frame_layers(self, frame: int, frame_bytes: bytes) -> tuple[list[Field], dict[str, bytes]]:
        """The QUIC layers of one frame (one ``quic`` item per packet) and their data sources."""
        from .tree import build

        dg = self.datagrams.get(frame)
        if dg is None:
            return [], {}
        return build(dg, frame_bytes, self.connection(dg.conn))


def _cid_info(h) -> str:  # noqa: ANN001
    out = ""
    if 0 < h.dcil <= V.MAX_CID and h.dcid:
        out += ", DCID=" + h.dcid.hex()
    if 0 < h.scil <= V.MAX_CID and h.scid:
        out += ", SCID=" + h.scid.hex()
    return out


def _zero_rtt_keys(secret: bytes, version: int) -> P.Keys | None:
    """tshark tries the TLS 1.3 suites in order; the first whose hash fits the secret wins."""
    for suite in (0x1301, 0x1302, 0x1303, 0x1304, 0x1305):
        keys = P.keys_from_secret(secret, version, suite)
        if keys is not None:
            return keys
    return None
