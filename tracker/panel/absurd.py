"""Numbers an answer holds that no parser reads (1e999999999, 16 digits in a
row, an infinity, NaN): looked for in the raw body without decoding it, then named
field by field for the one warning a panel, action and field get; and a
count read as none said as the panel sent it (:func:`unread_count`). Pure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tracker.panel.values import is_absurd, is_tiny, short

# What an absurd number needs somewhere in a raw answer: 16 digits in a row
# (1e15 and up, or below 1e-18 written out), an exponent, an infinity, a
# thousands comma or space (the parsers drop it), or what bytes cannot show
# (JSON escapes, non-ASCII text). Looked for in the body with every digit and
# point made "0", every space ",", every letter lower case: one pass in C, and
# a search for each sign ("0.e" is "00e", "0 000" is "0,000": found as "0e"
# and "0,0"; a point or space more only makes the full look run). An
# infinity needs an "f", an escape a backslash: looked for first, in C too,
# as status answers seldom hold either; a NaN needs "nan". ("1_000" is no
# number at all.)
_FOLD = bytes.maketrans(
    b"123456789. ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"0000000000,abcdefghijklmnopqrstuvwxyz"
)
_ABSURD_SIGNS = (b"0" * 16, b"0e", b"0,0")

# Numbers whose absurd values are reported (once) before the parsers drop them.
_NUMBER_FIELDS = frozenset({"charge", "balance", "remains", "start_count", "rate", "runs"})
_MAX_SCANNED = 1000  # answer items looked at


def may_hold_absurd(body: bytes) -> bool:
    """Given a raw answer, return False when no number in it can be absurd (the
    common case, found without decoding); True when :func:`absurd_numbers`
    must look."""
    if not body.isascii() or (b"\\" in body and b"\\u" in body):
        return True
    folded = body.translate(_FOLD)
    if (b"f" in folded and b"inf" in folded) or b"nan" in folded:
        return True
    return any(sign in folded for sign in _ABSURD_SIGNS)


def absurd_numbers(answer: Any) -> list[tuple[str, str]]:
    """Given a decoded answer, return (field, raw text) for each number in it
    (top level or one item down) that :func:`to_decimal` refuses as absurd."""
    if not isinstance(answer, dict):
        return []
    items = [answer] + [v for v in list(answer.values())[:_MAX_SCANNED] if isinstance(v, dict)]
    found = []
    for item in items:
        for name in sorted(_NUMBER_FIELDS.intersection(item)):
            raw = item[name]
            # A tiny balance (1e-20) is no absurd number: it reads as 0 (to_balance).
            if is_absurd(raw) and not (name == "balance" and is_tiny(raw)):
                # A Decimal is an integer too long for int(): its digits, as sent.
                text = raw if isinstance(raw, str | Decimal) else repr(raw)
                found.append((name, short(text, 60)))
    return found


def unread_count(value: Any) -> str | None:
    """Given a count field no int was read from (``remains``: "N/A", "4.5",
    "1.234", an object), return it as the panel sent it, short, for the one
    line an order gets; None when it said nothing (left out, null, blank)
    or is an absurd number (told by field: :func:`absurd_numbers`)."""
    if value is None or (type(value) is str and not value.strip()) or is_absurd(value):
        return None
    return short(value, 40)
