"""The core is a library: importing it, or running a headless command, never imports Textual."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CAPTURE = Path(__file__).parent.parent / "data" / "s01_tls12_http_close_notify.pcap"

SCRIPT = f"""
import sys
import tlstui.session, tlstui.cli
from tlstui.cli import main
import io, contextlib
with contextlib.redirect_stdout(io.StringIO()):
    main(["fields", "-r", {str(CAPTURE)!r}, "-e", "frame.number", "-e", "tls.handshake.type"])
    main(["fields", "-r", {str(CAPTURE)!r}, "-Y", "tls.alert_message", "-e", "frame.number"])
    main(["findings", "--json", {str(CAPTURE)!r}])
print("textual" in sys.modules)
"""


def test_core_and_headless_commands_do_not_import_textual():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr


OFFLOAD_SCRIPT = f"""
import io, pickle, sys
import tlstui.tcp.offload as offload
imported = "tlstui.session" in sys.modules
sys.stdout = io.TextIOWrapper(io.BytesIO())  # the child writes its pickle to stdout.buffer
offload._child({str(Path(__file__).parent.parent / "data" / "s08a_lossy_transfers.pcap")!r})
frames, _, state, _ = pickle.loads(sys.stdout.buffer.getvalue())
sys.stdout = sys.__stdout__
print(imported, "tlstui.session" in sys.modules, frames > 0 and bool(state))
"""


def test_the_tcp_analysis_child_sits_below_the_session():
    """tcp/offload.py runs the pass of tcp/framepass.py: neither importing it nor running the
    child's whole analysis loads tlstui.session (the session imports offload, not the reverse)."""
    out = subprocess.run([sys.executable, "-c", OFFLOAD_SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "False False True", out.stderr
