"""The whole pipeline on one input: read, index, analyse, dissect every frame, find, filter.

Used by the hypothesis tests (tests/fuzz/) and by the long mutation run (fuzz/run.py).  Any
exception escaping this function is a bug: damage must become warnings, malformed fields or
findings.
"""
from __future__ import annotations

import re

from tlstui.capture.reader import CaptureError, index_capture
from tlstui.session import Session

# What the dissectors' safety nets write when a decoder raised something it did not mean to: a
# Python error caught and shown as '[Malformed Packet: IndexError]' is a bug hidden from a crash.
HIDDEN = re.compile(r"\[Malformed Packet: (IndexError|KeyError|TypeError|AttributeError|ValueError|OverflowError|"
                    r"ZeroDivisionError|UnboundLocalError|NameError|AssertionError|RecursionError|"
                    r"UnicodeDecodeError|UnicodeEncodeError|error|StopIteration|NotImplementedError)\b")

MAX_FRAMES_DISSECTED = 400


def run_pipeline(data: bytes, dissect_all: bool = True, strict_rules: bool = False, hidden_errors: bool = False) -> int:
    """Returns the number of frames read; raises only on a bug.  ``strict_rules``: a rule that
    failed (its failure reported as a ``tlstui.rule_error`` note) is a bug too.  ``hidden_errors``:
    so is a Python error a dissector's safety net turned into a malformed-packet label (``HIDDEN``)."""
    try:
        cap = index_capture("<fuzz>", data)
    except CaptureError:
        return 0
    session = Session(cap)
    session.analyze()
    n = len(session)
    for number in range(1, min(n, MAX_FRAMES_DISSECTED) + 1 if dissect_all else min(n, 3) + 1):
        tree = session.tree(number)
        for top in tree.layers:
            for f in top.walk():
                label = f.label  # labels are derived lazily: make sure each one can be
                assert not (hidden_errors and label and HIDDEN.search(label)), f"frame {number}: {label}"
        tree.protocol
        assert not (hidden_errors and HIDDEN.search(tree.info or "")), f"frame {number}: {tree.info}"
    from tlstui.findings import find_all

    for finding in find_all(session):
        assert finding.kind and finding.severity in ("error", "warning", "note")
        assert not (strict_rules and finding.kind == "tlstui.rule_error"), finding.explanation
    from tlstui.filter import compile_filter

    for text in FILTERS:
        df = compile_filter(text)
        for number in range(1, min(n, MAX_FRAMES_DISSECTED) + 1):
            df.matches(session.view(number))
    session.close()
    return n


# Filters over every layer, the TLS ones reading records rebuilt from the analysis.
FILTERS = ["tcp.analysis.flags or tcp.len > 0", "tls.handshake.type == 1 or tls.record.content_type == 23",
           "dtls.handshake.fragment_offset > 0 or tls.alert_message", "ip.ttl == 16 and tcp.flags.reset == 1"]
