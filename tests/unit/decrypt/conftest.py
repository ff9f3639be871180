from __future__ import annotations

import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src"
HERE = Path(__file__).resolve().parent
for p in (str(SRC), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)
