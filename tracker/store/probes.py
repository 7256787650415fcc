"""SQL for the drop probe's measurements (the ``probes`` table)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from tracker.clock import iso, parse_iso
from tracker.panel.statuses import COMPLETED
from tracker.rules.alerts import NOTHING_DROPPED
from tracker.store.orders import Store
from tracker.store.sql import chunks, placeholders


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


def dropped_unrestored(store: Store, panel: str, order_ids: Sequence[int]) -> set[int]:
    """Given orders, return those whose last measured count (the newest probe
    run with a count) was a drop that no refill has restored since: no refill
    of the order ended Completed after that run."""
    found: set[int] = set()
    for chunk in chunks(order_ids):
        rows = store.rows(
            f"""
            SELECT p.order_id FROM probes p
            WHERE p.panel = ? AND p.order_id IN ({placeholders(chunk)}) AND p.dropped = 1
              AND p.id = (SELECT max(q.id) FROM probes q WHERE q.panel = p.panel
                          AND q.order_id = p.order_id AND q.count IS NOT NULL)
              AND NOT EXISTS (SELECT 1 FROM refills r WHERE r.panel = p.panel
                              AND r.order_id = p.order_id AND r.status = ?
                              AND r.updated_at > p.probed_at)
            """,
            [panel, *chunk, COMPLETED],
        )
        found.update(r["order_id"] for r in rows)
    return found


def drop_evidence(store: Store, changes: Iterable[dict[str, Any]]) -> set[tuple[str, int]]:
    """Given refill status changes, return (panel, order ID) of those ending
    as the panel's "nothing dropped" (Refused, Rejected) whose order the count
    probe last measured as dropped, unrestored (:func:`dropped_unrestored`)."""
    asked: dict[str, set[int]] = {}
    for change in changes:
        if change.get("to_status") in NOTHING_DROPPED:
            asked.setdefault(change["panel"], set()).add(change["order_id"])
    return {
        (panel, order_id)
        for panel, order_ids in asked.items()
        for order_id in dropped_unrestored(store, panel, sorted(order_ids))
    }
