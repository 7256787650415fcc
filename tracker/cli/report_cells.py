"""The cells of ``smm-tracker report``'s scorecard rows (:mod:`tracker.cli.report`):
shares as percentages, completion times as a person's figure, the spend as
one figure per currency with its charges that are no finite number said."""

from __future__ import annotations

from collections.abc import Set
from decimal import Decimal
from typing import Any

from tracker.cli.render import safe_text
from tracker.rules.alerts import rough_duration
from tracker.rules.money import currency_key, money


def _pct(share: float | None) -> str | None:
    # Half up (62.5% shows as 63%), not Python's half-to-even.
    return None if share is None else f"{int(share * 100 + 0.5)}%"


def _money(amount: Decimal | float | None) -> str:
    """Given a spend (the exact sum of its charges), return it as ``orders``
    shows a charge: to the cent at least, every decimal it has (0.477 three
    times is 1.431, not 1.43), as the dashboard shows it; no figure (its
    charges all no finite number) "-", as ``orders`` shows such a charge."""
    return "-" if amount is None else money(amount)


# Per (panel, service, folded currency): its charges that are no finite number.
Unknown = dict[tuple[Any, Any, Any], int]
# The (panel, service) none of whose orders has a charge yet (reports.uncharged).
Uncharged = Set[tuple[Any, Any]]


def _amounts(
    row: dict[str, Any], unknown: Unknown, uncharged: Uncharged = frozenset()
) -> list[tuple[str, str | None]]:
    """Given a scorecard row, return its spend per currency, highest first, as
    (figure, currency): the known charges' sum, "+ 2 unknown" after it when
    some of that currency's charges are no finite number ("2.50 + 1
    unknown"), "-" when all are; none of its orders charged yet (the panel
    has said no charge: ``uncharged``) "-", as ``orders`` shows such a
    charge (``--json`` says 0.0); only charges of 0: "0.00"."""
    key = (row["panel"], row["service"])
    left = {c: n for (*at, c), n in unknown.items() if tuple(at) == key}
    figures = row["spend_by_currency"]
    if len(figures) <= 1 and not (left.keys() - {currency_key(row["currency"])}):
        figures = [{"currency": row["currency"], "spend": row["spend"]}]  # as the view has it
        if key in uncharged:  # no charge said yet: not known, as `orders` shows it
            figures[0]["spend"] = None
        elif row["spend"] is None and not left:  # no charge at all: nothing spent
            figures[0]["spend"] = 0
    shown = []
    for figure in figures:
        n = left.pop(currency_key(figure["currency"]), 0)
        more = f" + {n} unknown" if n and figure["spend"] is not None else ""
        shown.append((_money(figure["spend"]) + more, figure["currency"]))
    return shown + [("-", c) for c in left]  # a currency whose every charge is unknown


def _spends(
    row: dict[str, Any], unknown: Unknown, piped: bool = False, uncharged: Uncharged = frozenset()
) -> list[str]:
    """Given a scorecard row, return its spend as the SPEND cell shows it: one
    figure per currency, highest first ("12.30 USD", "4.00 EUR"), never a sum;
    piped, they are said in one cell ("12.30 USD, 4.00 EUR"), the currency
    as stored (the piped table escapes each cell once). Charges that are no
    finite number are said ("2.50 USD + 1 unknown"; all of them: "- USD")."""
    unit = _raw if piped else _currency
    spends = []
    for figure, currency in _amounts(row, unknown, uncharged):
        amount, _, more = figure.partition(" + ")
        said = f"{amount} {unit(currency) or ''}".rstrip()
        spends.append(f"{said} + {more}" if more else said)
    return spends


def _raw(currency: str | None) -> str | None:
    return currency


def _currency(currency: str | None) -> str | None:
    """A currency as the panel wrote it, its control characters escaped: the
    terminal's table prints it beside the spend, not through a table cell."""
    return None if currency is None else safe_text(currency)


def _took(seconds: float | None) -> str | None:
    # A person's figure ("4h30m", not "4h30m19s"), as in alerts; below 0 when
    # the clock was set back between first seen and completed: shown as 0s.
    return None if seconds is None else rough_duration(seconds)


def shown_row(
    row: dict[str, Any], unknown: Unknown, piped: bool = False, uncharged: Uncharged = frozenset()
) -> dict[str, Any]:
    """Given a scorecard row, return it with the table's formatted cells added
    (``piped``: its words as stored, for the piped table to escape once;
    ``unknown``: the charges left out of each spend, ``uncharged``: the
    services charged nothing yet, :func:`_amounts`)."""
    spends = _spends(row, unknown, piped, uncharged)
    name = row["service_name"] or None  # none (not recorded, not synced): "-", as every cell
    return {
        **row,
        "service_name": name if name is None or len(name) <= 32 else name[:31] + "…",
        "currency": row["currency"] if piped else _currency(row["currency"]),
        "completed_pct": _pct(row["share_completed"]),
        "partial_pct": _pct(row["share_partial"]),
        "canceled_pct": _pct(row["share_canceled"]),
        "refunded_pct": _pct(row["share_refunded"]),
        "median": _took(row["median_completion_seconds"]),
        "p90": _took(row["p90_completion_seconds"]),
        "refills": f"{row['refills_asked']}/{row['refills_accepted']}/{row['refills_completed']}",
        "refilled_pct": _pct(row["share_refilled"]),
        "spend_text": ", ".join(spends),
        "spends": spends,
        "spend_figure": _amounts(row, unknown, uncharged)[0][0],  # the first, its currency left out
        "uncharged": (row["panel"], row["service"]) in uncharged,
    }
