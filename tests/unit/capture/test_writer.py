"""Writing pcapng (capture/writer.py, `tlstui fields -w`): what is written reads back the same.

The written files are read back with our own reader (same frames, bytes, lengths, timestamps,
interfaces), decrypted from their Decryption Secrets Block alone, and compared with what tshark
4.0.17 read from one of them (tests/data/s13a_two_interfaces.pcapng.written_tls.tsv, made once by
hand: `tlstui fields -r s13a_two_interfaces.pcapng -Y tls --keylog s13a_two_interfaces.keys -w W`,
then `tshark -r W -T fields -e frame.number -e frame.interface_id -e frame.time_epoch -e frame.len
-e frame.cap_len -e tls.record.content_type -e http.request.method`).
"""
from __future__ import annotations

import struct
from decimal import Decimal

import pytest

import factory
from factory import DATA
from tlstui.capture.reader import open_capture
from tlstui.capture.writer import WriteError, tsresol_byte, write_pcapng
from tlstui.cli import main
from tlstui.session import Session


@pytest.fixture(autouse=True)
def _no_env_keylog(monkeypatch):
    monkeypatch.delenv("SSLKEYLOGFILE", raising=False)


def _rows(cap, numbers=None):
    idx = cap.index
    numbers = range(1, len(idx) + 1) if numbers is None else numbers
    return [(idx.time_ns[n - 1], idx.cap_len[n - 1], idx.orig_len[n - 1], cap.frame_bytes(n),
             cap.interfaces[idx.interface[n - 1]].linktype) for n in numbers]


def _roundtrip(tmp_path, src, numbers=None, name="out.pcapng"):
    s = Session.open(str(src), upper_layers=False)
    s.analyze()
    out = tmp_path / name
    chosen = list(range(1, len(s) + 1)) if numbers is None else numbers
    assert write_pcapng(str(out), s, chosen) == len(chosen)
    back = open_capture(str(out))
    assert back.format == "pcapng" and not back.warnings and not back.damage
    assert _rows(back) == _rows(s.capture, chosen)
    return s, back


@pytest.mark.parametrize("name", ["s01_tls12_http_close_notify.pcap", "s13a_two_interfaces.pcapng",
                                  "s09_snaplen96.pcap", "s13b_linux_cooked_sll2.pcap", "s10a_dtls12_fragmented.pcap"])
def test_real_captures_read_back_the_same(tmp_path, name):
    s, back = _roundtrip(tmp_path, DATA / name)
    assert len(back) == len(s) > 0
    # the interfaces as the input gave them: link type, snaplen, name, resolution
    src = s.capture.interfaces
    assert [(i.linktype, i.snaplen, i.name) for i in back.interfaces] == [(i.linktype, i.snaplen, i.name) for i in src]
    assert [i.ts_div * 10**9 // i.ts_mul for i in back.interfaces] == [i.ts_div * 10**9 // i.ts_mul for i in src]


def test_snaplen_cut_frames_keep_both_lengths(tmp_path):
    s, back = _roundtrip(tmp_path, DATA / "s09_snaplen96.pcap")
    idx = back.index
    assert back.interfaces[0].snaplen == 96
    assert any(idx.orig_len[i] > idx.cap_len[i] == 96 for i in range(len(idx)))


def test_nanosecond_pcap_and_odd_resolutions(tmp_path):
    frames = factory.real_frames()
    # nanosecond pcap: times with nanoseconds that a microsecond file would lose
    ns = [(t + k * 7, d, o) for k, (t, d, o) in enumerate(frames)]
    p = tmp_path / "ns.pcap"
    p.write_bytes(factory.pcap(ns, nanos=True))
    _s, back = _roundtrip(tmp_path, p, name="ns.pcapng")
    assert [back.index.time_ns[i] for i in range(len(back))] == [t for t, _, _ in ns]
    # pcapng interfaces in 2^-20 s, 10^-3 s and 10^-12 s (finer than the index: written as ns)
    for resol, units in ((0x80 | 20, lambda k: (1_795_000_000 << 20) + k * 12345),
                         (3, lambda k: 1_795_000_000_000 + k),
                         (12, lambda k: 1_700_000 * 10**12 + k * 1_000_000_007)):
        blocks = [factory.shb(), factory.idb("<", 1, tsresol=resol, name="eth7", snaplen=1500)]
        blocks += [factory.epb("<", 0, units(k), d, o) for k, (_t, d, o) in enumerate(frames[:20])]
        src = tmp_path / f"r{resol}.pcapng"
        src.write_bytes(b"".join(blocks))
        s, back = _roundtrip(tmp_path, src, name=f"r{resol}.out.pcapng")
        assert back.interfaces[0].name == "eth7" and back.interfaces[0].snaplen == 1500
        if resol != 12:
            assert back.interfaces[0].ts_div == s.capture.interfaces[0].ts_div


def test_tsresol_byte():
    assert tsresol_byte(10**6) == 6 and tsresol_byte(10**9) == 9 and tsresol_byte(1 << 20) == 0x80 | 20
    assert tsresol_byte(3) is None


def test_chosen_frames_in_order(tmp_path):
    s, back = _roundtrip(tmp_path, DATA / "s13a_two_interfaces.pcapng", numbers=[3, 5, 40, 41, 79])
    assert len(back) == 5
    # only interface 1 used: one IDB, the frames renumbered onto it
    s2, back2 = _roundtrip(tmp_path, DATA / "s13a_two_interfaces.pcapng",
                           numbers=[n for n in range(1, 81) if Session.open(str(DATA / "s13a_two_interfaces.pcapng"),
                                                                            upper_layers=False).capture.index.interface[n - 1] == 1],
                           name="one.pcapng")
    assert len(back2.interfaces) == 1 and back2.interfaces[0].name == s2.capture.interfaces[1].name


def test_empty_selection_is_a_valid_file(tmp_path):
    _s, back = _roundtrip(tmp_path, DATA / "s01_tls12_http_close_notify.pcap", numbers=[])
    assert len(back) == 0 and len(back.interfaces) == 1


def _http_methods(path, keylog=None) -> list[str]:
    s = Session.open(str(path), keylog)
    s.analyze()
    return [str(f.value) for n in range(1, len(s) + 1) for f in s.tree(n).fields("http.request.method")]


def test_fields_w_keeps_the_key_log_as_a_dsb(tmp_path, capsys):
    name = "s01_tls12_http_close_notify"
    out = tmp_path / "tls.pcapng"
    rc = main(["fields", "-r", str(DATA / f"{name}.pcap"), "-Y", "tls", "--keylog", str(DATA / f"{name}.keys"),
               "-w", str(out)])
    assert rc == 0
    assert capsys.readouterr().out == ""  # -w without -e prints nothing, as tshark -w
    back = open_capture(str(out))
    assert [s.secrets_type for s in back.secrets] == [0x544C534B]
    want = Session.open(str(DATA / f"{name}.pcap"), str(DATA / f"{name}.keys"))
    want.analyze()
    from tlstui.filter import compile_filter
    import numpy as np

    frames = np.nonzero(compile_filter("tls").select(want.columns, len(want), want.view))[0].tolist()
    assert 0 < len(back) == len(frames) < len(want)
    assert _rows(back) == _rows(want.capture, frames)
    # the written file decrypts on its own, with no key log given
    assert _http_methods(out) == _http_methods(DATA / f"{name}.pcap", DATA / f"{name}.keys") != []
    assert _http_methods(DATA / f"{name}.pcap") == []


def test_secrets_of_the_input_are_kept_without_a_key_log(tmp_path):
    name = "s01_tls12_http_close_notify"
    keys = (DATA / f"{name}.keys").read_bytes()
    blocks = [factory.shb(), factory.idb("<", 1), factory.dsb("<", 0x544C534B, keys),
              factory.dsb("<", 0x57474B4C, b"wireguard keys stay as they were\n")]
    blocks += [factory.epb("<", 0, t // 1000, d, o) for t, d, o in factory.real_frames(f"{name}.pcap")]
    src = tmp_path / "with_dsb.pcapng"
    src.write_bytes(b"".join(blocks))
    for upper in ("-e", "tls.record.content_type"), ():  # with and without the TLS layers analysed
        out = tmp_path / "copy.pcapng"
        assert main(["fields", "-r", str(src), "-w", str(out), *upper]) == 0
        back = open_capture(str(out))
        types = [s.secrets_type for s in back.secrets]
        assert types == [0x544C534B, 0x57474B4C]
        assert back.secrets[1].data == b"wireguard keys stay as they were\n"
        assert _http_methods(out) == _http_methods(DATA / f"{name}.pcap", DATA / f"{name}.keys") != []


def test_fields_w_with_e_prints_the_fields_too(tmp_path, capsys):
    out = tmp_path / "o.pcapng"
    assert main(["fields", "-r", str(DATA / "s01_tls12_http_close_notify.pcap"), "-Y", "tcp.flags.syn == 1",
                 "-e", "frame.number", "-w", str(out)]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == ["1", "2"] and len(open_capture(str(out))) == 2


def test_writing_over_the_input_and_bad_targets(tmp_path, capsys):
    src = tmp_path / "same.pcap"
    src.write_bytes((DATA / "s01_tls12_http_close_notify.pcap").read_bytes())
    before = _rows(open_capture(str(src)))
    assert main(["fields", "-r", str(src), "-w", str(src)]) == 0  # the input is memory-mapped meanwhile
    assert _rows(open_capture(str(src))) == before
    assert main(["fields", "-r", str(src), "-w", str(tmp_path / "no" / "such" / "dir.pcapng")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlstui: ") and "cannot write" in err and err.count("\n") == 1
    assert main(["fields", "-r", str(src), "-w", "-", "-e", "frame.number"]) == 2
    assert not [p for p in tmp_path.rglob(".tlstui-*")]  # no temporary file left behind
    s = Session.open(str(src), upper_layers=False)
    with pytest.raises(WriteError):
        write_pcapng(str(tmp_path / "missing" / "x.pcapng"), s, [1])


def test_what_tshark_read_from_a_written_file(tmp_path):
    """The file tshark read (its truth kept beside the capture) is what the writer writes now,
    and our reader sees in it what tshark saw: frames, interfaces, exact times, lengths, and
    the decrypted HTTP request that only the DSB makes readable."""
    name = "s13a_two_interfaces"
    out = tmp_path / "w.pcapng"
    assert main(["fields", "-r", str(DATA / f"{name}.pcapng"), "-Y", "tls", "--keylog", str(DATA / f"{name}.keys"),
                 "-w", str(out)]) == 0
    truth = [line.split("\t") for line in (DATA / f"{name}.pcapng.written_tls.tsv").read_text().splitlines()]
    back = Session.open(str(out))
    back.analyze()
    assert len(back) == len(truth) == 38
    idx = back.capture.index
    for n, row in enumerate(truth, 1):
        number, iface, epoch, flen, clen, ctype, method = row
        assert int(number) == n and int(iface) == idx.interface[n - 1]
        assert int(Decimal(epoch) * 10**9) == idx.time_ns[n - 1]  # exact nanoseconds
        assert (int(flen), int(clen)) == (idx.orig_len[n - 1], idx.cap_len[n - 1])
        view = back.view(n)
        assert ",".join(str(f.value) for f in view.fields("tls.record.content_type")) == ctype
        assert ",".join(str(f.value) for f in view.fields("http.request.method")) == method
    assert sum(1 for r in truth if r[6] == "GET") == 4


def test_block_layout(tmp_path):
    """Every block's two length words agree and are 4-byte aligned (what tshark first checks)."""
    s = Session.open(str(DATA / "s13a_two_interfaces.pcapng"), upper_layers=False)
    out = tmp_path / "l.pcapng"
    write_pcapng(str(out), s, range(1, len(s) + 1))
    raw = out.read_bytes()
    pos, kinds = 0, []
    while pos < len(raw):
        btype, blen = struct.unpack_from("<II", raw, pos)
        assert blen % 4 == 0 and struct.unpack_from("<I", raw, pos + blen - 4)[0] == blen
        kinds.append(btype)
        pos += blen
    assert pos == len(raw)
    assert kinds[0] == 0x0A0D0D0A and kinds[1:3] == [1, 1] and kinds.count(6) == len(s)


def test_w_dash_writes_the_file_to_standard_output(tmp_path):
    import subprocess
    import sys

    src = DATA / "s01_tls12_http_close_notify.pcap"
    r = subprocess.run([sys.executable, "-m", "tlstui", "fields", "-r", str(src), "-Y", "tcp.len > 0", "-w", "-"],
                       capture_output=True, timeout=120)
    assert r.returncode == 0 and r.stderr == b""
    out = tmp_path / "stdout.pcapng"
    out.write_bytes(r.stdout)
    back = open_capture(str(out))
    whole = open_capture(str(src))
    want = [n for n in range(1, len(whole) + 1) if n in _payload_frames(src)]
    assert _rows(back) == _rows(whole, want) and 0 < len(want) < len(whole)


def _payload_frames(src) -> set[int]:
    s = Session.open(str(src), upper_layers=False)
    s.analyze()
    return {n for n in range(1, len(s) + 1) if any(f.value for f in s.view(n).fields("tcp.len"))}
