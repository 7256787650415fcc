"""What a panel's re-orders spent toward its daily cap, by the currency its
balance named, and whether they are held for the cap's currency
(``automation_actions``, ``automation_skips``; moved out of
:mod:`tracker.store.automation`, which records the actions)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tracker.clock import iso, read_iso
from tracker.rules.capabilities import BALANCE
from tracker.rules.money import currency_key
from tracker.rules.reorder_costs import (
    CURRENCY_HOLD,
    HOLD_START,
    Hold,
    counts_toward,
    currency_held,
)
from tracker.rules.reorders import PLACED, REORDER, SPENDING
from tracker.store.alerts import balance_currencies
from tracker.store.capabilities import is_unsupported
from tracker.store.connection import Connection
from tracker.store.costs import counted_spend
from tracker.store.sql import placeholders as _marks


def spent_since(store: Connection, panel: str, since: datetime, *, dry_run: bool) -> Decimal:
    """Return what a panel's re-orders since ``since`` that were (or may have
    been, or in a dry run would have been) placed count toward the cap: each
    its estimated cost, or the charge the panel answered for the new order
    when that is more (:func:`~tracker.rules.reorder_costs.counted_cost`). A cost
    below 0 (recorded before such rates were refused) counts as 0."""
    return counted_spend(_spending(store, panel, since, dry_run))


def spent_by_currency(
    store: Connection, panel: str, since: datetime, *, dry_run: bool
) -> list[tuple[str | None, Decimal]]:
    """Return :func:`spent_since`'s spend split by the currency the panel's
    balance named when each re-order was recorded (None: none named yet), in
    the order first spent: a cap's figure after the panel's currency changed
    (EUR to RUB) is not all in the currency it names now."""
    rows = _spending(store, panel, since, dry_run)
    named = balance_currencies(store, panel, since)
    parts: dict[str | None, tuple[str | None, list[dict[str, Any]]]] = {}
    for row in rows:
        at = read_iso(row["at"])  # the last currency named at or before it
        label = None
        for currency, when in named:
            if when is None or at is None or when <= at:
                label = currency
        parts.setdefault(currency_key(label), (label, []))[1].append(row)
    return [(label, counted_spend(part)) for label, part in parts.values()]


def spent_toward(
    store: Connection, panel: str, since: datetime, cap_currency: str | None, *, dry_run: bool
) -> Decimal:
    """Return what the panel's daily cap in ``cap_currency`` (None: the panel's
    own, as its last balance named it) counts of :func:`spent_by_currency`
    (:func:`~tracker.rules.reorder_costs.counts_toward`)."""
    named = balance_currencies(store, panel, since)
    cap_in = cap_currency or (named[-1][0] if named else None)
    parts = spent_by_currency(store, panel, since, dry_run=dry_run)
    return sum((part for label, part in parts if counts_toward(label, cap_in)), Decimal(0))


def _spending(
    store: Connection, panel: str, since: datetime, dry_run: bool
) -> list[dict[str, Any]]:
    """A panel's re-orders since ``since`` that count toward the cap, in the
    order recorded: each its ``at``, ``estimated_cost`` and new order's ``charge``."""
    return store.rows(
        f"SELECT a.at, a.estimated_cost, n.charge FROM automation_actions a "
        f"LEFT JOIN orders n ON a.status = ? AND n.panel = a.panel "
        f"AND n.order_id = a.new_order_id "
        f"WHERE a.panel = ? AND a.action = ? AND a.dry_run = ? AND a.at >= ? "
        f"AND a.status IN ({_marks(SPENDING)}) ORDER BY a.id",
        [PLACED, panel, REORDER, int(dry_run), iso(since), *SPENDING],
    )


def currency_hold(
    store: Connection,
    panel: str,
    cap_currency: str | None,
    now: datetime,
    *,
    setting: str,
    url: str | None,
) -> Hold | None:
    """Given the panel's daily cap's currency, the setting naming it
    (:meth:`~tracker.config.model.AutomationConfig.cap_currency`) and the
    panel's URL now (None: a panel no longer configured, learned at any),
    return why its re-orders are held for it and until when
    (:func:`~tracker.rules.reorder_costs.currency_held`), or None."""
    since = now - timedelta(seconds=CURRENCY_HOLD)
    named = balance_currencies(store, panel, since)
    # No balance action learned at its URL now: no balance will name one. One
    # learned at an earlier URL holds no more (a panel moved to a script with it).
    none = not named and cap_currency is not None and is_unsupported(store, panel, BALANCE, url)
    return currency_held(cap_currency, named, setting, no_balance=none)


def held_back(store: Connection, panel: str, since: datetime) -> str | None:
    """Return why a panel's Partials were held for the cap's currency at a
    round since ``since`` (the latest such skip's reason: :func:`currency_hold`'s,
    or the balance asked before re-ordering failing), or None when none was."""
    found = store.rows(
        "SELECT reason FROM automation_skips WHERE panel = ? AND action = ? "
        "AND last_at >= ? AND substr(reason, 1, ?) = ? ORDER BY last_at DESC, rowid DESC LIMIT 1",
        [panel, REORDER, iso(since), len(HOLD_START), HOLD_START],
    )
    return str(found[0]["reason"]) if found else None
