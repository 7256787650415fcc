"""An answer the HTTP library refused as HTTP, said in the tracker's words.

Pure: h11's words in, what the panel's server did out. The library's own
words are logged at debug (``panel_protocol_error``, tracker.panel.transport);
the user reads these.
"""

from __future__ import annotations

NOT_HTTP = "not an answer a web server sends"  # h11's refusal of the answer, in words

# h11's words for an answer it cannot read as HTTP, and what the panel did.
_NOT_HTTP = {
    "Receive buffer too long": "sent a header line (or a chunk's size line) too long to read",
    "_SWITCH_UPGRADE event without": (
        "answered 101 Switching Protocols to a request that asked for no switch"
    ),
}


def not_http(words: str) -> str | None:
    """Given h11's words for an answer it refused, return what the panel did
    in the tracker's words, or None for words it has no better ones for."""
    did = next((did for said, did in _NOT_HTTP.items() if said in words), None)
    return f"{did}: {NOT_HTTP}" if did else None
