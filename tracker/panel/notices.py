"""Where the JSON document is in a panel's answer body (made UTF-8 first,
:mod:`tracker.panel.encoding`): behind or before PHP notices, HTML blocks
(``<div ...><h4>A PHP Error was encountered</h4>...</div>``), PHP's own
``<br /><b>Warning</b>: ... on line <b>12</b><br />`` or plain lines
(``Deprecated: ...``), a UTF-8 BOM (or a no-break or zero-width space) read
past after them. The document is
taken from where a JSON object or array starts a line (or follows a tag) and
ends the body, a line or the text before a tag; the text around it is kept,
its first words, for the log. And an HTML page told from an answer, named by
its title. Pure; a body holding no JSON document raises :class:`BadAnswerError`.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, NamedTuple

from tracker.errors import BadAnswerError
from tracker.panel.json_decoder import decode as _decode
from tracker.panel.values import short

# Where a JSON document may start inside notice text: the start of the body,
# of a line, or right after a tag's ">"; a UTF-8 BOM read past there too (the
# notices came first, then an included file saved with a BOM printed it).
# A no-break space or a zero-width one (U+00A0, U+200B, U+2060) before (or
# after) the document reads past as a blank: an editor's stray one before "<?php" is
# printed as it is, and Python's JSON reads none of them as a blank.
_BLANKS = "\ufeff\u00a0\u200b\u2060 \t\r\n"
_START = r"(?:\A|(?<=[\n>]))[ \t\r\ufeff\u00a0\u200b\u2060]*(?=[\[{])"
_TAGS = r"<[^>]*>"


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    """Those above, compiled at their first use: an answer that is JSON alone
    (the usual) needs neither."""
    return re.compile(pattern)


_MAX_CANDIDATES = 64  # bounds the work on a large body that holds no JSON at all


class Document(NamedTuple):
    """A decoded answer, and the text found around it ("" for a clean body)."""

    data: Any
    noise: str = ""


class DocumentsDiffer(BadAnswerError):
    """An answer of two JSON documents that are not the same (``{"error":
    ...}`` then ``{"order": 5009}``): which one the panel meant is not in
    the body, so neither is believed."""


def find_json(body: bytes, *, as_written: bool = False) -> Document:
    """Given an answer body, return its JSON document and the text around it
    (``as_written``: a whole float keeps its text, see
    :func:`tracker.panel.json_decoder.decode`).

    The same document given again, glued to it or on a line of its own (a
    script printing its answer twice), is that document. Raise
    :class:`DocumentsDiffer` when another document that differs follows it,
    BadAnswerError when the body holds no JSON document.
    """
    text = body.decode("utf-8", errors="replace").strip(_BLANKS)
    try:
        return Document(_decode(text, as_written=as_written))
    except (ValueError, RecursionError):
        pass
    found: tuple[Any, int, int, str] | None = None  # the document, where, as written
    at = 0
    for _ in range(_MAX_CANDIDATES):
        match = _compiled(_START).search(text, at)
        if match is None:
            break
        start = at = match.end()
        try:
            data, end = _decode(text, start, as_written=as_written)
        except (ValueError, RecursionError):
            at += 1
            continue
        own = text[start:end]
        end, other = _past_copies(text, data, end, as_written)
        # The document must end the body, a line, or run into a tag: JSON-looking
        # bits of prose ("see [1] below") are not an answer.
        if not isinstance(data, dict | list) or not _ends_cleanly(text[end:]):
            at += 1
            continue
        if found is not None and other is None and data != found[0]:
            own, other = found[3], own
        if other is not None:
            said = f"{short(own, 60)}, then {short(other, 60)}"
            raise DocumentsDiffer(f"answered 2 JSON documents that differ: {said}")
        found = found or (data, start, end, own)
        at = end  # past it: the brackets inside a document start no other
    if found is None:
        raise BadAnswerError(f"answered no JSON document: {short(text[:120], 120)}")
    data, start, end, _ = found
    return Document(data, describe_noise(text[:start] + "\n" + text[end:]))


def _past_copies(text: str, data: Any, end: int, as_written: bool) -> tuple[int, str | None]:
    """Given the document ``data`` read from ``text`` up to ``end``, return where
    the documents glued to it end (the same one again, or another after
    blanks), and the text of the first that differs from it (None if none)."""
    while True:
        at = end
        while at < len(text) and text[at] in _BLANKS:
            at += 1
        if at == len(text) or text[at] not in "[{" or (at > end and text[at - 1] == "\n"):
            return end, None  # one on a line of its own is another candidate
        try:
            again, after = _decode(text, at, as_written=as_written)
        except (ValueError, RecursionError):
            return end, None
        if again != data:
            return after, text[at:after]
        end = after


def _ends_cleanly(tail: str) -> bool:
    if not tail.strip().strip(_BLANKS):
        return True
    return tail[0] in "\r\n<" or tail.lstrip(" \t").startswith("<")


def describe_noise(text: str) -> str:
    """Given notice text (HTML or plain), return its first readable words, one line."""
    plain = " ".join(_compiled(_TAGS).sub(" ", text).split())
    return short(plain, 160)


def looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body")) or b"<title" in head


def html_title(body: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", body[:4096], re.IGNORECASE | re.DOTALL)
    if match:
        return short(match.group(1).decode("utf-8", "replace"), 80)
    return "untitled page"
