"""HTTP/1.x over decrypted TLS: request and status lines, headers, bodies framed as tshark
does; HTTP/2 frames after the connection preface (or from the server of an ALPN h2 connection),
HPACK-decoded with the ``hpack`` library (h2.py, h2fields.py).

Public API: :class:`HttpTracker` (fed decrypted application data per connection and
direction, answers per frame), :func:`message_fields`, :func:`message_info`.
"""
from __future__ import annotations

from . import h2fields as _h2fields  # noqa: F401  (registers the http2.* fields)
from .fields import message_fields, message_info, message_protocol
from .parser import H2_PREFACE, HttpDirection, HttpMessage, HttpTracker

__all__ = ["HttpTracker", "HttpDirection", "HttpMessage", "H2_PREFACE", "message_fields", "message_info",
           "message_protocol"]
