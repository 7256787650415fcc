"""A poll's late checks: ended orders asked again for a late refund, in the
poll's own multi-status calls, after its open orders.

:func:`tracker.jobs.poll.poll_panel` asks for :meth:`LateChecks.batches`
once its due open orders are all handed out, so open orders always go first,
and at most BATCHES_PER_POLL batches of them go out per poll: a panel with
50,000 orders ending at once has them checked over the next polls, the
earliest moments first, never starving its open orders. Each batch goes
through :func:`tracker.jobs.asking.ask_batch` (the same splits, re-asks,
retries, rate limit and deadlines) and is stored by
:func:`tracker.store.late_checks.store_late`. A failed check (the whole
call, an item's error, an order left out) is never the order's: nothing
stored changes, and it is logged. An item's error or an order left out
counts as the check made (asked at the next moment, or no more after the
last); a whole call failed (the panel down, a rate limit, a timeout) burns
no check: asked again at the next poll, until a day past the last moment.
Nor is a late check's failed call the panel's: it runs with LATE_CALL set, and
:mod:`tracker.jobs.reach` leaves it out of the panel's run of failed calls
(no refill round held, no ``panel_unreachable`` or ``status_failing`` count).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import structlog

from tracker.clock import Clock
from tracker.jobs.asking import Answer
from tracker.store.late_checks import LateStored, due_late_ids, store_late
from tracker.store.orders import Store

log = structlog.get_logger("tracker.poll")

# True in the context a late check's call runs in (see the module's docstring).
LATE_CALL: ContextVar[bool] = ContextVar("late_call", default=False)

# Late-check batches (of max_batch IDs each) a poll sends at most, after its
# open orders (a batch split by a bad ID costs more calls, as any batch does).
BATCHES_PER_POLL = 10
_LISTED = 20  # order IDs named in a late_check_failed or order_reopened_many line
# Orders re-opened by a poll's late checks told by name at warning; any more
# at debug, and counted in one order_reopened_many line when the poll ends
# (a panel re-opening 1,000 orders at once made 1,000 warning lines). The
# same for orders charged more than before: at warning, any more at info
# (order_charge_changed), counted in one order_charge_raised_many line.
REOPENED_LOGGED = 10


class LateChecks:
    """Given a store, a panel's name, its late-check moments (seconds after
    an order ended) and the clock, hand out one poll's due late checks and
    store what comes back; ``refunds`` gathers the poll's refunds."""

    def __init__(self, store: Store, panel: str, delays: tuple[float, ...], clock: Clock):
        self.store, self.panel, self.delays, self.clock = store, panel, delays, clock
        self.refunds: list[dict[str, Any]] = []
        self.checked = 0
        self.failures = 0  # of the checks made, those that failed
        self.reopened: list[int] = []  # orders open again, this poll
        self.raised: list[int] = []  # orders charged more than before, this poll

    def batches(self, size: int) -> Iterator[list[int]]:
        """Yield the due late checks' IDs ``size`` at a time (read when the
        first is asked for: once the open orders are all handed out)."""
        most = BATCHES_PER_POLL * size
        due = due_late_ids(self.store, self.panel, self.clock(), self.delays, most)
        for start in range(0, len(due), size):
            yield due[start : start + size]

    def answered(self, ids: list[int], answer: Answer) -> None:
        """Store a batch's answer; IDs it left unsettled (the panel failed
        while the batch was split or re-asked) count as failed checks."""
        asked = answer.settled(ids)
        self.checked += len(asked)
        if asked:
            stored = store_late(
                self.store, self.panel, asked, answer.reports, self.clock(), self.delays
            )
            self._tell(stored)
        if left := [i for i in ids if i not in set(asked)]:
            self.failed(left, answer.why or "the panel failed while the batch was asked again")

    def failed(self, ids: list[int], why: str) -> None:
        """A whole late-check call failed: nothing on its orders changes; the
        check stays due (:func:`tracker.store.late_checks.store_late`)."""
        self.checked += len(ids)
        now = self.clock()
        self._tell(store_late(self.store, self.panel, ids, {}, now, self.delays, failed=why))

    def _tell(self, stored: LateStored) -> None:
        self.refunds += stored.refunds
        self.failures += len(stored.failed)
        for change in stored.repriced:  # as a poll logs it for an open order
            level = log.info
            if change["raised"]:  # charged more after the end: the first few at warning
                self.raised.append(change["order_id"])
                level = log.warning if len(self.raised) <= REOPENED_LOGGED else log.info
            level(
                "order_charge_changed",
                panel=self.panel,
                late=True,
                raised=change["raised"],
                **_named(change),
            )
        reopened = set(stored.reopened)
        for t in stored.transitions:
            event, level = "late_status_changed", log.info
            if t["order_id"] in reopened:
                self.reopened.append(t["order_id"])
                event = "order_reopened"
                level = log.warning if len(self.reopened) <= REOPENED_LOGGED else log.debug
            level(
                event,
                panel=self.panel,
                order=t["order_id"],
                before=t["from_status"],
                after=t["to_status"],
            )
        by_why: dict[str, list[tuple[int, bool]]] = {}
        for order_id, why, last in stored.failed:
            by_why.setdefault(why, []).append((order_id, last))
        for why, orders in by_why.items():
            log.warning(
                "late_check_failed",
                panel=self.panel,
                orders=len(orders),
                ids=[order_id for order_id, _ in orders[:_LISTED]],
                dropped=sum(1 for _, last in orders if last),  # that was their last check
                error=why,
            )

    def finish(self) -> None:
        """Once the poll ends: the orders it re-opened, and those charged
        more, past the first REOPENED_LOGGED, counted in one line each."""
        if rest := self.raised[REOPENED_LOGGED:]:
            log.warning(
                "order_charge_raised_many",
                panel=self.panel,
                orders=len(rest),
                first=rest[:_LISTED],
                raised=len(self.raised),
            )
        if rest := self.reopened[REOPENED_LOGGED:]:
            log.warning(
                "order_reopened_many",
                panel=self.panel,
                orders=len(rest),
                first=rest[:_LISTED],
                reopened=len(self.reopened),
            )


def _named(change: dict[str, Any]) -> dict[str, Any]:
    return {"order": change["order_id"], "before": change["before"], "after": change["after"]}
