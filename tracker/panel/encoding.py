"""An answer body's text made UTF-8 before anything reads it: a script on a
Windows host may answer in UTF-16 (or UTF-32) behind its byte order mark, or
with none and the encoding named only by the Content-Type's ``charset``; some
bodies start with a UTF-8 BOM; a PHP panel with a database in Windows-1252
writes its texts so (:mod:`tracker.panel.single_byte`). A mark or a charset
is not believed over UTF-8 text that, so read, holds no JSON document nor web
page (:mod:`tracker.panel.notices` looked at). Pure.
"""

from __future__ import annotations

import codecs
import re

from tracker.errors import BadAnswerError
from tracker.panel.notices import find_json, looks_like_html
from tracker.panel.single_byte import readable

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
