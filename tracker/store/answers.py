"""Storing multi-status answers: their order updates and transitions, a group of answers
joined into one write (:func:`merged`), inside the caller's transaction
(:meth:`tracker.store.orders.Store.apply_answers`). The hot path (a report with a status) goes
through :func:`tracker.rules.status_tuples.status_update` and UPDATEs built once
(:mod:`tracker.store.status_sql`); errors and IDs missing from the answer through
:func:`tracker.rules.transitions.apply_report`.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from tracker.clock import iso
from tracker.rules.delivery import plausible_remains, total_quantity
from tracker.rules.late_checks import LATE_STATUSES, kept_charge
from tracker.rules.money import charge_currencies
from tracker.rules.status_tuples import (
    STATUS_READS,
    STATUS_WRITES,
    TRANSITION_COLUMNS,
    status_update,
)
from tracker.rules.transitions import Cadence, apply_report, next_stamp
from tracker.store.children import note_children
from tracker.store.late_checks import note_ended
from tracker.store.sql import bound, chunks, placeholders
from tracker.store.status_sql import KEPT as _KEPT
from tracker.store.status_sql import KEPT_COLUMNS as _KEPT_COLUMNS
from tracker.store.status_sql import MOVED_COLUMNS as _MOVED_COLUMNS
from tracker.store.status_sql import OWN_END as _OWN_END
from tracker.store.status_sql import ROWS as _ROWS
from tracker.store.status_sql import TURNED as _TURNED
from tracker.store.status_sql import TURNED_OWN as _TURNED_OWN
from tracker.store.status_sql import insert_transitions_sql as _insert_transitions_sql
from tracker.store.status_sql import update_sql as _update_sql

if TYPE_CHECKING:  # a type only: importing it costs the read commands' start-up
    from tracker.panel.models import OrderStatus


def write_answer(
    conn: sqlite3.Connection,
    panel: str,
    asked: list[int],
    reports: dict[int, OrderStatus],
    now: datetime,
    cadence: Cadence,
    polled_at: datetime | None = None,
    lost: list[dict[str, Any]] | None = None,
    odd: list[dict[str, Any]] | None = None,
    repriced: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Store one answer (see :meth:`~tracker.store.orders.Store.apply_reports`) on ``conn``,
    in the transaction it is in; return the transitions recorded.

    Each order whose remains just became no delivery figure (see
    :func:`tracker.rules.delivery.plausible_remains`) is added to ``odd``: over a good one
    stored it is not stored (the good one kept; an order it ends has none), and added at each
    answer saying it; else stored as sent, and added once, until its remains is one again.
    Each order whose charge the panel changed (a re-price, a refund) goes to ``repriced`` with
    the charge before and after and its currency (``charge_currencies``); an ended one whose
    charge it gave in another currency, kept, with ``kept``. The child orders an answer
    names: :mod:`tracker.store.children`."""
    stamp, base = iso(now), polled_at or now
    recorded: list[dict[str, Any]] = []
    # The raw cursor, not sqlite-utils: this runs once per 100 orders.
    stored = conn.execute(_SELECT_STATUS.format(placeholders(asked)), [panel, *asked]).fetchall()
    moved: list[tuple[Any, ...]] = []  # polling changes (the order ends): every column
    turned: list[tuple[Any, ...]] = []  # a new status, polling as it was: not named
    kept: list[tuple[Any, ...]] = []  # the same status: its indexes untouched
    others: list[int] = []  # no status in the report: apply_report decides
    ended: list[int] = []  # ended Partial, Canceled or Refunded: up for late checks
    parents: list[OrderStatus] = []  # naming child orders (drip-feed, subscription)
    for row in stored:
        rowid, order_id = row[0], row[1]
        report = reports.get(order_id)
        if report is None or report.error is not None or report.status is None:
            others.append(order_id)
            continue
        if report.child_orders:  # () for all but a drip-feed or subscription order's
            parents.append(report)
        if report.remains is not None and report.remains != row[_REMAINS]:  # the same: judged
            report = _as_figure(report, row[_REMAINS], row[_READ_END], row[_READ_END + 1], odd)
        values, whole, transition = status_update(
            panel, row[1:_READ_END], report, stamp, base, cadence
        )
        before, after = row[_CHARGE], values[_CHARGE_WRITTEN]  # as status_update read it
        if repriced is not None and report.currency is not None and values[_CURRENCY] is None:
            repriced.append(kept_charge(order_id, before, row[_CURRENCY_READ], report))  # kept
        if after is not None and before is not None and after != before and repriced is not None:
            was, said = row[_CURRENCY_READ], values[_CURRENCY]  # None: the stored one kept
            repriced.append(
                {"order_id": order_id, "before": before, "after": after}
                | charge_currencies(was, was if said is None else said)
            )
        if whole and values[-1] == row[_POLLING]:  # a new status (see _TURNED_OWN)
            if _SHARED_TURNED:
                turned.append((*values[:_OWN_END], values[-2], rowid))
            else:
                turned.append((*values[:-1], rowid))
        elif whole:
            moved.append((*values, rowid))
            if not values[-1] and values[-2] in LATE_STATUSES and cadence.late_checks:
                ended.append(order_id)
        else:
            kept.append((*values[:_KEPT_COLUMNS], rowid))
        if transition is not None:
            recorded.append(transition)
    if moved:
        _write_rows(conn, partial(_update_sql, _MOVED_COLUMNS), moved, stamp)
    if ended:
        note_ended(conn, panel, ended, stamp, repriced or ())
    if parents:
        note_children(conn, panel, parents, stamp)
    if turned and _SHARED_TURNED:
        next_at = next_stamp(base, stamp, cadence)
        _write_rows(conn, partial(_update_sql, _TURNED_OWN), turned, stamp, next_at)
    elif turned:
        _write_rows(conn, partial(_update_sql, _TURNED), turned, stamp)
    if kept:
        _write_rows(conn, partial(_update_sql, _KEPT), kept, stamp)
    if others:
        recorded += _apply_others(conn, panel, others, reports, now, cadence, polled_at, lost, odd)
    if recorded:
        _write_rows(conn, _insert_transitions_sql, list(map(_transition_values, recorded)))
    return recorded


def merged(
    answers: list[tuple[list[int], dict[int, OrderStatus]]],
) -> list[tuple[list[int], dict[int, OrderStatus]]]:
    """Given answers stored in one transaction, return them joined into as few
    as hold at most _ROWS asked IDs each (each order's report from its own
    answer), so that :func:`write_answer` reads, updates and inserts for a
    group in one statement each instead of one per answer: fewer statements
    to step, and fewer times the writer gives up the GIL and waits to get it
    back from the poll's threads. As they are when an order is asked twice."""
    asked_all = [order_id for asked, _ in answers for order_id in asked]
    if len(set(asked_all)) != len(asked_all):
        return [(asked, reports) for asked, reports in answers if asked]
    joined: list[tuple[list[int], dict[int, OrderStatus]]] = []
    ids: list[int] = []
    found: dict[int, OrderStatus] = {}
    for asked, reports in answers:
        if ids and len(ids) + len(asked) > _ROWS:
            joined.append((ids, found))
            ids, found = [], {}
        ids.extend(asked)
        for order_id in asked:
            if (report := reports.get(order_id)) is not None:
                found[order_id] = report
    if ids:
        joined.append((ids, found))
    return joined


def _write_rows(
    conn: sqlite3.Connection, sql: Callable[[int], str], rows: list[Any], *first: Any
) -> None:
    """Run ``sql(n)`` over ``first`` then ``rows`` (tuples), at most _ROWS per
    statement, each None bound as NULL (:func:`~tracker.store.sql.bound`)."""
    for chunk in chunks(rows, _ROWS):
        conn.execute(sql(len(chunk)), [*first, *bound(chunk)])


# A turned row binds only what differs from order to order (status_sql.TURNED_OWN);
# False binds every column, as a moved row does: tests/test_answers_turned.py stores both ways.
_SHARED_TURNED = True
# A stopped order (untracked, lost) that a poll in flight asked about stays
# stopped: the late answer is not recorded.
_SELECT_STATUS = (
    f"SELECT rowid, {', '.join(STATUS_READS)}, quantity, runs FROM orders "
    "WHERE panel = ? AND order_id IN ({}) AND stopped_by IS NULL"
)
_READ_END = 1 + len(STATUS_READS)  # the row: rowid, STATUS_READS, quantity, runs
_REMAINS = 1 + STATUS_READS.index("remains")
_POLLING = 1 + STATUS_READS.index("polling")
_CHARGE = 1 + STATUS_READS.index("charge")
_CHARGE_WRITTEN = STATUS_WRITES.index("charge")  # float already: not converted twice
_CURRENCY, _CURRENCY_READ = STATUS_WRITES.index("currency"), 1 + STATUS_READS.index("currency")


def _as_figure(
    report: OrderStatus,
    stored: int | None,
    quantity: int | None,
    runs: int | None,
    odd: list[dict[str, Any]] | None,
) -> OrderStatus:
    """Given a report with a remains, and the order's remains, quantity and
    runs as stored, return the report to store.

    A remains that is no delivery figure (``plausible_remains``) over a good
    one stored is read as one that cannot be read: the good one kept, and an
    order the report ends has none (see the note above STATUS_WRITES in
    :mod:`tracker.rules.transitions`). With none stored yet, or the panel's
    own numbers all along (a drip-feed order tracked without its runs), it is
    stored as sent, never counted. The order goes to ``odd`` unless the one
    stored was already no figure (told then)."""
    total = total_quantity(quantity, runs)
    if plausible_remains(report.remains, total) or not plausible_remains(stored, total):
        return report
    if odd is not None:
        odd.append({"order_id": report.order_id, "remains": report.remains, "quantity": total})
    return report if stored is None else report._replace(remains=None)


# Positional values, not the dicts themselves: binding by name costs ~1 µs a row.
_transition_values = itemgetter(*TRANSITION_COLUMNS)


def _apply_others(
    conn: sqlite3.Connection,
    panel: str,
    order_ids: list[int],
    reports: dict[int, OrderStatus],
    now: datetime,
    cadence: Cadence,
    polled_at: datetime | None,
    lost: list[dict[str, Any]] | None = None,
    odd: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Store what apply_report decides for ``order_ids`` (errors, IDs missing from
    the answer); return the transitions to record, and add the orders that stopped
    being polled to ``lost``, those whose remains is no delivery figure to ``odd``."""
    recorded = []
    cursor = conn.execute(
        f"SELECT * FROM orders WHERE panel = ? AND order_id IN ({placeholders(order_ids)})",
        [panel, *order_ids],
    )
    names = [d[0] for d in cursor.description]
    updates: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        order_id = row["order_id"]
        report = reports.get(order_id)
        if report is not None and report.error is None and report.remains is not None:
            report = _as_figure(report, row["remains"], row["quantity"], row["runs"], odd)
        outcome = apply_report(row, report, now, cadence, polled_at=polled_at)
        # Only the columns whose value changes are written, so an index on an
        # unchanged column is not touched.
        changed = {k: v for k, v in outcome.changes.items() if row[k] != v}
        if changed:
            updates[tuple(changed)].append([*changed.values(), panel, order_id])
        if outcome.transition is not None:
            recorded.append(outcome.transition)
        if outcome.lost is not None and lost is not None:
            lost.append(outcome.lost)
    for columns, params in updates.items():
        assignments = ", ".join(f"{c} = ?" for c in columns)
        conn.executemany(
            f"UPDATE orders SET {assignments} WHERE panel = ? AND order_id = ?", params
        )
    return recorded
