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
from functools import cache
from typing import Any

from tracker.errors import BadAnswerError
from tracker.panel.encoding import as_utf8
from tracker.panel.json_decoder import Twice
from tracker.panel.json_decoder import twice as _twice
from tracker.panel.notices import Document, DocumentsDiffer, find_json, html_title, looks_like_html
from tracker.panel.values import short


def decode_json(body: bytes) -> Any:
    """Given an answer body, return the decoded JSON (found behind or before PHP
    notice text, see :mod:`tracker.panel.notices`). Raise BadAnswerError otherwise."""
    return decode_document(body).data


def decode_document(body: bytes, *, as_written: bool = False) -> Document:
    """Given an answer body, return its JSON document and any notice text around it
    (``as_written``: a whole float keeps its text, for an ``add`` answer's
    order ID, see :func:`tracker.panel.json_decoder.decode`).

    Raise BadAnswerError when there is none (an HTML page is named by its title).
    """
    body = as_utf8(body)
    _refuse_dense(body)
    try:
        document = find_json(body, as_written=as_written)
    except DocumentsDiffer:
        raise
    except BadAnswerError:
        loose = _loose(body, as_written)
        if loose is not None:
            document = loose
        elif looks_like_html(body):
            raise BadAnswerError(f"answered an HTML page, not JSON: {html_title(body)}") from None
        else:
            raise BadAnswerError(
                f"answered invalid JSON: {short(body[:120].decode('utf-8', 'replace'), 120)}"
            ) from None
    if b"\\" in body and _surrogates()[0].search(body):  # rare: in the raw bytes, in C
        try:
            return Document(_without_lone_surrogates(document.data), document.noise)
        except RecursionError:
            raise BadAnswerError("answered JSON nested too deep to read") from None
    return document


# JSONP: the whole body one call of a JavaScript name ("callback({...});").
_JSONP = re.compile(rb"\s*[A-Za-z_$][\w$.]{0,80}\s*\((.*)\)\s*;?\s*", re.DOTALL)
# A string (kept as it is), or a comma with only blanks before "}" or "]".
_TRAILING = re.compile(rb'("(?:[^"\\]|\\.)*")|,(\s*[}\]])', re.DOTALL)


def _loose(body: bytes, as_written: bool) -> Document | None:
    """Given a body holding no JSON document, return the object or array it
    plainly is when written loosely: a trailing comma (``{"status":
    "Completed",}``; one, before a closing bracket, outside a string) or
    JSONP's call around it (``callback({...});``); else None (the clear
    failure stands). Only for a failing answer: no cost to a well-formed one."""
    called = _JSONP.fullmatch(body)
    text = called.group(1) if called else body
    if b"," in text:
        text = _TRAILING.sub(lambda m: m.group(1) or m.group(2), text)
    if text is body or text == body:
        return None
    try:
        document = find_json(text, as_written=as_written)
    except BadAnswerError:
        return None
    return document if isinstance(document.data, dict | list) else None


# Objects and arrays allowed per byte of an answer (and at least DENSE_FLOOR):
# decoded, each costs ~200 bytes, so 16 MB of "{}," took ~480 MB, past the
# unit's MemoryMax=512M: the daemon was killed. A real services listing holds
# one object per 150-250 bytes, a status answer one per 25 or more (100 at most).
DENSE_BYTES = 32
DENSE_FLOOR = 10_000


@cache
def _strings() -> re.Pattern[bytes]:
    """A JSON string literal; compiled at its first use, as the patterns of
    lone surrogates below: a usual answer needs none of them."""
    return re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')


def _refuse_dense(body: bytes) -> None:
    """Raise BadAnswerError, before any decoding, for a body holding more
    objects and arrays than one per DENSE_BYTES bytes (brackets inside its
    strings not counted): decoded, it would cost many times its size."""
    allowed = max(DENSE_FLOOR, len(body) // DENSE_BYTES)
    found = body.count(b"{") + body.count(b"[")
    if found <= allowed:  # the usual: counted in C
        return
    for string in _strings().finditer(body):  # one at a time: memory stays flat
        start, end = string.span()
        found -= body.count(b"{", start, end) + body.count(b"[", start, end)
        if found <= allowed:
            return
    raise BadAnswerError(
        f"answered {found:,} JSON objects and arrays in {len(body):,} bytes, more than"
        f" an answer holds (one per {DENSE_BYTES} bytes): not read, it would take"
        " many times its size in memory"
    )


# "\ud800" alone decodes to a lone surrogate, which no text encoding can write:
# left in, it failed every later step (the log line, the database, the
# terminal) for the whole answer, every run. A valid pair decodes to one character.
@cache
def _surrogates() -> tuple[re.Pattern[bytes], re.Pattern[str]]:
    """Return the patterns of a surrogate's escape and of a lone surrogate."""
    return re.compile(rb"\\u[dD][89abcdefABCDEF]"), re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """Return ``value`` with every lone surrogate in its text (keys too) made U+FFFD."""
    if isinstance(value, str):
        return _surrogates()[1].sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(v) for v in value]
    if isinstance(value, Twice):  # a Twice stays one
        return _twice(
            _without_lone_surrogates(value["error"]), map(_without_lone_surrogates, value.said)
        )
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value
