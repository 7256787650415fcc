"""Pure stall decisions: an order's expected completion (eta), and whether it stalled.

No I/O: every function takes the facts (an order, what the automation job
last judged of it, the ``[automation]`` config, the service's median time to
complete, whether the panel confirmed its status lately) and ``now``.
:mod:`tracker.jobs.automation` gathers the facts, stores the verdicts and
raises the alerts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from tracker.config.model import AutomationConfig
from tracker.panel.statuses import IN_PROGRESS, PROCESSING
from tracker.rules.alerts import ENDS_ALERTED, rough_duration

RATE = "rate"  # eta from the order's own delivery rate so far
MEDIAN = "median"  # eta from the service's median time to complete
# The median needs this many completed orders of the service to mean anything.
MIN_SAMPLES = 3
# An expected duration shorter than this is not trusted for "far past its eta".
MIN_EXPECTED = 60.0
DELIVERING = (PROCESSING, IN_PROGRESS)
# An eta further off than this is no estimate: a panel's absurd remains
# (9e18, falling by 1000 a day) gave one past the calendar, and an
# OverflowError failed the whole stall job, every run.
MAX_ETA = 10 * 365 * 86400.0

STALLED = "stalled"
MOVING = "moving"
# Polls a due order may wait for its check before its stored status is out of
# date: the next poll (at most one period away), and one more for a poll that
# runs long or late.
LATE_POLLS = 2


# Named tuples, not dataclasses: the automation job makes one of each for
# every open order on every run, and a tuple is built in a third of the time.
class OpenOrder(NamedTuple):
    """What the tracker knows of one open order."""

    order_id: int
    status: str | None
    service: int | None
    quantity: int | None
    remains: int | None
    created_at: datetime  # first seen by the tracker (placed, for `add`)
    last_change_at: datetime | None  # last change of status or remains


class WatchState(NamedTuple):
    """One ``order_watch`` row: the rate baseline, the eta, the open stall episode."""

    baseline_at: datetime | None = None
    baseline_remains: int | None = None
    eta: datetime | None = None
    eta_basis: str | None = None
    stalled_at: datetime | None = None
    stalled_change_at: datetime | None = None
    stall_reason: str | None = None

    @property
    def stalled(self) -> bool:
        return self.stalled_at is not None


class Judgement(NamedTuple):
    state: WatchState
    event: str | None = None  # STALLED, MOVING or None
    quiet: float = 0.0  # seconds since the order last changed


def median_seconds(rows: Iterable[tuple[int | None, float]]) -> dict[int, float]:
    """Given (service, seconds from first seen to completion) of completed
    orders, return each service's median (services with at least MIN_SAMPLES
    orders)."""
    by_service: dict[int, list[float]] = {}
    for service, seconds in rows:
        if service is not None:
            by_service.setdefault(service, []).append(seconds)
    enough = {s: seconds for s, seconds in by_service.items() if len(seconds) >= MIN_SAMPLES}
    if not enough:
        return {}
    import statistics  # only then: with fractions, ~1.3 ms of a start's imports

    return {service: statistics.median(seconds) for service, seconds in enough.items()}


def changed_at(order: OpenOrder) -> datetime:
    """Return when the order last changed (first seen, if it never did)."""
    return order.last_change_at or order.created_at


def estimate(
    order: OpenOrder, state: WatchState, median: float | None
) -> tuple[datetime | None, datetime | None, int | None, str | None]:
    """Given an open order, its watch state and its service's median time to
    complete (None: unknown), return (eta, baseline_at, baseline_remains, basis).

    The baseline is the first time the order was seen delivering with a known
    ``remains``; once ``remains`` fell below it, the rate is what was delivered
    since over the time it took, and the eta is the last change plus the
    remains at that rate. Before that, the eta is first seen plus the median.
    """
    base_at, base_remains = state.baseline_at, state.baseline_remains
    last = changed_at(order)
    if order.status in DELIVERING and order.remains is not None:
        if base_at is None or base_remains is None or order.remains > base_remains:
            base_at, base_remains = last, order.remains  # a new (or reset) baseline
        delivered = base_remains - order.remains
        elapsed = (last - base_at).total_seconds()
        if order.remains <= 0 and delivered > 0:
            return last, base_at, base_remains, RATE
        left = order.remains / (delivered / elapsed) if delivered > 0 and elapsed > 0 else None
        if left is not None and left < MAX_ETA:
            return last + timedelta(seconds=left), base_at, base_remains, RATE
    if median is not None:
        return order.created_at + timedelta(seconds=median), base_at, base_remains, MEDIAN
    return None, base_at, base_remains, None


def stall_reason(
    order: OpenOrder, eta: datetime | None, config: AutomationConfig, now: datetime
) -> str | None:
    """Given an open order and its eta, return why it counts as stalled at ``now``,
    or None when it does not.

    Stalled: unchanged for longer than its status's threshold; or far past its
    eta (it has taken ``eta_overdue`` times its expected time) without a change
    since that point was passed.
    """
    last = changed_at(order)
    quiet = (now - last).total_seconds()
    threshold = config.stall_threshold(order.status, order.service)
    if threshold is not None and quiet > threshold:
        return f"{order.status} and unchanged for longer than {rough_duration(threshold)}"
    if config.eta_overdue and eta is not None:
        expected = (eta - order.created_at).total_seconds()
        if expected >= MIN_EXPECTED:
            overdue_at = order.created_at + timedelta(seconds=expected * config.eta_overdue)
            if now > overdue_at and last < overdue_at:
                return (
                    f"far past its expected completion ({config.eta_overdue:g} x "
                    f"{rough_duration(expected)} expected)"
                )
    return None


def confirmed(
    checked_at: datetime | None, next_check_at: datetime | None, now: datetime, late: float
) -> bool:
    """Given when the panel last answered an order without an error, when the
    order was next due for a check (None: at the next poll) and ``late``, the
    seconds a due order may wait for its check, return whether its stored
    status and remains still speak for ``now``.

    Never answered: no. Overdue by more than ``late`` (the panel did not
    answer, or the tracker was stopped): no, for an order that seems to have
    sat still may have moved meanwhile unseen."""
    if checked_at is None:
        return False
    due = next_check_at or checked_at
    return (now - due).total_seconds() <= late


def judge(
    order: OpenOrder,
    state: WatchState,
    config: AutomationConfig,
    median: float | None,
    now: datetime,
    *,
    seen: bool = True,
    unwatched: float = 0.0,
) -> Judgement:
    """Given an open order, its watch state, the config and the service's median
    time to complete, return its new state and the event to alert on.

    A stall episode opens once (STALLED) and ends at the order's next change of
    status or remains (MOVING); while it is open nothing more is raised.
    Without ``seen`` (its status is not :func:`confirmed`, or the panel is
    :func:`tracker.rules.reach_episodes.panel_blind`) no episode opens:
    sitting still in the store is not sitting still on the panel. One
    already open stays open; only a change ends it.

    ``unwatched``: the seconds the wall clock was set ahead since the order
    last changed (:func:`tracker.rules.clocksteps.set_ahead_since`): no time
    it sat still, so they count toward no stall (a clock stepped 8 h ahead
    stalled every open order at once). A sleep is no step: the panel kept
    working while this machine slept, so that time is real and counts.
    """
    eta, base_at, base_remains, basis = estimate(order, state, median)
    new = WatchState(
        base_at, base_remains, eta, basis, state.stalled_at, state.stalled_change_at,
        state.stall_reason,
    )  # fmt: skip
    counted = now - timedelta(seconds=unwatched) if unwatched else now
    quiet = (counted - changed_at(order)).total_seconds()
    if state.stalled:
        if order.last_change_at != state.stalled_change_at:
            cleared = WatchState(base_at, base_remains, eta, basis)
            return Judgement(cleared, MOVING, quiet)
        return Judgement(new, None, quiet)
    if not config.stalls or not seen:
        return Judgement(new, None, quiet)
    reason = stall_reason(order, eta, config, counted)
    if reason is None:
        return Judgement(new, None, quiet)
    stalled = new._replace(
        stalled_at=now, stalled_change_at=order.last_change_at, stall_reason=reason
    )
    return Judgement(stalled, STALLED, quiet)


def recheck_at(order: OpenOrder, state: WatchState, config: AutomationConfig) -> datetime | None:
    """Given an order and the state it was just judged into, return the first
    moment :func:`judge` can stall it with nothing about it changing (time
    alone): when it has sat unchanged past its status's threshold, or has
    taken ``eta_overdue`` times its expected time; None when time alone never
    will (already stalled, stall alerts off, no threshold and no eta).

    Until then judging it again gives the same state and no event, so the
    automation job can leave it alone.
    """
    if state.stalled or not config.stalls:
        return None
    last = changed_at(order)
    found: datetime | None = None
    threshold = config.stall_threshold(order.status, order.service)
    if threshold is not None:
        found = last + timedelta(seconds=threshold)
    if config.eta_overdue and state.eta is not None:
        expected = (state.eta - order.created_at).total_seconds()
        if expected >= MIN_EXPECTED:
            overdue_at = order.created_at + timedelta(seconds=expected * config.eta_overdue)
            if last < overdue_at and (found is None or overdue_at < found):
                found = overdue_at
    return found


def finished(
    state: WatchState, last_change_at: datetime | None, status: str | None = None
) -> str | None:
    """Given the watch state of an order that is no longer open (terminal, or no
    longer polled), its last change and its status, return MOVING when a stall
    episode ends with that change and says so (``order_moving``), else None
    (the state is simply dropped). An order that ended in a status with an
    alert of its own (Canceled, Refunded, Partial: ``order_canceled``,
    ``order_partial``) ends its episode with that alert: an ``order_moving``
    beside it would tell the one event twice."""
    if status in ENDS_ALERTED:
        return None
    if state.stalled and last_change_at != state.stalled_change_at:
        return MOVING
    return None


def kept_while_stopped(
    state: WatchState, last_change_at: datetime | None, *, stopped: bool
) -> bool:
    """Given the watch state of an order that is no longer open, its last
    change, and whether it was stopped (lost or untracked, not finished),
    return whether its state is kept: a stall episode still open, the order
    unchanged since it stalled. ``track`` may resume the order: the episode
    then carries on, its ``order_stalled`` told already (not told again for
    the same stall), its next change ending it with ``order_moving``. The
    state of any other order no longer open is dropped (:func:`finished`)."""
    return stopped and state.stalled and last_change_at == state.stalled_change_at
