"""Pure refill decisions: is an order eligible, did its count drop, what a refusal means.

No I/O: every function takes the facts (an order, its past refill requests,
the ``[refill]`` config) and ``now``. The jobs in :mod:`tracker.jobs.refills`
gather the facts and act on the verdicts.
"""

from __future__ import annotations

from typing import Any

from tracker.panel.models import RefillRequest, RefillStatus
from tracker.panel.parse_refill_status import NO_REFILL_STATUS
from tracker.panel.refusals import is_busy, is_key_refusal
from tracker.panel.statuses import COMPLETED, PENDING, REFILL_FINAL
from tracker.rules.delivery import plausible_remains, stored_count
from tracker.rules.refill_eligibility import (  # re-exported: the job's and commands' names
    COOLDOWN,
    ELIGIBLE,
    MAX_REQUESTS,
    NO_REFILL,
    NOT_COMPLETED,
    NOT_DONE,
    OPEN_REFILL,
    PAST_WINDOW,
    PERMANENT_REFUSAL,
    TOO_EARLY,
    UNKNOWN_SERVICE,
    OrderFacts,
    Verdict,
    eligibility,
    manual_blocker,
    probe_due,
    unprobeable,
)
from tracker.rules.refill_states import (
    REFUSED,
    UNKNOWN,
    is_permanent_refusal,
)

__all__ = [
    "COOLDOWN",
    "ELIGIBLE",
    "MAX_REQUESTS",
    "NO_REFILL",
    "NOT_COMPLETED",
    "NOT_DONE",
    "OPEN_REFILL",
    "PAST_WINDOW",
    "PERMANENT_REFUSAL",
    "TOO_EARLY",
    "UNKNOWN_SERVICE",
    "OrderFacts",
    "Verdict",
    "eligibility",
    "manual_blocker",
    "probe_due",
    "unprobeable",
]

# A refill the panel says it does not know, this many follow-ups in a row, is
# closed as Unknown: panels purge old refills, and polling them forever helps no one.
NOT_FOUND_CONFIRMATIONS = 3
NOT_IN_ANSWER = "not in the panel's answer"


def expected_count(order: OrderFacts) -> int | None:
    """Given an order, return the count its link should show if nothing dropped:
    start_count plus what was delivered (the quantity, less any remains of a
    Partial). None when start_count or quantity is unknown, or the remains is
    no delivery figure (:func:`~tracker.rules.delivery.plausible_remains`):
    9285 of 5000 made the expected count 4285 below the start, so no drop was
    ever seen; what was delivered is unknown, and so is a drop."""
    if order.start_count is None or order.quantity is None:
        return None
    if not plausible_remains(order.remains, order.quantity):
        return None
    delivered = order.quantity - max(0, order.remains or 0)
    return order.start_count + delivered


def dropped(order: OrderFacts, current: int, threshold: float) -> bool | None:
    """Given an order, its link's current count and ``refill.drop_threshold``,
    return True when the count fell below what was delivered by more than
    ``threshold`` × quantity; None when the order lacks start_count or quantity."""
    expected = expected_count(order)
    if expected is None or order.quantity is None:
        return None
    return current < expected - order.quantity * threshold


# --- what to store --------------------------------------------------------


def answered(answer: RefillRequest) -> dict[str, Any]:
    """Given the panel's answer to one order's refill request, return the
    ``refills`` fields to store: an accepted refill starts Pending; a refusal
    is Refused, and permanent when it can never succeed."""
    if answer.unknown:  # it took the request but named no refill: one may exist
        return lost(answer.error or "answered without a refill ID")
    refill_id, error = answer.refill_id, answer.error
    if refill_id is not None and any(c.isspace() for c in refill_id):
        # A bare-string item error ("Incorrect order ID") read as an ID: IDs have no spaces.
        refill_id, error = None, refill_id
    if refill_id is not None:
        return {"refill_id": refill_id, "status": PENDING, "error": None, "permanent": 0}
    return {
        "refill_id": None,
        "status": REFUSED,
        "error": error,
        "permanent": int(is_permanent_refusal(error)),
    }


def busy_refusal(fields: dict[str, Any]) -> str | None:
    """Given the fields of one order's answer, return its words when they
    say the panel is too busy ("Too many requests") and nothing beside them
    says it acted (no refill ID; not Unknown: an ID beside them, say): HTTP
    429 in words, no refusal of the order, which is not sent. A multi
    answer's item so is read as the same words at the top of a call."""
    words = fields["error"] if fields["refill_id"] is None else None
    if fields["status"] == UNKNOWN or not words or not is_busy(words):
        return None
    return str(words)


def lost(reason: str) -> dict[str, Any]:
    """Given why a request's answer is missing, return the fields to store: the
    request may have created a refill, so it counts as sent (status Unknown)."""
    return {"refill_id": None, "status": UNKNOWN, "error": reason, "permanent": 0}


def refused(error: str) -> dict[str, Any]:
    """Given a refusal of a whole multi-order request, return the fields to store
    for each of its orders. Never permanent: it names no particular order."""
    return {"refill_id": None, "status": REFUSED, "error": error, "permanent": 0}


def reported(report: RefillStatus | None) -> bool:
    """Return whether the panel reported a status for the refill."""
    return report is not None and report.error is None and report.status is not None


def says_lost(report: RefillStatus | None) -> bool:
    """Return whether the panel's report counts towards closing the refill as
    Unknown: an error about it (``Refill not found``) or no item for it; not
    busy words, a refused key ("Invalid API key" as its item: the panel's
    failure, not the refill's), nor an item saying nothing."""
    if reported(report):
        return False
    error = report.error if report is not None and report.error else NOT_IN_ANSWER
    return not (is_busy(error) or is_key_refusal(error) or error.startswith(NO_REFILL_STATUS))


def followed(
    row: dict[str, Any], report: RefillStatus | None, *, trusted: bool = True
) -> dict[str, Any]:
    """Given an open ``refills`` row and the panel's report on it (None: left
    out of the answer), return the fields to update.

    A status replaces the old one and clears the error. An error (``Refill not
    found``) is kept with a counter; after NOT_FOUND_CONFIRMATIONS in a row the
    refill is closed as Unknown so it stops blocking the order. With
    ``trusted`` False (the panel failed a refill it answered before: its errors
    are about itself, not this refill) the error is kept but not counted.
    """
    if reported(report):
        assert report is not None
        fields: dict[str, Any] = {
            "status": report.status,
            "raw_status": report.raw_status,
            "error": None,
            "error_count": 0,
        }
        # "Rejected: Refill is disabled for this service" refuses for good, as
        # the same words answering the request do: not asked again every day.
        if report.status in REFILL_FINAL - {COMPLETED} and is_permanent_refusal(report.raw_status):
            fields["permanent"] = 1
        return fields
    error = report.error if report is not None and report.error else NOT_IN_ANSWER
    if not (trusted and says_lost(report)):
        # The panel busy, an item saying nothing, or a panel failing every
        # refill: no news of this one. It stays open (closing it would let a
        # second refill be asked for).
        return {"error": error}
    count = stored_count(row.get("error_count")) + 1  # text edited in by hand: 0
    changes: dict[str, Any] = {"error": error, "error_count": count}
    if count >= NOT_FOUND_CONFIRMATIONS:
        changes["status"] = UNKNOWN
    return changes
