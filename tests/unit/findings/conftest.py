"""Make this folder's helpers importable as `findings_support` (a unique name, unlike `conftest`)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from findings_support import *  # noqa: E402,F401,F403  (its fixtures)
