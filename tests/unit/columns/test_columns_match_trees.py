"""A column holds exactly what the frames' trees hold: for every test capture and every field of
the conformance list, the column built on candidate frames only (or from the pass's arrays)
equals the field read from each frame's full tree."""
from __future__ import annotations

import math
import warnings
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
# One of each kind of capture (trees for every frame are slow to build: the suite keeps to these).
_KINDS = ("s01", "s02", "s03", "s07", "s08a", "s09", "s10b", "s11", "s12a", "s12b", "s13a", "s13b", "s13c", "s13d",
          "tcp_edge", "tunnel_")
CAPTURES = sorted(p.name for p in DATA.iterdir() if p.suffix in (".pcap", ".pcapng") and p.name.startswith(_KINDS))
FIELDS = """frame.number frame.len frame.cap_len frame.time_relative frame.time_delta frame.time_epoch
frame.interface_id ip.src ip.dst ipv6.src ipv6.dst ip.ttl ip.id ip.len ip.proto tcp.stream tcp.srcport tcp.dstport
tcp.seq tcp.ack tcp.len tcp.flags tcp.flags.syn tcp.flags.reset udp.stream udp.srcport udp.length tcp.hdr_len
tcp.window_size_value tcp.window_size tcp.window_size_scalefactor tcp.options.mss_val tcp.options.wscale.shift
tcp.options.sack_le tcp.nxtseq tcp.analysis.bytes_in_flight tcp.analysis.ack_rtt tcp.analysis.acks_frame
tcp.analysis.retransmission tcp.analysis.fast_retransmission tcp.analysis.flags tcp.analysis.lost_segment
tcp.analysis.duplicate_ack tcp.analysis.duplicate_ack_num tlstui.tcp.retransmission_mismatch
tlstui.tcp.synack_without_options tls tls.record tls.record.content_type tls.record.version tls.record.length
tls.handshake.type tls.handshake.length tls.handshake.ciphersuite tls.handshake.extensions_server_name tls.alert_message
tls.alert_message.desc tls.app_data x509sat.uTF8String x509ce.dNSName x509if.oid x509af.serialNumber dtls dtls.record.content_type
dtls.handshake.type dtls.handshake.fragment_offset eth.src vlan.id tcp udp ip tcp.payload tcp.completeness
tcp.time_relative tcp.time_delta udp.payload data data.data sll.pkttype ipv6.hlim ip.flags.df frame.protocols
_ws.col.Protocol _ws.col.Info""".split()


def _session(name: str):
    from tlstui.session import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(DATA / name))
        s.analyze()
    return s


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=0, abs_tol=1e-9)
    return a == b


@pytest.mark.parametrize("capture", CAPTURES)
def test_columns_equal_tree_fields(capture):
    s = _session(capture)
    want = {name: [] for name in FIELDS}
    for n in range(1, len(s) + 1):
        tree = s.tree(n)
        for name in FIELDS:
            want[name].extend((n, f.value) for f in tree.fields(name))
    for name in FIELDS:
        col = s.columns.get(name)
        got = list(zip(col.frames.tolist(), col.values.tolist()))
        assert len(got) == len(want[name]), (name, got[:5], want[name][:5])
        bad = [(g, w) for g, w in zip(got, want[name]) if g[0] != w[0] or not _same(g[1], w[1])]
        assert not bad, (name, bad[:5])


# With a key log, decrypted records hold handshake messages and alerts under an outer type 23, and
# QUIC datagrams hold TLS handshakes: the columns narrowed by content type (TlsAnalyzer.frames_for)
# must still find every one.
_DECRYPTED = (("s02_tls13_http_close_notify.pcap", "s02_tls13_http_close_notify.keys"),
              ("s10a_dtls12_fragmented.pcap", "s10a_dtls12_fragmented.keys"),
              ("quic_crafted.pcap", "quic_crafted.keys"), ("quic_crafted.pcap", None))
_NARROWED = """tls.alert_message tls.alert_message.desc tls.alert_message.level tls.handshake tls.handshake.type
tls.handshake.extensions_server_name tls.handshake.ciphersuite tls.change_cipher_spec x509sat.uTF8String
x509ce.dNSName x509af.serialNumber pkcs1.modulus dtls.handshake.type dtls.alert_message
dtls.change_cipher_spec _ws.col.Protocol _ws.col.Info""".split()


@pytest.mark.parametrize("capture,keys", _DECRYPTED)
def test_narrowed_columns_equal_trees_when_decrypted(capture, keys):
    from tlstui.session import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(DATA / capture), str(DATA / keys) if keys else None)
        s.analyze()
    want = {name: [] for name in _NARROWED}
    for n in range(1, len(s) + 1):
        tree = s.tree(n)
        for name in _NARROWED:
            want[name].extend((n, f.value) for f in tree.fields(name))
    assert sum(map(len, want.values())), "the capture holds none of the fields: the test proves nothing"
    for name in _NARROWED:
        col = s.columns.get(name)
        assert list(zip(col.frames.tolist(), col.values.tolist())) == want[name], name
