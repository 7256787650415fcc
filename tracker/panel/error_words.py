"""The words of a panel's ``error`` field as one line: a text as it is, a web
framework's error object by its message, never Python's rendering of it
(``{'code': 422, 'message': ...}`` was said to the user and stored). Pure."""

from __future__ import annotations

from typing import Any

from tracker.panel.json_decoder import Twice
from tracker.panel.values import as_json, short

# Where a web framework's error object says its words: Laravel's and
# Express's "message", "msg", RFC 7807's "detail", OAuth's "description".
_WORDS_AT = ("message", "msg", "error", "detail", "description", "text", "reason")
_MAX_WORDS = 300  # as short() cuts a text


def error_words(error: Any) -> str:
    """Given an ``error`` field, return its words as one line: a text as it
    is; an object's text under one of :data:`_WORDS_AT`
    (``{"code": 422, "message": "The link field is required."}``); a list of
    texts joined by "; "; anything else as JSON writes it (``{"code": 7}``,
    ``true``). An ``error`` given twice, differently (a ``Twice``), in its
    words: 'it answered "error" twice, differently: [] and {}', never
    Python's rendering of the error item it is read as."""
    if isinstance(error, Twice):
        return short(f"it {error['error']}")
    if type(error) is dict:
        for name in _WORDS_AT:
            text = error.get(name)
            if isinstance(text, str) and text.strip():
                return short(text)
        return as_json(error, _MAX_WORDS)
    if type(error) is list and error and all(isinstance(item, str) for item in error):
        return short("; ".join(error))
    if isinstance(error, bool | list):
        return as_json(error, _MAX_WORDS)
    return short(error)
