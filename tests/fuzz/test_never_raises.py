"""Hostile bytes never escape as exceptions: readers, link layers, dissectors, the whole pass."""
from __future__ import annotations

import struct
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
from pipeline import run_pipeline  # noqa: E402

import factory  # noqa: E402
from run import mutate, seeds  # noqa: E402

LINKTYPES = [0, 1, 12, 101, 108, 113, 228, 229, 276, 147]
SEEDS = seeds(16 * 1024)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.sampled_from(LINKTYPES), st.lists(st.binary(max_size=200), max_size=12))
def test_random_frames_in_every_link_type(linktype, frames):
    run_pipeline(factory.pcap([(i * 1000, f, len(f)) for i, f in enumerate(frames)], linktype=linktype))


@SETTINGS
@given(st.binary(max_size=600))
def test_random_bytes_after_a_pcap_or_pcapng_header(tail):
    run_pipeline(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + tail)
    run_pipeline(factory.shb() + tail)


@SETTINGS
@given(st.sampled_from(range(len(SEEDS))), st.randoms(use_true_random=False))
def test_mutated_real_captures(index, rng):
    run_pipeline(mutate(SEEDS[index], rng), dissect_all=True)


REGRESSIONS = sorted((Path(__file__).parent / "regressions").iterdir())


def test_regression_inputs_found_by_fuzzing():
    """Inputs that once crashed the pipeline (fuzz/run.py found them); each must now pass."""
    assert REGRESSIONS
    for p in REGRESSIONS:
        run_pipeline(p.read_bytes())
