"""The daily cap's world for clock tests: re-orders of Partial followers
orders, two of which fit the day's cap of 1.00 and three do not."""

from __future__ import annotations

# followers at 0.90 per 1000: each Partial below (1000, 500 undelivered)
# re-orders 500 for 0.45; two (0.90) fit a cap of 1.00, three do not.
REORDERS = "reorder = true\nreorder_services = [1]\ndaily_cap = 1.0\n"


def partial(w) -> int:
    """An order the tracker saw open and then Partial (500 undelivered)."""
    from tracker.sim.server import SERVICE_FOLLOWERS

    order_id = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    return order_id


def reordered(w) -> list[int]:
    """The orders re-ordered so far, by ID."""
    from tracker.store import automation as automation_sql

    return sorted(
        a["order_id"] for a in automation_sql.actions(w.store) if a["action"] == "reorder"
    )
