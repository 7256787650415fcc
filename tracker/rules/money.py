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


# A currency is a few characters ("USD", "₽"); a panel may send 1,000 (stored cut there).
CURRENCY_SHOWN = 40


def currency_shown(currency: str) -> str:
    """Given a panel's currency, return it as a line shows it: cut to
    :data:`CURRENCY_SHOWN` characters with an ellipsis (escaping is the caller's)."""
    if len(currency) <= CURRENCY_SHOWN:
        return currency
    return currency[: CURRENCY_SHOWN - 1] + "…"


def money_or_none(amount: Any) -> str | None:
    """:func:`money` for a stored charge or balance that may be NULL (None)."""
    return None if amount is None else money(amount)


def same_currency(a: str | None, b: str | None) -> bool:
    """Return True when two currency labels name one currency ("usd", " USD")."""
    return (a or "").strip().upper() == (b or "").strip().upper()
