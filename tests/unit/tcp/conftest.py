"""Make this folder's helpers importable (tcp_support, tcpfactory)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
