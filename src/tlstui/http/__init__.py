"""HTTP/1.x over decrypted TLS: request and status lines, headers, bodies framed as tshark
does; HTTP/2 recognised by its connection preface.

Public API: :class:`HttpTracker` (fed decrypted application data per connection and
direction, answers per frame), :func:`message_fields`, :func:`message_info`.
"""
from __future__ import annotations

from .fields import message_fields, message_info, message_protocol
from .parser import H2_PREFACE, HttpDirection, HttpMessage, HttpTracker

__all__ = ["HttpTracker", "HttpDirection", "HttpMessage", "H2_PREFACE", "message_fields", "message_info",
           "message_protocol"]
