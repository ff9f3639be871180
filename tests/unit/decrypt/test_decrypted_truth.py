"""With the key log, the decrypted filters give tshark's frame sets (tests/data copies)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
KEYED = sorted(p for p in DATA.iterdir() if p.name.endswith(".decrypted.filters.json"))


def _capture(truth: Path) -> tuple[Path, Path]:
    cap = truth.with_name(truth.name[: -len(".decrypted.filters.json")])
    stem = cap.name.rsplit(".", 1)[0]
    return cap, cap.with_name(stem + ".keys")


def _session(cap: Path, keys: Path):
    from tlstui.session import Session

    s = Session.open(str(cap), str(keys))
    assert s.decryption is not None and s.tls.decrypt is s.decryption
    s.analyze()
    return s


@pytest.mark.parametrize("truth", KEYED, ids=[p.name.split(".")[0] for p in KEYED])
def test_decrypted_filters_match_tshark(truth):
    from tlstui.filter import compile_filter

    cap, keys = _capture(truth)
    s = _session(cap, keys)
    expected = json.loads(truth.read_text())
    for text, frames in expected.items():
        flt = compile_filter(text)
        got = [n for n in range(1, len(s) + 1) if flt.matches(s.view(n))]
        assert got == frames, text
    assert not [p for p in s.decryption.problems() if "not decrypted" in p]


def test_tls13_close_notify_and_http_fields():
    truth = DATA / "s02_tls13_http_close_notify.pcap.decrypted.filters.json"
    s = _session(*_capture(truth))
    t = s.tree(20)
    assert [f.value for f in t.fields("tls.alert_message.desc")] == [0]
    assert [f.value for f in t.fields("tls.record.content_type")] == [21]
    req = s.tree(10)
    assert [f.value for f in req.fields("http.request.method")] == ["GET"]
    assert [f.value for f in req.fields("http.request.uri")] == ["/index.html"]
    assert any(name.startswith("Decrypted TLS (") for name in req.sources)
    uri = req.fields("http.request.uri")[0]
    assert req.field_bytes(uri) == b"/index.html"
    assert req.protocol == "HTTP" and req.info.startswith("GET /index.html HTTP/1.1")
    hs = s.tree(6)  # EncryptedExtensions, Certificate, CertificateVerify, Finished, decrypted
    assert [f.value for f in hs.fields("tls.handshake.type")] == [2, 8, 11, 15, 20]


def test_partial_keylog_names_the_streams_left_encrypted(tmp_path):
    truth = DATA / "s13a_two_interfaces.pcapng.decrypted.filters.json"
    cap, keys = _capture(truth)
    lines = keys.read_text().splitlines()
    randoms = sorted({ln.split()[1] for ln in lines if ln and not ln.startswith("#")})
    dropped = randoms[0]
    partial = tmp_path / "partial.keys"
    partial.write_text("\n".join(ln for ln in lines if dropped not in ln) + "\nNOT A KEY LINE\n")
    s = _session(cap, partial)
    problems = s.decryption.problems()
    assert any("unknown label 'NOT'" in p for p in problems)
    missing = [p for p in problems if "not decrypted" in p]
    assert len(missing) == 1 and f"no key for client random {dropped}" in missing[0]
    ok = [st for st in s.decryption.statuses() if st.status == "ok"]
    assert len(ok) == len(randoms) - 1
