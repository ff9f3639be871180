import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # tests/factory.py and tests/truth.py
