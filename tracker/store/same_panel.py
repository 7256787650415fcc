"""An order ID another config entry for the same panel's url tracks already:
the check ``add`` and the automation's re-orders make of the ID the panel
answered, in the very transaction that tracks it as a new order
(:func:`tracker.store.tracking.track_placed`,
:func:`tracker.store.automation.record_placed`): another entry's add or
re-order answered the same ID waits for that transaction, then finds the
row, never a second one.

One panel numbers all its orders in one series, whichever account (key)
placed them: an ID another entry at that url (another account on the panel)
tracks is no proof of a new order. Tracked, it was one order in two rows,
its status asked twice. The entries are
:func:`tracker.config.accounts.same_panel`'s.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tracker.store.sql import placeholders


def held_elsewhere(conn: sqlite3.Connection, others: Sequence[str], order_id: int) -> str | None:
    """Given, in the caller's write transaction, the names of the other entries
    for a panel's url and the order ID that panel answered an ``add`` (or a
    re-order), return the first of them that tracks that ID already, else None."""
    if not others:
        return None
    rows = conn.execute(
        f"SELECT panel FROM orders WHERE order_id = ? AND panel IN ({placeholders(others)})",
        [order_id, *others],
    ).fetchall()
    held = {row[0] for row in rows}
    return next((name for name in others if name in held), None)
