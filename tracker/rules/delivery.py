"""What was delivered: only when the status says delivery happened, of the
whole order (a drip-feed order's quantity is per run: the total is runs x quantity).

Pure. Some panel scripts answer ``remains "0"`` while an order is still Pending
(nothing delivered yet), so ``quantity - remains`` means something only once the
order is in progress or over.
"""

from __future__ import annotations

from tracker.panel.statuses import CANCELED, COMPLETED, IN_PROGRESS, PARTIAL, REFUNDED

Number = int | float  # a stored figure; anything else (text edited in by hand) unknown

# Statuses that say delivery started (or ended): remains then counts down from the total.
DELIVERING = frozenset({IN_PROGRESS, COMPLETED, PARTIAL, CANCELED, REFUNDED})


def total_quantity(quantity: int | None, runs: int | None) -> int | None:
    """Given the quantity ordered (per run for drip-feed) and the runs, return
    the whole order's quantity; None when unknown: none stored, or no number
    (text in a file edited by hand)."""
    if not isinstance(quantity, Number):
        return None
    return quantity * runs if isinstance(runs, Number) and runs > 1 else quantity


def plausible_remains(remains: int | None, total: int | None) -> bool:
    """Given a remains a panel reported and the whole order's quantity, return
    True when it can be a delivery figure: from ``-total`` (panels report
    over-delivery as a negative remains, "-2" for 2 extra; more than the whole
    order again is no over-delivery) to ``total``. True when either is unknown
    (or the quantity is 0): there is nothing to judge it by.

    Outside, the panel's number tells nothing of delivery: -99999999999 of
    1000 is not 100000000999 delivered, 9285 of 5000 (a drip-feed order
    tracked without its runs: remains counts every run) not -4285. Over a
    good one a poll stores none (:mod:`tracker.store.answers`: read as
    unreadable); with none before it, it is stored as sent, never counted."""
    if not isinstance(remains, Number) or not isinstance(total, Number) or total <= 0:
        return True  # unknown (None, or text in a file edited by hand): nothing to judge
    return -total <= remains <= total


def delivered(
    status: str | None, quantity: int | None, runs: int | None, remains: int | None
) -> int | None:
    """Given an order's status, quantity, runs and remains, return how much was
    delivered, or None when the status says delivery has not happened (Pending,
    Processing, unknown spellings) or a figure is missing.

    Also None when ``remains`` is no delivery figure (:func:`plausible_remains`):
    above the whole order (the quantity the tracker holds is not the panel's),
    or below minus the whole order; ``5000 - 9285`` is no delivery of -4285."""
    total = total_quantity(quantity, runs)
    if status not in DELIVERING or not total or not isinstance(remains, Number):
        return None
    return total - remains if -total <= remains <= total else None


def stored_count(value: object) -> int:
    """Given a stored count (an order's or refill's ``error_count``), return
    it; 0 for none, or for no whole number (text in a file edited by hand)."""
    return value if isinstance(value, int) else 0
