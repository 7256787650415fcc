"""Amounts as a person reads them: to the cent at least, every decimal the
panel gave, never cut to six digits ("12345.7" for 12345.67) nor written as
an exponent ("1.23457e+06"). Pure."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any


def money(amount: Decimal | float | int) -> str:
    """Given an amount, return it with at least two decimals and no float noise."""
    value = Decimal(str(amount))
    if not value.is_finite() or value.adjusted() > 15:
        # Never a billion digits (older rows may hold such); a sum's trailing
        # zeros dropped, as a charge's are: "3e+308", not "3.00000e+308".
        return f"{value.normalize():.6g}"
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -2:
        value = value.quantize(Decimal("0.01"))
    return f"{value:f}"


# From here up an amount is read to the cent: a fraction of a cent is no part
# of 5,359,207.00 anyone reads (it read "5359206.9991 RUB" on the dashboard).
GROUPED_TO_CENTS = Decimal(1000)


def money_grouped(amount: Decimal | float | int) -> str:
    """Given an amount, return it as the dashboard's cards write it: its
    thousands grouped by commas and, from 1,000 up, rounded to the cent
    ("5,359,207.00" for 5359206.9991); below, as :func:`money` writes it,
    every decimal (0.000002 is no 0.00). A huge one as :func:`money` too."""
    shown = money(amount)
    value = Decimal(shown)
    if not value.is_finite() or "e" in shown or abs(value) < GROUPED_TO_CENTS:
        return shown
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):,.2f}"


# A currency is a few characters ("USD", "₽"); a panel may send 1,000 (stored cut there).
CURRENCY_SHOWN = 40


def currency_shown(currency: str) -> str:
    """Given a panel's currency, return it as a line shows it: cut to
    :data:`CURRENCY_SHOWN` characters with an ellipsis (escaping is the caller's)."""
    if len(currency) <= CURRENCY_SHOWN:
        return currency
    return currency[: CURRENCY_SHOWN - 1] + "…"


# The currencies a metrics label names (else "other"): ISO 4217's codes, a few
# older ones panels still write (RUR, BYR), the coins panels take, and lone
# signs. A fixed set: a panel answering "C1", "C2"... at each balance check
# would begin a new series each time, and Prometheus keeps every one it saw.
_LABELLED = """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD
    MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS
    SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
    VED VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    RUR BYR VEF
    BTC ETH LTC USDT USDC TRX BNB TON DOGE XRP SOL DAI BUSD
    $ € £ ¥ ₽ ₹ ₺ ₴ ₸ ₩ ₦ ₱ ₫ ₪ ₿ ৳"""
LABELLED_CURRENCIES = frozenset(_LABELLED.split())


def money_or_none(amount: Any) -> str | None:
    """:func:`money` for a stored charge or balance that may be NULL (None)."""
    return None if amount is None else money(amount)


def charge_or_none(amount: Any) -> str | None:
    """:func:`money_or_none` for a stored charge, an infinite one (0.1.0
    stored a panel's "1e400" so) None too: no one can pay it, no figure, as
    ``--json`` says (null) and ``report`` counts it (in no spend); a NaN too."""
    if isinstance(amount, float) and not math.isfinite(amount):
        return None
    return money_or_none(amount)


def same_currency(a: str | None, b: str | None) -> bool:
    """Return True when two currency labels name one currency ("usd", " USD")."""
    return (a or "").strip().upper() == (b or "").strip().upper()


def charge_currencies(before: Any, after: Any) -> dict[str, Any]:
    """Given the currency a charge was stored in and the one it is now in,
    return what its ``order_charge_changed`` line says of them: ``currency``
    (now's; None: none said), and ``currency_before`` when it was another."""
    if before is None or same_currency(before, after):
        return {"currency": after}
    return {"currency": after, "currency_before": before}


def charged_in(change: dict[str, Any]) -> dict[str, Any]:
    """Given a charge change (:func:`charge_currencies` in it), return its
    currency fields for its log line."""
    return {name: change[name] for name in ("currency", "currency_before") if name in change}


def currency_key(currency: str | None) -> str | None:
    """Given a currency label, return what names its currency ("usd", " USD"
    and "USD" are one): the label stripped and upper-cased; None stays None
    (no currency said: a figure of its own)."""
    return None if currency is None else currency.strip().upper()


def one_per_currency(figures: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given spend figures (``{"currency", "spend"}``, highest first), return
    one per currency, those whose labels differ only in case or blanks added
    up ("12.30 USD" for 10.00 USD and 2.30 usd), highest first. A merged
    figure is labelled by its upper-case spelling when the panel wrote one,
    else by the label of its largest figure."""
    groups: dict[str | None, list[dict[str, Any]]] = {}
    for figure in figures:
        groups.setdefault(currency_key(figure["currency"]), []).append(figure)
    if len(groups) == len(figures):
        return list(figures)
    merged = []
    with localcontext() as context:  # an infinite or NaN figure an older row holds: no error
        context.traps[InvalidOperation] = False
        for key, group in groups.items():
            labels = [f["currency"] for f in group]
            label = key if key in labels else labels[0]
            spend = sum((Decimal(str(f["spend"])) for f in group), Decimal(0))
            merged.append({"currency": label, "spend": spend})
    return sorted(merged, key=lambda f: -sort_amount(f["spend"]))


def sort_amount(amount: Any) -> float:
    """Given an amount, return it as a float to sort by: a NaN (no number) lowest."""
    value = float(amount)
    return -math.inf if math.isnan(value) else value


def ranked_currencies(rows: list[dict[str, Any]]) -> list[str]:
    """Given scorecard rows (``spend_by_currency`` each, its figures one per
    currency, highest first), rank them as `report` does, in place: in one
    currency, highest spend first, as the view ranks them; in several, never
    a rouble's spend above a dollar's by the bare number: the rows of each
    currency together, the currencies A to Z, highest spend first in each
    (a row in several by its largest figure), those with no spend last. So
    too one currency beside spends in none the panel said: 2.00 (unsaid) sat
    above 1.00 USD by the bare number; now after the USD ones. Return the
    currencies so ranked, as labelled (only one, and none beside it: none)."""
    labels: dict[str, str] = {}
    unsaid = False  # a spend whose currency no answer gave
    for row in rows:
        if not row["spend_by_currency"]:
            continue
        if label := row["spend_by_currency"][0]["currency"]:
            labels.setdefault(str(currency_key(label)), label)
        else:
            unsaid = True
    if len(labels) + unsaid < 2:
        return []

    def rank(row: dict[str, Any]) -> tuple[bool, str, float]:
        if not row["spend_by_currency"]:
            return (True, "", 0.0)
        top = row["spend_by_currency"][0]
        return (
            top["currency"] is None,
            currency_key(top["currency"]) or "",
            -sort_amount(top["spend"]),
        )

    rows.sort(key=rank)  # stable: the view's order where two tie
    return [labels[key] for key in sorted(labels)]
