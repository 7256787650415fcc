"""Scalars as panels send them: numbers as strings or numbers, flags in five
spellings, text that may be anything. Pure; every function returns None (or
False) for what it cannot read instead of raising."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

_MAX_TEXT = 300


def short(text: object, limit: int = _MAX_TEXT) -> str:
    """Given any value, return it as one printable line of at most ``limit`` chars."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def to_decimal(value: Any) -> Decimal | None:
    """Given "0.27819", 0.08011655652, 100 or None, return a Decimal or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal | str):
        text = str(value).strip().replace(",", "")
        if not text:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
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
    # Fast paths for the shapes nearly every answer uses ("157", 157): this
    # runs several times per order on every poll.
    if type(value) is int:
        return value if -_INT_MAX <= value < _INT_MAX else None
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 19:
        return int(value)
    number = to_decimal(value)
    if number is None or not -_INT_LIMIT <= number < _INT_LIMIT:
        return None
    if number != number.to_integral_value():
        return None
    return int(number)


def to_bool(value: Any) -> bool:
    """Given a flag as panels send it (true, 1, "1", "0", "yes", missing), return a bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on", "y"}
    return False


def to_text(value: Any) -> str | None:
    """Given a scalar, return it as stripped text, or None for null/empty/containers."""
    if value is None or isinstance(value, dict | list | bool):
        return None
    text = str(value).strip()
    return text or None
