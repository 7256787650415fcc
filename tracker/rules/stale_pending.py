"""Pure decisions for the stale Pending cancels of the automation: whether a
Pending order is cancelled now, and why not.

No I/O: :mod:`tracker.jobs.cancels` gathers the facts and ``now``, records
each cancel before it is sent, and talks to the panel. Part of the decisions
of :mod:`tracker.rules.reorders` (the service's facts, the action names).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.config.model import AutomationConfig
from tracker.panel.statuses import PENDING
from tracker.rules.reorders import UNKNOWN_SERVICE, ServiceFacts

# Why a Pending order is not cancelled (``automation_skips.reason``).
NO_CANCEL = "its service cannot be canceled"
NOT_STALE = "Pending for less than automation.cancel_pending_after"
UNCONFIRMED = "its Pending status was not confirmed by a recent status check"
AMBIGUOUS_UNSTORED = (
    "its service is listed twice with different terms (service_conflicts), and no "
    "terms of it were stored before: whether it can be canceled is unknown"
)


def cancel_blocker(
    status: str | None,
    created_at: datetime,
    service: ServiceFacts | None,
    config: AutomationConfig,
    now: datetime,
    *,
    confirmed_at: datetime | None,
    fresh_for: float,
    set_ahead: float = 0.0,
) -> str | None:
    """Given a Pending order (first seen at ``created_at``, its status last
    answered without error at ``confirmed_at``) and its service, return why it
    must not be canceled now, or None when it should be. A Pending status not
    confirmed within ``fresh_for`` seconds (the tracker was stopped, or the
    poll failed) may be long out of date: an order delivering now is not
    canceled on the strength of it. ``set_ahead``: the seconds the wall clock
    was set ahead since ``created_at`` was stamped, no time the order spent
    Pending (:func:`~tracker.rules.clocksteps.set_ahead_since`)."""
    if status != PENDING:
        return f"not {PENDING}"
    if now - created_at < timedelta(seconds=config.cancel_pending_after + set_ahead):
        return NOT_STALE
    if confirmed_at is None or now - confirmed_at > timedelta(seconds=fresh_for):
        return UNCONFIRMED
    if service is None:
        return UNKNOWN_SERVICE
    if not service.stored:  # the terms stored before, when there are, decide
        return AMBIGUOUS_UNSTORED
    if not service.cancel:
        return NO_CANCEL
    return None
