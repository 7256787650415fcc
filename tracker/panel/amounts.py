"""An amount of money as a panel script may write it for people: with its
currency's sign or code beside the number ("$1,234.50", "1 234,50 ₽",
"12.00 USD", "-$5.00"). Pure: the bare number's text, for ``values`` to read."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# A currency code written before or after the number: "12.00 USD", "USD12".
_CODE = re.compile(r"(?:^[A-Z]{3}[ \u00a0]*(?=[-+\d.])|(?<=[\d.])[ \u00a0]*[A-Z]{3}$)")


def _is_sign(char: str) -> bool:
    return unicodedata.category(char) == "Sc"  # $ € £ ¥ ₽ ₹ ₺ ...


def bare_amount(value: Any) -> Any:
    """Given an amount as the panel wrote it, return it without one currency
    sign or code at its start or end ("$1,234.50" is "1,234.50", "-$5" and
    "$-5" are "-5", "1 234,50 ₽" is "1 234,50"); anything else as it came.
    Only the money fields (a balance, a charge) are read so: they failed to
    read at all (a balance check failing at every run, a charge not counted)."""
    if type(value) is not str:
        return value
    text = value.strip()
    if not text:
        return value
    first, last = text[0], text[-1]
    if text.isascii() and (first.isdigit() or first == ".") and (last.isdigit() or last == "."):
        return value  # "0.90", "1,250": every amount of most panels, no regex run
    text = _CODE.sub("", text).strip()
    sign = ""
    if text[:1] in ("-", "+"):
        sign, text = text[0], text[1:].lstrip()
    if text[:1] and _is_sign(text[0]):
        text = text[1:].lstrip()
    elif text[-1:] and _is_sign(text[-1]):
        text = text[:-1].rstrip()
    if sign and text[:1] in ("-", "+"):
        return value  # "-$-5": no amount
    return sign + text
