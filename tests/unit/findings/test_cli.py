"""`tlstui findings FILE [--json]`: the report, the JSON contract, the exit codes (subprocess)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from findings_support import capture_path

KEYS = {"kind", "severity", "summary", "explanation", "frames", "stream"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tlstui", "findings", *args], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize("prefix,code", [("s01", 0), ("s13e", 0), ("s08b", 1), ("s09", 1), ("s12b", 1),
                                         ("s04", 3), ("s07", 3), ("s12a", 3)])
def test_exit_codes(prefix, code):
    assert run(str(capture_path(prefix))).returncode == code
    assert run(str(capture_path(prefix)), "--json").returncode == code


def test_json_contract():
    p = run(str(capture_path("s04")), "--json")
    data = json.loads(p.stdout)
    assert isinstance(data, list) and data
    for obj in data:
        assert set(obj) == KEYS
        assert obj["severity"] in ("error", "warning", "note")
        assert isinstance(obj["summary"], str) and isinstance(obj["explanation"], str)
        assert all(isinstance(n, int) for n in obj["frames"]) and obj["frames"] == sorted(obj["frames"])
        assert obj["stream"] is None or isinstance(obj["stream"], int)
    cm = [o for o in data if o["kind"] == "tls.client_certificate_missing"]
    assert cm and cm[0]["frames"] == [6, 8, 9] and cm[0]["stream"] == 0
    assert data[0]["severity"] == "error"


def test_json_empty_array_when_clean():
    p = run(str(capture_path("s02")), "--json")
    assert p.returncode == 0 and json.loads(p.stdout) == []


def test_text_report():
    p = run(str(capture_path("s07")))
    out = p.stdout
    assert out.splitlines()[0].startswith("3 findings: 1 error")
    assert "ERROR tls.reuse_after_close_notify  (stream 0)" in out
    assert "frames: 13, 15, 17, 18" in out
    assert "127.0.0.1:38394 → 127.0.0.1:443" in out
    clean = run(str(capture_path("s02")))
    assert clean.returncode == 0 and clean.stdout.startswith("No findings")


def test_missing_file_is_a_usage_error(tmp_path):
    p = run(str(tmp_path / "nope.pcap"))
    assert p.returncode == 2 and p.stderr.startswith("tlstui:")
