"""render.wrap gives textwrap.wrap's lines, on plain text (its fast path) and on the rest."""
from __future__ import annotations

import random
import textwrap

import pytest

from tlstui.findings.render import wrap

WORDS = ["frame", "1234", "TLS", "close_notify", "(--keylog,", "SSLKEYLOGFILE)", "a", "server's", "x" * 40,
         "y" * 120, "re-sent", "tcp.analysis.flags", "é", "—", ".", "ClientHello"]


@pytest.mark.parametrize("seed", range(300))
def test_same_lines_as_textwrap(seed):
    rng = random.Random(seed)
    sep = [" "] * 12 + ["  ", "\t", "\n", " - "]
    text = "".join(rng.choice(WORDS) + rng.choice(sep) for _ in range(rng.randrange(0, 120))).strip(" ")
    if rng.random() < 0.5:
        text = " ".join(w for w in text.split() if "-" not in w and len(w) < 60)  # plain: the fast path
    width = rng.choice([20, 40, 79, 100])
    indent = rng.choice(["", "    "])
    assert wrap(text, width, indent) == textwrap.wrap(text, width=width, initial_indent=indent,
                                                      subsequent_indent=indent)
