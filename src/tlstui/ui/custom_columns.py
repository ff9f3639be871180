"""Custom columns of the frame list ("Apply as Column"): a field's value per frame, from its column.

Plain data (no Textual): the app builds the ``columns.Column`` in a worker and sets it here;
the list asks ``cell(session, number)`` only for the rows on screen.  A cell is what
``tlstui fields -e FIELD`` prints for the frame (tshark's formatting, occurrences joined with
','), escaped for the terminal.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..registry import REGISTRY, FieldSpec, FieldType, format_field, format_value
from ..safe_text import escape_text

_VALUELESS = (FieldType.NONE, FieldType.PROTOCOL)
_WIDTHS = {FieldType.BOOLEAN: 3, FieldType.IPV4: 15, FieldType.IPV6: 25, FieldType.ETHER: 17,
           FieldType.RELATIVE_TIME: 12, FieldType.ABSOLUTE_TIME: 20, FieldType.DOUBLE: 10,
           FieldType.BYTES: 20, FieldType.STRING: 24, FieldType.NONE: 3, FieldType.PROTOCOL: 30}
_RIGHT = (FieldType.UINT, FieldType.INT, FieldType.FRAMENUM, FieldType.DOUBLE, FieldType.RELATIVE_TIME,
          FieldType.BOOLEAN)
MAX_TITLE = 14
BUILDING = "…"


@dataclass(eq=False)
class CustomColumn:
    """One custom column: its field, and its Column once built (None while building)."""

    field: str
    column: object = None  # columns.Column
    done: int = 0  # build progress (frames read of total)
    total: int = 0
    error: str = ""

    @property
    def spec(self) -> FieldSpec | None:
        return REGISTRY.get(self.field)

    @property
    def key(self) -> str:
        return "custom:" + self.field

    @property
    def title(self) -> str:
        """Wireshark titles an applied column with the field's description."""
        spec = self.spec
        title = spec.description if spec is not None and spec.description else self.field
        return escape_text(title)

    @property
    def right_aligned(self) -> bool:
        spec = self.spec
        return spec is not None and spec.ftype in _RIGHT and spec.name != "frame.number"

    def want_width(self) -> int:
        spec = self.spec
        if spec is None:
            w = 12
        elif spec.ftype in (FieldType.UINT, FieldType.INT, FieldType.FRAMENUM):
            w = max(1, (spec.bits + 3) // 4) + 2 if spec.base.name == "HEX" else min(10, len(str(2 ** spec.bits)))
        else:
            w = _WIDTHS.get(spec.ftype, 12)
        return max(w, min(len(self.title), MAX_TITLE), 3)

    @property
    def ready(self) -> bool:
        return self.column is not None

    def cell(self, session, number: int) -> str:  # noqa: ANN001 - a Session
        """The frame's cell as ``tlstui fields`` prints it ("…" while the column is built)."""
        col = self.column
        if col is None:
            return "?" if self.error else BUILDING
        lo = int(np.searchsorted(col.frames, number, "left"))
        hi = int(np.searchsorted(col.frames, number, "right"))
        if lo == hi:
            return ""
        spec = self.spec
        if spec is not None and spec.ftype is FieldType.PROTOCOL:
            # A protocol's cell is its tree text, which only the dissector writes; the row on
            # screen has its tree built already (the Info column), so this costs no dissection.
            try:
                view = session.view(number)
                fs = view.tree().fields(self.field)
                return escape_text(",".join(format_field(spec, f, view.field_bytes) for f in fs))
            except Exception:  # noqa: BLE001 - a cell never takes the list down
                return "?"
        vals = col.values[lo:hi]
        out = []
        for v in vals:
            if v is None and (spec is None or spec.ftype not in _VALUELESS):
                continue
            if isinstance(v, np.generic):
                v = v.item()
            out.append(format_value(spec, v))
        return escape_text(",".join(out))
