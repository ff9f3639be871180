"""Text from packets never reaches the terminal as control sequences (CLI output and findings).

The capture is s01 (a real TLS 1.2 exchange) with every copy of the server name - the SNI in
the ClientHello and the names in the certificate - replaced by a same-length string made of an
ESC sequence, an OSC 52 clipboard write, BEL and a right-to-left override.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tlstui.safe_text import escape_text

DATA = Path(__file__).resolve().parents[2] / "data"
NAME = b"server.tlslab.test"
HOSTILE = "\x1b[2J\x1b]52;c;QQ=\x07\u202e"  # 18 bytes in UTF-8, like NAME
UNSAFE = ("\x1b", "\x07", "\u202e", "\x9b")


@pytest.fixture(scope="module")
def hostile_capture(tmp_path_factory) -> Path:
    raw = (DATA / "s01_tls12_http_close_notify.pcap").read_bytes()
    evil = HOSTILE.encode()
    assert len(evil) == len(NAME) and raw.count(NAME) >= 2
    p = tmp_path_factory.mktemp("hostile") / "hostile.pcap"
    p.write_bytes(raw.replace(NAME, evil))
    return p


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tlstui", *args], capture_output=True, text=True, timeout=120)


def test_escape_text_makes_every_control_and_bidi_character_visible():
    assert escape_text(HOSTILE) == "\\x1b[2J\\x1b]52;c;QQ=\\x07\\u202e"
    assert escape_text("plain.example") == "plain.example"
    assert escape_text("\x9b31m") == "\\x9b31m"


def test_fields_output_escapes_the_sni(hostile_capture):
    r = run("fields", "-r", str(hostile_capture), "-e", "frame.number", "-e", "tls.handshake.extensions_server_name",
            "-Y", "tls.handshake.type == 1")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "4\t\\x1b[2J\\x1b]52;c;QQ=\\x07\\u202e"
    assert not any(c in r.stdout + r.stderr for c in UNSAFE)


def test_certificate_names_and_findings_are_escaped(hostile_capture):
    r = run("findings", str(hostile_capture))
    assert r.returncode in (0, 1, 3), r.stderr
    assert not any(c in r.stdout + r.stderr for c in UNSAFE)
    r = run("findings", "--json", str(hostile_capture))
    assert not any(c in r.stdout for c in UNSAFE)
    r = run("fields", "-r", str(hostile_capture), "-e", "x509sat.uTF8String", "-e", "x509ce.dNSName",
            "-e", "x509sat.printableString", "-Y", "tls.handshake.type == 11")
    assert r.returncode == 0, r.stderr
    assert "\\x1b[2J" in r.stdout  # the certificate's names were decoded, and escaped
    assert not any(c in r.stdout for c in UNSAFE)
