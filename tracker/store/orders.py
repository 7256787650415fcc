"""Order writes and reads: tracking, due IDs, status answers into transitions.

:class:`Store` is the connection plus every order query the tracker runs; the
other table families are functions in their own modules taking a Store.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from itertools import chain
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from tracker.clock import iso
from tracker.errors import StoreError
from tracker.rules.transitions import (
    KEEP_IF_NONE,
    STATUS_READS,
    STATUS_RESETS,
    STATUS_WRITES,
    Cadence,
    apply_report,
    status_update,
)
from tracker.store.connection import Connection, describe_db_error, placeholders
from tracker.store.listing import iter_orders
from tracker.store.tracking import track_orders

if TYPE_CHECKING:  # a type only: importing it costs the read commands' start-up
    from tracker.panel.models import OrderStatus


class Store(Connection):
    """Given an SQLite path, own the connection and every order query the tracker runs."""

    # --- tracking ------------------------------------------------------------

    def track(
        self,
        panel: str,
        order_ids: list[int],
        now: datetime,
        *,
        service: int | None = None,
        link: str | None = None,
        quantity: int | None = None,
        source: str = "track",
    ) -> int:
        """Record orders to follow; return how many were new. Known ones keep their
        history; details given here fill in what was missing; stopped ones resume
        (see :func:`tracker.store.tracking.track_orders` for the whole story)."""
        details = {"service": service, "link": link, "quantity": quantity}
        return len(track_orders(self, panel, order_ids, now, details=details, source=source).added)

    def due_order_ids(
        self, panel: str, now: datetime, size: int, *, everything: bool = False
    ) -> Iterator[list[int]]:
        """Yield IDs of a panel's open orders that are due, ``size`` at a time,
        streamed from SQLite (never all in memory).

        Never-checked orders come first, then the most overdue: a poll cut
        short (a stop, a failing panel, a rate limit slower than the backlog)
        has spent its calls where they were owed. ``everything`` yields every
        open order in ID order. The cursors are keysets, so an order checked
        meanwhile (its next check moves past ``now``) is never handed out twice.
        """
        if everything:
            yield from self._keyset(
                "SELECT order_id FROM orders WHERE panel = ? AND polling = 1 "
                "AND order_id > ? ORDER BY order_id LIMIT ?",
                [panel],
                (-(2**63),),
                size,
            )
            return
        # Both queries walk the partial index orders_due (panel, next_check_at,
        # order_id); their pages are regrouped so no call goes out half full.
        never_checked = self._keyset(
            "SELECT order_id FROM orders WHERE panel = ? AND polling = 1 "
            "AND next_check_at IS NULL AND order_id > ? ORDER BY order_id LIMIT ?",
            [panel],
            (-(2**63),),
            size,
        )
        overdue = self._keyset(
            "SELECT next_check_at, order_id FROM orders WHERE panel = ? AND polling = 1 "
            "AND next_check_at <= ? AND (next_check_at, order_id) > (?, ?) "
            "ORDER BY next_check_at, order_id LIMIT ?",
            [panel, iso(now)],
            ("", -(2**63)),
            size,
        )
        held: list[int] = []
        for page in chain(never_checked, overdue):
            held.extend(page)
            while len(held) >= size:
                yield held[:size]
                held = held[size:]
        if held:
            yield held

    def _keyset(
        self, sql: str, params: list[Any], start: tuple[Any, ...], size: int
    ) -> Iterator[list[int]]:
        """Yield the last column of ``sql`` (an order ID), ``size`` rows at a time.

        ``sql`` selects its ORDER BY columns and ends with ``(...) > (cursor) ...
        LIMIT ?``: each page starts after the previous page's last row.
        """
        cursor = start
        while True:
            with self._lock:
                try:
                    rows = self.conn.execute(sql, [*params, *cursor, size]).fetchall()
                except sqlite3.Error as exc:
                    raise StoreError(describe_db_error(self.path, exc)) from None
            if not rows:
                return
            yield [r[-1] for r in rows]
            cursor = tuple(rows[-1])

    def apply_reports(
        self,
        panel: str,
        asked: list[int],
        reports: dict[int, OrderStatus],
        now: datetime,
        cadence: Cadence,
        *,
        polled_at: datetime | None = None,
        lost: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Store one multi-status answer in one transaction; return the transitions
        it recorded. IDs asked for but missing from ``reports`` count as unknown;
        orders that stopped being polled for it are appended to ``lost``.

        ``polled_at`` is when the poll that asked started (default ``now``):
        next checks count from it, see :func:`tracker.rules.transitions.apply_report`.
        """
        stamp, base = iso(now), polled_at or now
        recorded: list[dict[str, Any]] = []
        with self.write() as db:
            conn = db.conn
            # The raw cursor, not db.query(): this runs once per 100 orders on
            # the hot path, and sqlite-utils' savepoint per query costs more
            # than the SELECT itself.
            stored = conn.execute(
                _SELECT_STATUS.format(placeholders(asked)), [panel, *asked]
            ).fetchall()
            moved: list[tuple[Any, ...]] = []  # status or polling change: every column
            kept: list[tuple[Any, ...]] = []  # the same status: its indexes untouched
            others: list[int] = []  # no status in the report: apply_report decides
            for row in stored:
                rowid, order_id = row[0], row[1]
                report = reports.get(order_id)
                if report is None or report.error is not None or report.status is None:
                    others.append(order_id)
                    continue
                values, whole, transition = status_update(
                    panel, row[1:], report, stamp, base, cadence
                )
                if whole:
                    moved.append((*values, rowid))
                else:
                    kept.append((*values[:_KEPT_COLUMNS], rowid))
                if transition is not None:
                    recorded.append(transition)
            if moved:
                conn.executemany(_UPDATE_MOVED, moved)
            if kept:
                conn.executemany(_UPDATE_KEPT, kept)
            if others:
                recorded += _apply_others(
                    conn, panel, others, reports, now, cadence, polled_at, lost
                )
            if recorded:
                conn.executemany(_INSERT_TRANSITION, map(_transition_values, recorded))
        return recorded

    # --- reading -------------------------------------------------------------

    def order(self, panel: str, order_id: int) -> dict[str, Any] | None:
        found = self.rows(
            "SELECT * FROM orders WHERE panel = ? AND order_id = ?", [panel, order_id]
        )
        return found[0] if found else None

    def orders(
        self, *, panel: str | None = None, status: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Return tracked orders as :func:`tracker.store.listing.iter_orders` yields
        them, in one list."""
        return list(iter_orders(self, panel=panel, status=status, limit=limit))

    def history(self, panel: str, order_id: int) -> list[dict[str, Any]]:
        return self.rows(
            "SELECT at, from_status, to_status, remains, charge, raw_status FROM transitions "
            "WHERE panel = ? AND order_id = ? ORDER BY id",
            [panel, order_id],
        )

    def open_counts(self) -> dict[tuple[str, str], int]:
        """Return the number of polled orders by (panel, status)."""
        rows = self.rows(
            "SELECT panel, COALESCE(status, 'unknown') AS status, count(*) AS n "
            "FROM orders WHERE polling = 1 GROUP BY panel, status"
        )
        return {(r["panel"], r["status"]): r["n"] for r in rows}

    def transitions_since(self, last_id: int) -> list[dict[str, Any]]:
        return self.rows("SELECT * FROM transitions WHERE id > ? ORDER BY id LIMIT 1000", [last_id])


# --- the status writes, built once ---------------------------------------------


def _update_sql(columns: tuple[str, ...]) -> str:
    """Return the UPDATE storing a status report's ``columns`` (values ?1..?n,
    then the row's rowid), with STATUS_RESETS as constants.

    By rowid: the rows were read in the same transaction, and it spares each
    update a walk down the (panel, order_id) key's index.
    """
    sets = []
    for i, column in enumerate(columns, 1):
        if column == "completed_at":  # set once, when the order first finishes
            sets.append(f"{column} = COALESCE({column}, ?{i})")
        elif column in KEEP_IF_NONE:
            sets.append(f"{column} = COALESCE(?{i}, {column})")
        else:
            sets.append(f"{column} = ?{i}")
    sets += [f"{c} = {'NULL' if v is None else int(v)}" for c, v in STATUS_RESETS.items()]
    return f"UPDATE orders SET {', '.join(sets)} WHERE rowid = ?{len(columns) + 1}"


# Only the columns a write names are re-indexed: a report that leaves status
# and polling as they were skips the two status indexes (the usual report).
_KEPT_COLUMNS = len(STATUS_WRITES) - 2
assert STATUS_WRITES[_KEPT_COLUMNS:] == ("status", "polling")
_UPDATE_MOVED = _update_sql(STATUS_WRITES)
_UPDATE_KEPT = _update_sql(STATUS_WRITES[:_KEPT_COLUMNS])
# A stopped order (untracked, lost) that a poll in flight asked about stays
# stopped: the late answer is not recorded.
_SELECT_STATUS = (
    f"SELECT rowid, {', '.join(STATUS_READS)} FROM orders WHERE panel = ? AND order_id IN ({{}}) "
    "AND stopped_by IS NULL"
)
_TRANSITION = (
    "panel",
    "order_id",
    "at",
    "from_status",
    "to_status",
    "remains",
    "charge",
    "raw_status",
)
# Positional values, not the dicts themselves: binding by name costs ~1 µs a row.
_transition_values = itemgetter(*_TRANSITION)
_INSERT_TRANSITION = (
    f"INSERT INTO transitions ({', '.join(_TRANSITION)}) "
    f"VALUES ({', '.join('?' * len(_TRANSITION))})"
)


def _apply_others(
    conn: sqlite3.Connection,
    panel: str,
    order_ids: list[int],
    reports: dict[int, OrderStatus],
    now: datetime,
    cadence: Cadence,
    polled_at: datetime | None,
    lost: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Store what apply_report decides for ``order_ids`` (errors, IDs missing from
    the answer); return the transitions to record, and add the orders that stopped
    being polled to ``lost``."""
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
        outcome = apply_report(row, reports.get(order_id), now, cadence, polled_at=polled_at)
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
