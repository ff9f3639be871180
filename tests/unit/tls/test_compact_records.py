"""Whole application-data records are kept as columns (tls/analyzer.py); they must read back
exactly as the objects they replace, and filters may skip them for fields they cannot hold."""
from __future__ import annotations

from dataclasses import asdict

import pytest

import truth
from tlstui.session import Session
from tlstui.tls.analyzer import APP_DATA_FIELDS


def _open(path, compact: bool) -> Session:
    s = Session.open(str(path))
    if not compact:
        s.tls._compact = False
    s.analyze()
    return s


def _frame(s: Session, n: int):
    t = s.view(n).upper()
    return (s.tls.records(n), s.tls.column(n), s.tls.has_tls(n), s.tls.segment_of_pdu(n),
            [(f.name, f.value, f.offset, f.length, f.source) for top in t.layers for f in top.walk()],
            {k: bytes(v) for k, v in t.sources.items()})


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_columns_read_back_as_the_record_objects(capture):
    compact, objects = _open(capture, True), _open(capture, False)
    if compact.tls._compact:
        assert objects.tls._c_frame == type(objects.tls._c_frame)("I")  # the reference kept no columns
    for n in range(1, len(compact) + 1):
        assert _frame(compact, n) == _frame(objects, n), n
    assert {k: asdict(v) for k, v in compact.tls.streams().items()} == \
        {k: asdict(v) for k, v in objects.tls.streams().items()}


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_frames_of_application_data_hold_only_the_application_data_fields(capture):
    s = _open(capture, True)
    seen = 0
    for n in range(1, len(s) + 1):
        if s.tls.only_application_data(n):
            seen += 1
            names = {f.name for top in s.view(n).upper().layers for f in top.walk() if f.name}
            assert names <= APP_DATA_FIELDS, (n, names - APP_DATA_FIELDS)
    if s.decryption is None and s.tls._c_frame:
        assert seen
