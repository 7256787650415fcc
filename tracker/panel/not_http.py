"""An answer the HTTP library refused as HTTP, said in the tracker's words.

Pure: h11's words in, what the panel's server did out. The library's own
words are logged at debug (``panel_protocol_error``, tracker.panel.transport);
the user reads these.
"""

from __future__ import annotations

NOT_HTTP = "not an answer a web server sends"  # h11's refusal of the answer, in words

# h11's words for an answer it cannot read as HTTP, and what the panel did;
# the first one found in the words is said.
_NOT_HTTP = {
    # A head over h11's limit: one header line too long, or header lines without end
    "Receive buffer too long": "sent headers (or a chunk's size line) too long to read",
    "_SWITCH_UPGRADE event without": (
        "answered 101 Switching Protocols to a request that asked for no switch"
    ),
    "illegal status line": "answered with a first line that is no HTTP status line",
    "no response line received": "answered with a first line that is no HTTP status line",
    "InformationalResponse status_code should be": "answered with a status code below 100",
    "illegal header line": "sent a header line that is not 'Name: value'",
    "continuation line at start of headers": "sent a header line that is not 'Name: value'",
    "Only Transfer-Encoding: chunked is supported": (
        "sent a Transfer-Encoding other than chunked (the only one HTTP asks a client to read)"
    ),
    "multiple Transfer-Encoding headers": "sent more than one Transfer-Encoding header",
    "illegal chunk header": "sent a chunked body whose chunk size line is no size",
    "conflicting Content-Length": "sent Content-Length headers that disagree",
    "bad Content-Length": "sent a Content-Length that is no number",
    "can't handle event type": "sent an answer out of HTTP's order",
    # tracker.panel.sockets's own words: 1xx answers without end
    "informational (1xx) answers": "sent informational (1xx) answers without end, no answer",
}

# h11's and httpcore's words for a connection the panel's server closed: HTTP
# allows it, so no "not an answer a web server sends" (nor doctor's fix for
# it). Before any answer, the request may have been acted on all the same:
# add, refill and cancel stay an outcome unknown (tracker.panel.transport).
_NO_ANSWER = "closed the connection without answering"
_CUT = "closed the connection before its answer was whole"
# httpcore says _NO_ANSWER's words of a close after part of the answer's
# status line and headers too: told apart by what the call read
# (tracker.panel.sockets.HeadCut).
HEAD_CUT = "closed the connection in the middle of its answer's status line and headers"
_CLOSED = {
    "Server disconnected without sending a response": _NO_ANSWER,
    "can't handle event type ConnectionClosed": _NO_ANSWER,  # older httpcore's words
    "peer unexpectedly closed connection": _CUT,
    "peer closed connection without sending complete message body": _CUT,
}


def _found(words: str, table: dict[str, str]) -> str | None:
    return next((did for said, did in table.items() if said in words), None)


def unanswered(words: str) -> bool:
    """Whether the library's ``words`` say the server closed the connection
    before its answer's head was read."""
    return _found(words, _CLOSED) == _NO_ANSWER


def not_http(words: str) -> str | None:
    """Given h11's words for an answer it refused, return what the panel did
    in the tracker's words, or None for words it has no better ones for."""
    closed = _found(words, _CLOSED)
    if closed is not None:
        return closed
    did = _found(words, _NOT_HTTP)
    return f"{did}: {NOT_HTTP}" if did else None
