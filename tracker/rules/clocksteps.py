"""Pure decisions about the wall clock's steps (NTP, an operator, a VM or
laptop resumed): how far it stepped between two looks, and what a moment
stamped before a step still counts for.

The jobs read the wall clock and its monotonic twin (:mod:`tracker.jobs.steps`);
these functions are given the readings.
"""

from __future__ import annotations

from datetime import datetime

# More than this between the wall clock's move and the monotonic clock's is a
# step (NTP, an operator, a VM resumed after sleeping), not NTP's slewing: the
# figure the daemon's ClockWatch (service/clockstep.py) tells steps by.
STEP_SECONDS = 5.0


def counted_from(since: datetime | None, now: datetime) -> datetime:
    """Given when a run of failures began (None: it begins now), return the
    moment its length counts from: ``now`` for one stamped after ``now``. The
    wall clock was set back since (NTP, a VM restored, a database copied from
    a machine whose clock ran ahead); counted from the future, an hour set back
    kept the alert quiet for that hour on top of its delay."""
    return now if since is None or since > now else since


def clock_step(
    before: datetime | None, tick_before: float | None, now: datetime, tick: float | None
) -> float:
    """Given two readings of the wall clock and of the monotonic one (None:
    not known), return how many seconds further the wall clock went than the
    monotonic one between them: above 0 set forward, or a sleep the monotonic
    clock does not count (a VM or laptop suspended); below 0 set back. 0.0
    when within ``STEP_SECONDS`` (NTP's slewing) or not known."""
    if before is None or tick_before is None or tick is None:
        return 0.0
    step = (now - before).total_seconds() - (tick - tick_before)
    return step if abs(step) > STEP_SECONDS else 0.0


def stepped_forward(
    before: datetime | None, tick_before: float | None, now: datetime, tick: float | None
) -> bool:
    """Given two readings of the wall clock and of the monotonic one (None:
    not known), return whether the wall clock went more than ``STEP_SECONDS``
    further between them (:func:`clock_step`). Nothing was tried in that gap,
    so nothing failed in it: a run of failures spanning it counts from the
    first after it."""
    return clock_step(before, tick_before, now, tick) > 0
