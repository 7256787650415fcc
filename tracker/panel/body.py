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
writes its texts so: :func:`as_utf8` turns it into UTF-8 before anything
reads the body. The document is taken from where a JSON object or array starts
a line (or follows a tag) and ends the body, a line or the text before a tag.
Pure functions; a body holding no JSON document raises :class:`BadAnswerError`
(naming an HTML page by its title).
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tracker.errors import BadAnswerError
from tracker.panel.single_byte import readable
from tracker.panel.values import short

# Where a JSON document may start inside notice text: the start of the body,
# of a line, or right after a tag's ">"; a UTF-8 BOM read past there too (the
# notices came first, then an included file saved with a BOM printed it).
_START = re.compile(r"(?:\A|(?<=[\n>]))[ \t\r\ufeff]*(?=[\[{])")
_TAGS = re.compile(r"<[^>]*>")
_MAX_CANDIDATES = 64  # bounds the work on a large body that holds no JSON at all


class Twice(dict):
    """What an object said of a key it gave twice, differently (``{"order": 1,
    "order": 2}``: PHP's json_encode never writes one, a hand-built answer
    can): an error item in that key's place, never either value, so that
    ``add`` ends "outcome unknown" rather than tracking an order the panel
    may not have placed (the decoder kept the last, silently).

    ``said`` holds the values given, each once, in the order given: a services
    listing giving a term twice is read as listings of each (ambiguous)."""

    said: tuple[Any, ...] = ()


# Values kept of a key an object gives more than once: each value is compared
# with those kept, so a key given 60,000 times (1 MB) cost 60,000² comparisons,
# minutes of CPU for one answer; two are enough to say "twice, differently".
_SAID = 8


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) == len(pairs):  # the usual object: one comparison
        return found
    given: dict[str, list[Any]] = {}
    for key, value in pairs:
        values = given.setdefault(key, [])
        if len(values) < _SAID and value not in values:
            values.append(value)
    for key, values in given.items():
        if len(values) > 1:
            said = f"{short(values[0], 40)} and {short(values[1], 40)}"
            found[key] = _twice(f"answered {key!r} twice, differently: {said}", values)
    return found


def _twice(error: str, said: Iterable[Any]) -> Twice:
    twice = Twice(error=error)
    twice.said = tuple(said)
    return twice


def _integer(digits: str) -> int | Decimal:
    """Given a JSON integer's digits, return it as an int; one longer than
    Python reads (4300 digits: ``int()`` raises) as a Decimal, which every
    reader in :mod:`tracker.panel.values` refuses as absurd, as it does 1e400.
    Raised, it made the whole answer "invalid JSON": every order in it unread."""
    try:
        return int(digits)
    except ValueError:
        return Decimal(digits)


_decoder = json.JSONDecoder(object_pairs_hook=_once_each)
# The hook costs a Python call per integer (a quarter more time on an answer of
# bare integers): used only once an integer too long for int() was met, which
# raises a plain ValueError where a malformed document raises JSONDecodeError.
_long_decoder = json.JSONDecoder(object_pairs_hook=_once_each, parse_int=_integer)


def _decode(text: str, start: int | None = None) -> Any:
    """Decode the whole of ``text``, or (``start`` given) the document at
    ``start``, returning (document, end)."""
    try:
        return _read(_decoder, text, start)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer too long for int()
        return _read(_long_decoder, text, start)


def _read(decoder: json.JSONDecoder, text: str, start: int | None) -> Any:
    return decoder.decode(text) if start is None else decoder.raw_decode(text, start)


# Byte order marks and the codec each names: UTF-32's before UTF-16's, whose
# little-endian mark (FF FE) begins UTF-32's (FF FE 00 00).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def as_utf8(body: bytes, content_type: str | None = None) -> bytes:
    """Given an answer body and its Content-Type header (if any), return the
    body as UTF-8 bytes: one that starts with a UTF-16 or UTF-32 byte order
    mark (FF FE, FE FF: a script on a Windows host) decoded by it, what does
    not decode made U+FFFD; a UTF-8 BOM dropped; one without a mark whose
    header's ``charset`` is UTF-16 or UTF-32 decoded by that (a mark wins over
    the header; neither when no answer reads so: see :func:`_decoded`, the
    body then read as any other); any other body as it is when it is UTF-8,
    else read a byte a character (:mod:`tracker.panel.single_byte`: Windows-1252, or the
    one-byte charset the header names). Read as UTF-8, a UTF-16 body held no
    JSON at all: every call was retried and ``add`` ended "outcome unknown".

    The body was already held to its size cap; its UTF-8 text is at most half
    as long again (three bytes for each two-byte unit), three times as long
    when read a byte a character (the euro sign's three)."""
    if body[:1] in (b"\xff", b"\xfe", b"\x00", b"\xef"):
        if body.startswith(codecs.BOM_UTF8):
            return body[len(codecs.BOM_UTF8) :]
        for mark, codec in _BOMS:
            if body.startswith(mark):
                decoded = _decoded(body, codec, body[len(mark) :])
                return readable(body[len(mark) :], content_type) if decoded is None else decoded
    if content_type is None or ("16" not in content_type and "32" not in content_type):
        return readable(body, content_type)  # the usual answer: a test or two
    wide = _wide_codec(content_type, body)
    decoded = None if wide is None else _decoded(body, wide, body)
    return readable(body, content_type) if decoded is None else decoded


def _decoded(body: bytes, codec: str, rest: bytes) -> bytes | None:
    """Given a body, the UTF-16 or UTF-32 codec its mark or header names and
    the body after the mark, return it decoded as UTF-8, or None when the
    rest is UTF-8 and that reads mostly other than ASCII (UTF-8 text read so
    is CJK, the key echoed in it hidden from its blanking) with no JSON
    document nor web page (a crafted ``{\\x00``, ``{`` in UTF-16, was
    enough: "invalid JSON: {攢牲牯..."); a PHP notice in UTF-16 reads as ASCII."""
    text = body.decode(codec, errors="replace").lstrip("\ufeff")
    read = text.encode("utf-8")
    if len(text.encode("ascii", "ignore")) * 2 >= len(text) or not _is_utf8(rest):
        return read
    return read if _holds_answer(read) else None


def _holds_answer(body: bytes) -> bool:
    try:
        return bool(find_json(body)) if b"{" in body or b"[" in body else looks_like_html(body)
    except BadAnswerError:
        return looks_like_html(body)


def _is_utf8(body: bytes) -> bool:
    return len(body.decode("utf-8", "ignore").encode("utf-8")) == len(body)


# Charsets whose text, read as UTF-8, holds no JSON (a NUL beside every ASCII
# character), by name without case, "-" or "_". Any other charset (UTF-8,
# latin-1, a name nobody knows) leaves the body to be read as UTF-8, as
# RFC 8259 has JSON written.
_WIDE = {f"utf{n}{order}": f"utf-{n}-{order}" for n in (16, 32) for order in ("le", "be")}
_UNNAMED_ORDER = {"utf16": 2, "utf32": 4}  # bytes per unit; the order read from the body
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w-]{1,20})(?![\w-])", re.IGNORECASE)
_SNIFFED = 64  # bytes looked at for the byte order of a charset that names none


def _wide_codec(content_type: str, body: bytes) -> str | None:
    """Given a Content-Type and a body without a byte order mark, return the
    UTF-16/UTF-32 codec to read it by, or None (read it as UTF-8).

    None too when the body holds no NUL: JSON's punctuation is ASCII, so text
    in UTF-16 or UTF-32 has a NUL beside it; UTF-8 never does (a header that
    is wrong about a UTF-8 body must not make it unreadable)."""
    found = _CHARSET.search(content_type[:200])
    name = found.group(1).lower().replace("-", "").replace("_", "") if found else ""
    codec = _WIDE.get(name)
    unit = _UNNAMED_ORDER.get(name)
    if (codec is None and unit is None) or b"\x00" not in body:
        return None
    if unit is None:
        return codec
    # No order named (RFC 2781 would say big-endian; Windows writes little):
    # ASCII text has its NULs after each character in little-endian, before
    # it in big-endian.
    head = body[:_SNIFFED]
    little = head[unit - 1 :: unit].count(0) >= head[0::unit].count(0)
    return f"{'utf-16' if unit == 2 else 'utf-32'}-{'le' if little else 'be'}"


@dataclass(frozen=True)
class Document:
    """A decoded answer, and the text found around it ("" for a clean body)."""

    data: Any
    noise: str = ""


def find_json(body: bytes) -> Document:
    """Given an answer body, return its JSON document and the text around it.

    Raise BadAnswerError when the body holds no JSON document.
    """
    text = body.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    try:
        return Document(_decode(text))
    except (ValueError, RecursionError):
        pass
    for count, match in enumerate(_START.finditer(text)):
        if count >= _MAX_CANDIDATES:
            break
        start = match.end()
        try:
            data, end = _decode(text, start)
        except (ValueError, RecursionError):
            continue
        tail = text[end:]
        # The document must end the body, a line, or run into a tag: JSON-looking
        # bits of prose ("see [1] below") are not an answer.
        if not isinstance(data, dict | list) or not _ends_cleanly(tail):
            continue
        return Document(data, describe_noise(text[:start] + "\n" + tail))
    raise BadAnswerError(f"answered no JSON document: {short(text[:120], 120)}")


def _ends_cleanly(tail: str) -> bool:
    return not tail.strip() or tail[0] in "\r\n<" or tail.lstrip(" \t").startswith("<")


def describe_noise(text: str) -> str:
    """Given notice text (HTML or plain), return its first readable words, one line."""
    plain = " ".join(_TAGS.sub(" ", text).split())
    return short(plain, 160)


def decode_json(body: bytes) -> Any:
    """Given an answer body, return the decoded JSON (found behind or before PHP
    notice text, see :mod:`tracker.panel.body`). Raise BadAnswerError otherwise."""
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
    if _SURROGATE_ESCAPE.search(body):  # rare: looked for in the raw bytes, in C
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


def looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body")) or b"<title" in head


def html_title(body: bytes) -> str:
    match = re.search(rb"<title[^>]*>(.*?)</title>", body[:4096], re.IGNORECASE | re.DOTALL)
    if match:
        return short(match.group(1).decode("utf-8", "replace"), 80)
    return "untitled page"
