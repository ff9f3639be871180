"""Every fast extractor gives exactly the Fields the full tree has, on every test capture."""
from __future__ import annotations

import pytest

import truth
from tlstui.dissect.extract import FAST_FIELDS, extract
from tlstui.session import Session


@pytest.mark.parametrize("capture", truth.captures(), ids=lambda p: p.name)
def test_fast_fields_agree_with_the_tree(capture):
    s = Session.open(str(capture))
    s.analyze()
    answered = 0
    for number in range(1, len(s) + 1):
        view = s.view(number)
        tree = s.tree(number)
        for name in FAST_FIELDS:
            fast = extract(name, view)
            if fast is None:
                continue
            answered += 1
            slow = tree.fields(name)
            got = [(f.value, f.offset, f.length) for f in fast]
            want = [(f.value, f.offset, f.length) for f in slow]
            if name in ("tcp", "udp", "frame"):  # protocol lengths: the tree may clip to captured bytes
                got, want = [g[:2] for g in got], [w[:2] for w in want]
            assert got == want, (number, name)
    assert answered > len(s)  # the fast path did answer on this capture


def test_the_null_field_keeps_nothing():
    """The analysis pass decodes records into NULL_FIELD: it must never accumulate state."""
    from tlstui.field import NULL_FIELD, Field

    child = Field("x", None, 1)
    assert NULL_FIELD.add(child) is child
    NULL_FIELD.children.append(child)
    NULL_FIELD.children.insert(0, child)
    NULL_FIELD.children.extend([child])
    NULL_FIELD.children += [child]
    NULL_FIELD.value = 5
    NULL_FIELD.label = "changed"
    assert NULL_FIELD.children == [] and NULL_FIELD.value is None and NULL_FIELD.label == ""
