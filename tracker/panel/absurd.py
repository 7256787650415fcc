"""Numbers an answer holds that no parser reads (1e999999999, 16 digits in a
row, an infinity): looked for in the raw body without decoding it, then named
field by field for the one warning a panel, action and field get. Pure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tracker.panel.values import is_absurd, short

# What an absurd number needs somewhere in a raw answer: 16 digits in a row
# (1e15 and up, or below 1e-18 written out), an exponent, an infinity, a
# thousands comma (the parsers drop it), or what bytes cannot show (JSON
# escapes, non-ASCII text). Looked for in the body with every digit made "0"
# and every letter lower case: one pass in C. ("1_000" is no number at all.)
_FOLD = bytes.maketrans(
    b"123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"000000000abcdefghijklmnopqrstuvwxyz"
)
_ABSURD_SIGNS = (b"0" * 16, b"0e", b".e", b"inf", b"0,0", b"0 000", b"\\u")

# Numbers whose absurd values are reported (once) before the parsers drop them.
_NUMBER_FIELDS = frozenset({"charge", "balance", "remains", "start_count", "rate", "runs"})
_MAX_SCANNED = 1000  # answer items looked at


def may_hold_absurd(body: bytes) -> bool:
    """Given a raw answer, return False when no number in it can be absurd (the
    common case, found without decoding); True when :func:`absurd_numbers`
    must look."""
    if not body.isascii():
        return True
    folded = body.translate(_FOLD)
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
            if is_absurd(raw):
                # A Decimal is an integer too long for int(): its digits, as sent.
                text = raw if isinstance(raw, str | Decimal) else repr(raw)
                found.append((name, short(text, 60)))
    return found
