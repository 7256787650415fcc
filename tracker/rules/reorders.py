"""Pure decisions for automatic actions: re-order a Partial's remainder (what
it would cost, and what it counts toward the daily cap, are figured in
:mod:`tracker.rules.reorder_costs`), and what each answer means. Stale Pending
cancels are decided in :mod:`tracker.rules.stale_pending`.

No I/O: every function takes the facts and ``now``. :mod:`tracker.jobs.automation`
gathers them, records each action before it is sent, and talks to the panel.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from tracker.config.model import AutomationConfig
from tracker.panel.statuses import PARTIAL, status_reason
from tracker.rules.clocksteps import ahead
from tracker.rules.delivery import delivered, total_quantity
from tracker.rules.reorder_costs import estimated_cost, usable_rate
from tracker.rules.reorder_pace import ONE_ORDER, Pace, one_order_because, paced

REORDER = "reorder"
CANCEL = "cancel"

# Statuses of an ``automation_actions`` row.
SENDING = "Sending"  # written and committed before the panel is called
PLACED = "Placed"  # the re-order was accepted: new_order_id is set
REQUESTED = "Requested"  # the panel accepted the cancel; polling shows what became of it
REFUSED = "Refused"  # the panel answered with an error: nothing happened
UNKNOWN = "Unknown"  # the answer was lost, or the process died: it counts as sent
DRY_RUN = "Dry run"  # automation.dry_run: recorded, never sent
# A re-order in one of these may have cost money: it counts toward the daily cap.
SPENDING = (SENDING, PLACED, UNKNOWN, DRY_RUN)

# Why an order is not acted on (``automation_skips.reason``).
NOT_LISTED = "its service is not in automation.reorder_services"
IS_REORDER = "it is itself a re-order (re-orders are not re-ordered)"
TOO_OLD = "it ended longer ago than automation.reorder_within"
STAMPED_AHEAD = (
    "the tracker saw it end at a time still ahead of the clock (the clock set back "
    "since): how long ago it ended is unknown; re-order it by hand"
)
ENDED_UNSEEN = (
    "it had ended before the tracker saw it (first seen already Partial: it may "
    "have ended long before automation.reorder_within); re-order it by hand"
)
UNWATCHED = (
    "the tracker had not checked it for longer than its polls explain before it "
    "saw it Partial (stopped, or the status calls failing): it may have ended "
    "longer ago than automation.reorder_within; re-order it by hand"
)
REORDERED_ELSEWHERE = (
    "it was re-ordered already under another panel name (the panel renamed in "
    "the config and the order tracked again?)"
)
MISSING = "its service, link or quantity is unknown"
NOTHING_LEFT = "nothing is undelivered"
REMAINS_ABOVE_ORDER = (
    "its remains is above the quantity tracked (a drip-feed order tracked "
    "without --runs?): what was delivered is unknown"
)
REMAINS_BELOW_ORDER = (
    "its remains is below minus the quantity tracked (more than the whole order "
    "over-delivered): no delivery figure, what was delivered is unknown"
)
WITH_REASON = (
    "the panel wrote a reason with its Partial status (raw_status): it may still "
    "be delivering or refunding; re-order it by hand if it is done"
)
CANCEL_ASKED = (
    "a cancel was asked for it (smm-tracker cancel, or the automation's stale "
    "Pending cancel): what was cancelled is not bought again; re-order it by hand"
)
UNKNOWN_SERVICE = "its service is not in the panel's services list"
OTHER_TYPE = (
    "its service type is not Default (a Package, Custom Comments, Subscriptions...): "
    "a re-order sends a link and a quantity, which such a service refuses or "
    "prices otherwise (a Package per order, not per 1000); re-order it by hand"
)
AMBIGUOUS_SERVICE = (
    "its service is listed twice with different terms (service_conflicts): "
    "what a re-order would cost is unknown"
)
STALE_SERVICE = (
    "its rate is older than 2 x schedule.services_every (the services call "
    "failing?): what a re-order costs now is unknown"
)
NO_RATE = (
    "its service has no usable rate (none, 0, negative or not a number): "
    "the cost cannot be checked against the cap"
)
ROUNDED_AWAY = "the remainder rounds to 0"
ABOVE_MAX = "the remainder is above the service's max"
BELOW_MIN = (
    "the remainder is below the service's min (automation.reorder_below_min = "
    '"skip"): re-order it by hand'
)
CAPPED = "the daily cap would be passed"
ALONE_ABOVE_CAP = "its estimated cost alone is above the daily cap"


class PartialOrder(NamedTuple):
    order_id: int
    service: int | None
    link: str | None
    quantity: int | None
    remains: int | None
    # When the tracker saw it end; None when it had already ended when the
    # tracker first saw it (tracked late): when it ended is unknown.
    completed_at: datetime | None
    parent_order_id: int | None = None
    runs: int | None = None  # drip-feed: quantity is per run
    raw_status: str | None = None  # the panel's words: "Partial - resuming" has a reason
    # The check before the one that saw it Partial: it ended in between.
    checked_before: datetime | None = None
    reordered_on: str | None = None  # re-ordered already under that panel name
    cancel_asked: bool = False  # a cancel was asked for (`cancel` or the automation)
    interval: int | None = None  # drip-feed: minutes between runs


class ServiceFacts(NamedTuple):
    """A service as the ``services`` table has it (None: not listed)."""

    rate: Decimal | None
    min: int | None
    max: int | None
    cancel: bool
    ambiguous: bool = False  # listed twice with different terms (service_conflicts)
    type: str | None = None  # "Default", "Package", ... as listed; None: not said
    synced_at: datetime | None = None  # when the panel's services list last said them
    stored: bool = True  # False: listed twice with different terms, no terms stored before
    dripfeed: bool | None = None  # takes drip-feed, as listed; None: the panel lists no flag


class Plan(NamedTuple):
    """What a re-order would place: ``quantity`` in all at an estimated
    ``cost``; drip-feed, as ``runs`` every ``interval`` minutes."""

    quantity: int
    cost: Decimal
    reason: str
    runs: int | None = None
    interval: int | None = None

    @property
    def each(self) -> int:
        """The quantity ``add`` sends: a run's for drip-feed."""
        return self.quantity // self.runs if self.runs else self.quantity


def sold_by_quantity(kind: str | None) -> bool:
    """Given a service's type as listed, return True when a re-order of a link
    and a quantity buys it at its rate per 1000: the Default type, however
    written, or no type said (scripts that list none sell only the default)."""
    return not kind or kind.strip().lower() in ("", "default")


def undelivered(quantity: int, remains: int | None, runs: int | None = None) -> int:
    """Given a Partial order's quantity (per run for drip-feed), remains and runs,
    return what was not delivered, by the orders listing's rule
    (:func:`tracker.rules.delivery.delivered`): the whole order less what was
    delivered, never below 0 (over-delivery)."""
    total = total_quantity(quantity, runs) or 0
    done = delivered(PARTIAL, quantity, runs, remains)
    if done is None:
        return 0
    return max(0, min(total, total - done))


def rounded(amount: int, step: int, mode: str) -> int:
    """Given an amount, return it rounded to a multiple of ``step`` ("up", "down"
    or "nearest", halves up)."""
    if step <= 1:
        return amount
    if mode == "down":
        return amount // step * step
    if mode == "nearest":
        return int(math.floor(amount / step + 0.5)) * step
    return -(-amount // step) * step


def reorder_plan(
    order: PartialOrder,
    service: ServiceFacts | None,
    config: AutomationConfig,
    now: datetime,
    *,
    fresh_for: float | None = None,
    watched_gap: float | None = None,
) -> Plan | str:
    """Given a Partial order and its service, return the re-order to place, or
    the reason (a string) none is placed. The cap is checked by the caller.
    ``fresh_for``: seconds a service's terms stay good since the services list
    last said them (None: forever). ``watched_gap``: the longest time between
    two checks of an order that its polls explain; past it, the order may
    have ended any time since the check before."""
    if not config.reorders_service(order.service):
        return NOT_LISTED if order.service is not None else MISSING
    if order.parent_order_id is not None:
        return IS_REORDER
    if order.reordered_on is not None:
        return REORDERED_ELSEWHERE
    if order.cancel_asked:
        return CANCEL_ASKED  # someone wanted it stopped (even if refused): no more of it
    if status_reason(order.raw_status) is not None:
        return WITH_REASON  # free text after "Partial": never read as done
    if order.completed_at is None:
        return ENDED_UNSEEN  # "track ID" of a Partial of months ago: not re-ordered
    if order.completed_at > now:
        return STAMPED_AHEAD  # seen by a clock a year ahead, put right: within for a year
    if now - order.completed_at > timedelta(seconds=config.reorder_within):
        return TOO_OLD
    if (
        watched_gap is not None
        and order.checked_before is not None
        and order.completed_at - order.checked_before > timedelta(seconds=watched_gap)
        and now - order.checked_before > timedelta(seconds=config.reorder_within)
    ):
        return UNWATCHED  # seen at the first poll after days stopped: ended when?
    if not order.link or not order.quantity:
        return MISSING
    total = total_quantity(order.quantity, order.runs) or 0
    if order.remains is not None and order.remains > total:
        return REMAINS_ABOVE_ORDER  # re-ordering a guess would spend on it
    if order.remains is not None and order.remains < -total:
        return REMAINS_BELOW_ORDER  # "-99999999999": the panel's nonsense, not a figure
    left = undelivered(order.quantity, order.remains, order.runs)
    if left <= 0:
        return NOTHING_LEFT
    if service is None:
        return UNKNOWN_SERVICE
    if service.ambiguous:
        return AMBIGUOUS_SERVICE  # its stored terms are from before it was listed twice
    if not sold_by_quantity(service.type):
        return OTHER_TYPE  # a Package's rate is per order: the estimate bounds nothing
    if fresh_for is not None and (
        service.synced_at is None
        or now - service.synced_at > timedelta(seconds=fresh_for)
        or ahead(service.synced_at, now)
    ):
        # The services call failing while the price rose, or a list synced by
        # a clock since set back: its rates' age is not known.
        return STALE_SERVICE
    if not usable_rate(service.rate):
        return NO_RATE
    assert service.rate is not None  # usable_rate
    why = f"{PARTIAL}: {left} of {total} undelivered"
    note = None
    if order.runs is not None and order.runs > 1:  # keep its pace when the panel takes it
        note = one_order_because(order.interval, service.dripfeed)
        if note is None:
            assert order.interval is not None
            pace = paced(left, order.quantity, order.interval, service.min, service.max, config)
            if isinstance(pace, str):
                return pace
            if isinstance(pace, Pace):
                return _paced_plan(pace, service.rate, why)
            note = pace.why
    amount = rounded(left, config.reorder_step, config.reorder_round)
    if amount <= 0:
        return ROUNDED_AWAY
    raised = service.min is not None and amount < service.min
    if raised:
        if config.reorder_below_min == "skip":
            return BELOW_MIN
        assert service.min is not None
        amount = service.min  # the panel refuses less: the customer gets the difference
    if service.max is not None and amount > service.max:
        return ABOVE_MAX
    cost = estimated_cost(service.rate, amount)
    if cost <= 0:  # a rate so small the estimate rounds to nothing: not a bound either
        return NO_RATE
    if raised:
        why += f", raised to the service's min of {amount}"
    return Plan(amount, cost, why if note is None else f"{why}; {ONE_ORDER}{note}")


def _paced_plan(pace: Pace, rate: Decimal, why: str) -> Plan | str:
    """Given a drip-feed re-order's runs, its service's rate and its reason so
    far, return its plan: the cost of every run, which the daily cap counts."""
    cost = estimated_cost(rate, pace.total)
    if cost <= 0:
        return NO_RATE
    if pace.raised:
        why += f", raised to the service's min of {pace.each} a run"
    return Plan(pace.total, cost, f"{why}; {pace.said()}", pace.runs, pace.interval)
