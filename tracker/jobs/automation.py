"""The automation job, per panel: watch for stalls, cancel stale Pending orders,
re-order the remainder of Partial ones, within the daily cap.

Wiring only: the store says which orders qualify, :mod:`tracker.rules.reorders`
decides, and every action is recorded (status Sending) and committed *before*
the panel is called (one re-order: :mod:`tracker.jobs.reorder_one`). A
re-order is an ``add``: it is sent once, and an answer that may be lost, or a
crash before the answer is stored, counts as placed. With
``automation.dry_run`` nothing is sent and everything is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import parse_iso
from tracker.config.accounts import same_panel
from tracker.errors import AuthError, JobPaused
from tracker.jobs.automation_said import AUTOMATION_REORDERED
from tracker.jobs.base import Core, Job
from tracker.jobs.cancels import PAGE, service_facts
from tracker.jobs.cap import DailyCap
from tracker.jobs.reorder_one import NOT_SENT, ReorderOne
from tracker.jobs.stalls import service_medians, watch_stalls
from tracker.jobs.steps import Looks
from tracker.rules.clocksteps import ahead, seen_ahead
from tracker.rules.reorder_costs import balance_fresh_for, fits
from tracker.rules.reorders import (
    ALONE_ABOVE_CAP,
    CAPPED,
    DRY_RUN,
    PLACED,
    REFUSED,
    REORDER,
    UNKNOWN,
    PartialOrder,
    Plan,
    reorder_plan,
)
from tracker.store import automation as sql
from tracker.store.automation_candidates import partial_candidates
from tracker.store.automation_spend import spent_toward

log = structlog.get_logger("tracker.automation")

MEDIANS_EVERY = 3600.0  # seconds between two readings of the services' medians


class AutomationRound(ReorderOne):
    """One panel's automation job."""

    _cached_medians: tuple[datetime, dict[int, float]] | None = None

    def __init__(
        self,
        *args: Any,
        monotonic: Callable[[], float | None] | None = None,
        boottime: Callable[[], float | None] | None = None,
        balance: Callable[[], bool] | None = None,
        balance_every: float = 0.0,
        same_panel: Sequence[str] = (),
        **kw: Any,
    ):
        super().__init__(*args, **kw)  # monotonic, boottime: the clock's twins, telling its steps
        self.same_panel = tuple(same_panel)  # other accounts on its url: IDs of one series
        self.daily_cap = DailyCap(
            *(self.panel, self.alerter, self.clock, monotonic, boottime),
            balance=balance,  # the balance job's check, asked before re-ordering on an old one
            fresh_for=balance_fresh_for(self.config.every, balance_every),
            url=self.client.panel.url,
        )
        self._held = 0  # orders whose stall the watch held back at its last pass
        # The wall clock's steps between two runs: time set ahead is no time Pending.
        self.looks = Looks(self.clock, monotonic or (lambda: None), boottime)

    def run(self) -> bool:
        """Run every part that is switched on; return True when no call failed."""
        now, gap = self.looks.step("run")
        self.ahead = seen_ahead(self.ahead, now, gap)
        settled = sql.settle_interrupted(self.store, self.panel, now - self.grace, now)
        if settled:
            log.warning("automation_interrupted", panel=self.panel, actions=settled)
        medians = self._medians(now)
        held = self._held  # the last pass's: the same hold is told once
        counts = watch_stalls(
            self.store, self.panel, self.config, self.alerter, self.clock, medians,
            late=self.late, held_before=held, ahead=self.ahead,
        )  # fmt: skip
        self._held = counts["held"]
        ok = True
        if self.config.cancel_pending and not self.stop.is_set():
            ok = self.cancel_stale() and ok
        if self.config.reorder and not self.stop.is_set():
            ok = self.reorder_partials() and ok
        return ok

    def _medians(self, now: datetime) -> dict[int, float]:
        """Return the services' median times to complete, read at most once per
        MEDIANS_EVERY: they move slowly (reading them walks every Completed
        order of the last 30 days, in the m023 index). Read again when read
        by a clock since set back: not when it catches up, days later."""
        cached = self._cached_medians
        if (
            cached is None
            or (now - cached[0]).total_seconds() >= MEDIANS_EVERY
            or ahead(cached[0], now)
        ):
            cached = (now, service_medians(self.store, self.panel, now))
            self._cached_medians = cached
        return cached[1]

    # --- Partial remainders ---------------------------------------------------------

    def reorder_partials(self) -> bool:
        """Re-order the undelivered remainder of each eligible Partial, oldest ID
        first, until the daily cap would be passed; return False when a call failed."""
        dry, cap = self.config.dry_run, self.config.cap(self.panel)
        now, today = self.daily_cap.today()  # 00:00 of the real day, across clock steps
        currency, setting = cap_currency = self.config.cap_currency(self.panel)
        # What the cap counts: spent in its currency (not EUR counted as RUB).
        spent = spent_toward(self.store, self.panel, today, currency, dry_run=dry)
        held = self.daily_cap.currency_hold(self.store, currency, now, setting=setting)
        since = now - timedelta(seconds=self.config.reorder_within)
        skipped: dict[int, str] = {}
        capped: list[dict[str, Any]] = []
        placed: list[dict[str, Any]] = []
        ok, after, sent, unsent = True, 0, False, False
        key_refused: AuthError | JobPaused | None = None
        while (
            ok
            and not self.stop.is_set()
            and (
                rows := partial_candidates(
                    self.store, self.panel, since, dry_run=dry, after=after, limit=PAGE
                )
            )
        ):
            after = rows[-1]["order_id"]
            for row in rows:
                order = PartialOrder(
                    order_id=row["order_id"],
                    service=row["service"],
                    link=row["link"],
                    quantity=row["quantity"],
                    remains=row["remains"],
                    completed_at=parse_iso(row["completed_at"]) if row["completed_at"] else None,
                    parent_order_id=row["parent_order_id"],
                    runs=row["runs"],
                    interval=row["interval"],
                    raw_status=row["raw_status"],
                    checked_before=parse_iso(seen) if (seen := row["checked_before"]) else None,
                    reordered_on=row["reordered_on"],
                    cancel_asked=bool(row["cancel_asked"]),
                )
                facts = service_facts(row)
                plan = reorder_plan(
                    order,
                    facts,
                    self.config,
                    now,
                    fresh_for=self.rates_for,
                    watched_gap=self.watched_gap,
                )
                if not isinstance(plan, Plan):
                    skipped[order.order_id] = plan
                elif held is not None:  # the cap's currency is not the panel's, or changed
                    skipped[order.order_id] = held
                elif plan.cost > cap:  # never fits, whatever was spent: not the others' wait
                    skipped[order.order_id] = ALONE_ABOVE_CAP
                elif capped or not fits(spent, plan.cost, cap):
                    skipped[order.order_id] = CAPPED
                    capped.append({"order_id": order.order_id, "cost": float(plan.cost)})
                elif self.stop.is_set() or not ok:
                    break
                else:
                    try:
                        if held := self.daily_cap.before_placing(self.store, *cap_currency):
                            skipped[order.order_id] = held  # the balance asked first says so
                            continue
                        outcome = self._reorder(order, plan, dry)
                    except (AuthError, JobPaused) as exc:  # raised once the run's notes are stored
                        key_refused, ok = exc, False  # JobPaused: the balance asked was refused
                        break
                    if outcome is None:  # re-ordered already (another process)
                        continue
                    status = outcome["status"]
                    if status != NOT_SENT:
                        placed.append(outcome)
                    sent = sent or status not in (NOT_SENT, DRY_RUN)
                    unsent = unsent or status == NOT_SENT
                    if status in (DRY_RUN, PLACED, UNKNOWN):
                        spent += plan.cost  # may have been placed: it counts
                    # A refusal names this order; a lost answer or a panel out
                    # of reach would repeat for the next: stop there.
                    ok = status in (DRY_RUN, PLACED, REFUSED)
        sql.note_skips(self.store, self.panel, REORDER, skipped, now)
        if sent and not unsent:  # an add reached the panel, none not sent: the episode over
            self.sent_told()
        self._announce(AUTOMATION_REORDERED, [p["order_id"] for p in placed], dry, placed)
        if capped:  # with what was spent in another currency, not counted
            uncounted = self.daily_cap.uncounted(self.store, currency, today, dry_run=dry)
            self.daily_cap.capped(capped, spent, cap, now, today, uncounted)
        if held is not None and (kept := [o for o, why in skipped.items() if why == held]):
            log.info("reorders_held", panel=self.panel, orders=len(kept), reason=held)
            self.daily_cap.currency_held(kept, held, now)
        if key_refused is not None:
            raise key_refused  # the Watch pauses the panel
        return ok


def automation_jobs(
    tracker: Core, alerter: Alerter, balance: Callable[[str], bool] | None = None
) -> list[Job]:
    """Return the ``automation:<panel>`` job of every panel. It always runs: it
    keeps each open order's eta; stalls alert and the parts that act run only
    when switched on. ``balance``: a panel's balance check (the balance job's)."""
    config = tracker.config.automation
    jobs = []
    for name, client in tracker.clients.items():
        job = AutomationRound(
            tracker.store,
            client,
            config,
            alerter,
            clock=tracker.clock,
            monotonic=tracker.monotonic,
            boottime=tracker.boottime,
            balance=partial(balance, name) if balance else None,
            balance_every=tracker.config.schedule.balance_every,
            same_panel=same_panel(tracker.config.panels, client.panel),
            stop_event=tracker.stop_event,
            status_max_every=tracker.config.schedule.status_max_every,
            status_every=tracker.config.schedule.status_every,
            services_every=tracker.config.schedule.services_every,
        )
        jobs.append(Job(f"automation:{name}", config.every, job.run))
    return jobs
