"""A refill request's states, pure: the ``refills`` row's own statuses beside
the panel's, which close a refill, whether a request is still open, whether it
used up one of ``refill.max_requests``, whether the panel refused the order's
refills for good. :mod:`tracker.rules.refills` decides from them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from tracker.panel.statuses import IN_PROGRESS, PENDING, REFILL_FINAL, REFILL_REJECTED

# Statuses of a ``refills`` row that are the tracker's own, not the panel's.
REQUESTING = "Requesting"  # written before the request is sent
REFUSED = "Refused"  # the panel answered the request with an error: no refill exists
UNKNOWN = "Unknown"  # the answer was lost, or the panel lost track of the refill
LOCAL_STATUSES = (REQUESTING, REFUSED, UNKNOWN)
AUTO = "auto"  # refills.source of the tracker's own requests (the column's default)
# A refill in one of these will not move again: it is not polled any more.
CLOSED = REFILL_FINAL | {REFUSED, UNKNOWN}

# Refusals that will never change for this order: its service has no refill.
_PERMANENT = re.compile(
    r"refill is disabled|does not support refill|doesn'?t support refill|"
    r"refill (?:is )?not (?:available|supported|allowed) for this service",
    re.IGNORECASE,
)


class PastRequest(NamedTuple):
    """One row of the ``refills`` table, as the rules need it. ``followed``:
    False when its panel was learned to have no ``refill_status`` action, so
    its status is never asked and never moves."""

    requested_at: datetime
    status: str
    refill_id: str | None = None
    permanent: bool = False
    followed: bool = True


def is_permanent_refusal(error: str | None) -> bool:
    """Given a panel's refusal text, return True when no later request can succeed."""
    return bool(error) and bool(_PERMANENT.search(error or ""))


def refused_for_good(requests: Sequence[PastRequest]) -> bool:
    """Return True when the panel refused refills of the order for good and
    took no request of it since: one it gave a refill ID after the refusal (a
    `refill --force` once the panel enabled refill again) ends the refusal,
    which otherwise held back the order's automatic requests for ever."""
    refused = [r.requested_at for r in requests if r.permanent]
    if not refused:
        return False
    since = max(refused)
    return not any(r.refill_id is not None and r.requested_at > since for r in requests)


def is_open(request: PastRequest, now: datetime | None = None, cooldown: float = 0) -> bool:
    """Return True while a request may still become (or is) a running refill;
    given ``now``, one in status words the tracker does not know ("Refunded"),
    or one not followed (its panel has no ``refill_status``: Pending for
    ever), only inside ``cooldown`` of its request: then the panel decides."""
    if request.status == REQUESTING:
        return True  # being sent right now, or interrupted: settled by the next round
    if request.refill_id is None or request.status in CLOSED:
        return False
    if now is None or (request.followed and request.status in (PENDING, IN_PROGRESS)):
        return True
    return now - request.requested_at < timedelta(seconds=cooldown)


def counts_toward_max(request: PastRequest) -> bool:
    """Return True when a request used up one of ``refill.max_requests``.
    Refusals and Rejected refills are the panel saying "nothing dropped" (with
    ``detect = "panel"`` most rounds end so): they do not use up the order's
    guarantee. A lost answer may have created a refill: it counts."""
    if request.status in (REQUESTING, UNKNOWN):
        return True
    return request.refill_id is not None and request.status != REFILL_REJECTED
