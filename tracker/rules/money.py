"""Amounts as a person reads them: to the cent at least, every decimal the
panel gave, never cut to six digits ("12345.7" for 12345.67) nor written as
an exponent ("1.23457e+06"). Pure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def money(amount: Decimal | float | int) -> str:
    """Given an amount, return it with at least two decimals and no float noise."""
    value = Decimal(str(amount))
    if not value.is_finite() or value.adjusted() > 15:
        return f"{value:.6g}"  # never a billion digits (older rows may hold such)
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:f}"


def money_or_none(amount: Any) -> str | None:
    """:func:`money` for a stored charge or balance that may be NULL (None)."""
    return None if amount is None else money(amount)
