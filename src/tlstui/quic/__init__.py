"""QUIC (RFC 9000/9001, RFC 9369 and the drafts tshark 4.0 knows): headers, protection, frames,
CRYPTO reassembly and the TLS handshake inside, per capture (``analyzer.QuicAnalyzer``)."""
