"""``tlstui fields`` cells from a column: what ``registry.format_field`` prints for each
occurrence, joined with ',' per frame, for many frames at once.

Each distinct value is formatted once (addresses, ports and flags repeat across millions of
frames), then the texts are gathered per frame through the column's occurrence offsets.
"""
from __future__ import annotations

import numpy as np

from ..registry import Base, FieldSpec, FieldType, format_value
from ..safe_text import escape_text
from .column import Column


_DECIMAL = (FieldType.UINT, FieldType.INT, FieldType.FRAMENUM)


def column_cells(col: Column, spec: FieldSpec, frames: np.ndarray) -> list[str]:
    """The cell of ``col``'s field on each of ``frames`` (frame numbers), as ``tlstui fields``
    writes it.  Not for protocol fields, whose cell is their tree text."""
    frames = np.asarray(frames, dtype=np.int64)
    starts = col.starts()
    lo, hi = starts[frames], starts[frames + 1]
    count = hi - lo
    # Only the occurrences of the frames asked for, each distinct value formatted once.
    if len(frames) == 0:
        return []
    if np.array_equal(count, np.ones(len(frames), dtype=count.dtype)):
        wanted = lo
    else:
        wanted = np.repeat(lo, count) + (np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count))
    vals = col.values[wanted]
    if vals.dtype != object:
        if vals.dtype.kind == "f" and spec.ftype in (FieldType.RELATIVE_TIME, FieldType.ABSOLUTE_TIME):
            strs = np.array([f"{v:.9f}" for v in vals.tolist()] + [""], dtype=object)[:len(vals)]  # format_value's
        elif vals.dtype.kind in "iu" and spec.ftype in _DECIMAL and spec.base is not Base.HEX:
            strs = np.array(list(map(str, vals.tolist())) + [""], dtype=object)[:len(vals)]  # format_value's str()
        else:
            uniq, inverse = np.unique(vals, return_inverse=True)
            texts = np.array([escape_text(format_value(spec, v)) for v in uniq.tolist()] + [""], dtype=object)
            strs = texts[inverse.ravel()]
    else:
        keep_none = spec.ftype is FieldType.NONE
        seen: dict = {}
        out = []
        for v in vals.tolist():
            if v is None and not keep_none:
                out.append(None)  # a label without a value: tshark prints nothing for it
                continue
            key = (type(v), v)
            got = seen.get(key)
            if got is None:
                got = seen[key] = escape_text(format_value(spec, v))
            out.append(got)
        strs = np.array(out + [""], dtype=object)[:len(out)]
    # Position of each frame's first occurrence within ``wanted``.
    first = np.cumsum(count) - count
    cells = np.full(len(frames), "", dtype=object)
    one = count == 1
    cells[one] = strs[first[one]]
    for k in np.nonzero(count > 1)[0].tolist():
        cells[k] = ",".join(s for s in strs[first[k]:first[k] + count[k]].tolist() if s is not None)
    if vals.dtype == object:
        cells[one & (cells == None)] = ""  # noqa: E711 - elementwise on an object array
    return cells.tolist()
