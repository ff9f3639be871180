"""Across the corpus: the README's findings are there, clean captures are clean, invariants hold."""
from __future__ import annotations

import pytest
from findings_support import DATA, findings_for

from tlstui.findings.model import SEVERITY_RANK

CLEAN = ["s01", "s02", "s13a", "s13b", "s13c", "s13d", "s13e", "s13f", "s13g", "s13h", "s13i"]

# capture -> kinds its README says it shows (each must be reported)
EXPECTED = {
    "s04": {"tls.client_certificate_missing", "tls.alert"},
    "s05a": {"tls.certificate_chain_incomplete", "tls.alert"},
    "s05b": {"tls.certificate_expired", "tls.alert"},
    "s06a": {"tls.no_shared_cipher", "tls.alert"},
    "s06b": {"tls.version_mismatch", "tls.alert"},
    "s07": {"tls.reuse_after_close_notify"},
    "s08a": {"tcp.retransmission", "tcp.fast_retransmission", "tcp.spurious_retransmission", "tcp.out_of_order",
             "tcp.lost_segment", "tcp.duplicate_ack"},
    "s08b": {"tcp.zero_window", "tcp.retransmission"},
    "s09": {"capture.snaplen_truncated"},
    "s10a": {"dtls.fragmented_handshake"},
    "s10b": {"dtls.handshake_retransmission", "dtls.fragmented_handshake"},
    "s11": {"tls.sslv2_client_hello", "tls.alert"},
    "s12a": {"tcp.retransmission_mismatch"},
    "s12b": {"ip.middlebox_signature", "tcp.synack_without_options"},
}

ALL = sorted(p.name.split("_")[0] for p in DATA.iterdir() if p.suffix in (".pcap", ".pcapng"))


@pytest.mark.parametrize("prefix", CLEAN)
def test_clean_captures_have_no_warning_or_error(prefix):
    bad = [(f.kind, f.severity, f.frames[:3]) for f in findings_for(prefix) if f.severity != "note"]
    assert bad == []


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_readme_findings_reported(prefix):
    kinds = {f.kind for f in findings_for(prefix)}
    assert EXPECTED[prefix] <= kinds


def test_mtls_ok_capture_has_no_warning():
    assert [f for f in findings_for("s03") if f.severity != "note"] == []


@pytest.mark.parametrize("prefix", ALL)
def test_invariants(prefix):
    from tlstui.findings.kinds import KNOWN_KINDS

    found = findings_for(prefix)
    keys = [(SEVERITY_RANK[f.severity], f.frames[0] if f.frames else 1 << 62) for f in found]
    assert keys == sorted(keys)  # most severe first, then by first frame
    for f in found:
        assert f.kind in KNOWN_KINDS
        assert f.frames == sorted(set(f.frames))
        assert "\n" not in f.summary
        assert f.explanation and f.summary
        assert not any(ord(c) < 0x20 for c in f.summary + f.explanation)
        assert f.kind != "tlstui.rule_error", f.explanation
