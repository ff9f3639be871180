"""findings.grouping and `tlstui findings --group`: by kind, then by server (certificate findings by
certificate), counts and severities, most severe and largest first, members in capture order."""
from __future__ import annotations

import dataclasses
import json
import ssl

import pytest
from craft import TcpTalk, findings_of, open_session, write
from tlspair import record_connection

from tlstui.cli import main
from tlstui.findings import Finding, exit_code, find_all, render_json
from tlstui.findings.grouping import (BY_CERTIFICATE, BY_NONE, BY_SERVER, group_findings, render_grouped_json_lines,
                                      render_grouped_text)

TLS12 = ssl.TLSVersion.TLSv1_2


def F(kind: str, severity: str, frame: int | None, stream: int | None = None) -> Finding:
    return Finding(kind, severity, f"{kind} at {frame}", "why", [frame] if frame else [], stream)


def test_kinds_ordered_by_severity_then_size_members_in_capture_order():
    found = [F("tcp.reset", "note", 50, 1), F("tls.alert", "error", 30, 2), F("tcp.reset", "note", 10, 1),
             F("tcp.reset", "note", 20, 3), F("tcp.lost_segment", "warning", 5, 1),
             F("tcp.retransmission", "warning", 7, 1), F("tcp.retransmission", "note", 8, 2),
             F("tcp.retransmission", "warning", 9, 3), F("capture.one_direction", "note", None, None)]
    g = group_findings(found)  # without a session: by kind and stream
    assert [k.kind for k in g.kinds] == ["tls.alert", "tcp.retransmission", "tcp.lost_segment", "tcp.reset",
                                         "capture.one_direction"]
    assert g.total == len(found) and dict(g.counts) == {"error": 1, "warning": 3, "note": 5}
    retr = g.kinds[1]
    assert retr.severity == "warning" and dict(retr.counts) == {"error": 0, "warning": 2, "note": 1}
    # inside a kind: the worst group first, then the largest
    resets = g.kinds[3]
    assert [(gr.label, gr.count) for gr in resets.groups] == [("tcp stream 1", 2), ("tcp stream 3", 1)]
    assert [f.frames[0] for f in resets.groups[0].findings] == [10, 50]  # capture order
    assert g.kinds[-1].groups[0].by == BY_NONE and g.kinds[-1].groups[0].label == "no single stream"
    # walking: every finding once, in display order; locate finds each one
    walked = [f for _, _, f in g.members()]
    assert sorted(map(id, walked)) == sorted(map(id, found)) and walked[0].kind == "tls.alert"
    for f in found:
        ki, gi, mi = g.locate(f)
        assert g.kinds[ki].groups[gi].findings[mi] is f
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.kinds[0].groups[0].severity = "note"
    assert group_findings([]).kinds == () and render_grouped_text(group_findings([])).startswith("No findings")


def test_group_text_explains_with_its_most_severe_member():
    note = Finding("tcp.retransmission", "note", "1 resend", "a note's explanation", [3], 1)
    warn = Finding("tcp.retransmission", "warning", "5 resends", "a warning's explanation", [9], 1)
    g = group_findings([warn, note])
    (gr,) = g.kinds[0].groups
    assert gr.severity == "warning" and gr.findings == (note, warn)  # capture order
    lines = render_grouped_text(g).splitlines()
    assert "      a warning's explanation" in lines and "      a note's explanation" not in lines
    assert "      - frame 3, stream 1: note 1 resend" in lines and "      - frame 9, stream 1: 5 resends" in lines


def _talk(server: bytes, sni: str, sport: int, t0: int, tail: str) -> TcpTalk:
    rec = record_connection(version=TLS12, server_hostname=sni, close=False)
    t = TcpTalk(sport=sport, server=server, t0_ns=t0)
    t.open()
    if tail == "alert":
        t.replay(rec, until=1)
        t.records(False, [bytes([21, 3, 3, 0, 2, 2, 40])])
        t.fin(False)
    else:
        t.replay(rec)
        t.rst(False)  # the server aborts without close_notify: tls.truncated_close and tcp.reset
    return t


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """Five connections: three to 10.0.0.2 (SNI a.test: two aborted, one alert), two to 10.0.0.3 (SNI
    b.test, aborted); every server presents the same self-signed 'localhost' certificate."""
    import time

    t0 = time.time_ns()
    a, b = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 3])
    talks = [_talk(a, "a.test", 40001, t0, "rst"), _talk(b, "b.test", 40002, t0 + 10**8, "rst"),
             _talk(a, "a.test", 40003, t0 + 2 * 10**8, "alert"), _talk(a, "a.test", 40004, t0 + 3 * 10**8, "rst"),
             _talk(b, "b.test", 40005, t0 + 4 * 10**8, "rst")]
    path = write(tmp_path_factory.mktemp("grp") / "two.pcap", *talks)
    s = open_session(path)
    return path, s, find_all(s)


def test_grouped_by_server_and_sni(two_servers):
    _, s, found = two_servers
    g = group_findings(found, s)
    trunc = next(k for k in g.kinds if k.kind == "tls.truncated_close")
    assert [(gr.by, gr.server, gr.sni, gr.count) for gr in trunc.groups] == [
        (BY_SERVER, "10.0.0.2:443", "a.test", 2), (BY_SERVER, "10.0.0.3:443", "b.test", 2)]
    assert trunc.groups[0].label == "10.0.0.2:443 (SNI a.test)"
    assert trunc.groups[0].streams == (("tcp", 0), ("tcp", 3)) and trunc.groups[1].streams == (("tcp", 1), ("tcp", 4))
    assert all(f.stream in (0, 3) for f in trunc.groups[0].findings)
    alert = next(k for k in g.kinds if k.kind == "tls.alert")
    assert alert.severity == "error" and g.kinds[0].severity == "error"
    assert [(gr.server, gr.sni, gr.streams) for gr in alert.groups] == [("10.0.0.2:443", "a.test", (("tcp", 2),))]


def test_grouped_by_address_alone(two_servers):
    _, s, found = two_servers
    g = group_findings(found, s, by_sni=False)
    trunc = next(k for k in g.kinds if k.kind == "tls.truncated_close")
    assert [(gr.server, gr.sni, gr.label, gr.snis) for gr in trunc.groups] == [
        ("10.0.0.2:443", None, "10.0.0.2:443", (("a.test", 2),)), ("10.0.0.3:443", None, "10.0.0.3:443", (("b.test", 2),))]
    assert "      SNI: a.test (2)" in render_grouped_text(g).splitlines()
    assert g.total == len(found)


def test_certificate_findings_grouped_by_certificate(two_servers):
    _, s, found = two_servers
    g = group_findings(found, s)
    certs = [k for k in g.kinds if k.kind.startswith("tls.certificate_")]
    assert certs, [k.kind for k in g.kinds]
    st = next(iter(s.tls.streams().values()))
    import hashlib

    fp = hashlib.sha256(st.certificates[0].certs[0].der).hexdigest()
    for k in certs:
        (gr,) = k.groups  # one certificate, whichever server presented it
        assert gr.by == BY_CERTIFICATE and gr.cert_subject == "CN=localhost" and gr.cert_sha256 == fp
        assert gr.label == f"CN=localhost (sha256 {fp[:16]}…)"
        assert set(gr.servers) == {"10.0.0.2:443 (SNI a.test)", "10.0.0.3:443 (SNI b.test)"}


def test_grouped_text_and_json(two_servers):
    _, s, found = two_servers
    g = group_findings(found, s)
    text = render_grouped_text(g)
    lines = text.splitlines()
    assert lines[0] == f"{len(found)} findings in {len(g.kinds)} kinds and {len(g.groups())} groups: " + \
        ", ".join(f"{n} {sev}{'s' if n != 1 else ''}" for sev, n in g.counts.items() if n)
    assert lines[3].startswith("ERROR tls.")
    assert "  WARNING 10.0.0.2:443 (SNI a.test): 2 findings, 2 streams" in lines or \
        "  note 10.0.0.2:443 (SNI a.test): 2 findings, 2 streams" in lines
    member_lines = [ln for ln in lines if ln.startswith("      - ")]
    assert len(member_lines) == len(found)
    objs = [json.loads(ln) for ln in render_grouped_json_lines(g).splitlines()]
    assert len(objs) == len(g.groups())
    assert list(objs[0]) == ["kind", "severity", "count", "counts", "group_by", "label", "server", "sni",
                             "cert_subject", "cert_sha256", "servers", "snis", "streams", "findings"]
    assert sum(o["count"] for o in objs) == len(found)
    # each member is exactly a finding of the --json contract
    assert all(list(m) == ["kind", "severity", "summary", "explanation", "frames", "stream"]
               for o in objs for m in o["findings"])


def test_cli_group(two_servers, capsys):
    path, s, found = two_servers
    code = main(["findings", str(path), "--group"])
    out = capsys.readouterr().out
    assert code == exit_code(findings_of(path)) == 3
    assert out.splitlines()[0].startswith(f"{len(found)} findings in ")
    assert main(["findings", str(path), "--group", "--json"]) == 3
    lines = capsys.readouterr().out.splitlines()
    assert sum(json.loads(ln)["count"] for ln in lines) == len(found)
    # --json without --group: the DESIGN.md array, unchanged
    assert main(["findings", str(path), "--json"]) == 3
    assert capsys.readouterr().out == render_json(findings_of(path)) + "\n"
    assert main(["findings", str(path), "--group", "--bogus"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
