"""The ``refills`` table read for the commands that show it: requests newest
first, filtered, streamed a chunk at a time; every status stored. Reads
only: :mod:`tracker.store.refills` writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tracker.store.orders import Store


def refills(
    store: Store,
    *,
    panel: str | None = None,
    status: str | None = None,
    order_id: int | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Return refill requests, newest first, optionally filtered."""
    return list(iter_refills(store, panel=panel, status=status, order_id=order_id, limit=limit))


def iter_refills(
    store: Store,
    *,
    panel: str | None = None,
    status: str | None = None,
    order_id: int | None = None,
    limit: int | None = None,
    chunk: int = 500,
) -> Iterator[dict[str, Any]]:
    """Yield refill requests, newest first, optionally filtered, at most ``limit``;
    read ``chunk`` at a time (a keyset on the row ID), never all in memory."""
    # A panel alone: the row IDs walked down ("+": SQLite read the panel's
    # every refill from refills_status and sorted them, for each chunk).
    alone = "+panel" if status is None and order_id is None else "panel"
    where: list[str] = []
    params: list[Any] = []
    for column, value in ((alone, panel), ("status", status), ("order_id", order_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    left, below = limit, 2**63 - 1
    while left is None or left > 0:
        size = chunk if left is None else min(chunk, left)
        clause = " AND ".join([*where, "id < ?"])
        rows = store.rows(
            f"SELECT * FROM refills WHERE {clause} ORDER BY id DESC LIMIT {int(size)}",
            [*params, below],
        )
        yield from rows
        if len(rows) < size:
            return
        below, left = rows[-1]["id"], None if left is None else left - len(rows)


def refill_statuses(store: Store) -> list[str]:
    """Return every refill status stored (the panels' unknown spellings included), sorted."""
    rows = store.rows("SELECT DISTINCT status FROM refills ORDER BY status")
    return [r["status"] for r in rows]
