"""How far back a refill round reads a panel's completed orders: the windows
its services' names give (:mod:`tracker.rules.guarantees`), as SQL.

Each order is read back its own service's window, not the panel's longest:
a lifetime service's year of orders does not bring every R30 order of the
year along (:func:`reach_clause`, in :func:`tracker.store.refills.candidate_orders`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tracker.clock import iso
from tracker.config.model import RefillConfig
from tracker.rules.guarantees import longer_windows, longest_window, named_guarantee
from tracker.store.orders import Store
from tracker.store.sql import placeholders as _marks

# Service IDs a refill round's read lists at most (those of windows longer than
# refill.window); past them (a hostile catalogue) it reads every order back the
# longest window, as it did for every panel before.
MOST_LISTED = 1000


def longest_refill_window(store: Store, config: RefillConfig, panel: str | None = None) -> float:
    """Return the longest refill window an order of a panel's services with
    refill (every panel's: None) may get, ``refill.window`` at least: their
    names' guarantees ("R90") with ``refill.window_from_name``."""
    if not config.window_from_name:
        return config.window
    where, params = ("AND panel = ?", [panel]) if panel else ("", [])
    rows = store.rows(f"SELECT name, category FROM services WHERE refill = 1 {where}", params)
    return longest_window([named_guarantee(r["name"], r["category"]) for r in rows], config)


def longer_refill_windows(
    store: Store, config: RefillConfig, panel: str
) -> list[tuple[float, list[int]]]:
    """Return a panel's services with refill whose orders' window (their
    names' guarantees) is longer than ``refill.window``, grouped by it:
    (seconds, service IDs), longest first (:func:`longer_windows`)."""
    if not config.window_from_name:
        return []
    rows = store.rows(
        "SELECT service, name, category FROM services WHERE refill = 1 AND panel = ?", [panel]
    )
    return longer_windows(
        [(r["service"], named_guarantee(r["name"], r["category"])) for r in rows], config
    )


def reach_clause(
    earliest: datetime, longer: Sequence[tuple[datetime, Sequence[int]]]
) -> tuple[str, list[Any]]:
    """Given the earliest completion ``refill.window`` reaches and (an
    earlier one, service IDs) for each longer window, return the SQL
    condition on ``o`` (the orders) reading each order back its own
    window, and its parameters."""
    reach = "o.completed_at >= ?"
    params: list[Any] = [iso(earliest)]
    if sum(len(ids) for _, ids in longer) > MOST_LISTED:
        return reach, [iso(min([earliest, *(start for start, _ in longer)]))]
    for start, ids in longer:
        reach += f" OR (o.service IN ({_marks(ids)}) AND o.completed_at >= ?)"
        params += [*ids, iso(start)]
    return reach, params
