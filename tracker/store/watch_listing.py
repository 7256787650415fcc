"""Reading orders with their stall watch: the ``orders`` listing's eta and
stall columns, ``orders --stalled``, and each open order's watch row by ID.

The watch rows are written by :mod:`tracker.store.watch`; this module only
joins them to orders for the commands that show them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any

from tracker.store.connection import Connection
from tracker.store.listing import iter_orders
from tracker.store.sql import CHUNK, chunks
from tracker.store.sql import placeholders as _marks
from tracker.store.watch import OPEN, TERMINAL_ARGS


def watch_of(store: Connection, panel: str, order_ids: Sequence[int]) -> dict[int, dict]:
    """Return ``eta``, ``eta_basis``, ``stalled_at`` and ``stall_reason`` by order ID,
    for the open orders that have a watch row (an order gone final keeps its
    row until the watch's next pass ends its episode: it is not stalled)."""
    found: dict[int, dict[str, Any]] = {}
    for chunk in chunks(order_ids):
        # CROSS JOIN keeps order_watch the outer loop: the IDs asked, looked
        # up by key. Left to itself SQLite drove the join from the panel's
        # open orders (orders_open_status), every one of them per chunk.
        for row in store.rows(
            "SELECT w.order_id, w.eta, w.eta_basis, w.stalled_at, w.stall_reason "
            "FROM order_watch w CROSS JOIN orders o "
            "ON o.panel = w.panel AND o.order_id = w.order_id "
            f"WHERE w.panel = ? AND w.order_id IN ({_marks(chunk)}) AND {OPEN}",
            [panel, *chunk, *TERMINAL_ARGS],
        ):
            found[row.pop("order_id")] = row
    return found


def stalled_orders(
    store: Connection, *, panel: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Return the open orders with an open stall episode (every ``orders`` column
    plus eta, eta_basis, stalled_at, stall_reason), longest stalled first; an
    order gone final is not stalled, whether or not the watch's pass has ended
    its episode yet."""
    where, params = ("AND w.panel = ?", [panel]) if panel else ("", [])
    tail = f"LIMIT {int(limit)}" if limit else ""
    return store.rows(
        f"""
        SELECT o.*, w.eta, w.eta_basis, w.stalled_at, w.stall_reason
        FROM order_watch w JOIN orders o ON o.panel = w.panel AND o.order_id = w.order_id
        WHERE w.stalled_at IS NOT NULL AND {OPEN} {where}
        ORDER BY w.stalled_at, w.panel, w.order_id {tail}
        """,
        [*TERMINAL_ARGS, *params],
    )


def with_watch(store: Connection, rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Given order rows (streamed), yield each with ``eta``, ``eta_basis``,
    ``stalled_at`` and ``stall_reason`` added (None when the order has no
    watch row), reading the watch rows ``CHUNK`` orders at a time: the keys
    a row of :func:`stalled_orders` has."""
    items = iter(rows)
    while block := list(islice(items, CHUNK)):
        by_panel: dict[str, list[int]] = {}
        for row in block:
            by_panel.setdefault(row["panel"], []).append(row["order_id"])
        found = {p: watch_of(store, p, ids) for p, ids in by_panel.items()}
        for row in block:
            watch = found[row["panel"]].get(row["order_id"], {})
            for column in ("eta", "eta_basis", "stalled_at", "stall_reason"):
                row.setdefault(column, watch.get(column))
            yield row


def order_listing(
    store: Connection,
    limit: int | None,
    *,
    panel: str | None,
    status: str | None,
    stalled: bool,
    since: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the rows ``smm-tracker orders`` lists, each with its eta and stall:
    every order as :func:`tracker.store.listing.iter_orders` yields them, or
    only the stalled ones (longest stalled first); ``since`` (ISO): only
    those first seen then or later."""
    if stalled:
        found = (
            r
            for r in stalled_orders(store, panel=panel)
            if status in (None, r["status"]) and (since is None or r["created_at"] >= since)
        )
        return islice(found, limit)
    listed = iter_orders(store, panel=panel, status=status, limit=limit, since=since)
    return with_watch(store, listed)
