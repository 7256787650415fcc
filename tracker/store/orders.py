"""The only code that touches SQLite: one file, WAL, numbered migrations.

One connection is shared by the daemon's threads; a lock makes every use of it
exclusive, and writes run in ``BEGIN IMMEDIATE`` transactions so a busy
database makes a job wait (bounded by ``busy_timeout``) instead of failing
half-way through.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sized
from contextlib import contextmanager
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from tracker.clock import iso
from tracker.errors import StoreError
from tracker.panel.models import OrderStatus
from tracker.rules.transitions import Cadence, apply_report
from tracker.store.migrations import migrations

_CHUNK = 500  # rows per IN (...) list: well under SQLite's variable limit


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def describe_db_error(path: Path, exc: sqlite3.Error) -> str:
    """Given a failed database operation, return one line a user can act on."""
    text = str(exc)
    if "unable to open" in text:
        if not path.parent.exists():
            return f"database directory {path.parent} does not exist"
        return f"cannot open database {path}: check permissions"
    if "readonly" in text or "read-only" in text:
        return f"database {path} is read-only"
    if "not a database" in text:
        return f"{path} is not an SQLite database"
    if "locked" in text or "busy" in text:
        return f"database {path} is busy (another process holds a write lock)"
    if "disk is full" in text or "full" in text:
        return f"disk full while writing {path}"
    return f"database {path}: {text}"


# The passing or lasting causes describe_db_error names, by the words it uses:
# callers ask error_kind() instead of matching messages themselves.
_KINDS = (
    ("full", "disk full"),
    ("readonly", "is read-only"),
    ("busy", "is busy"),
    ("io", "disk I/O error"),
)


def error_kind(error: BaseException) -> str | None:
    """Given an exception, return the cause a StoreError names ("full",
    "readonly", "busy" or "io"), or None for any other error."""
    if not isinstance(error, StoreError):
        return None
    text = str(error)
    return next((kind for kind, words in _KINDS if words in text), None)


def placeholders(items: Sized) -> str:
    """Given the values of an ``IN (...)`` list, return its "?, ?, ..." marks."""
    return ",".join("?" * len(items))


class Store:
    """Given an SQLite path, own the connection and every query the tracker runs."""

    def __init__(self, path: str | Path, *, busy_timeout: float = 10.0, migrate: bool = True):
        self.path = Path(path)
        if str(path) != ":memory:" and not self.path.parent.exists():
            raise StoreError(f"database directory {self.path.parent} does not exist")
        self._lock = threading.RLock()
        try:
            conn = sqlite3.connect(str(path), timeout=busy_timeout, check_same_thread=False)
            conn.execute("PRAGMA foreign_keys = ON")
            self.db = Database(conn, execute_plugins=False)
            if str(path) != ":memory:":
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            if migrate:
                migrations.apply(self.db)
        except sqlite3.Error as exc:
            raise StoreError(describe_db_error(self.path, exc)) from None

    def close(self) -> None:
        with self._lock:
            self.db.close()

    @contextmanager
    def write(self) -> Iterator[Database]:
        """Run the block in one immediate transaction; roll back on any error."""
        with self._lock:
            conn = self.db.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(describe_db_error(self.path, exc)) from None
            try:
                yield self.db
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(describe_db_error(self.path, exc)) from None
                raise

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Return every row of a read query as dicts."""
        with self._lock:
            try:
                return list(self.db.query(sql, list(params)))
            except sqlite3.Error as exc:
                raise StoreError(describe_db_error(self.path, exc)) from None

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
        from tracker.store.listing import iter_orders  # it builds on this module

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
