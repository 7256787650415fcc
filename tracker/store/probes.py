"""SQL for the drop probe's measurements (the ``probes`` table)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from tracker.clock import iso, parse_iso
from tracker.store.connection import placeholders
from tracker.store.orders import Store


def last_probed(store: Store, panel: str, order_ids: Sequence[int]) -> dict[int, datetime]:
    """Given orders, return when each was last measured successfully (absent: never)."""
    if not order_ids:
        return {}
    rows = store.rows(
        f"SELECT order_id, max(probed_at) AS at FROM probes WHERE panel = ? "
        f"AND order_id IN ({placeholders(order_ids)}) AND count IS NOT NULL GROUP BY order_id",
        [panel, *order_ids],
    )
    return {r["order_id"]: parse_iso(r["at"]) for r in rows}


def record_probes(
    store: Store,
    panel: str,
    results: Iterable[tuple[int, int | None, bool | None, str | None]],
    now: datetime,
) -> None:
    """Given (order_id, count, dropped, error) per probe run, store them in one transaction."""
    rows = [
        (panel, order_id, iso(now), count, None if dropped is None else int(dropped), error)
        for order_id, count, dropped, error in results
    ]
    if not rows:
        return
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO probes (panel, order_id, probed_at, count, dropped, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            rows,
        )


def probes_of(store: Store, panel: str, order_id: int) -> list[dict[str, Any]]:
    """Return one order's probe runs, oldest first."""
    return store.rows(
        "SELECT probed_at, count, dropped, error FROM probes WHERE panel = ? AND order_id = ? "
        "ORDER BY id",
        [panel, order_id],
    )
