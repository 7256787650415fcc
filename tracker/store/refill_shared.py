"""Refill IDs a panel gave to more than one order (:mod:`tracker.jobs.refill_follow`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracker.store.orders import Store
from tracker.store.sql import chunks
from tracker.store.sql import placeholders as _marks


def shared_refill_ids(
    store: Store, panel: str, rows: Sequence[dict[str, Any]]
) -> dict[int, list[int]]:
    """Given ``refills`` rows of a panel, return, by row ID, the other orders
    any request of the panel (open or closed) got the same refill ID for; a
    row whose refill ID is its order's alone is left out."""
    ids = list({r["refill_id"] for r in rows if r["refill_id"] is not None})
    orders: dict[str, set[int]] = {}
    for chunk in chunks(ids):
        for refill_id, order_id in store.tuples(
            f"SELECT DISTINCT refill_id, order_id FROM refills WHERE panel = ? "
            f"AND refill_id IN ({_marks(chunk)})",
            [panel, *chunk],
        ):
            orders.setdefault(str(refill_id), set()).add(order_id)
    found = {}
    for row in rows:
        others = orders.get(row["refill_id"], set()) - {row["order_id"]}
        if others:
            found[row["id"]] = sorted(others)
    return found
