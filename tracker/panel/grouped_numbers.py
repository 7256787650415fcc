"""Numbers as panels write them with commas or spaces: "1,234.5", "1 250,50", "0,27819"."""

from __future__ import annotations

import re
from functools import cache


@cache
def _grouped() -> tuple[re.Pattern[str], ...]:
    """Return the patterns of numbers written with commas or spaces: thousands
    grouped by a space (PHP's number_format(x, 2, ',', ' '): "1 250,50"; a
    no-break or thin space, or de_CH's apostrophe "1'234.56", too), that
    space, points before a decimal comma ("1.250,50"), thousands by commas
    (never after a first group of 0, "0,250": a decimal comma writes it; or
    en_IN's lakh and crore, "1,23,456"), a decimal comma."""
    return tuple(
        re.compile(pattern)
        for pattern in (
            r"[+-]?[1-9]\d{0,2}(?:[ \u00a0\u202f\u2009'\u2019]\d{3})+(?:[.,]\d+)?",
            r"[ \u00a0\u202f\u2009'\u2019]",
            r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+,\d+",
            r"[+-]?(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d?(?:,\d\d)+,\d{3})(?:\.\d*)?",
            r"[+-]?\d*,\d+",
        )
    )


def without_commas(text: str) -> str:
    """Return ``text`` with its commas read: "1,234.5" (thousands) is 1234.5,
    "0,27819" or "1,5" (one decimal comma, no point) is 0.27819 or 1.5; any
    other comma leaves nothing to read ("" : unreadable). Dropping every comma
    made "1,5" fifteen: a rate ten times too high, a balance a hundred.
    Three digits after one comma are thousands ("1,250" is 1250, as PHP's
    number_format writes it) unless the first group is 0 ("0,250" is 0.25):
    which a panel meant by "1,250" is not in the text. Thousands grouped by
    spaces ("1 250,50", "1 250.50") or by points before a decimal comma
    ("1.250,50") are 1250.5: they failed every balance check of a panel
    writing its balance so."""
    if "," not in text and " " not in text and "'" not in text and text.isascii():
        return text  # "0.27819", "100": every number of most answers, read as is
    spaced, group_space, pointed, thousands, decimal_comma = _grouped()
    if spaced.fullmatch(text):
        text = group_space.sub("", text)
    elif pointed.fullmatch(text):
        text = text.replace(".", "")
    if "," not in text:
        return text
    if thousands.fullmatch(text):
        return text.replace(",", "")
    if decimal_comma.fullmatch(text):
        return text.replace(",", ".")
    return ""
