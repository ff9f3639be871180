"""The capture reader: pcap and pcapng variants, gzip, stdin, damage, and every link type."""
from __future__ import annotations

import gzip
import subprocess
import sys

import pytest

import factory
from tlstui.capture.reader import CaptureError, open_capture
from tlstui.registry import REGISTRY, format_value
from tlstui.session import Session

L234 = ["frame.len", "frame.cap_len", "ip.src", "ip.dst", "ip.ttl", "ip.id", "tcp.stream", "tcp.srcport",
        "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.len", "tcp.flags"]


def table(path, fields=L234) -> list[list[str]]:
    s = Session.open(str(path))
    s.analyze()
    out = []
    for n in range(1, len(s) + 1):
        t = s.tree(n)
        out.append([",".join(format_value(REGISTRY.get(f), x.value) for x in t.fields(f)) for f in fields])
    return out


@pytest.fixture(scope="module")
def frames():
    return factory.real_frames()


@pytest.fixture(scope="module")
def reference(tmp_path_factory, frames):
    p = tmp_path_factory.mktemp("ref") / "ref.pcap"
    p.write_bytes(factory.pcap(frames))
    return table(p)


@pytest.mark.parametrize("endian", ["<", ">"])
@pytest.mark.parametrize("nanos", [False, True])
def test_pcap_byte_orders_and_resolutions(tmp_path, frames, reference, endian, nanos):
    p = tmp_path / "x.pcap"
    p.write_bytes(factory.pcap(frames, endian=endian, nanos=nanos))
    cap = open_capture(str(p))
    assert len(cap) == len(frames)
    assert list(cap.index.time_ns) == [t for t, _, _ in frames]
    assert cap.frame_bytes(4) == frames[3][1]
    assert table(p) == reference


def test_nanosecond_timestamps_are_exact(tmp_path, frames):
    shifted = [(t + 123, d, o) for t, d, o in frames]
    p = tmp_path / "ns.pcap"
    p.write_bytes(factory.pcap(shifted, nanos=True))
    assert list(open_capture(str(p)).index.time_ns) == [t for t, _, _ in shifted]


@pytest.mark.parametrize("endian", ["<", ">"])
def test_pcapng_two_interfaces_with_own_link_types_and_resolutions(tmp_path, frames, reference, endian):
    # Interface 0: Ethernet in microseconds (default); interface 1: SLL2 in nanoseconds (if_tsresol=9).
    blocks = [factory.shb(endian), factory.idb(endian, 1, name="eth0"),
              factory.idb(endian, 276, tsresol=9, name="any"), factory.unknown_block(endian),
              factory.dsb(endian, 0x544C534B, b"CLIENT_RANDOM aa bb\n")]
    for i, (t, data, _) in enumerate(frames):
        if i % 2:
            blocks.append(factory.epb(endian, 1, t, factory.to_sll2(data)))
        else:
            blocks.append(factory.epb(endian, 0, t // 1000, data))
    p = tmp_path / "two.pcapng"
    p.write_bytes(b"".join(blocks))
    cap = open_capture(str(p))
    assert [i.linktype for i in cap.interfaces] == [1, 276]
    assert [i.name for i in cap.interfaces] == ["eth0", "any"]
    assert list(cap.index.interface) == [i % 2 for i in range(len(frames))]
    assert list(cap.index.time_ns) == [t for t, _, _ in frames]
    assert cap.secrets[0].secrets_type == 0x544C534B and cap.secrets[0].data.startswith(b"CLIENT_RANDOM")
    rows = table(p, L234[2:])  # frame lengths differ (SLL2 header is 6 bytes longer)
    assert rows == [r[2:] for r in reference]


def test_pcapng_binary_tsresol_simple_and_obsolete_blocks_and_two_sections(tmp_path, frames, reference):
    t0, d0, _ = frames[0]
    t1, d1, _ = frames[1]
    blocks = [factory.shb("<"), factory.idb("<", 1, tsresol=0x80 | 20, snaplen=65535),
              factory.epb("<", 0, (t0 << 20) // 10**9, d0),
              factory.obsolete_pb("<", 0, (t1 << 20) // 10**9, d1),
              factory.spb("<", frames[2][1]),
              factory.shb(">"), factory.idb(">", 1)]  # a second section, big-endian
    blocks += [factory.epb(">", 0, t // 1000, d) for t, d, _ in frames[3:]]
    p = tmp_path / "mixed.pcapng"
    p.write_bytes(b"".join(blocks))
    cap = open_capture(str(p))
    assert len(cap) == len(frames)
    assert abs(cap.index.time_ns[0] - t0) < 1000 and abs(cap.index.time_ns[1] - t1) < 1000
    assert list(cap.index.interface[3:]) == [1] * (len(frames) - 3)
    assert table(p) == reference


def test_gzip_capture_is_opened_transparently(tmp_path, frames, reference):
    p = tmp_path / "x.pcap.gz"
    p.write_bytes(gzip.compress(factory.pcap(frames)))
    assert table(p) == reference


def run_cli(*args, stdin: bytes | None = None):
    return subprocess.run([sys.executable, "-m", "tlstui", *args], input=stdin, capture_output=True, timeout=120)


def test_standard_input(frames):
    p = run_cli("fields", "-r", "-", "-e", "frame.number", "-e", "tcp.seq", stdin=factory.pcap(frames))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    assert len(lines) == len(frames) and lines[0] == "1\t0"


def test_truncated_file_keeps_every_complete_frame_and_warns(tmp_path, frames):
    raw = factory.pcap(frames)
    whole = sum(16 + len(d) for _, d, _ in frames[:10]) + 24
    p = tmp_path / "cut.pcap"
    p.write_bytes(raw[:whole + 30])  # ten frames, then 30 bytes of the eleventh record
    r = run_cli("fields", "-r", str(p), "-e", "frame.number")
    assert r.returncode == 0
    assert r.stdout.decode().split() == [str(i) for i in range(1, 11)]
    assert "middle of a record" in r.stderr.decode()
    cap = open_capture(str(p))
    assert cap.truncated_at == whole and cap.warnings


def test_truncated_pcapng_block(tmp_path, frames):
    blocks = [factory.shb("<"), factory.idb("<", 1)] + [factory.epb("<", 0, t // 1000, d) for t, d, _ in frames[:5]]
    raw = b"".join(blocks)
    p = tmp_path / "cut.pcapng"
    p.write_bytes(raw[:-7])
    cap = open_capture(str(p))
    assert len(cap) == 4 and "middle of a block" in cap.warnings[0]


@pytest.mark.parametrize("content,reason", [
    (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", "not a pcap or pcapng capture"),
    (b"\x01", "too short"),
    (b"", "empty file"),
])
def test_not_a_capture(tmp_path, content, reason):
    p = tmp_path / "notes.txt"
    p.write_bytes(content)
    with pytest.raises(CaptureError, match=reason):
        open_capture(str(p))
    r = run_cli("fields", "-r", str(p), "-e", "frame.number")
    assert r.returncode == 2
    err = r.stderr.decode().strip()
    assert len(err.splitlines()) == 1 and str(p) in err and "Traceback" not in err


def test_missing_file():
    r = run_cli("fields", "-r", "/nonexistent/x.pcap", "-e", "frame.number")
    assert r.returncode == 2 and "cannot open" in r.stderr.decode()


@pytest.mark.parametrize("linktype,rewrite", [
    (113, factory.to_sll),
    (276, factory.to_sll2),
    (101, factory.to_raw),
    (228, factory.to_raw),
    (0, factory.to_null),
    (0, lambda f: factory.to_null(f, endian=">")),
    (108, lambda f: factory.to_null(f, endian=">")),
    (1, factory.to_vlan),
    (1, lambda f: factory.to_vlan(f, (10, 200))),
])
def test_link_types_give_the_same_network_fields(tmp_path, frames, reference, linktype, rewrite):
    p = tmp_path / "link.pcap"
    p.write_bytes(factory.pcap([(t, rewrite(d), len(rewrite(d))) for t, d, _ in frames], linktype=linktype))
    assert [r[2:] for r in table(p)] == [r[2:] for r in reference]


def test_vlan_and_qinq_fields(tmp_path, frames):
    p = tmp_path / "qinq.pcap"
    p.write_bytes(factory.pcap([(t, factory.to_vlan(d, (10, 200)), 0) for t, d, _ in frames[:3]]))
    s = Session.open(str(p))
    s.analyze()
    t = s.tree(1)
    assert [f.value for f in t.fields("vlan.id")] == [10, 200]
    assert t.fields("frame.protocols")[0].value == "eth:ethertype:vlan:ethertype:vlan:ethertype:ip:tcp"
