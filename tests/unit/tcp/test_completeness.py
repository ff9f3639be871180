"""tcp.completeness: the bits of one segment, and the words the tree shows (tshark 4.0's labels, as
`tshark -V` printed them on the corpus captures)."""
from __future__ import annotations

import numpy as np

from tlstui.tcp.conversations import completeness_bits, completeness_text

SYN, ACK, FIN, RST, PSH = 0x02, 0x10, 0x01, 0x04, 0x08


def test_segment_bits():
    assert completeness_bits(SYN, 0) == 1
    assert completeness_bits(SYN | ACK, 0) == 2
    assert completeness_bits(ACK, 0) == 4  # a bare ACK
    assert completeness_bits(ACK | PSH, 100) == 8  # data is not an ACK
    assert completeness_bits(FIN | ACK, 0) == 16 | 4
    assert completeness_bits(RST | ACK, 0) == 32 | 4
    assert completeness_bits(RST, 0) == 32
    assert completeness_bits(0, 10) == 0  # payload without any flag: not counted (tshark)
    assert completeness_bits(SYN | 0x80, 39) == 1 | 8


def test_bits_of_columns_equal_those_of_ints():
    flags = np.array([SYN, SYN | ACK, ACK, ACK | PSH, FIN | ACK, RST, 0, SYN | 0x80])
    lens = np.array([0, 0, 0, 100, 0, 0, 10, 39])
    assert completeness_bits(flags, lens).tolist() == [completeness_bits(int(f), int(n)) for f, n in zip(flags, lens)]


def test_labels_as_tshark_shows_them():
    assert completeness_text(1) == "Incomplete, SYN_SENT (1)"
    assert completeness_text(3) == "Incomplete, CLIENT_ESTABLISHED (3)"
    assert completeness_text(7) == "Incomplete, ESTABLISHED (7)"
    assert completeness_text(15) == "Incomplete, DATA (15)"
    for v in (31, 47, 63):
        assert completeness_text(v) == f"Complete, WITH_DATA ({v})"
    assert completeness_text(23) == "Complete, NO_DATA (23)"
    for v in (0, 8, 10, 12, 20, 28, 37, 52):
        assert completeness_text(v) == f"Incomplete ({v})"
