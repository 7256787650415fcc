"""The status vocabulary: the order and refill statuses the tracker stores,
which of them end an order or a refill and which it knows, and every
spelling of each that panels send, in lowercase (the keys
:mod:`tracker.panel.statuses` looks a panel's word up by). Data, and what the
sets say of a stored status; the reading of a panel's spelling is
:mod:`tracker.panel.statuses`', which re-exports these names.
"""

from __future__ import annotations

PENDING = "Pending"
PROCESSING = "Processing"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"
PARTIAL = "Partial"
CANCELED = "Canceled"
REFUNDED = "Refunded"
FAILED = "Failed"
# Subscription / drip-feed states: known, kept as they are, not terminal.
ACTIVE = "Active"
PAUSED = "Paused"

ORDER_STATUSES = (PENDING, PROCESSING, IN_PROGRESS, COMPLETED, PARTIAL, CANCELED, REFUNDED, FAILED)
# Every order status the tracker understands, as stored; any other stored
# status is a panel's own words, kept verbatim (the ``unknown_status`` alert).
KNOWN_ORDER_STATUSES = frozenset({*ORDER_STATUSES, ACTIVE, PAUSED})
# Terminal for delivery: the order will not move again by itself.
# Failed is deliberately absent: panels retry at their provider.
TERMINAL = frozenset({COMPLETED, PARTIAL, CANCELED, REFUNDED})

ORDER_SPELLINGS = {
    "pending": PENDING,
    "awaiting": PENDING,
    "creating": PENDING,
    "queued": PENDING,
    "processing": PROCESSING,
    "in progress": IN_PROGRESS,
    "in progess": IN_PROGRESS,
    "inprogress": IN_PROGRESS,
    "in_progress": IN_PROGRESS,
    "completed": COMPLETED,
    "complete": COMPLETED,
    "partial": PARTIAL,
    "partially completed": PARTIAL,
    "canceled": CANCELED,
    "cancelled": CANCELED,
    "refunded": REFUNDED,
    "error": FAILED,
    "fail": FAILED,
    "failed": FAILED,
    "active": ACTIVE,
    "paused": PAUSED,
}

# Refills
REFILL_REJECTED = "Rejected"
REFILL_STATUSES = (PENDING, IN_PROGRESS, COMPLETED, REFILL_REJECTED, CANCELED, FAILED)
REFILL_FINAL = frozenset({COMPLETED, REFILL_REJECTED, CANCELED, FAILED})

# Expired (the refill was not carried out in its time) is Canceled, not
# Rejected: it is no panel's "nothing dropped", so it alerts whatever
# refill.detect says (see rules/alerts.NOTHING_DROPPED).
REFILL_SPELLINGS = {
    "pending": PENDING,
    "awaiting": PENDING,
    "queued": PENDING,
    "accepted": PENDING,
    "in progress": IN_PROGRESS,
    "in progess": IN_PROGRESS,
    "processing": IN_PROGRESS,
    "refilling": IN_PROGRESS,
    "completed": COMPLETED,
    "complete": COMPLETED,
    "processed": COMPLETED,
    "done": COMPLETED,
    "success": COMPLETED,
    "successful": COMPLETED,
    "finished": COMPLETED,
    "refill completed": COMPLETED,
    "rejected": REFILL_REJECTED,
    "declined": REFILL_REJECTED,
    "denied": REFILL_REJECTED,
    "refill rejected": REFILL_REJECTED,
    "canceled": CANCELED,
    "cancelled": CANCELED,
    "expired": CANCELED,
    "error": FAILED,
    "fail": FAILED,
    "failed": FAILED,
}


def is_terminal(status: str | None) -> bool:
    """Return True when an order in ``status`` will not change by itself."""
    return status in TERMINAL


def metrics_status(status: str | None) -> str:
    """Given a stored order status, return it as a metrics label value: a known
    status as is, anything else folded into ``other`` (the set stays bounded)."""
    if status is None:
        return "unknown"
    return status if status in KNOWN_ORDER_STATUSES else "other"
