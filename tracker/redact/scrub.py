"""Secrets kept out of every output: register a value once, scrub it from any text.

The bottom of the tree: logging, alerts, the webhook and the CLI all scrub
through here, so none of them needs to know the others.

A panel may echo the key in any encoding, in any letter case: raw,
URL-encoded (``%2F``, ``%2f``; twice: ``%252F``), JSON-escaped (``SECRET\\/KEY``,
``\\u0053...``), HTML entities, hex (spaced, with colons or dashes, of UTF-16;
``\\x53`` and octal escapes), UTF-16 (and UTF-8 read as UTF-16; in the
other byte order a byte out of step: but one end, hidden in the character
beside it), UTF-32, base64 and base32, in fullwidth letters, in groups of 4
between dashes, quoted-printable hex, base64 of its base64; a token-like
key backwards, in ROT13, spelt out with one separator between its
characters (``k-3-y``), as a decimal list of its bytes (16 characters or
more), its first or last 16 characters or more (a token of 18 or more:
``substr()``, a VARCHAR(16) column), with a quote doubled (SQL, CSV); and
(8 characters or more) all of it but one end (as it
is, in the forms written a character at a time, in base64), or cut
by a stray byte in UTF-16, a piece read a byte out of step
(:mod:`tracker.redact.pieces`). The forms of
each secret are worked out once (:mod:`tracker.redact.forms`,
:mod:`tracker.redact.coded`); an answer is
lower-cased once and searched for them (:mod:`tracker.redact.search`), with
its breaks taken out if it has any (:mod:`tracker.redact.layout`: base64
wrapped in lines, with ``<br />`` or soft line breaks; hex spaced out; a long
key cut by spaces or no-break spaces, a short one by a soft line break). Any
JSON string literal holding an escape other than ``\\/``, and any text holding
HTML entities or JSON escapes (a text JSON-encoded twice:
``C2dE5\\u0026gH1z``; C escapes, ``\\x48q\\067``; addslashes()'s ``\\'``),
percent-encoded ASCII
characters (``%48q7%2FZ%70``, letters encoded too; under another code,
``%2548``, ``&amp;amp;`` of htmlspecialchars() twice, addslashes() twice:
decoded again, three layers at most), invisible format characters (``U+200B``, the soft
hyphen) or fullwidth ones (narrowed as NFKC does) is decoded, without them,
and searched too: a mix is caught as well.
"""

from __future__ import annotations

import json
import re
import threading
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from typing import Any

from tracker.redact.forms import Forms, forms_of
from tracker.redact.layout import INVISIBLE, fullwidth, invisible, narrowed
from tracker.redact.layout import blank as _blank
from tracker.redact.pieces import stepped_spans
from tracker.redact.search import Spans, _fold, _plain_spans, hidden_end_spans

_secrets: set[str] = set()
_registered: tuple[Forms, ...] = ()
_shortest = 0  # of every registered secret's forms: a shorter text holds none
_secrets_lock = threading.Lock()
REDACTED = "***"
_REDACTED_BYTES = REDACTED.encode()
# A JSON string literal with an escape other than \/ (PHP writes every URL so,
# and the \/ forms are searched for as they are), spelt for speed; and a
# quick look for such an escape anywhere. One left open runs to the line's end
# (else each quote of '"x\"\"\"...' starts a scan to the end: hours for 1 MB).
_LITERAL = r'"[^"\\\n]*+(?:\\/[^"\\\n]*+)*+\\[^/\n][^"\\\n]*+(?:\\.[^"\\\n]*+)*+(?:"|(?=\n)|\Z)'
_ESCAPE = r"\\[^/]"
# A numeric one without its ";" too, as browsers read it ("&#72&#113...").
_ENTITY = r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)"
# What stands for one character of the key, or for none: an HTML entity, a
# JSON escape left in a text (JSON-encoded twice, or PHP's JSON_HEX_* flags:
# "C2dE5\u0026gH1z", "Qa\/Key" outside any literal), a run of format
# characters (invisible: "Q\u200ba\u200b/..." reads as the key) or an ASCII
# character percent-encoded, where an encoder would have left it too
# ("%48q7%2FZ%70...": the key's URL-encoded forms hold no such mix).
# Joined as a text needs (one looked for alone is found the quicker).
_PERCENT = r"%[0-7][0-9a-fA-F]"
# A C escape, hex or octal, is one too ("\x48q\067...": no JSON reader takes it).
# PHP's addslashes() writes "\'" too (no JSON reader takes it).
_BACKSLASHED = r"\\(?:u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|[0-3][0-7]{2}|[\"'\\/bfnrt])"
_C_ESCAPE = r"\\(?:x[0-9a-fA-F]{2}|[0-3][0-7]{2}|')"
# What addslashes() writes, decoded again under another code ("\\\'": the
# key through addslashes() twice, or magic quotes then addslashes()); a
# JSON escape ("\\u0051") so left is no code but text (a backslash).
_SLASHED = r"\\[\\'\"]"


# Those searched for compiled at their first use (~4M instructions of every
# start otherwise): most texts and answers hold no backslash, "&" or "%".
@cache
def _in_text() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Return the patterns of a text's literals with an escape, and of an escape."""
    return re.compile(_LITERAL), re.compile(_ESCAPE)


@cache
def _in_bytes() -> tuple[re.Pattern[bytes], ...]:
    """Return _LITERAL's, _ESCAPE's, _C_ESCAPE's, _ENTITY's and _PERCENT's as bytes."""
    return tuple(re.compile(p.encode()) for p in (_LITERAL, _ESCAPE, _C_ESCAPE, _ENTITY, _PERCENT))


_CODES = (_ENTITY, _BACKSLASHED, f"[{INVISIBLE}]+", _PERCENT, _SLASHED)
Kinds = tuple[bool, bool, bool, bool, bool]  # which of _CODES a text holds
_ESCAPED = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_NESTING = 3  # JSON text inside a JSON string, decoded at most this deep
# Codes under codes decoded: percent-encoding ("%2548", "&#37;48": "H"), PHP's
# htmlspecialchars() twice or thrice ("&amp;amp;"), addslashes() twice.
_LAYERS = 3


def register_secret(value: str) -> None:
    """Remember a value that must never be written to a log."""
    global _registered, _shortest
    if value and len(value) >= 4:
        with _secrets_lock:
            if value in _secrets:
                return
            _secrets.add(value)
            registered = (*_registered, forms_of(value))
            _shortest = min(secret.shortest for secret in registered)  # lowered first
            _registered = registered


@lru_cache(maxsize=16)
def _coded(kinds: Kinds) -> re.Pattern[str]:
    """Given which of :data:`_CODES` to find, return a pattern finding them."""
    return re.compile("|".join(code for code, wanted in zip(_CODES, kinds, strict=True) if wanted))


def _decoded(code: str) -> str:
    """Given what :data:`_CODES` found, return the character it stands for
    ("" for a format character, written or coded, and a NUL; a fullwidth
    one narrowed)."""
    if code[0] == "&":
        import html  # here: its entities' table is ~8M instructions of every start

        char = html.unescape(code)
    elif code[0] == "\\":
        kind = code[1]
        if kind in "ux":
            char = chr(int(code[2:], 16))
        else:
            char = chr(int(code[1:], 8)) if kind.isdigit() else _ESCAPED.get(kind, kind)
    elif code[0] == "%":
        char = chr(int(code[1:], 16))
    else:
        return ""
    if char == "\x00" or (not char.isprintable() and invisible(char)):
        return ""  # "%00H%00q...": the key in UTF-16
    return narrowed(char) if char >= "\uff01" else char  # "&#xff4b;" is "k"


def _decoded_spans(text: str, kinds: Kinds, every: Sequence[Forms], layers: int = _LAYERS) -> Spans:
    """Spans of ``text`` that spell a secret once its HTML entities and JSON
    escapes are decoded and its format characters taken out
    (``&#83;&#x45;CRET``, ``S\\u0045CRET``), an entity or escape always
    blanked whole; decoded again if that made percent-encoding (``%2548``,
    ``&#37;48``), entities (``&amp;lt;``) or addslashes()'s escapes, up to
    ``layers`` times."""
    pieces: list[str] = []
    at: list[int] = []  # where each piece starts in the decoded text
    origin: list[tuple[int, int]] = []  # and where it came from; -1: copied as is
    length = done = 0
    for match in _coded(kinds).finditer(text):
        for piece, start, end in (
            (text[done : match.start()], done, -1),
            (_decoded(match.group(0)), match.start(), match.end()),
        ):
            if piece:
                pieces.append(piece)
                at.append(length)
                origin.append((start, end))
                length += len(piece)
        done = match.end()
    if not done:
        return []
    pieces.append(text[done:])
    at.append(length)
    origin.append((done, -1))

    def place(position: int, end: bool) -> int:
        index = bisect_right(at, position) - 1
        start, entity_end = origin[index]
        if entity_end >= 0:
            return entity_end if end else start
        return start + position - at[index] + int(end)

    decoded = "".join(pieces)
    found = _plain_spans(_fold(decoded), [secret.text for secret in every])
    # Codes under another code, decoded again: "%2548", "&#37;48", "&amp;lt;",
    # "\\\'" (an escaped backslash then "u0051" stays a backslash and "u0051").
    again = ("&" in decoded, False, False, "%" in decoded, "\\" in decoded)
    if layers > 1 and any(again):
        found += _decoded_spans(decoded, again, every, layers - 1)
    return [(place(start, False), place(end - 1, True)) for start, end in found]


def _scrub_text(
    text: str, every: Sequence[Forms], depth: int = _NESTING, wide: bool | None = None
) -> str:  # wide: whether the text may hold fullwidth forms (None: look)
    every = [secret for secret in every if len(text) >= secret.shortest]
    if not every:
        return text
    # Escaped JSON: decode each string literal and look there too.
    if depth and "\\" in text and _in_text()[1].search(text):
        text = _in_text()[0].sub(lambda m: _decoded_literal(m.group(0), every, depth - 1), text)
    lowered = _fold(text)
    spans = _plain_spans(lowered, [secret.text for secret in every])
    plain = text.isascii()  # no character hides an end of a secret (at once)
    if not plain:
        spans += hidden_end_spans(text, lowered, every)
        for secret in every:  # a stray byte in UTF-16 text: one piece out of step
            spans += stepped_spans(text, secret.stepped) if secret.stepped else []
    # Format characters: none in an ASCII or printable text (at once, or quick).
    hidden = not plain and not text.isprintable() and invisible(text)
    wide = fullwidth(text) if wide is None else wide
    if wide or hidden or "&" in text or "\\" in text or "%" in text:
        kinds = ("&" in text, "\\" in text, hidden, "%" in text, False)
        spans += _more_spans(text, kinds, wide, every)
    return _blank(text, spans, REDACTED)


def _more_spans(text: str, kinds: Kinds, wide: bool, every: Sequence[Forms]) -> Spans:
    """Spans of ``text`` that spell a secret once its fullwidth forms are
    narrowed (if ``wide``: the places are the same), then its codes of
    :data:`_CODES` decoded (those ``kinds`` says it holds)."""
    spans: Spans = []
    if wide:
        text = narrowed(text)
        spans = _plain_spans(_fold(text), [secret.text for secret in every])
    return spans + _decoded_spans(text, kinds, every) if any(kinds) else spans


def _decoded_literal(literal: str, every: Sequence[Forms], depth: int) -> str:
    body = literal[1:-1] if len(literal) > 1 and literal.endswith('"') else None
    # Closed unless its last quote is escaped (an odd run of backslashes before it).
    unclosed = body is None or (len(body) - len(body.rstrip("\\"))) % 2 == 1
    try:
        text = json.loads(literal + '"' if unclosed else literal)
    except ValueError:
        return literal
    # Fullwidth once decoded: as they are, or escaped (\uff21 or \uFF21).
    wide = "\\uff" in literal or "\\uFF" in literal or fullwidth(literal)
    cleaned = _scrub_text(text, every, depth, wide)
    if cleaned == text:
        return literal
    written = json.dumps(cleaned, ensure_ascii=False)
    return written[:-1] if unclosed else written


def _decoded_literal_bytes(raw: bytes, every: Sequence[Forms]) -> bytes:
    try:
        literal = raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw
    cleaned = _decoded_literal(literal, every, _NESTING - 1)
    return raw if cleaned is literal else cleaned.encode("utf-8")


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Given text and secrets, return the text with every encoding of each blanked."""
    return _scrub_text(text, [forms_of(secret) for secret in secrets if secret])


def scrub_bytes(body: bytes, secrets: Iterable[str]) -> bytes:
    """:func:`scrub` for a raw answer body (bytes in any encoding)."""
    every = [forms_of(secret) for secret in secrets if secret]
    if not every:
        return body
    literal, escape, c_escape, entity, percented = _in_bytes()
    if b"\\" in body and escape.search(body):
        body = literal.sub(lambda m: _decoded_literal_bytes(m.group(0), every), body)
    # JSON escapes: in literals, decoded above; outside (JS '...', a text page): below.
    outside = b"\\u" in body and b"\\u" in literal.sub(b"", body)
    outside = outside or (b"\\" in body and c_escape.search(body) is not None)
    plain = body.isascii()  # 0.4 us for 10 kB: once
    entities = b"&" in body and entity.search(body) is not None
    percent = b"%" in body and percented.search(body) is not None
    kinds = (entities, outside, not plain and invisible(body), percent, False)
    wide = not plain and fullwidth(body)
    if wide or any(kinds):
        text = body.decode("utf-8", "surrogateescape")  # any bytes, given back as they were
        blanked = _blank(text, _more_spans(text, kinds, wide, every), REDACTED)
        body = blanked.encode("utf-8", "surrogateescape")
    # ASCII letters only: every byte keeps its place.
    lowered = body.lower()
    spans = _plain_spans(lowered, [secret.raw for secret in every])
    if not plain:
        spans += hidden_end_spans(body, lowered, every)
    return _blank(body, spans, _REDACTED_BYTES)


def redact_text(text: str) -> str:
    """Given any text, return it with every registered secret blanked, in any encoding."""
    return text if len(text) < _shortest else _scrub_text(text, _registered)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_value(k): redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(v) for v in value)
    return value


def has_secrets() -> bool:
    """Return True once any secret is registered."""
    return bool(_secrets)
