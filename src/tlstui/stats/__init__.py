"""Headless statistics with tshark 4.0's numbers: conversations (``-z conv,*``), the protocol
hierarchy (``-z io,phs``) and frames/bytes per interval (``-z io,stat``).

Each computation returns plain data (dataclasses of ints, floats and strings) answered from the
session's columns (the frame index, the conversation arrays, the TLS analyzer's per-frame
record index); a display filter is the only thing evaluated frame by frame.  ``render`` turns
the data into tshark's text layout or JSON.  Nothing here imports Textual.
"""
from __future__ import annotations

from .common import frame_mask
from .conv import CONV_KINDS, Conversation, ConversationTable, conversations
from .iostat import IoStat, io_stat, parse_interval
from .phs import PhsNode, protocol_hierarchy
from .tlsconn import TlsConnection, tls_connections

__all__ = ["CONV_KINDS", "Conversation", "ConversationTable", "IoStat", "PhsNode", "TlsConnection",
           "conversations", "frame_mask", "io_stat", "parse_interval", "protocol_hierarchy",
           "tls_connections"]
