"""How the simulated panel spells its answers: the varied shapes of real panels.

Part of :mod:`tracker.sim.server`. Without quirks every answer has the classic
shape of api-v2.md's table. With quirks, choices are seeded: numbers flip
between strings and JSON numbers per field of each answer, while status
spellings are stable per order (they come from the order's own hash), so a
test can compare two polls of the same order.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from tracker.panel.statuses import (
    CANCELED,
    COMPLETED,
    IN_PROGRESS,
    PARTIAL,
    PENDING,
    PROCESSING,
    REFILL_REJECTED,
)
from tracker.sim.orders import OrderView

BAD_ORDER = "Incorrect order ID"
REFILL_ASAP = "Your order will be refill asap"

# With quirks, about half the orders and refills use one of these spellings,
# so a tracker that compares raw strings fails visibly.
ORDER_SPELLINGS = {
    PENDING: ("pending", "PENDING"),
    PROCESSING: ("processing", "PROCESSING"),
    IN_PROGRESS: ("In Progress", "in progress", "IN PROGRESS", "In progess"),
    COMPLETED: ("COMPLETED", "completed", "Complete"),
    PARTIAL: ("partial", "PARTIAL"),
    CANCELED: ("Cancelled", "canceled", "CANCELLED"),
}
REFILL_SPELLINGS = {
    PENDING: ("pending", "Awaiting"),
    IN_PROGRESS: ("In Progress", "Refilling", "Processing"),
    COMPLETED: ("completed", "Processed"),
    REFILL_REJECTED: ("rejected", "REJECTED"),
}


def spell(status: str, variant: int, table: dict[str, tuple[str, ...]], quirks: bool) -> str:
    """Return how a panel writes ``status`` for the order/refill with this variant (0-255)."""
    alternatives = table.get(status, ())
    if not quirks or not alternatives or variant < 128:
        return status
    return alternatives[variant % len(alternatives)]


class Shapes:
    """Turns canonical values into answer fields. Not thread-safe (the panel locks)."""

    def __init__(self, seed: int, quirks: bool):
        self.quirks = quirks
        self._rng = random.Random(seed)

    def chance(self, probability: float) -> bool:
        """With quirks, return True with ``probability`` (seeded); without, never."""
        return self.quirks and self._rng.random() < probability

    def num(self, value: int | Decimal, *, text: bool = True) -> Any:
        """Return a number as the panel writes it: mostly ``text``, sometimes the other way."""
        if self.chance(0.3):
            text = not text
        if text:
            return str(value)
        return float(value) if isinstance(value, Decimal) else value

    def order(self, view: OrderView, currency: str) -> dict[str, Any]:
        """Return one order's status answer."""
        start: Any = "0"
        if view.start_count is not None:
            start = self.num(view.start_count)
        elif self.quirks and view.variant & 1:
            start = None  # pending: some panels say null, others "0"
        return {
            "charge": self.num(view.charge),
            "start_count": start,
            "status": spell(view.status, view.variant, ORDER_SPELLINGS, self.quirks),
            "remains": self.num(view.remains),
            "currency": currency,
        }

    def unknown_order(self, shape: str | None) -> Any:
        """Return a multi-status item for an unknown ID: an object or a bare string."""
        as_string = shape == "string" or (shape is None and self.chance(0.5))
        return BAD_ORDER if as_string else {"error": BAD_ORDER}

    def refill_added(self, refill_id: int) -> dict[str, Any]:
        """Return the answer of an accepted single refill."""
        if not self.quirks:
            return {"refill": str(refill_id)}
        if self.chance(0.25):
            return {"success": REFILL_ASAP, "refill": self.num(refill_id)}
        return {"refill": self.num(refill_id)}
