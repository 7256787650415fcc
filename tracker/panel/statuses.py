"""Status normalisation: every spelling panels send, mapped to one vocabulary.

Pure functions. An unknown spelling is never guessed at (mapping it to
Pending is a known bug in other trackers): it is kept verbatim, and the
caller warns about it once.
"""

from __future__ import annotations

import re
from functools import lru_cache

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

ORDER_STATUSES = (
    PENDING,
    PROCESSING,
    IN_PROGRESS,
    COMPLETED,
    PARTIAL,
    CANCELED,
    REFUNDED,
    FAILED,
)
# Every order status the tracker understands, as stored; any other stored
# status is a panel's own words, kept verbatim (the ``unknown_status`` alert).
KNOWN_ORDER_STATUSES = frozenset({*ORDER_STATUSES, ACTIVE, PAUSED})
# Terminal for delivery: the order will not move again by itself.
# Failed is deliberately absent: panels retry at their provider.
TERMINAL = frozenset({COMPLETED, PARTIAL, CANCELED, REFUNDED})

_ORDER_SPELLINGS = {
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

_REFILL_SPELLINGS = {
    "pending": PENDING,
    "awaiting": PENDING,
    "in progress": IN_PROGRESS,
    "in progess": IN_PROGRESS,
    "processing": IN_PROGRESS,
    "refilling": IN_PROGRESS,
    "completed": COMPLETED,
    "complete": COMPLETED,
    "processed": COMPLETED,
    "rejected": REFILL_REJECTED,
    "canceled": CANCELED,
    "cancelled": CANCELED,
    "error": FAILED,
    "fail": FAILED,
    "failed": FAILED,
}

_SPACES = re.compile(r"[\s_-]+")
# An unknown spelling is kept as the status, cut to this length (the full
# text, up to values.MAX_STORED_TEXT, stays in raw_status).
MAX_STATUS = 100


def _unknown(raw: str) -> str:
    text = raw.strip()
    return text if len(text) <= MAX_STATUS else text[: MAX_STATUS - 1] + "…"


def _key(raw: str) -> str:
    return _SPACES.sub(" ", raw.strip()).lower()


# A known order status word anywhere in a text ("Canceled: invalid link",
# "Order partially completed (link not found)"): a status with the panel's
# reason, never words saying the order does not exist. Error/Fail/Failed are
# left out: panels put them before such words ("Error: order not found").
_STATUS_WORD = re.compile(
    r"\b(?:"
    + "|".join(
        re.escape(spelling).replace(r"\ ", r"[\s_-]+")
        for spelling, status in _ORDER_SPELLINGS.items()
        if status != FAILED
    )
    + r")\b",
    re.IGNORECASE,
)


def names_order_status(text: str) -> bool:
    """Return True when ``text`` holds the words of a known order status
    (other than Error/Fail/Failed) anywhere, as a status with a reason does."""
    return _STATUS_WORD.search(text) is not None


@lru_cache(maxsize=512)
def normalize_order_status(raw: str) -> tuple[str, bool]:
    """Given a status as a panel spelled it, return (status, known).

    ``known`` is False when the spelling is not recognised; the status is then
    the raw text, stripped, so the user sees exactly what the panel said.
    """
    found = _ORDER_SPELLINGS.get(_key(raw))
    if found is None:
        return _unknown(raw), False
    return found, True


# A refill status with the panel's reason after it ("Rejected: invalid link",
# "Canceled (incorrect link)", "Refill rejected - link is invalid"): the
# status word first (after "refill"), then a separator, so that "Not
# completed" or "Completed orders only" are not read so.
_LEADING_STATUS = re.compile(
    r"\s*(?:refill\s+)?(pending|processing|refilling|completed|rejected|canceled|cancelled)"
    r"\s*(?:[:(\[,;.]|[-\u2013\u2014]\s)",
    re.IGNORECASE,
)


@lru_cache(maxsize=512)
def normalize_refill_status(raw: str) -> tuple[str, bool]:
    """Given a refill status as a panel spelled it, return (status, known): a
    known spelling, or one followed by the panel's reason (see _LEADING_STATUS)."""
    found = _REFILL_SPELLINGS.get(_key(raw))
    if found is None:
        leading = _LEADING_STATUS.match(raw)
        if leading is None:
            return _unknown(raw), False
        found = _REFILL_SPELLINGS[leading.group(1).lower()]
    return found, True


def is_terminal(status: str | None) -> bool:
    """Return True when an order in ``status`` will not change by itself."""
    return status in TERMINAL


def metrics_status(status: str | None) -> str:
    """Given a stored order status, return it as a metrics label value: a known
    status as is, anything else folded into ``other`` (the set stays bounded)."""
    if status is None:
        return "unknown"
    return status if status in KNOWN_ORDER_STATUSES else "other"


def canonical_order_status(text: str) -> str | None:
    """Given a user's spelling (CLI ``--status``), return the canonical status or None."""
    found = _ORDER_SPELLINGS.get(_key(text))
    return found
