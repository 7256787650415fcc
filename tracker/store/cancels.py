"""SQL for cancel requests (the ``cancels`` table, m011)."""

from __future__ import annotations

from collections.abc import Sequence
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


def unpolled(store: Store, panel: str, order_ids: Sequence[int]) -> dict[int, str]:
    """Given order IDs on ``panel``, return those the tracker does not poll,
    each with why: NOT_TRACKED, UNTRACKED, LOST, or the ended status it was
    stored with. An accepted cancel of one is followed by no status check."""
    polled: dict[int, tuple[int, str | None, str | None]] = {}
    for chunk in chunks(sorted(set(order_ids))):
        rows = store.rows(
            "SELECT order_id, polling, stopped_by, status FROM orders WHERE panel = ? "
            f"AND order_id IN ({placeholders(chunk)})",
            [panel, *chunk],
        )
        for row in rows:
            polled[int(row["order_id"])] = (row["polling"], row["stopped_by"], row["status"])
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
    found: dict[int, tuple[str, int]] = {}
    for chunk in chunks(sorted(set(order_ids))):
        rows = store.rows(
            "SELECT order_id, ended_at, checks FROM late_checks WHERE panel = ? "
            f"AND order_id IN ({placeholders(chunk)})",
            [panel, *chunk],
        )
        for row in rows:
            found[int(row["order_id"])] = (row["ended_at"], int(row["checks"]))
    return found
