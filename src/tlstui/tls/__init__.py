"""TLS and DTLS: records, handshake messages, certificates, alerts (Wireshark's field names).

Public API: :class:`TlsAnalyzer` (fed by TCP reassembly and UDP, answers per frame),
:class:`RecordSummary`, :class:`StreamTls` and the other summaries in :mod:`.model`.
"""
from __future__ import annotations

from . import names as _names  # noqa: F401  (registers every tls/dtls/x509 field)
from .analyzer import TlsAnalyzer
from .model import AlertEvent, CertChain, CertRequestInfo, HelloInfo, RecordSummary, StreamTls
from .x509 import CertInfo

__all__ = ["TlsAnalyzer", "RecordSummary", "StreamTls", "HelloInfo", "CertChain", "CertInfo", "CertRequestInfo",
           "AlertEvent"]
