"""tlstui connections FILE [--json] [--keylog KEYS] [-Y FILTER]: the text table, JSON lines with the
keys README.md documents, filters, and exit 2 on bad arguments."""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tlstui.cli import main

DATA = Path(__file__).resolve().parents[2] / "data"
S07 = str(DATA / "s07_close_notify_keepalive_reuse_rst.pcap")
README = Path(__file__).resolve().parents[3] / "README.md"

KEYS = ["transport", "stream", "protocol", "client", "server", "client_addr", "client_port", "server_addr",
        "server_port", "client_inferred", "sni", "version", "cipher", "alpn", "resumed", "cert_subject",
        "cert_issuer", "cert_not_after", "cert_sha256", "handshake", "handshake_start_frame",
        "handshake_end_frame", "handshake_end", "handshake_duration", "first_frame", "last_frame", "start_time",
        "end_time", "frames_client_to_server", "frames_server_to_client", "bytes_client_to_server",
        "bytes_server_to_client", "outcome", "outcome_by", "alert", "alert_code", "end_frame", "ended",
        "close_notify", "close_notify_inferred", "fin", "reset_by", "quic_connection", "duration", "filter"]


def test_text_table(capsys):
    assert main(["connections", S07]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("STREAM  PROTO  CLIENT")
    assert re.match(r"tcp/0 +TLS +127\.0\.0\.1:38394 +127\.0\.0\.1:443 +server\.tlslab\.test +TLS 1\.2 +"
                    r"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 .* reset \(server\)$", out[1]), out[1]
    assert out[2].startswith("tcp/1 ") and out[2].endswith(" ok")
    assert out[-1] == "2 connections: 1 reset, 1 ok"


def test_json_lines_have_the_documented_keys(capsys):
    assert main(["connections", S07, "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    objs = [json.loads(line) for line in lines]
    assert len(objs) == 2 and all(list(o) == KEYS for o in objs)
    a, b = objs
    assert (a["stream"], a["outcome"], a["outcome_by"], a["end_frame"], a["close_notify"]) == (
        0, "reset", "server", 18, ["server"])
    assert (b["stream"], b["outcome"], b["fin"], b["filter"]) == (1, "ok", ["client", "server"], "tcp.stream eq 1")
    assert a["cert_not_after"] == "2029-02-25T06:24:43Z" and len(a["cert_sha256"]) == 64
    assert a["handshake_end"] == "finished" and a["handshake_duration"] > 0
    # every key is described in the README's CLI section
    readme = README.read_text()
    section = readme[readme.index("tlstui connections"):]
    missing = [k for k in KEYS if f"`{k}`" not in section]
    assert missing == [], missing


def test_filter_and_keylog(capsys):
    assert main(["connections", "-r", S07, "--json", "-Y", "tcp.stream == 1",
                 "--keylog", S07.replace(".pcap", ".keys")]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    o = json.loads(line)
    assert o["stream"] == 1 and o["close_notify_inferred"] == []  # read with the key log
    assert main(["connections", S07, "-Y", "tls.alert_message", "--json"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2  # both streams carry an (encrypted) alert
    assert main(["connections", S07, "-Y", "udp", "--json"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["connections", S07, "-Y", "udp"]) == 0
    assert capsys.readouterr().out.strip() == "No TLS, DTLS or QUIC connections in this capture."


@pytest.mark.parametrize("argv", [
    ["connections"],
    ["connections", "--bogus", S07],
    ["connections", S07, S07],
    ["connections", S07, "-r", S07],
    ["connections", S07, "-Y", "tcp.port =="],
    ["connections", S07, "-Y", "no.such.field == 1"],
    ["connections", "no_such_file.pcap"],
    ["connections", S07, "--keylog", "/no/such/keys.log"],
])
def test_bad_arguments_exit_2_with_one_line(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("tlstui: ") and err.count("\n") == 1, err


def test_headless_command_does_not_import_textual():
    code = ("import sys; from tlstui.cli import main; main(['connections', %r, '--json']); "
            "print('textual' in sys.modules, file=sys.stderr)") % S07
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and p.stderr.strip().splitlines()[-1] == "False"
