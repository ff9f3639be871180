"""TLS/DTLS fields and columns against tshark 4.0's truth files (tests/data copies)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeder import analyze
from tls_truth import TLS_COLUMNS, compare, frame_values

DATA = Path(__file__).resolve().parents[2] / "data"
CAPTURES = ["s01_tls12_http_close_notify.pcap", "s02_tls13_http_close_notify.pcap", "s03_mtls12_ok.pcap",
            "s04_mtls12_no_client_cert.pcap", "s09_snaplen96.pcap", "s10a_dtls12_fragmented.pcap",
            "s10b_dtls12_lossy_retransmit.pcap", "s11_sslv2_compat_clienthello.pcap",
            "s13h_record_split_many_segments.pcap", "s13i_multi_records_one_segment.pcap"]


@pytest.mark.parametrize("name", CAPTURES)
def test_fields_and_columns_agree_with_tshark(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{name} not in tests/data")
    stats, bad = compare(path)
    for col in TLS_COLUMNS:
        ok, n = stats[col]
        assert ok / n >= 0.995, (col, bad[:10])
    ok, n = stats["_ws.col.Info"]
    assert n == 0 or ok / n >= 0.95, bad[:10]
    ok, n = stats["_ws.col.Protocol"]
    assert n == 0 or ok / n >= 0.95, bad[:10]


def _matches(vals: dict[str, str], flt: str) -> bool:
    for op in ("==", ">"):
        if f" {op} " in flt:
            name, want = [x.strip() for x in flt.split(f" {op} ")]
            have = [int(v, 0) for v in vals.get(name, "").split(",") if v]
            return any(h == int(want, 0) if op == "==" else h > int(want, 0) for h in have)
    return flt in vals


@pytest.mark.parametrize("name", CAPTURES)
def test_tls_filters_give_tsharks_frames(name):
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{name} not in tests/data")
    truth = json.loads(Path(str(path) + ".filters.json").read_text())
    an, frames = analyze(path)
    rows = {}
    for n in range(1, len(frames) + 1):
        layers, _ = an.frame_layers(n, frames[n - 1])
        vals = frame_values(an, frames, n)
        for top in layers:
            vals.setdefault(top.name, "")
        rows[n] = vals
    wrong = {}
    for flt, want in truth.items():
        if not flt.startswith(("tls", "dtls")) or " and " in flt:
            continue
        got = sorted(n for n, v in rows.items() if _matches(v, flt))
        if got != sorted(want):
            wrong[flt] = (sorted(set(want) - set(got))[:5], sorted(set(got) - set(want))[:5])
    assert not wrong
