"""Cells written from columns are the cells the frames' own fields give."""
from __future__ import annotations

import numpy as np
import pytest

import truth
from tlstui.columns.build import has_bulk_column
from tlstui.columns.cells import column_cells
from tlstui.dissect.extract import RULES
from tlstui.registry import REGISTRY, FieldType, format_field
from tlstui.safe_text import escape_text
from tlstui.session import Session

NAMES = sorted(n for n in set(RULES) | {"frame.number", "frame.time_relative", "frame.len", "frame.time_delta",
                                        "tcp.stream", "udp.stream"}
               if has_bulk_column(n) and REGISTRY.get(n).ftype is not FieldType.PROTOCOL)


@pytest.mark.parametrize("capture", truth.captures()[::3], ids=lambda p: p.name)
def test_cells_from_columns_equal_cells_from_frames(capture):
    s = Session.open(str(capture), upper_layers=False)
    s.analyze()
    frames = np.arange(1, len(s) + 1)
    some = frames[::2]  # and a selection, as a filter leaves
    for name in NAMES:
        spec = REGISTRY.get(name)
        col = s.columns.get(name)
        for chosen in (frames, some):
            got = column_cells(col, spec, chosen)
            want = []
            for f in chosen.tolist():
                view = s.view(f)
                vals = view.fields(name)
                want.append(",".join(escape_text(format_field(spec, x, view.field_bytes)) for x in vals
                                     if x.value is not None or spec.ftype is FieldType.NONE))
            assert got == want, name
