"""SQL for cancel requests (the ``cancels`` table, m011)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.panel.models import CANCEL_ACCEPTED as ACCEPTED
from tracker.panel.models import CANCEL_REFUSED as REFUSED
from tracker.panel.models import CANCEL_UNKNOWN as UNKNOWN
from tracker.store.listing import BY_USER
from tracker.store.orders import Store
from tracker.store.sql import chunks, placeholders

__all__ = [
    "ACCEPTED",
    "REFUSED",
    "UNKNOWN",
    "cancels_of",
    "late_checks_of",
    "record_cancels",
    "unpolled",
]

NOT_TRACKED = "not tracked"  # what unpolled() says of an order the panel holds no row of
UNTRACKED = "untracked"  # stopped by the user (`untrack`)
LOST = "lost"  # stopped: the panel called it unknown


def record_cancels(
    store: Store, panel: str, results: Sequence[tuple[int, str, str | None]], now: datetime
) -> None:
    """Given (order_id, result, error) per order of a cancel call, store them in one
    transaction; a tracked order whose cancel was accepted is due for a check at once."""
    if not results:
        return
    stamp = iso(now)
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO cancels (panel, order_id, requested_at, result, error) "
            "VALUES (?, ?, ?, ?, ?)",
            [(panel, order_id, stamp, result, error) for order_id, result, error in results],
        )
        db.conn.executemany(
            "UPDATE orders SET next_check_at = NULL WHERE panel = ? AND order_id = ? "
            "AND polling = 1",
            [(panel, order_id) for order_id, result, _ in results if result == ACCEPTED],
        )


def cancels_of(store: Store, panel: str, order_id: int) -> list[dict[str, Any]]:
    """Return one order's cancel requests, oldest first."""
    return store.rows(
        "SELECT requested_at, result, error FROM cancels WHERE panel = ? AND order_id = ? "
        "ORDER BY id",
        [panel, order_id],
    )


_POLLING = "SELECT order_id, polling, stopped_by, status FROM orders"


def unpolled(store: Store, panel: str, order_ids: Sequence[int]) -> dict[int, str]:
    """Given order IDs on ``panel``, return those the tracker does not poll,
    each with why: NOT_TRACKED, UNTRACKED, LOST, or the ended status it was
    stored with. An accepted cancel of one is followed by no status check."""
    polled = {
        int(row["order_id"]): (row["polling"], row["stopped_by"], row["status"])
        for row in _of_orders(store, _POLLING, panel, order_ids)
    }
    why: dict[int, str] = {}
    for order_id in order_ids:
        if order_id not in polled:
            why[order_id] = NOT_TRACKED
            continue
        polling, stopped_by, status = polled[order_id]
        if polling:
            continue
        if stopped_by:
            why[order_id] = UNTRACKED if stopped_by == BY_USER else LOST
        else:  # ended as last polled: not asked again
            why[order_id] = status or "not polled"
    return why


def late_checks_of(
    store: Store, panel: str, order_ids: Sequence[int]
) -> dict[int, tuple[str, int]]:
    """Given order IDs on ``panel``, return those waiting for a late check
    (``late_checks``, m037), each with when it ended and how many checks it had."""
    select = "SELECT order_id, ended_at, checks FROM late_checks"
    return {
        int(row["order_id"]): (row["ended_at"], int(row["checks"]))
        for row in _of_orders(store, select, panel, order_ids)
    }


def _of_orders(
    store: Store, select: str, panel: str, order_ids: Sequence[int]
) -> Iterator[dict[str, Any]]:
    """Yield the rows ``select`` (a SELECT ... FROM a table keyed by panel and
    order ID) reads of ``order_ids`` on ``panel``, a chunk of IDs a query."""
    for chunk in chunks(sorted(set(order_ids))):
        yield from store.rows(
            f"{select} WHERE panel = ? AND order_id IN ({placeholders(chunk)})", [panel, *chunk]
        )
