"""The resource bounds of the analysis, in one place, and the record of each time one is hit.

A capture is untrusted input: length fields may claim gigabytes and a hostile (or merely
huge) capture may open millions of streams.  Every structure the pass keeps that grows with
something a packet claims, rather than with the bytes actually in the file, is bounded here.
When a bound is reached the analysis goes on with less (a gap, a message left unreassembled)
and records a ``LimitHit``; the ``analysis.limit_reached`` finding reports them.

Bounds that follow from the formats themselves are listed too, for the README:
a TLS record is at most 2^14 + 2048 bytes (``tls.records.MAX_RECORD``; a header claiming more
is not a record), a pcap/pcapng record at most ``capture.reader.MAX_RECORD``.
"""
from __future__ import annotations

from dataclasses import dataclass

# TCP reassembly: out-of-order bytes held per direction behind a hole before the hole is
# declared lost (a gap) and the held bytes are delivered.
REASSEMBLY_PENDING_BYTES = 4 * 1024 * 1024
# DTLS handshake reassembly: the largest message reassembled from fragments (the length is a
# 24-bit field: 16 MiB could be claimed per message), and messages in progress per stream.
DTLS_MESSAGE_BYTES = 1024 * 1024
DTLS_MESSAGES_IN_PROGRESS = 64
# Findings grouped per stream (tcp.reset, tcp.retransmission...): beyond this many streams of
# one kind, the streams with the fewest events are summed up in one finding (a port scan makes
# a reset per connection; 300,000 findings would bury everything else and take seconds to list).
STREAM_FINDINGS_PER_KIND = 200
# Limit hits kept per kind (the count goes on; the list is evidence, not a log).
HITS_KEPT = 100


@dataclass(slots=True)
class LimitHit:
    what: str  # "reassembly" | "dtls_message" | "dtls_in_progress"
    kind: str  # "tcp" | "udp"
    stream: int
    frame: int
    detail: str


class Limits:
    """Where the pass records the bounds it hit (shared by the reassembler and the TLS analyzer)."""

    def __init__(self) -> None:
        self.hits: list[LimitHit] = []
        self.counts: dict[str, int] = {}

    def hit(self, what: str, kind: str, stream: int, frame: int, detail: str) -> None:
        n = self.counts.get(what, 0)
        self.counts[what] = n + 1
        if n < HITS_KEPT:
            self.hits.append(LimitHit(what, kind, stream, frame, detail))
