"""A body that is not UTF-8: read a byte a character, every byte kept.

A PHP panel whose database is not UTF-8 writes its texts in Windows-1252 or
Latin-1 ("Canceled \\x96 refunded", byte 0x96 an en dash), or Windows-1251
(an error in Cyrillic), inside JSON whose punctuation is ASCII. Read as
UTF-8 those bytes became U+FFFD: a status the tracker did not know (the
order left open, an ``unknown_status`` alert), the panel's words lost.

:func:`readable` leaves UTF-8 as it is; only a body that is not UTF-8 is
read a byte a character: by the charset its Content-Type names when that is
one byte a character (``windows-1251``, ``iso-8859-5``, ``koi8-r``...); with
no charset named, as Windows-1251 when its bytes so read spell Cyrillic words
and nothing else beyond ASCII (a Russian panel's script sends none); else
each byte that is not UTF-8 as Windows-1252, the UTF-8 around it kept. A
byte the charset leaves undefined (0x81 in Windows-1252) is read as Latin-1
reads it (a C1 control, shown escaped on a terminal). Nothing fails the
call, and nothing is dropped.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

# The one-byte-a-character charsets a Content-Type may name, by Python's
# name for each (codecs.lookup(...).name): Windows', ISO 8859's, KOI8, DOS.
_ONE_BYTE = frozenset(
    {f"cp125{n}" for n in range(9)}
    | {f"iso8859-{n}" for n in (*range(1, 12), 13, 14, 15, 16)}
    | {"koi8-r", "koi8-u", "cp866", "mac-cyrillic", "mac-roman"}
)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]{1,40})", re.IGNORECASE)


@lru_cache(maxsize=8)
def _table(codec: str) -> str:
    """Given a one-byte codec, return its 256 characters, a byte it leaves
    undefined read as Latin-1 reads it: a table ``codecs.charmap_decode``
    reads a whole body by in C (an error handler cost a Python call a byte,
    seconds for a few megabytes)."""
    return "".join(bytes([b]).decode(codec, "ignore") or chr(b) for b in range(256))


@lru_cache(maxsize=1)
def _unescaped() -> dict[int, str]:
    """What each byte UTF-8 refused became in ``surrogateescape``'s reading
    (U+DC80 to U+DCFF), read as Windows-1252 (undefined ones as Latin-1)."""
    return {0xDC00 + b: char for b, char in enumerate(_table("cp1252")) if b >= 0x80}


def readable(body: bytes, content_type: str | None = None) -> bytes:
    """Given an answer body without a byte order mark and its Content-Type
    (if any), return it as UTF-8: as it is when it is UTF-8 (ASCII: one test),
    else read a byte a character (see the module's words). At most three
    times as long (a byte of Windows-1252 is up to three of UTF-8: the euro).
    Linear, in C, whatever the mix of UTF-8 and other bytes."""
    if body.isascii():
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return body
    named = _one_byte_charset(content_type)
    if named is None and content_type_names_no_charset(content_type):
        named = "cp1251" if _cyrillic(body) else None
    if named is not None:
        return codecs.charmap_decode(body, "strict", _table(named))[0].encode("utf-8")
    # Every byte UTF-8 refused as a lone surrogate, then each made its
    # Windows-1252 character: both in C, linear (an error handler cost a
    # Python call a byte: 1.7 s of CPU for 10 MB).
    text = body.decode("utf-8", "surrogateescape").translate(_unescaped())
    return text.encode("utf-8")


# A run of letters; one of Cyrillic letters only; any UTF-8 character that is
# not ASCII (a byte UTF-8 refused reads as U+DC80 to U+DCFF).
_LETTERS = re.compile(r"[^\W\d_]+")
_CYRILLIC = re.compile(r"[\u0410-\u044fЁёІіЇїЄєҐґ]+")  # Russian's, Ukrainian's
_UTF8_TEXT = re.compile(r"[^\x00-\x7f\udc80-\udcff]")


def content_type_names_no_charset(content_type: str | None) -> bool:
    """Whether ``content_type`` names no charset at all (absent, or none said)."""
    return content_type is None or _CHARSET.search(content_type[:200]) is None


def _cyrillic(body: bytes) -> bool:
    """Whether a body that is not UTF-8, sent with no charset, is Windows-1251
    (a Russian panel's script): none of it is UTF-8 beyond ASCII, and read as
    Windows-1251 each run of letters holding one beyond ASCII is Russian or
    Ukrainian letters only (not Ђ: a row of euro signs), one of three or
    more ("Íåâåðíûé" is "Неверный"); Latin-1 words ("annulée": "annulщe")
    mix. Only for such a body: no cost to others."""
    if _UTF8_TEXT.search(body.decode("utf-8", "surrogateescape")):
        return False
    read = codecs.charmap_decode(body, "strict", _table("cp1251"))[0]
    words = [word for word in _LETTERS.findall(read) if not word.isascii()]
    if not any(len(word) >= 3 for word in words):
        return False
    return all(_CYRILLIC.fullmatch(word) for word in words)


def _one_byte_charset(content_type: str | None) -> str | None:
    """Return the codec of the one-byte charset ``content_type`` names, or None."""
    found = _CHARSET.search(content_type[:200]) if content_type else None
    if found is None:
        return None
    try:
        name = codecs.lookup(found.group(1)).name
    except LookupError:
        return None
    return name if name in _ONE_BYTE else None
