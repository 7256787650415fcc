"""SQL for automatic actions: ``automation_actions`` and ``automation_skips`` (m013).

Functions take a :class:`~tracker.store.orders.Store`. An action row is written
(status Sending) and committed *before* the panel is called; the unique index
``automation_once`` makes a second action of one kind on one order impossible.
Decisions are made in :mod:`tracker.rules.reorders`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
from tracker.rules.reorders import PLACED, REORDER, SENDING, SPENDING, UNKNOWN
from tracker.store.alerts import CURRENCY_AT, balance_currencies
from tracker.store.automation_candidates import ELSEWHERE_OF
from tracker.store.capabilities import is_unsupported
from tracker.store.connection import Connection
from tracker.store.costs import counted_spend
from tracker.store.same_panel import held_elsewhere
from tracker.store.sql import chunks
from tracker.store.sql import placeholders as _marks
from tracker.store.tracking import Placed

# --- actions -------------------------------------------------------------------


def begin_action(
    store: Connection,
    panel: str,
    order_id: int,
    action: str,
    now: datetime,
    *,
    status: str = SENDING,
    dry_run: bool = False,
    **fields: Any,
) -> int | None:
    """Record an action about to be taken (or, dry run, that would be), and commit.

    Return the row's ID, or None when this order already had this action (it
    is never taken twice). ``fields``: service, link, quantity, estimated_cost,
    reason; a cost's ``currency`` is the one the panel's balance last named.
    """
    stamp = iso(now)
    values = {
        "panel": panel,
        "order_id": order_id,
        "action": action,
        "dry_run": int(dry_run),
        "status": status,
        "at": stamp,
        "updated_at": stamp,
        **{k: float(v) if isinstance(v, Decimal) else v for k, v in fields.items()},
    }
    with store.write() as db:
        if (
            action == REORDER
            and db.conn.execute(
                _ELSEWHERE, [order_id, panel, int(dry_run), fields.get("link")]
            ).fetchone()
        ):
            return None  # the same order under another panel name, this very moment
        if values.get("estimated_cost") is not None:  # in the balance's currency now (m045)
            named = db.conn.execute(CURRENCY_AT, [panel, stamp]).fetchone()
            values["currency"] = named[0] if named else None
        # ON CONFLICT DO NOTHING: the unique index automation_once already has
        # this order's action, so it is not taken again.
        cursor = db.conn.execute(
            f"INSERT INTO automation_actions ({', '.join(values)}) "
            f"VALUES ({_marks(values)}) ON CONFLICT DO NOTHING",
            list(values.values()),
        )
        if cursor.rowcount == 0:
            return None
        db.conn.execute(
            "DELETE FROM automation_skips WHERE panel = ? AND order_id = ? AND action = ?",
            [panel, order_id, action],
        )
        return int(cursor.lastrowid or 0)


# The panel name under which this order (ID and link) was re-ordered already,
# other than its own: two [[panels]] entries for one panel, or one renamed
# and the order tracked again. Read with the candidates, and again in the
# transaction that records a re-order (two entries deciding side by side).
_ELSEWHERE = ELSEWHERE_OF.format(order="?", panel="?", link="?")


def finish_action(store: Connection, row_id: int, fields: dict[str, Any], now: datetime) -> None:
    """Given the outcome of a sent action, store it on its row."""
    values = {**fields, "updated_at": iso(now)}
    with store.write() as db:
        db.conn.execute(
            f"UPDATE automation_actions SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
            [*values.values(), row_id],
        )


def record_placed(
    store: Connection,
    row_id: int,
    new_order_id: int,
    row: dict[str, Any],
    now: datetime,
    others: Sequence[str] = (),
) -> Placed:
    """Given a re-order the panel accepted, start tracking the new order (linked
    to its parent) and mark its action Placed, in one transaction; return it
    ``new``. A drip-feed re-order's ``row`` has ``each`` (a run's quantity,
    what the order's ``quantity`` holds), ``runs`` and ``interval``. When the
    panel named an order already tracked, here or by one of ``others`` (the
    other entries for its url, :mod:`tracker.store.same_panel`), change
    nothing: that row is never overwritten; the caller settles the action."""
    stamp = iso(now)
    values = [row["panel"], new_order_id, row["service"], row["link"]]
    values += [row.get("each", row["quantity"]), row.get("runs"), row.get("interval")]
    with store.write() as db:
        if (elsewhere := held_elsewhere(db.conn, others, new_order_id)) is not None:
            return Placed(False, elsewhere)
        cursor = db.conn.execute(
            'INSERT INTO orders (panel, order_id, service, link, quantity, runs, "interval", '
            "created_at, updated_at, source, parent_order_id) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'reorder', ?) ON CONFLICT (panel, order_id) DO NOTHING",
            [*values, stamp, stamp, row["order_id"]],
        )
        if cursor.rowcount == 0:
            return Placed(False)
        db.conn.execute(
            "UPDATE automation_actions SET status = 'Placed', new_order_id = ?, error = NULL, "
            "updated_at = ? WHERE id = ?",
            [new_order_id, stamp, row_id],
        )
        return Placed(True)


def forget_unsent(store: Connection, row_ids: Iterable[int]) -> None:
    """Delete action rows whose request certainly never reached the panel."""
    ids = list(row_ids)
    with store.write() as db:
        for chunk in chunks(ids):
            db.conn.execute(
                f"DELETE FROM automation_actions WHERE id IN ({_marks(chunk)}) AND status = ?",
                [*chunk, SENDING],
            )


def settle_interrupted(store: Connection, panel: str, before: datetime, now: datetime) -> int:
    """Close action rows left Sending since before ``before`` (the process died
    between sending and storing the answer) as Unknown; return how many."""
    with store.write() as db:
        cursor = db.conn.execute(
            "UPDATE automation_actions SET status = ?, updated_at = ?, "
            "error = 'interrupted before the panel''s answer was stored' "
            "WHERE panel = ? AND status = ? AND at < ?",
            [UNKNOWN, iso(now), panel, SENDING, iso(before)],
        )
        return cursor.rowcount


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


def note_skips(
    store: Connection, panel: str, action: str, reasons: dict[int, str], now: datetime
) -> None:
    """Given why orders were not acted on, keep the latest reason of each."""
    if not reasons:
        return
    stamp = iso(now)
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO automation_skips (panel, order_id, action, reason, first_at, last_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (panel, order_id, action) DO UPDATE SET "
            "reason = excluded.reason, last_at = excluded.last_at, times = times + 1",
            [(panel, oid, action, why, stamp, stamp) for oid, why in reasons.items()],
        )


# --- reading -------------------------------------------------------------------


def actions(
    store: Connection,
    *,
    panel: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Return automatic actions, newest first."""
    where, params = _filters(panel, since, "at")
    tail = f"LIMIT {int(limit)}" if limit else ""
    return store.rows(f"SELECT * FROM automation_actions {where} ORDER BY id DESC {tail}", params)


def skips(
    store: Connection,
    *,
    panel: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Return why orders were not acted on, most recently seen first."""
    where, params = _filters(panel, since, "last_at")
    tail = f"LIMIT {int(limit)}" if limit else ""
    return store.rows(
        f"SELECT * FROM automation_skips {where} ORDER BY last_at DESC, order_id DESC {tail}",
        params,
    )


def _filters(panel: str | None, since: datetime | None, column: str) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if panel is not None:
        where.append("panel = ?")
        params.append(panel)
    if since is not None:
        where.append(f"{column} >= ?")
        params.append(iso(since))
    return (f"WHERE {' AND '.join(where)}" if where else ""), params
