"""Finding the JSON document in a panel's answer body.

Self-hosted panel scripts run with PHP's ``display_errors`` on print notices
before (sometimes after) a perfectly valid JSON answer: HTML blocks
(``<div ...><h4>A PHP Error was encountered</h4>...</div>``), PHP's own
``<br /><b>Warning</b>: ... on line <b>12</b><br />`` or plain lines
(``Deprecated: ...``). Some bodies start with a UTF-8 BOM (or hold one
right after the notices, before the JSON), most say
``text/html``; a script on a Windows host may answer in UTF-16 (or UTF-32)
behind its byte order mark, or with none and the encoding named only by
the Content-Type's ``charset``; a PHP panel with a database in Windows-1252
writes its texts so: :func:`tracker.panel.encoding.as_utf8` turns it into
UTF-8 before anything reads the body. The document is taken from where a JSON object or array starts
a line (or follows a tag) and ends the body, a line or the text before a tag.
Pure functions; a body holding no JSON document raises :class:`BadAnswerError`
(naming an HTML page by its title).

Its parts: :mod:`tracker.panel.encoding` (the body made UTF-8),
:mod:`tracker.panel.notices` (the document found among the notices, a web
page named) and :mod:`tracker.panel.json_decoder` (a key given twice, an
integer too long); here, the whole read, a lone surrogate made U+FFFD.
"""

from __future__ import annotations

import re
from typing import Any

from tracker.errors import BadAnswerError
from tracker.panel.encoding import as_utf8
from tracker.panel.json_decoder import Twice
from tracker.panel.json_decoder import twice as _twice
from tracker.panel.notices import Document, find_json, html_title, looks_like_html
from tracker.panel.values import short


def decode_json(body: bytes) -> Any:
    """Given an answer body, return the decoded JSON (found behind or before PHP
    notice text, see :mod:`tracker.panel.notices`). Raise BadAnswerError otherwise."""
    return decode_document(body).data


def decode_document(body: bytes) -> Document:
    """Given an answer body, return its JSON document and any notice text around it.

    Raise BadAnswerError when there is none (an HTML page is named by its title).
    """
    body = as_utf8(body)
    try:
        document = find_json(body)
    except BadAnswerError:
        if looks_like_html(body):
            raise BadAnswerError(f"answered an HTML page, not JSON: {html_title(body)}") from None
        raise BadAnswerError(
            f"answered invalid JSON: {short(body[:120].decode('utf-8', 'replace'), 120)}"
        ) from None
    if b"\\" in body and _SURROGATE_ESCAPE.search(body):  # rare: in the raw bytes, in C
        try:
            return Document(_without_lone_surrogates(document.data), document.noise)
        except RecursionError:
            raise BadAnswerError("answered JSON nested too deep to read") from None
    return document


# "\ud800" alone decodes to a lone surrogate, which no text encoding can write:
# left in, it failed every later step (the log line, the database, the
# terminal) for the whole answer, every run. A valid pair decodes to one character.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """Return ``value`` with every lone surrogate in its text (keys too) made U+FFFD."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, Twice):  # a Twice stays one
        return _twice(
            _without_lone_surrogates(value["error"]), map(_without_lone_surrogates, value.said)
        )
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value
