"""Order writes and reads: tracking, due IDs, status answers into transitions.

:class:`Store` is the connection plus every order query the tracker runs; the
other table families are functions in their own modules taking a Store.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from itertools import chain
from typing import TYPE_CHECKING, Any

from tracker.clock import iso
from tracker.errors import StoreError
from tracker.rules.transitions import Cadence
from tracker.store.answers import merged, write_answer
from tracker.store.causes import describe_db_error
from tracker.store.connection import Connection
from tracker.store.listing import iter_orders
from tracker.store.tracking import track_orders

if TYPE_CHECKING:  # a type only: importing it costs the read commands' start-up
    from tracker.panel.models import OrderStatus


# A next check beyond both horizons, or beyond the first for an order without
# an error (the partial index orders_due holds next_check_at: a range scan).
_AHEAD = "next_check_at > ? AND (error IS NULL OR next_check_at > ?)"


# Due IDs read per statement (see Store.due_order_ids).
PAGE_ROWS = 1000


def _regrouped(pages: Iterable[list[int]], size: int) -> Iterator[list[int]]:
    """Given pages of IDs, yield them ``size`` at a time (the last batch may be
    short): no call goes out half full because a page ended."""
    held: list[int] = []
    for page in pages:
        held.extend(page)
        while len(held) >= size:
            yield held[:size]
            held = held[size:]
    if held:
        yield held


def _beyond(now: datetime, horizons: tuple[float, float]) -> list[str]:
    answering, erring = horizons
    return [iso(now + timedelta(seconds=answering)), iso(now + timedelta(seconds=erring))]


class Store(Connection):
    """Given an SQLite path, own the connection and every order query the tracker runs."""

    def hold_idle(self) -> bool:
        """Take the connection for good when no thread holds it; return False
        if one does. For a process leaving jobs running, about to close it and
        exit: a step then gives up on it (StoreError, at once for one waiting
        already), never meets it closed."""
        if not self._lock.acquire(blocking=False):
            return False
        self._kept = True
        return True

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

    def known_order(self, panel: str) -> int | None:
        """Return an order the panel last answered with a status (no error): a
        witness that the panel answers status calls, when it refuses a whole
        batch. An open one first, answered at its last check (a recent
        answer: open orders are asked at every turn): a panel answering
        ended orders from its database while its live lookups fail vouched
        for itself through an ended one, and the open order refused was
        blamed. An ended one only when no open order was answered. The
        newest such order: the highest ID, walked down an index from the top
        (by rowid, SQLite read every order of the panel and sorted them, at
        every poll: 30 ms at 50k orders)."""
        answered = "status IS NOT NULL AND error IS NULL ORDER BY order_id DESC LIMIT 1"
        for only in ("AND polling = 1 ", ""):  # orders_open, then the primary key
            rows = self.tuples(
                f"SELECT order_id FROM orders WHERE panel = ? {only}AND {answered}", [panel]
            )
            if rows:
                return int(rows[0][0])
        return None

    def due_order_ids(
        self,
        panel: str,
        now: datetime,
        size: int,
        *,
        everything: bool = False,
        horizons: tuple[float, float] | None = None,
    ) -> Iterator[list[int]]:
        """Yield IDs of a panel's open orders that are due, ``size`` at a time,
        streamed from SQLite (never all in memory).

        With ``horizons`` (seconds: an answering order's furthest next check,
        an erring one's; see :func:`tracker.rules.transitions.horizons`), an
        order whose next check lies further ahead is due too: the clock was
        set back since it was stamped (see :meth:`ahead_count`).

        Never-checked orders come first, then the most overdue: a poll cut
        short (a stop, a failing panel, a rate limit slower than the backlog)
        has spent its calls where they were owed. ``everything`` yields every
        open order in ID order. The cursors are keysets, so an order checked
        meanwhile (its next check moves past ``now``) is never handed out twice.
        """
        # Read PAGE_ROWS at a time (the batches are cut from them): each
        # statement gives up the GIL and waits for it back from the poll's
        # threads, so a page per batch cost a wait per batch.
        page = max(size, PAGE_ROWS)
        if everything:
            every = self._keyset(
                "SELECT order_id FROM orders WHERE panel = ? AND polling = 1 "
                "AND order_id > ? ORDER BY order_id LIMIT ?",
                [panel],
                (-(2**63),),
                page,
            )
            yield from _regrouped(every, size)
            return
        # Both queries walk the partial index orders_due (panel, next_check_at,
        # order_id); their pages are regrouped so no call goes out half full.
        never_checked = self._keyset(
            "SELECT order_id FROM orders WHERE panel = ? AND polling = 1 "
            "AND next_check_at IS NULL AND order_id > ? ORDER BY order_id LIMIT ?",
            [panel],
            (-(2**63),),
            page,
        )
        overdue = self._keyset(
            "SELECT next_check_at, order_id FROM orders WHERE panel = ? AND polling = 1 "
            "AND next_check_at <= ? AND (next_check_at, order_id) > (?, ?) "
            "ORDER BY next_check_at, order_id LIMIT ?",
            [panel, iso(now)],
            ("", -(2**63)),
            page,
        )
        ahead: Iterator[list[int]] = iter(())
        if horizons is not None:
            ahead = self._keyset(
                f"SELECT next_check_at, order_id FROM orders WHERE panel = ? AND polling = 1 "
                f"AND {_AHEAD} AND (next_check_at, order_id) > (?, ?) "
                "ORDER BY next_check_at, order_id LIMIT ?",
                [panel, *_beyond(now, horizons)],
                ("", -(2**63)),
                page,
            )
        yield from _regrouped(chain(never_checked, ahead, overdue), size)

    def ahead_count(self, panel: str, now: datetime, horizons: tuple[float, float]) -> int:
        """Return how many of a panel's open orders have a next check further
        ahead than any schedule sets (``horizons``, as in :meth:`due_order_ids`)."""
        rows = self.tuples(
            f"SELECT count(*) FROM orders WHERE panel = ? AND polling = 1 AND {_AHEAD}",
            [panel, *_beyond(now, horizons)],
        )
        return int(rows[0][0])

    def _keyset(
        self, sql: str, params: list[Any], start: tuple[Any, ...], size: int
    ) -> Iterator[list[int]]:
        """Yield the last column of ``sql`` (an order ID), ``size`` rows at a time.

        ``sql`` selects its ORDER BY columns and ends with ``(...) > (cursor) ...
        LIMIT ?``: each page starts after the previous page's last row.
        """
        cursor = start
        while True:
            with self.held():
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
        return self.apply_answers(
            panel, [(asked, reports)], now, cadence, polled_at=polled_at, lost=lost
        )

    def apply_answers(
        self,
        panel: str,
        answers: list[tuple[list[int], dict[int, OrderStatus]]],
        now: datetime,
        cadence: Cadence,
        *,
        polled_at: datetime | None = None,
        lost: list[dict[str, Any]] | None = None,
        odd: list[dict[str, Any]] | None = None,
        repriced: list[dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Store several answers (asked IDs, reports) as :meth:`apply_reports`
        does, in one transaction: a crash keeps all of them or none. The poll
        hands over every answer that came back while it was writing the last.
        Orders whose remains just became no delivery figure go to ``odd``
        and orders whose charge changed to ``repriced`` (see
        :func:`tracker.store.answers.write_answer`)."""
        recorded: list[dict[str, Any]] = []
        if not any(asked for asked, _ in answers):
            return recorded
        with self.write(temp_in_memory=True) as db:  # each statement at most 500 rows
            for asked, reports in merged(answers):
                recorded += write_answer(
                    db.conn, panel, asked, reports, now, cadence, polled_at, lost, odd, repriced
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
            "SELECT at, from_status, to_status, remains, charge, currency, raw_status"
            " FROM transitions "
            "WHERE panel = ? AND order_id = ? ORDER BY id",
            [panel, order_id],
        )

    def open_counts(self) -> dict[tuple[str, str | None], int]:
        """Return the number of polled orders by (panel, status); None: no
        status yet (kept apart from a panel's own word "unknown")."""
        rows = self.rows(
            "SELECT panel, status, count(*) AS n FROM orders WHERE polling = 1 "
            "GROUP BY panel, status"
        )
        return {(r["panel"], r["status"]): r["n"] for r in rows}
