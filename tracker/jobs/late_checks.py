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
Its ``late_check_failed`` line is told once per run of failed late-check
calls (kept in ``alert_state`` under the line's name, as a failing job's:
:mod:`tracker.store.told_marks`), in the daemon and across ``run --once``
runs: at warning the first time, at debug until a late check's call is
answered (a poll with none failed), but for checks given up (``dropped``):
from cron, the same orders asked at every run warned a mail a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import structlog

from tracker.clock import Clock
from tracker.jobs.batch_answer import Answer
from tracker.jobs.few_lines import FewLines
from tracker.rules.money import charged_in, money_or_none
from tracker.store.late_checks import LateStored, due_late_ids, store_late
from tracker.store.orders import Store
from tracker.store.told_marks import told_once

log = structlog.get_logger("tracker.poll")

# True in the context a late check's call runs in (see the module's docstring).
LATE_CALL: ContextVar[bool] = ContextVar("late_call", default=False)

# Late-check batches (of max_batch IDs each) a poll sends at most, after its
# open orders (a batch split by a bad ID costs more calls, as any batch does).
BATCHES_PER_POLL = 10
_LISTED = 20  # order IDs named in a late_check_failed line
LATE_CHECK_FAILED = "late_check_failed"  # and its run of failed calls' kind
# Of a poll's per-order lines (see tracker.jobs.few_lines), the first 10 by
# name, any more at debug and counted in one line when the poll ends: orders
# re-opened (order_reopened, at warning: order_reopened_many), charged more
# than before (order_charge_changed, raised=true, at warning:
# order_charge_raised_many), charged otherwise (order_charge_changed at info,
# counted with the poll's open orders re-priced: order_charge_changed_many)
# and moved between ended statuses (late_status_changed, at info:
# late_status_changed_many). A panel re-opening 1,000 orders at once made
# 1,000 warning lines; refunding 20 at once, 20 info lines.


# An ended order's charge the panel now gives in another currency than it was
# charged in: the stored charge and currency kept, said at warning (the first
# few of a poll by name: order_currency_changed_many).
ORDER_CURRENCY_CHANGED = "order_currency_changed"


def kept_lines(panel: str) -> FewLines:
    """A poll's lines of the ended orders whose charge was kept."""
    return FewLines(log.warning, log.debug, ORDER_CURRENCY_CHANGED, panel, "kept")


def tell_kept(lines: FewLines, order: dict[str, Any], **fields: Any) -> None:
    """Log one ended order whose charge was kept in its currency (``order``:
    order_id, charge, currency, said_charge, said_currency): the amounts as
    a person reads them."""
    lines.tell(
        order["order_id"],
        charge=money_or_none(order["charge"]),
        currency=order["currency"],
        said_charge=money_or_none(order["said_charge"]),
        said_currency=order["said_currency"],
        kept=True,
        **fields,
    )


class LateChecks:
    """Given a store, a panel's name, its late-check moments (seconds after
    an order ended) and the clock, hand out one poll's due late checks and
    store what comes back; ``refunds`` gathers the poll's refunds, ``overcharged``
    the ended orders it found charged more."""

    def __init__(
        self,
        store: Store,
        panel: str,
        delays: tuple[float, ...],
        clock: Clock,
        charged: FewLines | None = None,
    ):
        self.store, self.panel, self.delays, self.clock = store, panel, delays, clock
        self.refunds: list[dict[str, Any]] = []
        self.overcharged: list[dict[str, Any]] = []
        self.checked = 0
        self.failures = 0  # of the checks made, those that failed
        self.reopened = FewLines(log.warning, log.debug, "order_reopened", panel, "reopened")
        self.raised = FewLines(  # charged more than before
            log.warning,
            log.debug,
            "order_charge_changed",
            panel,
            "raised",
            many="order_charge_raised_many",
        )
        # Any other charge changed: the poll's (its open orders' too), else ours.
        self._own = charged is None
        self.charged = charged or FewLines(
            log.info, log.debug, "order_charge_changed", panel, "changed"
        )
        self.moved = FewLines(log.info, log.debug, "late_status_changed", panel, "changed")
        # An ended order's charge given in another currency: kept, said once
        # an order (tracker.store.late_checks.KEPT_SAID), its checks going on.
        self.kept = kept_lines(panel)
        self._calls = {"answered": False, "failed": False}  # this poll's late-check calls

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
            self._calls["answered"] = True
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
        stored = store_late(self.store, self.panel, ids, {}, now, self.delays, failed=why)
        self._calls["failed"] = True
        self._tell(stored, told=told_once(self.store, self.panel, LATE_CHECK_FAILED, True, now))

    def _tell(self, stored: LateStored, told: bool = False) -> None:
        """Log what a batch's checks stored; ``told``: its whole call failed
        while a run of such failures was told already (its line at debug,
        but for orders given up)."""
        self.refunds += stored.refunds
        self.overcharged += stored.raised
        self.failures += len(stored.failed)
        for change in stored.repriced:  # as a poll logs it for an open order
            # Charged more after the end: a warning; any other change at info.
            lines = self.raised if change["raised"] else self.charged
            lines.tell(
                change["order_id"],
                late=True,
                raised=change["raised"],
                before=change["before"],
                after=change["after"],
                **charged_in(change),
            )
        for order in stored.kept:
            tell_kept(self.kept, order, late=True)
        reopened = set(stored.reopened)
        for t in stored.transitions:
            lines = self.reopened if t["order_id"] in reopened else self.moved
            lines.tell(t["order_id"], before=t["from_status"], after=t["to_status"])
        by_why: dict[str, list[tuple[int, bool]]] = {}
        for order_id, why, last in stored.failed:
            by_why.setdefault(why, []).append((order_id, last))
        for why, orders in by_why.items():
            dropped = sum(1 for _, last in orders if last)  # that was their last check
            (log.debug if told and not dropped else log.warning)(
                "late_check_failed",
                panel=self.panel,
                orders=len(orders),
                ids=[order_id for order_id, _ in orders[:_LISTED]],
                dropped=dropped,
                error=why,
            )

    def finish(self) -> None:
        """Once the poll ends: the lines past the first few, counted in one
        line each (the charges changed: by the poll, when it shares them)."""
        for lines in (self.raised, self.reopened, self.moved, self.kept):
            lines.finish()
        if self._calls["answered"] and not self._calls["failed"]:  # a run of failures ends
            told_once(self.store, self.panel, LATE_CHECK_FAILED, False, self.clock())
        if self._own:
            self.charged.finish()
