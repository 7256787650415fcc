"""The forms of a secret, worked out once per secret: every way a panel may
write it, as plans :mod:`tracker.redact.scrub` searches a lower-cased answer with.

Every text form is matched whatever the letter case (raw, URL-encoded,
JSON-escaped, ``\\u`` escapes), because a panel may change the key's case.
The encoded forms (base64, hex) and the sample that spares their searches
are in :mod:`tracker.redact.coded`; its UTF-8 read as UTF-16 in
:mod:`tracker.redact.misread`; the plans, how the forms are searched for, in
:mod:`tracker.redact.plans`.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import AnyStr, NamedTuple
from urllib.parse import quote, quote_plus

from tracker.redact.coded import (
    base32_forms,
    base64_forms,
    base64_plain,
    base64_shared,
    base64_twice,
    byte_forms,
    tiers,
)
from tracker.redact.misread import Ends, hidden_ends, misread, shifted
from tracker.redact.pieces import Stepped, stepped
from tracker.redact.plans import Plans, flat, rarest, search_plan

# A secret shorter than this may be a word or a path that ordinary text holds
# broken by a space or a line ("see /web hook" for "/webhook"): it is looked
# for across whitespace or <br> only as base64 or hex, which no sentence
# spells (spelt out, across a quoted-printable soft line break only). A
# longer one (a panel's key is 32 characters, a webhook URL longer) spelt out
# across a break is the secret cut by wordwrap(), not an accident.
_MIN_JOINED = 16
_BLANKS = ("\u00a0", " ", "\n", "\r", "\t")  # what a layout may put inside a form
_MARKERS = ("\x00", "\\", "%")  # characters plain answers seldom hold


def forms(secret: str) -> set[str]:
    """Given a secret, return the ways it can be written as text in a body or a
    URL, matched whatever the letter case (base64 is in :func:`base64_forms`)."""
    found: set[str] = set()
    for variant in {secret, secret.lower(), secret.upper()}:
        escaped = json.dumps(variant, ensure_ascii=False)[1:-1]
        found |= {
            variant,
            quote(variant, safe=""),
            quote_plus(variant),
            *_percent_forms(variant),
            escaped,
            escaped.replace("/", "\\/"),
            json.dumps(variant)[1:-1],
            "".join(f"\\u{ord(c):04x}" for c in variant if ord(c) < 0x10000),
        }
        # URL-encoded twice (%252F): a PHP panel's urlencode() of what it got
        # encoded, as a query string or a form body writes it.
        for once in {quote(variant, safe=""), quote(variant), quote_plus(variant)} - {variant}:
            found |= {quote(once, safe=""), quote(once)}
    raw = secret.encode()
    found.add("".join(f"%{byte:02x}" for byte in raw))  # every byte percent-encoded
    # A quote doubled, as SQL (PDO::quote()) and CSV write one inside quotes.
    found |= {secret.replace("'", "''"), secret.replace('"', '""')}
    return {form for form in found if form}


# A secret this long written but its first or last character ("Ab3dE9x" of
# "Ab3dE9xZ") gives a reader all of it but one character of 62: blanked. A
# shorter one so cut may be a word ("hook" of "/hook"); so may a longer one
# with no digit nor a capital after a small letter, or a path ("webhook" of
# a webhook URL's "/webhooks", blanked from every log line's "webhook_url");
# so may the cut itself when the end cut off was its only digit or capital
# ("password" of "password1", blanked from every line saying "password").
_MIN_CUT = 8
_TOKEN = re.compile(r"[0-9]|[a-z][A-Z]")


def but_one_end(secret: str) -> set[str]:
    """Given a secret of :data:`_MIN_CUT` characters or more that reads as a
    token, no word nor path, return it but its first character, and but its
    last, each only if it reads as a token too (a panel echoing the key cut
    by one: as text, in any encoding decoded before the search; its
    :func:`forms`, hex, C escapes and base64 as it is searched for too)."""
    if len(secret) < _MIN_CUT or secret[0] == "/" or "://" in secret:
        return set()
    if any(char.isspace() for char in secret):
        return set()
    return {cut for cut in (secret[1:], secret[:-1]) if _TOKEN.search(cut)}


# A token-like secret's first or last characters, this many or more: what a
# panel's substr() of the key it got or a VARCHAR(16) column keeps of it.
_MIN_SHORT = 16


def cut_short(secret: str) -> set[str]:
    """Given a secret that reads as a token (as :func:`but_one_end` takes
    one), longer than :data:`_MIN_SHORT` and one, return its first and its
    last :data:`_MIN_SHORT` characters or more, each that reads as a token
    (searched for as text, whatever the letter case, and decoded from
    entities, escapes and percent-encoding; a form holding one is searched
    only where it is, so it costs two searches a text)."""
    if len(secret) <= _MIN_SHORT + 1 or not but_one_end(secret):
        return set()
    sizes = range(_MIN_SHORT, len(secret) - 1)
    parts = [secret[:size] for size in sizes] + [secret[-size:] for size in sizes]
    return {part for part in parts if _TOKEN.search(part)}


def reversed_forms(secret: str) -> set[str]:
    """Given a secret that reads as a token (as :func:`but_one_end` takes
    one: 8 characters or more, no word, path nor URL), return it written
    backwards, in its text forms: a panel's ``strrev()`` of the key it got,
    the whole key to anyone who reads it back (no word or path is a token
    backwards either, so nothing else is blanked)."""
    if not but_one_end(secret):
        return set()
    return forms(secret[::-1])


def rot13_forms(secret: str) -> set[str]:
    """Given a secret that reads as a token (as :func:`reversed_forms`),
    return its ROT13 in its text forms: the whole key to anyone who reads
    it back (ROT13 of a word or path is no token, nor looked for)."""
    if not but_one_end(secret):
        return set()
    return forms(codecs.encode(secret, "rot13"))


# What PHP's htmlspecialchars() writes for each character it changes but
# the quote: &#039; with ENT_QUOTES (8.1's default), left with ENT_COMPAT
# (the default before); htmlentities() of an ASCII key writes the same.
_HTML = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))
# What strip_tags() takes out: a "<" not before a blank, to its ">" or the end.
_TAG = re.compile(r"<(?!\s)[^>]*>?")
_PHP_CHANGED = re.compile("[&<>\"']")  # what htmlspecialchars(), strip_tags()... change


def php_echoed(secret: str) -> set[str]:
    """Given a secret, return the texts a PHP panel writes it as through
    escapeshellarg() (a quote as ``'\\''``, inside its quotes) and
    strip_tags() (``<9Pw>`` taken out: for what is left that reads as a
    token, 8 characters or more), in their text forms; none for a key of
    letters and digits (nothing to search for more)."""
    found: set[str] = set()
    if "'" in secret:  # and as read once addslashes()'s \' is decoded: '''
        found |= forms(secret.replace("'", "'\\''")) | forms(secret.replace("'", "'''"))
    stripped = _TAG.sub("", secret) if "<" in secret else secret
    if stripped != secret and len(stripped) >= _MIN_CUT and _TOKEN.search(stripped):
        found |= forms(stripped)
    return found


def html_base64(secret: str) -> set[str]:
    """Given a secret holding a character htmlspecialchars() changes, return
    base64 of it so escaped (' as ``&#039;``, and left as it was), as
    :func:`base64_plain` writes it: a panel's ``base64_encode()`` of the
    key it escaped for its page; none for a key of letters and digits."""
    if not any(char in secret for char in "&<>\"'"):
        return set()
    escaped = secret
    for char, entity in _HTML:
        escaped = escaped.replace(char, entity)
    texts = {escaped, escaped.replace("'", "&#039;")} - {secret}
    return {form.lower() for text in texts for form in base64_plain(text)}


def decimal_forms(secret: str) -> set[str]:
    """Given a secret of :data:`_MIN_JOINED` characters or more that reads as
    a token, return its bytes as a decimal list (``107,51,121``, and with a
    space after each comma: ``[107, 51, 121]`` is blanked but its brackets).
    A shorter one's list could be a list of numbers ordinary text holds."""
    if len(secret) < _MIN_JOINED or not but_one_end(secret):
        return set()
    numbers = [str(byte) for byte in secret.encode()]
    return {",".join(numbers), ", ".join(numbers)}


# The key's own bytes in a raw body: in UTF-16 (a NUL beside each ASCII
# character), or UTF-32 (three: a UTF-32 body a byte out of step does not
# decode, and is read as its bytes are), searched only where there is a NUL.
_WIDE = ("utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def _percent_forms(variant: str) -> set[str]:
    """Given a secret, return its URL-encodings that leave different characters
    as they are: Python's quote() ('/' kept), JavaScript's encodeURIComponent
    (``!'()*~`` kept) and PHP's urlencode and old rawurlencode ('~' as %7E)."""
    return {
        quote(variant),
        quote(variant, safe="!'()*"),
        quote_plus(variant).replace("~", "%7E"),
        quote(variant, safe="").replace("~", "%7E"),
    }


def grouped(secret: str) -> set[str]:
    """Given a secret, return it lower-cased in groups of 4 characters with
    a dash between them, as a panel's page shows a licence-like key: for a
    long key of ASCII letters and digits, which a coded form's characters
    write (searched where the sample says one may be)."""
    if len(secret) < _MIN_JOINED or not (secret.isascii() and secret.isalnum()):
        return set()
    lowered = secret.lower()
    return {"-".join(lowered[at : at + 4] for at in range(0, len(lowered), 4))}


def _joined(found: Iterable[AnyStr], blanks: Sequence[AnyStr]) -> set[AnyStr]:
    """Given forms, return them as a text with its whitespace taken out holds them."""
    joined = set()
    for form in found:
        for blank in blanks:
            form = form.replace(blank, form[:0])
        if form:
            joined.add(form)
    return joined


class Forms(NamedTuple):
    """One secret's plans, for a text and for a raw body."""

    text: Plans[str]
    raw: Plans[bytes]
    shortest: int  # a shorter text (a log field) cannot hold any form
    ends: Ends = ()  # looked for in a text that is not ASCII (:func:`hidden_ends`)
    stepped: Stepped | None = None  # and it cut by a stray byte in UTF-16


def _plans(
    secret: str,
    words: set[AnyStr],
    coded: set[str],
    spell: Callable[[str], AnyStr],
    short: bool = False,
) -> Plans[AnyStr]:
    """Given a secret, its text forms (lower-cased, as ``spell`` writes text:
    str or bytes) and its encoded ones (lower-cased), return its plans;
    ``short``: the forms hold it cut short (:func:`cut_short`)."""
    markers = tuple(spell(marker) for marker in _MARKERS)
    spelt = {spell(form) for form in coded}
    shared = {spell(run.lower()) for run in base64_shared(secret)} - words - spelt
    # Encoded forms hold no whitespace: the same whether breaks are taken out.
    cut = bool(but_one_end(secret))
    if cut:  # searched first, as the key but both ends in text (below)
        inner = secret[1:-1]
        coded_middle = byte_forms(inner) | {run.lower() for run in base64_plain(inner)}
        shared |= {spell(form) for form in coded_middle} - spelt
    encoded = []
    for run, tier in tiers(coded):
        written = {spell(form) for form in tier}
        holders = {text for text in shared if any(text in form for form in written)}
        encoded.append((run, search_plan(written, markers, holders)))
    # The key but both ends, in each form written a character (or a byte) at a
    # time: searched for once, the key and it but one end in that form only
    # where it is (one search where there were two: the same cost).
    middle = {spell(form.lower()) for form in forms(secret[1:-1])} if cut else set()
    if short:  # searched first: its first (last) characters but the first (last) one
        middle |= {spell(secret[1:_MIN_SHORT].lower()), spell(secret[-_MIN_SHORT:-1].lower())}
    # A key holding what PHP escapes or strips: its runs of 8 or more
    # characters PHP leaves as they are, searched first (php_echoed()'s
    # forms, and the key's, only where one is: two searches, not eight).
    if cut and _PHP_CHANGED.search(secret):
        middle |= {spell(run.lower()) for run in _PHP_CHANGED.split(secret) if len(run) >= _MIN_CUT}
    whole = search_plan(words, markers, middle - words)
    # Spelt out with one separator between its characters: a token alone.
    spaced = spell(secret).lower() if cut else None
    rare = rarest(spaced.decode("latin-1") if isinstance(spaced, bytes) else spaced or "")
    if len(secret) < _MIN_JOINED:
        return Plans(whole, whole, (), tuple(encoded), spaced, rare)
    joined = _joined(words, [spell(blank) for blank in _BLANKS])
    spread = search_plan(joined, markers, middle - joined)
    return Plans(whole, (), spread, tuple(encoded), spaced, rare)


@lru_cache(maxsize=64)
def forms_of(secret: str) -> Forms:
    """Every form of a secret, worked out once (a panel's key is scrubbed from
    every answer)."""
    text = forms(secret) | misread(secret) | shifted(secret) | reversed_forms(secret)
    text |= rot13_forms(secret) | decimal_forms(secret) | php_echoed(secret)
    coded = {form.lower() for form in base64_forms(secret)} | byte_forms(secret)
    coded |= html_base64(secret)
    coded |= {form.lower() for form in base64_twice(secret)}
    coded |= base32_forms(secret) | grouped(secret)
    for cut in but_one_end(secret):  # URL-encoded, escaped, hex, base64...: as the key
        text |= forms(cut)
        coded |= byte_forms(cut) | {form.lower() for form in base64_plain(cut)}
    short = cut_short(secret)
    plans = _plans(secret, {form.lower() for form in text | short}, coded, str, bool(short))
    # A raw body is lower-cased byte by byte (ASCII letters only). Its pieces
    # cut short are blanked as pieces (tracker.redact.pieces.blank_pieces:
    # "currency" then, after a notice, the rest of "currencyQ7x3...").
    words = {form.encode().lower() for form in text}
    for variant in {secret, *but_one_end(secret)}:  # its letter cases: lower-cased below
        for case in {variant, variant.lower(), variant.upper()}:
            words |= {case.encode(wide).lower() for wide in _WIDE}
    raw_plans = _plans(secret, words, coded, str.encode)
    every = (plans.whole, plans.spread, *(plan for _, plan in plans.coded))
    lengths = [len(form) for plan in every for form in flat(plan)]
    ends = hidden_ends(secret)
    return Forms(plans, raw_plans, min(lengths), ends, stepped(secret))
