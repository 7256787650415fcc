"""SQL for cancel requests (the ``cancels`` table, m011)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.panel.models import CANCEL_ACCEPTED as ACCEPTED
from tracker.panel.models import CANCEL_REFUSED as REFUSED
from tracker.panel.models import CANCEL_UNKNOWN as UNKNOWN
from tracker.store.orders import Store

__all__ = ["ACCEPTED", "REFUSED", "UNKNOWN", "cancels_of", "record_cancels"]


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
