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
from typing import TYPE_CHECKING, Any

from tracker.clock import iso
from tracker.errors import StoreError
from tracker.rules.transitions import Cadence, apply_report
from tracker.store.connection import _CHUNK, Connection, _chunks, describe_db_error, placeholders
from tracker.store.listing import iter_orders

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
        history; details given here fill in what was missing."""
        stamp = iso(now)
        added = 0
        with self.write() as db:
            for chunk in _chunks(sorted(set(order_ids)), _CHUNK):
                marks = placeholders(chunk)
                known = {
                    r[0]
                    for r in db.execute(
                        f"SELECT order_id FROM orders WHERE panel = ? AND order_id IN ({marks})",
                        [panel, *chunk],
                    )
                }
                added += len(chunk) - len(known)
                db.conn.executemany(
                    """
                    INSERT INTO orders (panel, order_id, service, link, quantity,
                                        created_at, updated_at, source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (panel, order_id) DO UPDATE SET
                        service = COALESCE(excluded.service, service),
                        link = COALESCE(excluded.link, link),
                        quantity = COALESCE(excluded.quantity, quantity),
                        updated_at = excluded.updated_at
                    """,
                    [(panel, i, service, link, quantity, stamp, stamp, source) for i in chunk],
                )
        return added

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
                    rows = self.db.execute(sql, [*params, *cursor, size]).fetchall()
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
    ) -> list[dict[str, Any]]:
        """Store one multi-status answer in one transaction; return the transitions
        it recorded. IDs asked for but missing from ``reports`` count as unknown.

        ``polled_at`` is when the poll that asked started (default ``now``):
        next checks count from it, see :func:`tracker.rules.transitions.apply_report`.
        """
        recorded: list[dict[str, Any]] = []
        with self.write() as db:
            conn = db.conn
            marks = placeholders(asked)
            # The raw cursor, not db.query(): this runs once per 100 orders on
            # the hot path, and sqlite-utils' savepoint per query costs more
            # than the SELECT itself.
            cursor = conn.execute(
                f"SELECT * FROM orders WHERE panel = ? AND order_id IN ({marks})",
                [panel, *asked],
            )
            names = [d[0] for d in cursor.description]
            updates: dict[tuple[str, ...], list[list[Any]]] = defaultdict(list)
            for values in cursor.fetchall():
                row = dict(zip(names, values, strict=True))
                order_id = row["order_id"]
                outcome = apply_report(
                    row, reports.get(order_id), now, cadence, polled_at=polled_at
                )
                # Only the columns whose value changes are written, so an index
                # on an unchanged column (status, for most reports) is not touched.
                changed = {k: v for k, v in outcome.changes.items() if row[k] != v}
                if changed:
                    updates[tuple(changed)].append([*changed.values(), panel, order_id])
                if outcome.transition is not None:
                    recorded.append(outcome.transition)
            for columns, params in updates.items():
                assignments = ", ".join(f"{c} = ?" for c in columns)
                conn.executemany(
                    f"UPDATE orders SET {assignments} WHERE panel = ? AND order_id = ?", params
                )
            if recorded:
                fields = list(recorded[0])
                conn.executemany(
                    f"INSERT INTO transitions ({', '.join(fields)}) "
                    f"VALUES ({', '.join('?' * len(fields))})",
                    [[t[f] for f in fields] for t in recorded],
                )
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
