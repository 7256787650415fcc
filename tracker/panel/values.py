"""Scalars as panels send them: numbers as strings or numbers, flags in five
spellings, text that may be anything. Pure; every function returns None (or
False) for what it cannot read instead of raising."""

from __future__ import annotations

import json
import re
import unicodedata
from decimal import Context, Decimal, InvalidOperation
from functools import cache
from typing import Any

from tracker.panel.grouped_numbers import without_commas
from tracker.redact.layout import INVISIBLE as FORMAT_CHARACTERS

_MAX_TEXT = 300
SHOWN = 60  # the user's text said back in a message is cut to this many characters
# Text a panel sends is kept up to this many characters (a status of 10 kB is
# an attack or a bug, not a status).
MAX_STORED_TEXT = 1000
# Money and rates beyond this magnitude are nonsense (or an attack: 1e999999999
# is a float infinity and a billion digits when formatted): unreadable.
AMOUNT_LIMIT = Decimal("1e15")
_LIMIT_EXPONENT = 15
_SMALLEST_EXPONENT = -18  # 1e-19 and below: not an amount either
_PRECISION = Context(prec=28)
# The shape nearly every amount has ("0.90000", "1000", "-2.5"): at most 15
# integer and 12 fraction digits, so never absurd and never past 28 digits.
# Read as is: this runs for every number of every order on every poll.
_PLAIN = re.compile(r"-?[0-9]{1,15}(?:\.[0-9]{1,12})?")
_PLAIN_INT = 10**15


def short(text: object, limit: int = _MAX_TEXT) -> str:
    """Given any value, return it as one printable line of at most ``limit`` chars."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def quoted(text: object, limit: int = _MAX_TEXT) -> str:
    """Given a panel's words, return them fit for a message: one line, cut to
    ``limit``, quoted, control characters escaped; a byte that was not UTF-8
    (read as a surrogate, "\\udcff") shown as the byte it was ("\\xff")."""
    return _not_utf8().sub(r"\1\\x\2", repr(short(text, limit)))


# How repr() shows a byte Python read past as not UTF-8 (surrogateescape):
# "\udcff" after an even number of backslashes (not a typed "\\udcff"). It and
# those below but _PLAIN: compiled at first use (~8M instructions a start).
@cache
def _not_utf8() -> re.Pattern[str]:
    return re.compile(r"(?<!\\)((?:\\\\)*)\\udc([89a-f][0-9a-f])")


def said(text: object) -> str:
    """Given the user's own text (an option's value, a name), return it quoted
    for a message as :func:`quoted` does, cut to SHOWN characters: a pasted
    megabyte is said back in one short line."""
    return quoted(text, SHOWN)


def shown(data: Any, limit: int = 120) -> str:
    """Given a decoded answer, return it as one line for a message: containers
    as JSON writes them (:func:`as_json`), text quoted (control characters escaped)."""
    return as_json(data, limit) if isinstance(data, dict | list) else short(repr(data), limit)


def as_json(data: Any, limit: int = 120) -> str:
    """Given a decoded answer, return it as JSON text on one line for a
    message, cut to ``limit`` as :func:`shown` cuts (``{"order": -7}``, never
    Python's ``{'order': -7}``); one JSON cannot write back as Python
    shows it. The answer was read from a body the key was
    blanked out of already."""
    try:
        text = json.dumps(data, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return short(data if isinstance(data, dict | list) else repr(data), limit)
    # A character that shows nothing or as a space (a zero-width or no-break
    # space) written as JSON escapes it: "23501\u00a0" is said so, not "23501 ".
    return short(_unshown().sub(lambda found: f"\\u{ord(found[0]):04x}", text), limit)


# Characters that show nothing (a regular expression's class): Unicode's
# format characters, as the redactor and the terminal's escaping know them
# (a soft hyphen, zero-width spaces and joiners, direction marks, a BOM...).
INVISIBLE = f"[{FORMAT_CHARACTERS}]"


@cache
def _unshown() -> re.Pattern[str]:
    return re.compile(rf"[^\S ]|{INVISIBLE}")


def to_decimal(value: Any) -> Decimal | None:
    """Given "0.27819", 0.08011655652, 100 or None, return a Decimal or None.
    A float reads to 15 significant digits, all that a double holds.

    Non-finite and absurd numbers (magnitude 1e15 or more, or a non-zero one
    below 1e-18) are None like any unreadable number; at most 28 significant
    digits are kept. Whatever is returned is safe to store, compare and format.
    """
    if type(value) is float:
        # A double holds 15 significant digits: a number a panel wrote with no
        # more reads as written, and 0.1 + 0.2 (0.30000000000000004) as 0.3.
        value = f"{value:.15g}"
    if type(value) is str and _PLAIN.fullmatch(value):
        return Decimal(value) + 0  # + 0: "-0.00" is 0.00, shown without its sign
    if type(value) is int and -_PLAIN_INT < value < _PLAIN_INT:
        return Decimal(value)
    number = _number(value)
    # adjusted() reads the exponent: no arithmetic, so no decimal.Overflow.
    if number is None or (number and number.adjusted() >= _LIMIT_EXPONENT):
        return None
    if number and number.adjusted() < _SMALLEST_EXPONENT:
        return None
    if not number:  # a zero as written: "0E+1000" was shown so, "0E-1000" as 1000 zeros
        return Decimal(0)
    return _PRECISION.plus(number) if len(number.as_tuple().digits) > 28 else number


def to_charge(value: Any) -> Decimal | None:
    """:func:`to_decimal` for an order's charge: a cost, so a negative one (spend
    reports would subtract it) is garbage, None like any unreadable number."""
    charge = to_decimal(value)
    return None if charge is not None and charge < 0 else charge


def to_balance(value: Any) -> Decimal | None:
    """:func:`to_decimal` for a balance, except that an absurdly negative one
    (-1e999999999, -Infinity) is -1e15: whatever it means, it is low; and one
    below the smallest amount read (:func:`is_tiny`: 1e-20, a float's leftover
    after spending it all) is 0: nothing left, its low-balance alert raised."""
    number = _number(value, infinite=True)
    if number is not None and number.is_signed() and number.is_infinite():
        return -AMOUNT_LIMIT
    if number is not None and number.is_signed() and number.adjusted() >= _LIMIT_EXPONENT:
        return -AMOUNT_LIMIT
    if is_tiny(value):
        return Decimal(0)
    return to_decimal(value)


def is_tiny(value: Any) -> bool:
    """Return True when ``value`` is a number other than zero below 1e-18 in
    size (1e-20, "-0.00000000000000000001"): less than the smallest amount
    :func:`to_decimal` reads (18 decimals), none to it, 0 to a balance."""
    if type(value) is float:
        value = f"{value:.15g}"
    number = _number(value)
    return number is not None and bool(number) and number.adjusted() < _SMALLEST_EXPONENT


def is_absurd(value: Any) -> bool:
    """Return True when ``value`` reads as a number that :func:`to_decimal`
    refuses: too large or small, an infinity, or NaN ("NaN", a bare NaN)."""
    if type(value) is str and _PLAIN.fullmatch(value):
        return False
    return to_decimal(value) is None and _number(value, infinite=True, nan=True) is not None


def _number(value: Any, *, infinite: bool = False, nan: bool = False) -> Decimal | None:
    """Read a Decimal without bounds (infinities and NaN only when asked)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal | str):
        text = without_commas(str(value).strip())
        # Decimal() reads "1_000" and any script's digits ("١٢"): no number
        # as panels write one, like "12abc" (order IDs take ASCII digits too).
        if not text or not text.isascii() or "_" in text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        if (number.is_nan() and not nan) or (number.is_infinite() and not infinite):
            return None
        return number
    return None


# Counts and IDs end up in SQLite INTEGER columns (signed 64-bit). Anything
# outside is nonsense from the panel; refusing it before int() also keeps
# "1e9999999" from building a ten-million-digit integer and freezing a poll.
_INT_MAX = 2**63
_INT_LIMIT = Decimal(_INT_MAX)


def to_int(value: Any) -> int | None:
    """Given "157", 157, 157.0, "-2", "+2" or None, return an int or None.

    Values outside SQLite's INTEGER range are None, like any unreadable number.
    """
    # Fast paths for the shapes nearly every answer uses ("157", 157, a field
    # left out): this runs several times per order on every poll.
    if value is None:
        return None
    if type(value) is int:
        return value if -_INT_MAX <= value < _INT_MAX else None
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    number = _number(value)
    if number is None or not -_INT_LIMIT <= number < _INT_LIMIT:
        return None
    if number != number.to_integral_value():
        return None
    return int(number)


def sentence(value: Any) -> str | None:
    """Given a bare string of several words where an ID or flag goes ("Incorrect
    order ID", as some panels send item errors), return it (short); else None."""
    return short(value) if isinstance(value, str) and len(value.split()) > 1 else None


def to_text(value: Any) -> str | None:
    """Given a scalar, return it as stripped text, or None for null/empty/containers."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    if len(text) > MAX_STORED_TEXT:
        text = text[: MAX_STORED_TEXT - 1] + "…"
    return text or None


def to_currency(value: Any) -> str | None:
    """Given a currency label, return it as stored: :func:`to_text`, and one
    with a letter beyond ASCII whose case can change in capitals ("руб" as
    "РУБ"). SQLite's upper(), with which the views and the dashboard take
    "usd" and "USD" for one currency, folds ASCII letters alone: "руб" and
    "РУБ" were two currencies there and one in `report`, the alerts and the
    cap. A label in ASCII is stored as the panel wrote it."""
    text = to_text(value)
    if text is None or text.isascii() or all(c.isascii() or c.upper() == c for c in text):
        return text
    return text.upper()


def compatible(text: str) -> str:
    """Given a panel's words as sent, return them as read: their Unicode
    compatibility form (NFKC) when they are not ASCII, so words in full-width
    letters ("Ｃｏｍｐｌｅｔｅｄ", "Ｉｎｖａｌｉｄ ＡＰＩ ｋｅｙ") read as their ASCII
    words. Letters of another script that only look alike (a Cyrillic "С")
    stay themselves."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)
