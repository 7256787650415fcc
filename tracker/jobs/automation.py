"""The automation job, per panel: watch for stalls, cancel stale Pending orders,
re-order the remainder of Partial ones, within the daily cap.

Wiring only: the store says which orders qualify, :mod:`tracker.rules.reorders`
decides, and every action is recorded (status Sending) and committed *before*
the panel is called. A re-order is an ``add``: it is sent once, and an answer
that may be lost, or a crash before the answer is stored, counts as placed.
With ``automation.dry_run`` nothing is sent and everything is recorded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import structlog

from tracker.alerts.alerter import Alerter
from tracker.clock import iso, parse_iso
from tracker.config.model import AutomationConfig
from tracker.errors import AuthError, PanelAnswerError, PanelError, StopRequested, TransientError
from tracker.jobs.balance import money
from tracker.jobs.base import Core, Job
from tracker.jobs.stalls import watch_stalls
from tracker.panel.client import MAX_IDS, PanelClient
from tracker.panel.models import NewOrder
from tracker.rules.episodes import Alert, Episode
from tracker.rules.reorders import (
    CANCEL,
    CAPPED,
    DRY_RUN,
    NOT_STALE,
    REFUSED,
    REORDER,
    REQUESTED,
    UNKNOWN,
    PartialOrder,
    Plan,
    ServiceFacts,
    cancel_blocker,
    day_start,
    fits,
    reorder_plan,
)
from tracker.store import automation as sql

log = structlog.get_logger("tracker.automation")

AUTOMATION_CAPPED = "automation_capped"
AUTOMATION_REORDERED = "automation_reordered"
AUTOMATION_CANCELED = "automation_canceled"
PAGE = 500


def service_facts(row: dict[str, Any]) -> ServiceFacts | None:
    """Given a candidate row with the ``service_*`` columns, return its ServiceFacts."""
    if not row.get("service_known"):
        return None
    rate = row.get("service_rate")
    return ServiceFacts(
        rate=None if rate is None else Decimal(str(rate)),
        min=row.get("service_min"),
        max=row.get("service_max"),
        cancel=bool(row.get("service_cancel")),
    )


class AutomationRound:
    """One panel's automation job."""

    def __init__(
        self,
        store: Any,
        client: PanelClient,
        config: AutomationConfig,
        alerter: Alerter,
        *,
        clock: Callable[[], datetime],
        stop_event: threading.Event | None = None,
    ):
        self.store = store
        self.client = client
        self.panel = client.name
        self.config = config
        self.alerter = alerter
        self.clock = clock
        self.stop = stop_event or threading.Event()
        # A row still Sending after this long belongs to a run that died.
        settings = client.panel
        self.grace = timedelta(seconds=settings.retry_budget + settings.timeout + 60)

    def run(self) -> bool:
        """Run every part that is switched on; return True when no call failed."""
        now = self.clock()
        settled = sql.settle_interrupted(self.store, self.panel, now - self.grace, now)
        if settled:
            log.warning("automation_interrupted", panel=self.panel, actions=settled)
        watch_stalls(self.store, self.panel, self.config, self.alerter, self.clock)
        ok = True
        if self.config.cancel_pending and not self.stop.is_set():
            ok = self.cancel_stale() and ok
        if self.config.reorder and not self.stop.is_set():
            ok = self.reorder_partials() and ok
        return ok

    # --- stale Pending -------------------------------------------------------------

    def cancel_stale(self) -> bool:
        """Cancel every polled order Pending for longer than cancel_pending_after
        whose service can cancel: one multi ``cancel`` per 100, never twice."""
        now, dry = self.clock(), self.config.dry_run
        before = now - timedelta(seconds=self.config.cancel_pending_after)
        chosen: dict[int, int] = {}
        skipped: dict[int, str] = {}
        after = 0
        while rows := sql.pending_candidates(
            self.store, self.panel, before, dry_run=dry, after=after, limit=PAGE
        ):
            after = rows[-1]["order_id"]
            for row in rows:
                first_seen = parse_iso(row["created_at"])
                facts = service_facts(row)
                why = cancel_blocker(row["status"], first_seen, facts, self.config, now)
                if why is None:
                    row_id = sql.begin_action(
                        self.store,
                        self.panel,
                        row["order_id"],
                        CANCEL,
                        now,
                        status=DRY_RUN if dry else "Sending",
                        dry_run=dry,
                        service=row["service"],
                        reason=f"Pending since {row['created_at']}",
                    )
                    if row_id is not None:
                        chosen[row["order_id"]] = row_id
                elif why != NOT_STALE:
                    skipped[row["order_id"]] = why
        sql.note_skips(self.store, self.panel, CANCEL, skipped, now)
        if dry or not chosen:
            self._announce(AUTOMATION_CANCELED, list(chosen), dry, [])
            return True
        ids = list(chosen)
        outcomes: list[dict[str, Any]] = []
        ok = True
        for start in range(0, len(ids), MAX_IDS):
            batch = ids[start : start + MAX_IDS]
            if self.stop.is_set():
                sql.forget_unsent(self.store, [chosen[o] for o in ids[start:]])
                break
            ok = self._cancel_batch(batch, chosen, outcomes) and ok
        self._announce(AUTOMATION_CANCELED, [o["order_id"] for o in outcomes], False, outcomes)
        return ok

    def _cancel_batch(
        self, batch: list[int], rows: dict[int, int], outcomes: list[dict[str, Any]]
    ) -> bool:
        try:
            answers = {a.order_id: a for a in self.client.cancel(batch)}
        except (AuthError, StopRequested) as exc:
            sql.forget_unsent(self.store, [rows[o] for o in batch])
            if isinstance(exc, AuthError):
                raise  # the Watch pauses the panel
            return False
        except TransientError as exc:
            # Retried by the client and still failing: it may have arrived.
            if not exc.maybe_sent:  # certainly not: asked again next round
                sql.forget_unsent(self.store, [rows[o] for o in batch])
            else:
                self._settle(batch, rows, UNKNOWN, exc.detail, outcomes)
            return False
        except PanelError as exc:
            status = REFUSED if isinstance(exc, PanelAnswerError) else UNKNOWN
            self._settle(batch, rows, status, exc.detail, outcomes)
            return False
        now = self.clock()
        for order_id in batch:
            answer = answers.get(order_id)
            fields: dict[str, Any]
            if answer is None:
                fields = {"status": UNKNOWN, "error": "not in the panel's answer"}
            elif answer.ok:
                fields = {"status": REQUESTED, "error": None}
            else:
                fields = {"status": REFUSED, "error": answer.error}
            sql.finish_action(self.store, rows[order_id], fields, now)
            outcomes.append({"order_id": order_id, **fields})
        return True

    def _settle(
        self,
        batch: list[int],
        rows: dict[int, int],
        status: str,
        error: str,
        outcomes: list[dict[str, Any]],
    ) -> None:
        now = self.clock()
        for order_id in batch:
            sql.finish_action(self.store, rows[order_id], {"status": status, "error": error}, now)
            outcomes.append({"order_id": order_id, "status": status, "error": error})

    # --- Partial remainders ---------------------------------------------------------

    def reorder_partials(self) -> bool:
        """Re-order the undelivered remainder of each eligible Partial, oldest ID
        first, until the daily cap would be passed; return False when a call failed."""
        now, dry = self.clock(), self.config.dry_run
        cap = self.config.cap(self.panel)
        self._new_day(now)
        spent = sql.spent_since(self.store, self.panel, day_start(now), dry_run=dry)
        since = now - timedelta(seconds=self.config.reorder_within)
        skipped: dict[int, str] = {}
        capped: list[dict[str, Any]] = []
        placed: list[dict[str, Any]] = []
        ok, after = True, 0
        while not self.stop.is_set() and (
            rows := sql.partial_candidates(
                self.store, self.panel, since, dry_run=dry, after=after, limit=PAGE
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
                )
                plan = reorder_plan(order, service_facts(row), self.config, now)
                if not isinstance(plan, Plan):
                    skipped[order.order_id] = plan
                elif capped or not fits(spent, plan.cost, cap):
                    skipped[order.order_id] = CAPPED
                    capped.append({"order_id": order.order_id, "cost": str(plan.cost)})
                elif self.stop.is_set() or not ok:
                    break
                else:
                    outcome = self._reorder(order, plan, dry)
                    if outcome is None:
                        continue
                    placed.append(outcome)
                    if outcome["status"] in (REFUSED,):
                        continue
                    spent += plan.cost
                    ok = outcome["status"] in (DRY_RUN, "Placed")
        sql.note_skips(self.store, self.panel, REORDER, skipped, now)
        self._announce(AUTOMATION_REORDERED, [p["order_id"] for p in placed], dry, placed)
        if capped:
            self._capped(capped, spent, cap, now)
        return ok

    def _reorder(self, order: PartialOrder, plan: Plan, dry: bool) -> dict[str, Any] | None:
        """Record, then (unless dry) place, one re-order; return what happened,
        or None when this order was already re-ordered."""
        fields = {
            "service": order.service,
            "link": order.link,
            "quantity": plan.quantity,
            "estimated_cost": plan.cost,
            "reason": plan.reason,
        }
        row_id = sql.begin_action(
            self.store,
            self.panel,
            order.order_id,
            REORDER,
            self.clock(),
            status=DRY_RUN if dry else "Sending",
            dry_run=dry,
            **fields,
        )
        if row_id is None:
            return None
        result = {"order_id": order.order_id, "quantity": plan.quantity, "cost": str(plan.cost)}
        if dry:
            log.info("reorder_dry_run", panel=self.panel, order=order.order_id, **fields)
            return {**result, "status": DRY_RUN}
        assert order.service is not None
        try:
            new_id = self.client.add(NewOrder(order.service, order.link, plan.quantity))
        except (AuthError, StopRequested, TransientError) as exc:
            # Raised for add only when the request certainly never left.
            sql.forget_unsent(self.store, [row_id])
            if isinstance(exc, AuthError):
                raise
            log.warning("reorder_not_sent", panel=self.panel, order=order.order_id, error=str(exc))
            return {**result, "status": "Not sent", "error": exc.detail}
        except PanelError as exc:
            status = REFUSED if isinstance(exc, PanelAnswerError) else UNKNOWN
            outcome = {"status": status, "error": exc.detail}
            sql.finish_action(self.store, row_id, outcome, self.clock())
            log.warning("reorder_failed", panel=self.panel, order=order.order_id, error=str(exc))
            return {**result, "status": status, "error": exc.detail}
        row = {"panel": self.panel, "order_id": order.order_id, **fields}
        sql.record_placed(self.store, row_id, new_id, row, self.clock())
        log.info("reordered", panel=self.panel, order=order.order_id, new_order=new_id)
        return {**result, "status": "Placed", "new_order_id": new_id}

    # --- alerts --------------------------------------------------------------------

    def _announce(
        self, kind: str, order_ids: list[int], dry: bool, outcomes: list[dict[str, Any]]
    ) -> None:
        if not order_ids:
            return
        what = "re-order" if kind == AUTOMATION_REORDERED else "cancel"
        shown = ", ".join(f"#{o}" for o in order_ids[:5])
        more = f" and {len(order_ids) - 5} more" if len(order_ids) > 5 else ""
        if dry:
            message = f"{self.panel}: dry run: would {what} {len(order_ids)} order(s): "
            message += shown + more
            outcomes = [{"order_id": o, "status": DRY_RUN} for o in order_ids]
        else:
            message = f"{self.panel}: automatic {what} of {len(order_ids)} order(s): {shown}{more}"
        data = {"dry_run": dry, "orders": outcomes}
        self.alerter.raise_alert(Alert(kind, message, panel=self.panel, data=data))

    def _new_day(self, now: datetime) -> None:
        """End yesterday's automation_capped episode quietly: the cap starts over."""
        today = day_start(now)

        def judge(episode: Episode) -> tuple[Episode, Alert | None]:
            if episode.active and episode.since is not None and episode.since < today:
                return Episode(False, None, episode.last_sent_at), None
            return episode, None

        self.alerter.update(self.panel, AUTOMATION_CAPPED, judge)

    def _capped(
        self, capped: list[dict[str, Any]], spent: Decimal, cap: Decimal, now: datetime
    ) -> None:
        """Raise automation_capped once per panel and UTC day."""
        today = day_start(now)

        def judge(episode: Episode) -> tuple[Episode, Alert | None]:
            if episode.active and episode.since is not None and episode.since >= today:
                return episode, None
            shown = ", ".join(f"#{o['order_id']}" for o in capped[:5])
            message = (
                f"{self.panel}: daily cap {money(cap)} reached ({money(spent)} spent today): "
                f"{len(capped)} re-order(s) not placed: {shown}"
                + (f" and {len(capped) - 5} more" if len(capped) > 5 else "")
            )
            data = {"cap": str(cap), "spent": str(spent), "day": iso(today), "orders": capped}
            return Episode(True, now, now), Alert(
                AUTOMATION_CAPPED, message, panel=self.panel, data=data
            )

        self.alerter.update(self.panel, AUTOMATION_CAPPED, judge)


def automation_jobs(tracker: Core, alerter: Alerter) -> list[Job]:
    """Return the ``automation:<panel>`` job of every panel. It always runs: it
    keeps each open order's eta; stalls alert and the parts that act run only
    when switched on."""
    config = tracker.config.automation
    jobs = []
    for name, client in tracker.clients.items():
        job = AutomationRound(
            tracker.store,
            client,
            config,
            alerter,
            clock=tracker.clock,
            stop_event=tracker.stop_event,
        )
        jobs.append(Job(f"automation:{name}", config.every, job.run))
    return jobs
