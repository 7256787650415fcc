"""An order ID another config entry for the same panel's url tracks already:
the check ``add`` and the automation's re-orders make of the ID the panel
answered, before tracking it as a new order.

One panel numbers all its orders in one series, whichever account (key)
placed them: an ID another entry at that url (another account on the panel)
tracks is no proof of a new order. Tracked, it was one order in two rows,
its status asked twice. The entries are
:func:`tracker.config.accounts.same_panel`'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from tracker.errors import StoreError
from tracker.store.orders import Store
from tracker.store.readings import panels_holding


def tracked_on_same_panel(store: Store, others: Sequence[str], order_id: int) -> str | None:
    """Given the names of the other entries for a panel's url and the order ID
    that panel answered an ``add`` (or a re-order), return the first of them
    that tracks that ID already, else None. An unreadable database: None
    (tracking the order then says what failed)."""
    if not others:
        return None
    try:
        held = panels_holding(store, [order_id]).get(order_id, [])
    except StoreError:
        return None
    return next((name for name in others if name in held), None)
