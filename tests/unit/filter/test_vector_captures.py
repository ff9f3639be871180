"""Filters evaluated over whole columns (filter.vector) select exactly tshark's frames on the real
captures in tests/data (FILE.filters.json, and the decrypted truths with their key logs), like the
per-frame predicate does; and the common filters need no frame-by-frame evaluation."""
from __future__ import annotations

import functools
import warnings
from pathlib import Path

import numpy as np
import pytest

from truth import captures, filters_truth
from tlstui.filter import FilterError, compile_filter
from tlstui.filter.compiler import Compiler
from tlstui.filter.vector import Vectorizer

CAPTURES = [p for p in captures() if Path(str(p) + ".filters.json").exists()]
DECRYPTED = [p for p in CAPTURES if Path(str(p) + ".decrypted.filters.json").exists()]


def _session(capture: Path, decrypted: bool):
    from tlstui.session import Session

    keys = capture.with_name(capture.name.rsplit(".", 1)[0] + ".keys")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(str(capture), str(keys) if decrypted else None)
        s.analyze()
    return s


def _check(capture: Path, decrypted: bool) -> None:
    s = _session(capture, decrypted)
    wrong = []
    for text, expected in filters_truth(capture, decrypted).items():
        try:
            df = compile_filter(text)
        except FilterError as e:
            if "neither a field nor a protocol" in e.message:
                continue
            raise
        got = np.nonzero(df.select(s.columns, len(s), s.view))[0].tolist()
        if got != expected:
            wrong.append(f"{text!r}: missing {sorted(set(expected) - set(got))[:8]} "
                         f"extra {sorted(set(got) - set(expected))[:8]}")
    assert not wrong, f"{capture.name}: " + "; ".join(wrong)


@pytest.mark.parametrize("capture", CAPTURES, ids=[p.name for p in CAPTURES])
def test_column_filters_match_tshark(capture: Path) -> None:
    _check(capture, decrypted=False)


@pytest.mark.parametrize("capture", DECRYPTED, ids=[p.name for p in DECRYPTED])
def test_column_filters_match_tshark_decrypted(capture: Path) -> None:
    _check(capture, decrypted=True)


COMMON = ["tcp.analysis.flags", "tcp.analysis.retransmission", "tcp.analysis.duplicate_ack", "tls.alert_message",
          "frame.time_delta > 0.2", "tcp.window_size < 1000", "tcp.options.mss_val < 1400",
          'tls.handshake.extensions_server_name contains "example"', "x509sat.uTF8String",
          "tls.handshake.type == 1", "ip.addr == 10.0.0.0/8 and tcp.len > 0", "tcp.stream eq 7",
          "not tcp.port in {443 8443} or udp", "tcp.flags.syn == 1 && !(tcp.flags.ack == 1)",
          'tls.handshake.extensions_server_name matches "^local"', "ip.ttl != 64"]


@functools.lru_cache(maxsize=1)
def _s08a():
    return _session(next(p for p in CAPTURES if p.name.startswith("s08a")), False)


@pytest.mark.parametrize("text", COMMON)
def test_common_filters_are_whole_column_operations(text):
    s = _s08a()
    df = compile_filter(text)
    v = Vectorizer(Compiler(df.text, df.registry), s.columns, len(s), s.view)
    got = np.nonzero(v.mask(df.tree))[0].tolist()
    assert v.per_frame_nodes == 0
    assert got == [n for n in range(1, len(s) + 1) if df.matches(s.view(n))]
