"""What was delivered: only when the status says delivery happened, of the
whole order (a drip-feed order's quantity is per run: the total is runs x quantity).

Pure. Some panel scripts answer ``remains "0"`` while an order is still Pending
(nothing delivered yet), so ``quantity - remains`` means something only once the
order is in progress or over.
"""

from __future__ import annotations

from tracker.panel.statuses import CANCELED, COMPLETED, IN_PROGRESS, PARTIAL, REFUNDED

# Statuses that say delivery started (or ended): remains then counts down from the total.
DELIVERING = frozenset({IN_PROGRESS, COMPLETED, PARTIAL, CANCELED, REFUNDED})


def total_quantity(quantity: int | None, runs: int | None) -> int | None:
    """Given the quantity ordered (per run for drip-feed) and the runs, return
    the whole order's quantity."""
    if quantity is None:
        return None
    return quantity * runs if runs and runs > 1 else quantity


def delivered(
    status: str | None, quantity: int | None, runs: int | None, remains: int | None
) -> int | None:
    """Given an order's status, quantity, runs and remains, return how much was
    delivered, or None when the status says delivery has not happened (Pending,
    Processing, unknown spellings) or a figure is missing.

    Also None when ``remains`` is above the whole order: the quantity the
    tracker holds is not the panel's (a drip-feed order tracked without its
    runs: remains counts every run), so what was delivered cannot be told;
    ``5000 - 9285`` is no delivery of -4285."""
    total = total_quantity(quantity, runs)
    if status not in DELIVERING or not total or remains is None or remains > total:
        return None
    return total - remains
