"""Version fields filter by their names, as tshark 4.0 allows (frame sets from tshark on s01)."""
from __future__ import annotations

from pathlib import Path

from tlstui.filter import compile_filter
from tlstui.session import Session

S01 = Path(__file__).resolve().parents[2] / "data" / "s01_tls12_http_close_notify.pcap"


def test_record_version_by_name():
    s = Session.open(str(S01))
    s.analyze()
    for text, frames in {'tls.record.version == "TLS 1.2"': [6, 8, 9, 10, 11, 12, 13, 15, 17, 18],
                         'tls.record.version == "TLS 1.0"': [4]}.items():
        flt = compile_filter(text)
        assert [n for n in range(1, len(s) + 1) if flt.matches(s.view(n))] == frames, text
