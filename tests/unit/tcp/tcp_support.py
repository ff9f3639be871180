from __future__ import annotations

import sys
import warnings
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # tcpfactory


@lru_cache(maxsize=None)
def analyzed(path: str):
    """One analyzed Session per capture, shared by the tests of this folder."""
    from tlstui.session import Session

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = Session.open(path)
        s.analyze()
    return s
