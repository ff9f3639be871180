"""The QUIC findings rules never fail on hostile captures: mutated copies of the crafted failing
QUIC connections (quicfail_crafted.pcap, with and without its key log) run through the whole
pipeline, and no rule leaves a tlstui.rule_error note (a rule's failure is caught, so it must be
looked for)."""
from __future__ import annotations

import random
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

FUZZ = Path(__file__).resolve().parents[2] / "fuzz"
sys.path.insert(0, str(FUZZ))
from pipeline import run_pipeline  # noqa: E402
from run import mutate  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
SEED = (DATA / "quicfail_crafted.pcap").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_mutated_quic_failures_never_fail_a_rule(rng: random.Random):
    run_pipeline(mutate(SEED, rng), dissect_all=False, strict_rules=True)


def test_keyed_quic_failures_never_fail_a_rule():
    """With keys (the pass reads Handshake and 1-RTT packets): a fixed set of mutations."""
    import warnings

    from tlstui.capture.reader import CaptureError, index_capture
    from tlstui.findings import RULE_ERROR, find_all
    from tlstui.session import Session

    rng = random.Random(16)
    for _ in range(40):
        data = mutate(SEED, rng)
        try:
            cap = index_capture("<fuzz>", data)
        except CaptureError:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s = Session(cap, str(DATA / "quicfail_crafted.keys"))
            s.analyze()
        assert [f.explanation for f in find_all(s) if f.kind == RULE_ERROR] == []
        s.close()
