"""The table: valid filters with the frames they match, invalid ones with their error column."""
from __future__ import annotations

import pytest

from filter_cases import INVALID, VALID
from filter_fakes import REG, capture
from tlstui.filter import FilterError, compile_filter

FRAMES = capture()


def test_table_is_big_enough() -> None:
    assert len(VALID) + len(INVALID) >= 80
    assert len({e for e, _ in VALID}) == len(VALID)
    assert len({e for e, _ in INVALID}) == len(INVALID)


@pytest.mark.parametrize(("expr", "expected"), VALID, ids=[e for e, _ in VALID])
def test_valid(expr: str, expected: list[int]) -> None:
    df = compile_filter(expr, REG)
    assert [v.number for v in FRAMES if df.matches(v)] == sorted(expected)


@pytest.mark.parametrize(("expr", "column"), INVALID, ids=[e for e, _ in INVALID])
def test_invalid(expr: str, column: int) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(expr, REG)
    err = info.value
    assert err.column == column, err.format()
    assert err.text == expr
    assert err.message and "Internal error" not in err.message
    assert err.column + err.length <= max(len(expr), err.column + 1)
