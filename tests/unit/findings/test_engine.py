"""The engine: rule isolation, ordering, rendering, exit codes, odd input never raises."""
from __future__ import annotations

import json
import types

import pytest
from findings_support import capture_path, session_for

from tlstui.findings import Finding, exit_code, find_all, render_json, render_text, run_rules
from tlstui.findings.model import sort_key


def F(sev, frames, kind="tls.alert", stream=0):
    return Finding(kind=kind, severity=sev, summary="s", explanation="e", frames=frames, stream=stream)


def test_exit_codes():
    assert exit_code([]) == 0
    assert exit_code([F("note", [1])]) == 0
    assert exit_code([F("note", [1]), F("warning", [2])]) == 1
    assert exit_code([F("warning", [2]), F("error", [9])]) == 3


def test_frames_are_put_in_capture_order_without_duplicates():
    assert F("note", [9, 3, 3, 0, 5]).frames == [3, 5, 9]


def test_bad_severity_rejected():
    with pytest.raises(ValueError):
        F("fatal", [1])


def test_sorting():
    got = sorted([F("note", [1]), F("warning", [5]), F("error", [7]), F("warning", [2]), F("error", [])],
                 key=sort_key)
    assert [(f.severity, f.frames) for f in got] == [("error", [7]), ("error", []), ("warning", [2]),
                                                    ("warning", [5]), ("note", [1])]


def test_json_round_trip_has_exactly_the_contract_keys():
    data = json.loads(render_json([F("error", [4, 6], stream=None)]))
    assert data == [{"kind": "tls.alert", "severity": "error", "summary": "s", "explanation": "e",
                     "frames": [4, 6], "stream": None}]


def test_text_escapes_control_characters():
    f = Finding(kind="tls.alert", severity="warning", summary="evil \x1b]52;c;AAAA\x07 name",
                explanation="x\u202ey", frames=[1], stream=0)
    out = render_text([f])
    assert "\x1b" not in out and "\u202e" not in out and "\\x1b" in out


def test_findings_are_hashable():
    assert len({F("note", [1]), F("note", [1])}) == 1


def test_a_failing_rule_becomes_a_note():
    def boom(ctx):
        raise ZeroDivisionError("bad arithmetic")

    bad = types.SimpleNamespace(__name__="tlstui.findings.rules.exploding", check=boom, KINDS=())
    from tlstui.findings.rules import tls_alert

    got = run_rules(session_for("s05a"), [bad, tls_alert])
    assert [f.kind for f in got] == ["tls.alert", "tlstui.rule_error"]
    note = got[1]
    assert note.severity == "note" and "exploding" in note.summary and "ZeroDivisionError" in note.explanation


def test_unfinished_session_runs_only_capture_rules():
    from tlstui.session import Session

    s = Session.open(str(capture_path("s09")))
    assert not s.finished
    assert [f.kind for f in find_all(s)] == ["capture.snaplen_truncated"]


def test_without_tls_and_tcp_layers(fresh_session):
    s = fresh_session("s07")
    s.tls = None
    s.tcp_analyzer = None
    got = find_all(s)
    assert not [f for f in got if f.kind == "tlstui.rule_error"]
    assert [f.frames for f in got if f.kind == "tcp.reset"] == [[18]]


@pytest.mark.parametrize("cut", [24, 40, 100, 200, 333, 1000, 1500, 2500, 3000])
def test_cut_files_never_raise(tmp_path, cut):
    from tlstui.session import Session

    data = capture_path("s04").read_bytes()
    p = tmp_path / "c.pcap"
    p.write_bytes(data[:cut])
    try:
        s = Session.open(str(p))
    except Exception:
        return  # not even a header: the CLI reports that, findings never run
    s.analyze()
    got = find_all(s)
    assert not [f for f in got if f.kind == "tlstui.rule_error"], [f.explanation for f in got]


@pytest.mark.parametrize("seed", range(6))
def test_corrupted_bytes_never_raise(tmp_path, seed):
    import random

    from tlstui.session import Session

    rnd = random.Random(seed)
    for prefix in ("s04", "s10b", "s11"):
        data = bytearray(capture_path(prefix).read_bytes())
        for _ in range(40):
            i = rnd.randrange(24, len(data))
            data[i] = rnd.randrange(256)
        p = tmp_path / f"{prefix}.pcap"
        p.write_bytes(bytes(data))
        try:
            s = Session.open(str(p))
            s.analyze()
        except Exception:
            continue  # the reader/decoder's problem, not this rule set's
        got = find_all(s)
        assert not [f for f in got if f.kind == "tlstui.rule_error"], [f.explanation for f in got]
