"""Is an order eligible for an automatic refill request, and when will it be.

Pure: :func:`eligibility` is the rule the refill round applies to each
order at ``now``; :func:`next_request` asks that same rule at the moments
its verdict can change (the end of ``refill.first_check`` after completion,
of ``refill.cooldown`` after each request), so `history ID` and `refills
--order ID` say when the next automatic request will be, or why none will,
without a second copy of it; :func:`manual_blocker` holds back a request
by hand (`refill ID` without --force), so the command `history ID` names
to ask anyway is the one `refill ID` takes then.
:mod:`tracker.rules.refills` re-exports these
names; the rows the store reads become facts here (:func:`order_facts`,
:func:`past_request`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from tracker.clock import parse_iso
from tracker.config.model import RefillConfig
from tracker.rules.delivery import plausible_remains, total_quantity
from tracker.rules.guarantees import Guarantee, Window, named_guarantee, window_of, window_words
from tracker.rules.refill_states import (
    PastRequest,
    counts_toward_max,
    is_open,
    refused_for_good,
)

DISABLED = "refill.enabled is false"

# Why an order gets no refill request this round (the verdict's ``reason``).
PERMANENT_REFUSAL = "refused for good by the panel"
NO_REFILL = "its service has no refill"
UNKNOWN_SERVICE = "its service is unknown (refill.unknown_service = 'skip')"
NOT_DONE = "status not in refill.statuses"
NOT_COMPLETED = "no completion time recorded"
# Past its own window (the guarantee its service's name says, else
# refill.window); the round counts it under past_window()'s words.
PAST_WINDOW = "past its refill window"
TOO_EARLY = "inside refill.first_check after completion"
OPEN_REFILL = "a refill of it is still open"
UNFOLLOWED = "a refill of it is open, not followed (the panel has no refill_status)"
MAX_REQUESTS = "refill.max_requests reached"
COOLDOWN = "inside refill.cooldown since its last request"
# With detect = "command": why the probe is not run for it.
UNPROBEABLE = "refill.command cannot measure it"
PROBED = "inside refill.probe_every since its count was last measured"


class OrderFacts(NamedTuple):
    """What the tracker knows of one order. ``service_refill`` is None when the
    order's service is not in the services table (or the order has none);
    ``guarantee``, what its service's name (or category) says of its refill
    guarantee (None: nothing, or the service unknown)."""

    order_id: int
    status: str | None
    completed_at: datetime | None
    service_refill: bool | None
    link: str | None = None
    start_count: int | None = None
    quantity: int | None = None
    remains: int | None = None
    guarantee: Guarantee | None = None


class Verdict(NamedTuple):
    """``reason``: why not (empty when eligible); ``unprobeable``: with the
    probe, what the order lacks for it (:func:`unprobeable`), when that is why."""

    eligible: bool
    reason: str = ""
    unprobeable: str | None = None


ELIGIBLE = Verdict(True)


def eligibility(
    order: OrderFacts,
    requests: Sequence[PastRequest],
    config: RefillConfig,
    now: datetime,
) -> Verdict:
    """Given an order, every refill request made for it and the config, return
    whether a refill may be requested at ``now`` and, if not, why."""
    if not config.enabled:
        return Verdict(False, DISABLED)
    if refused_for_good(requests):
        return Verdict(False, PERMANENT_REFUSAL)
    if order.service_refill is False:
        return Verdict(False, NO_REFILL)
    if order.service_refill is None and config.unknown_service != "try":
        return Verdict(False, UNKNOWN_SERVICE)
    if order.status not in config.statuses:
        return Verdict(False, NOT_DONE)
    if order.completed_at is None:
        return Verdict(False, NOT_COMPLETED)
    since_completion = now - order.completed_at
    if since_completion > timedelta(seconds=window(order, config).seconds):
        return Verdict(False, PAST_WINDOW)
    if since_completion < timedelta(seconds=config.first_check):
        return Verdict(False, TOO_EARLY)
    if opened := open_refill(requests, now, config.cooldown):
        return Verdict(False, opened)
    if sum(counts_toward_max(r) for r in requests) >= config.max_requests:
        return Verdict(False, MAX_REQUESTS)
    if requests:
        last = max(r.requested_at for r in requests)
        if now - last < timedelta(seconds=config.cooldown):
            return Verdict(False, COOLDOWN)
    return ELIGIBLE


def open_refill(requests: Sequence[PastRequest], now: datetime, cooldown: float) -> str | None:
    """Given an order's past requests, return why one of them still holds it
    back as open (one followed, or one never followed: its panel has no
    ``refill_status``), or None when none does."""
    blocking = [r for r in requests if is_open(r, now, cooldown)]
    if not blocking:
        return None
    return OPEN_REFILL if any(r.followed for r in blocking) else UNFOLLOWED


def manual_blocker(requests: Sequence[PastRequest], cooldown: float, now: datetime) -> str | None:
    """Given an order's past requests, return why a manual request would be unwise
    (a refill still open, or the cooldown not over), or None when it is fine. A
    manual request skips the service, status and window rules (the user may know
    better than the services list), not these: they keep a request from going twice."""
    if opened := open_refill(requests, now, cooldown):
        return opened
    if not requests:
        return None
    last = max(requests, key=lambda r: r.requested_at)
    if now - last.requested_at < timedelta(seconds=cooldown):
        # Said first when the panel refused it for good: waiting will not help.
        return f"{PERMANENT_REFUSAL}, {COOLDOWN}" if last.permanent else COOLDOWN
    return None


def unprobeable(order: OrderFacts) -> str | None:
    """Given an order, return why the drop probe cannot judge it (what it lacks,
    or a remains that is no delivery figure), or None when it can."""
    missing = [
        what
        for what, value in (
            ("link", order.link),
            ("start_count", order.start_count),
            ("quantity", order.quantity),
        )
        if value in (None, "")
    ]
    if missing:
        return "missing " + ", ".join(missing)
    if not plausible_remains(order.remains, order.quantity):
        return f"remains {order.remains} of {order.quantity} is no delivery figure"
    return None


def probe_due(last: datetime | None, now: datetime, probe_every: float) -> bool:
    """Given when an order's count was last measured (None: never), return True
    when the probe should measure it again: at most once per ``probe_every``,
    so a user's count source is not asked about every order every round."""
    return last is None or (now - last).total_seconds() >= probe_every


class NextRequest(NamedTuple):
    """When an order's next automatic refill request may go (``at``: the
    first refill round from then asks it; ``now`` itself when it may now),
    or None when the rules give none. ``reason``: what holds it back until
    ``at`` ("" when it may go now); with no ``at``, why not now; ``then``:
    why not at the last moment the rules were asked (``refill.window``
    ended by then, say)."""

    at: datetime | None
    reason: str = ""
    then: str = ""


def may_go(
    order: OrderFacts,
    requests: Sequence[PastRequest],
    config: RefillConfig,
    now: datetime,
    last_probed: datetime | None = None,
) -> Verdict:
    """Given what :func:`eligibility` is given and, with ``detect =
    "command"``, when the order's count was last measured, return whether
    the round would ask at ``now``, as it does: eligible, and with the
    probe, one it can measure and due to be measured (it asks only if the
    measure then finds a drop)."""
    verdict = eligibility(order, requests, config, now)
    if not verdict.eligible or config.detect != "command":
        return verdict
    if (why := unprobeable(order)) is not None:
        return Verdict(False, f"{UNPROBEABLE} ({why})", why)
    if not probe_due(last_probed, now, config.probe_every):
        return Verdict(False, PROBED)
    return verdict


def next_request(
    order: OrderFacts,
    requests: Sequence[PastRequest],
    config: RefillConfig,
    now: datetime,
    last_probed: datetime | None = None,
) -> NextRequest:
    """Given what :func:`may_go` is given, return the first moment from
    ``now`` on it says yes: asked at ``now``, then at each later moment its
    verdict can turn (``refill.first_check`` after completion,
    ``refill.cooldown`` after each request: its end, an open refill in
    unknown words no longer blocking; ``refill.probe_every`` after the last
    measure), the same rules each time."""
    verdict = may_go(order, requests, config, now, last_probed)
    if verdict.eligible:
        return NextRequest(now)
    moments = [r.requested_at + timedelta(seconds=config.cooldown) for r in requests]
    if order.completed_at is not None:
        moments.append(order.completed_at + timedelta(seconds=config.first_check))
    if last_probed is not None and config.detect == "command":
        moments.append(last_probed + timedelta(seconds=config.probe_every))
    held = verdict.reason
    for at in sorted(m for m in set(moments) if m > now):
        later = may_go(order, requests, config, at, last_probed)
        if later.eligible:
            return NextRequest(at, held)
        held = later.reason
    return NextRequest(None, verdict.reason, held)


def window(order: OrderFacts, config: RefillConfig) -> Window:
    """Given an order, return its refill window: the guarantee its service's
    name says (``refill.window_from_name``), else ``refill.window``."""
    return window_of(order.guarantee, config)


def past_window(order: OrderFacts, config: RefillConfig) -> str:
    """Given an order past its window, return the reason the refill round
    counts it under, naming that window: "past its refill window (90d, R90)"."""
    return f"{PAST_WINDOW} ({window_words(window(order, config), order.guarantee)})"


def guarantee_ends(order: OrderFacts, config: RefillConfig) -> datetime | None:
    """Given an order, return the last moment its window (:func:`window`)
    allows a request of it (None: not completed as the tracker saw it)."""
    if order.completed_at is None:
        return None
    return order.completed_at + timedelta(seconds=window(order, config).seconds)


def order_facts(row: Mapping[str, Any]) -> OrderFacts:
    """Given an order's row as :func:`tracker.store.refills.candidate_orders`
    reads it, return its OrderFacts."""
    flag = row.get("service_refill")
    return OrderFacts(
        order_id=row["order_id"],
        status=row["status"],
        completed_at=parse_iso(row["completed_at"]) if row.get("completed_at") else None,
        service_refill=None if flag is None else bool(flag),
        link=row.get("link"),
        start_count=row.get("start_count"),
        # Drip-feed: quantity is per run; drops are judged against the whole order.
        quantity=total_quantity(row.get("quantity"), row.get("runs")),
        remains=row.get("remains"),
        guarantee=None if flag is None else named_guarantee(row.get("name"), row.get("category")),
    )


def past_request(row: Mapping[str, Any], *, followed: bool = True) -> PastRequest:
    """Given a ``refills`` row and whether its panel's refills are followed
    (False: learned without ``refill_status``), return the PastRequest the
    rules look at."""
    return PastRequest(
        requested_at=parse_iso(row["requested_at"]),
        status=row["status"],
        refill_id=row["refill_id"],
        permanent=bool(row["permanent"]),
        followed=followed,
    )
