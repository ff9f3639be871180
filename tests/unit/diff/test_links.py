"""DiffResult.links: the frame <-> frame map the side-by-side view follows (the impair netns pair)."""
from __future__ import annotations

from pathlib import Path

from tlstui.diff import diff_captures

PAIRS = Path(__file__).resolve().parents[2] / "data" / "diff"


def test_links_of_the_impair_pair():
    r = diff_captures(str(PAIRS / "netns_impair_a.pcap"), str(PAIRS / "netns_impair_b.pcap"))
    L = r.links
    assert len(L.a_frames) == r.pairs == 25
    # One to one, and each way the inverse of the other.
    assert sorted(set(L.a_to_b.tolist())) == sorted(L.a_to_b.tolist())
    for a in range(1, 26):
        b = L.counterpart(0, a)
        assert b is not None and L.counterpart(1, b) == a
    assert L.counterpart(0, 22) == 23 and L.counterpart(0, 12) == 13
    # B#12 (dropped on the way to A) is the one segment alone.
    assert L.alone_a.tolist() == [] and L.alone_b.tolist() == [12]
    assert L.counterpart(1, 12) is None and L.alone(1, 12) and not L.alone(1, 11)
    assert L.counterpart(0, 999) is None and not L.alone(0, 999)
    assert L.nearest(1, 12) == 11 and L.nearest(1, 1) == 1 and L.nearest(0, 999) == L.counterpart(0, 25)
    # Every finding's paired frames agree with the links (the rewrite: A#22 <-> B#23).
    rw = [f for f in r.findings if f.kind == "diff.rewritten"]
    assert rw and all(L.counterpart(0, a) == b for f in rw for a, b in zip(f.frames, f.frames_b))
