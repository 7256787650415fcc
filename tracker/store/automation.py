"""SQL for automatic actions: ``automation_actions`` and ``automation_skips`` (m013).

Functions take a :class:`~tracker.store.orders.Store`. An action row is written
(status Sending) and committed *before* the panel is called; the unique index
``automation_once`` makes a second action of one kind on one order impossible.
Decisions are made in :mod:`tracker.rules.reorders`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from tracker.clock import iso
from tracker.rules.reorders import REORDER, SENDING, UNKNOWN
from tracker.store.alerts import CURRENCY_AT
from tracker.store.automation_candidates import ELSEWHERE_OF
from tracker.store.connection import Connection
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
