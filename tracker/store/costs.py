"""What automatic re-orders cost, against the daily cap: the rate a Partial's
re-order is estimated at, and what each re-order of the day counts once the
panel has charged it. Part of :mod:`tracker.store.automation`, which reads the
rows; the decisions are made in :mod:`tracker.rules.reorders`.

A charge counts whatever currency label it carries: the larger figure
always wins, so a charge in a weaker currency only holds re-orders back
sooner, and a label written differently ("$", "US Dollar", a balance
answered in another) can never let a real charge go uncounted.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tracker.rules.reorder_costs import WIDE, charged_rate, counted_cost, reorder_rate


def with_estimate_rates(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Given Partial candidate rows (``service_rate`` as the catalogue has it,
    the order's ``charge``, ``quantity``, ``remains``, ``runs``,
    ``service_ambiguous``), return them with ``service_rate`` the rate the
    re-order is estimated at: the larger of ``catalogue_rate`` and
    ``charged_rate`` (what the panel charged for the Partial), or None while
    the service is listed twice with different terms (the stored ones are
    from before)."""
    for row in rows:
        charge = _decimal(row["charge"])
        charged = charged_rate(charge, row["quantity"], row["remains"], row["runs"])
        catalogue = _decimal(row["service_rate"])
        row["catalogue_rate"], row["charged_rate"] = catalogue, charged
        row["service_ambiguous"] = bool(row["service_ambiguous"])
        row["service_rate"] = None if row["service_ambiguous"] else reorder_rate(catalogue, charged)
    return rows


def counted_spend(rows: list[dict[str, Any]]) -> Decimal:
    """Given a panel's re-orders (``estimated_cost``, and the new order's
    ``charge``, None until placed and polled), return what they count toward
    the cap: each the larger of its estimate and its charge
    (:func:`~tracker.rules.reorder_costs.counted_cost`), never below 0."""
    spent = Decimal(0)
    for row in rows:  # in full: a charge stored before amounts were bounded (1e25)
        spent = WIDE.add(
            spent, counted_cost(_decimal(row["estimated_cost"]), _decimal(row["charge"]))
        )
    return spent.quantize(Decimal("0.00001"), context=WIDE)


def _decimal(value: Any) -> Decimal | None:
    """Given a REAL as SQLite stored it, return it as a Decimal, or None."""
    return None if value is None else Decimal(str(value))
