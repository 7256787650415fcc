"""The scorecard of ``smm-tracker report``: functions taking a store connection.

The SQL is the ``service_scorecard`` view's of m041 (store/scorecard.py)
with the window and panel as parameters, so the report and the view never
disagree: the figures of a currency written in two cases ("USD", "usd")
are folded here (rules/money.py), as the view folds them in SQL since m042,
each figure's exact sum read per label as stored. The query reads only
``order_overview``. (A database behind this version's schema that this user
cannot migrate is refused by the read commands before it gets here: a write
command upgrades it.)
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from tracker.clock import iso
from tracker.rules.money import currency_key, one_per_currency, sort_amount
from tracker.store.connection import Connection
from tracker.store.scorecard import SCORECARD_QUERY_M041

_WINDOW = "first_seen >= ?1 AND (?2 IS NULL OR panel = ?2)"
# The view's columns the scorecard reads, a currency stored as bytes (a hand
# edit: no JSON can hold it, the report ended "JSON cannot hold BLOB values")
# read as unknown: as a charge whose currency the panel did not say. The
# charge as stored: the view's is NULL where it is no finite number (m049),
# and a service charged such alone has no spend figure (None), not 0.
_OVERVIEW = "SELECT * FROM order_overview WHERE ("
_READ = (
    "SELECT * FROM (SELECT panel, service, service_name, status, is_open, first_seen, "
    "completion_seconds, refills, refills_accepted, refills_completed, needed_refill, "
    "COALESCE(charge, (SELECT o.charge FROM orders AS o "
    "WHERE o.panel = v.panel AND o.order_id = v.order_id)) AS charge, "
    "CASE WHEN typeof(currency) <> 'blob' THEN currency END AS currency, "
    "order_id, CASE WHEN typeof(currency) = 'blob' THEN currency END AS currency_bytes "
    "FROM order_overview AS v) WHERE ("
)
assert SCORECARD_QUERY_M041.count(_OVERVIEW) == 1
_QUERY = SCORECARD_QUERY_M041.replace(_OVERVIEW, _READ)
_SCORECARD = _QUERY.format(window=_WINDOW)
# The charges the scorecard adds up, each order's: its orders (the query's
# first table, ``recent``), those charged (a charge of 0 adds to no figure).
_RECENT = _QUERY[: _QUERY.index("ranked AS (")].rstrip()
_CHARGES = _RECENT.removesuffix(",").format(window=_WINDOW) + (
    "\nSELECT panel, service, currency, charge, count(*) FROM recent WHERE charge <> 0"
    "\nGROUP BY panel, service, currency, charge"  # orders of a price are many: once each
)
# The services none of whose orders has a charge yet (NULL: not said by the panel).
_UNCHARGED = _RECENT.removesuffix(",").format(window=_WINDOW) + (
    "\nSELECT panel, service FROM recent GROUP BY panel, service HAVING count(charge) = 0"
)
# The orders whose currency is bytes, the first by panel and ID, and how many.
_BYTES = _RECENT.removesuffix(",").format(window=_WINDOW) + (
    "\nSELECT panel, order_id, currency_bytes, count(*) OVER () AS orders FROM recent"
    "\nWHERE currency_bytes IS NOT NULL ORDER BY panel, order_id LIMIT 1"
)
# SQLite writes an infinite spend as a bare Inf, which is no JSON: a charge
# 0.1.0 stored as infinity (a panel's "1e400"). Read as 1e999: infinity.
_INFINITE = re.compile(r'("spend":-?)Inf\b')


def scorecard(store: Connection, since: datetime, panel: str | None = None) -> list[dict[str, Any]]:
    """Given a start time (and a panel name), return one row per panel and service
    for the orders first seen since then, highest spend first; columns as the
    ``service_scorecard`` view, ``spend_by_currency`` read from its JSON text
    into a list of ``{"currency", "spend"}`` dicts.

    Each spend is the exact sum of the orders' charges as stored (Decimal:
    0.477 three times is 1.431, every decimal the panel gave kept, never a
    float's 1.4309999999999998 nor the view's figure rounded to 5 decimals),
    as ``orders`` shows each charge."""
    rows = store.rows(_SCORECARD, [iso(since), panel])
    exact = _exact_spends(store, since, panel)
    merged = False
    for row in rows:
        figures = json.loads(_INFINITE.sub(r"\g<1>1e999", row["spend_by_currency"]))
        key = (row["panel"], row["service"])
        for figure in figures:
            figure["spend"] = exact.get((*key, figure["currency"]), figure["spend"])
        if any(figure["spend"] is None for figure in figures):  # charged infinity alone
            figures = [figure for figure in figures if figure["spend"] is not None]
            row["spend"], merged = None, True  # no figure: unknown, not 0
            if len(figures) == 1:  # its other currency alone now: its figure (below)
                row["currency"] = figures[0]["currency"]
        # The exact figures' order (the view ranked a currency whose sum it
        # could not make, NaN, last); m041's text groups the labels as
        # stored: "usd" and "USD" are one currency.
        figures.sort(key=lambda f: -sort_amount(f["spend"]))
        row["spend_by_currency"] = one_per_currency(figures)
        if len(row["spend_by_currency"]) < len(figures):
            merged = True
            if len(row["spend_by_currency"]) == 1:  # one currency after all: its figure
                row["currency"] = row["spend_by_currency"][0]["currency"]
        if len(row["spend_by_currency"]) == 1:
            row["spend"] = row["spend_by_currency"][0]["spend"]
    if merged:  # the view's order, by the figures added up: highest spend first
        rows.sort(key=lambda r: -sort_amount(_top(r)))
    return rows


def unknown_charges(
    store: Connection, since: datetime, panel: str | None = None
) -> dict[tuple[Any, Any, Any], int]:
    """Return how many of each (panel, service, currency)'s orders the
    scorecard counts have a charge that is no finite number (infinity, text
    or bytes: ``orders`` shows it blank), their currency folded as
    :func:`~tracker.rules.money.currency_key` folds it; such a charge is
    left out of its spend."""
    counts: dict[tuple[Any, Any, Any], int] = defaultdict(int)
    for order_panel, service, currency, charge, orders in store.tuples(
        _CHARGES, [iso(since), panel]
    ):
        if not isinstance(charge, int | float) or not math.isfinite(charge):
            counts[(order_panel, service, currency_key(currency))] += orders
    return dict(counts)


def uncharged(store: Connection, since: datetime, panel: str | None = None) -> set[tuple[Any, Any]]:
    """Return the (panel, service) of the scorecard's services none of whose
    orders has a charge yet (NULL: the panel has not said one): their spend
    is not known yet, though the view and ``--json`` say 0.0."""
    return set(store.tuples(_UNCHARGED, [iso(since), panel]))


def _top(row: dict[str, Any]) -> Any:
    """A scorecard row's spend, or its largest figure when in several currencies."""
    if row["spend"] is not None:
        return row["spend"]
    return row["spend_by_currency"][0]["spend"] if row["spend_by_currency"] else 0


def _exact_spends(
    store: Connection, since: datetime, panel: str | None
) -> dict[tuple[Any, Any, Any], Decimal | None]:
    """Return each (panel, service, currency)'s spend: its orders' charges
    added up exactly, each as written (a float's shortest form: the panel's).
    A charge that is no finite number (0.1.0 stored a panel's "1e400" as
    infinity; text or bytes a hand edit left) is no figure: left out of the
    sum, and a spend of such charges alone is None (no figure). (A text
    charge made the sum NaN: the view's figure, infinite with it, was kept
    and then dropped as unknown, the currency's other charges with it.)"""
    sums: dict[tuple[Any, Any, Any], Decimal] = defaultdict(Decimal)
    unknown: set[tuple[Any, Any, Any]] = set()
    with localcontext() as context:  # an infinite charge an older row holds: no error
        context.traps[InvalidOperation] = False
        for order_panel, service, currency, charge, orders in store.tuples(
            _CHARGES, [iso(since), panel]
        ):
            key = (order_panel, service, currency)
            if not isinstance(charge, int | float) or not math.isfinite(charge):
                unknown.add(key)
                continue
            sums[key] += Decimal(repr(float(charge))) * orders
    spends: dict[tuple[Any, Any, Any], Decimal | None] = dict.fromkeys(unknown - set(sums))
    return spends | {key: spend for key, spend in sums.items() if spend.is_finite()}


def bytes_currency(
    store: Connection, since: datetime, panel: str | None = None
) -> tuple[dict[str, Any] | None, int]:
    """Return the first order the scorecard counts whose currency is bytes
    (``panel``, ``order_id``, ``currency_bytes``: a hand edit, read as no
    currency said), by panel and ID, and how many such orders it counts."""
    rows = store.rows(_BYTES, [iso(since), panel])
    return (rows[0], rows[0]["orders"]) if rows else (None, 0)


def order_panels(store: Connection) -> list[str]:
    """Return the panels the database holds orders of, by name."""
    return [r["panel"] for r in store.rows("SELECT DISTINCT panel FROM orders ORDER BY panel")]
