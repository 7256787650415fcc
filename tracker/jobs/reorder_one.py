"""One re-order of the automation job: recorded (status Sending), committed,
then placed, and what happened stored.

Part of :class:`tracker.jobs.automation.AutomationRound`. A re-order is an
``add``: it is sent once, and an answer that may be lost, or a crash before
the answer is stored, counts as placed. With ``automation.dry_run`` nothing
is sent and everything is recorded.
"""

from __future__ import annotations

from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    OutcomeUnknownError,
    PanelAnswerError,
    PanelError,
    StopRequested,
    TransientError,
    failure_words,
)
from tracker.jobs.cancels import PanelActions
from tracker.panel.client import WholeCallRefused
from tracker.panel.models import NewOrder
from tracker.panel.refusals import is_busy
from tracker.rules.reorders import (
    DRY_RUN,
    PLACED,
    REFUSED,
    REORDER,
    SENDING,
    UNKNOWN,
    PartialOrder,
    Plan,
)
from tracker.store import automation as sql
from tracker.store.told_marks import told_of_panel, told_of_panel_before

log = structlog.get_logger("tracker.automation")

NOT_SENT = "Not sent"  # certainly never reached the panel: no row kept, tried next run
NOT_SENT_LINE = "reorder_not_sent"


class ReorderOne(PanelActions):
    """The automation job's placing of one re-order."""

    # The other config entries for this panel's url (other accounts on it):
    # an order ID one of them tracks is no proof of a new order.
    same_panel: tuple[str, ...] = ()

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
            status=DRY_RUN if dry else SENDING,
            dry_run=dry,
            **fields,
        )
        if row_id is None:
            return None
        result = {"order_id": order.order_id, "quantity": plan.quantity, "cost": float(plan.cost)}
        if dry:
            log.info("reorder_dry_run", panel=self.panel, order=order.order_id, **fields)
            return {**result, "status": DRY_RUN}
        assert order.service is not None
        try:
            try:
                sent = NewOrder(order.service, order.link, plan.each, plan.runs, plan.interval)
                # Its add not sent at an earlier run, told then: the call's
                # panel_retry (given up) at debug; reorder_not_sent tells it.
                told = told_of_panel_before(
                    self.store, self.panel, NOT_SENT_LINE, str(order.order_id)
                )
                with self.client.failure_told(told):
                    answered = self.client.add(sent)
                    new_id = int(answered)
            except PanelAnswerError as exc:  # the key, this order, or a failing panel?
                if is_busy(exc.detail):  # said after acting, maybe: unknown (below)
                    raise
                raise self.client.refusal("add", exc) from None
        except (AuthError, StopRequested, TransientError) as exc:
            # Raised for add only when the request certainly never left.
            sql.forget_unsent(self.store, [row_id])
            if isinstance(exc, AuthError):
                raise
            self._not_sent(order.order_id, str(exc))
            return {**result, "status": NOT_SENT, "error": exc.detail}
        except PanelError as exc:
            # Refused while the panel answers otherwise: this order's refusal.
            # Anything else (busy or fault words, a refusal while the witness
            # fails too) may follow an order placed: unknown, counted as spent
            # and never sent again. Forgotten, it was sent again every run.
            status = REFUSED if isinstance(exc, WholeCallRefused) else UNKNOWN
            detail = cause = exc.detail
            if isinstance(exc, OutcomeUnknownError):
                cause = exc.cause or detail
            elif status == UNKNOWN:
                detail = OutcomeUnknownError.because(detail, panel=self.panel, action="add").detail
            sql.finish_action(self.store, row_id, {"status": status, "error": detail}, self.clock())
            log.warning("reorder_failed", panel=self.panel, order=order.order_id, error=detail)
            return {**result, "status": status, "error": detail, "cause": cause}
        # The new order's ID first in the log, then on its action row (still
        # Sending), before the record that tracks it: a stop past its bound
        # that ends the process meanwhile (a write waiting for another's
        # lock) left it named nowhere. At warning: money the automation
        # moved, named at the level a cron mail keeps, whatever ends the run
        # before its automation_reordered alert (once at info, unless stopping).
        log.warning("reorder_answered", panel=self.panel, order=order.order_id, new_order=new_id)
        row = {"panel": self.panel, "order_id": order.order_id, **fields, "each": plan.each}
        row.update(runs=plan.runs, interval=plan.interval)  # tracked as drip-feed, as add does
        try:
            sql.finish_action(self.store, row_id, {"new_order_id": new_id}, self.clock())
            # The same-url check in the transaction that tracks it: another
            # entry's add or re-order answered the same ID cannot slip between.
            placed = sql.record_placed(
                self.store, row_id, new_id, row, self.clock(), self.same_panel
            )
        except Exception as exc:  # placed, not stored: the log keeps the new order's ID
            # Whatever ended the transaction: not only the store's errors.
            said = failure_words(exc)
            log.error(
                "reorder_not_recorded",
                panel=self.panel,
                order=order.order_id,
                new_order=new_id,
                error=said,
                hint=f"smm-tracker track {new_id} --panel {self.panel}",
            )
            raise
        if not placed.new:
            elsewhere = placed.elsewhere
            # An ID already tracked (here, or by another entry for this panel's
            # url) is no proof of a new order: it may or may not exist. It
            # counts as sent and spent; the tracked order is left as it was.
            unknown = OutcomeUnknownError.already_tracked(new_id, panel=self.panel, on=elsewhere)
            detail = unknown.detail
            # No new order: its row names none (the ID noted on it taken back).
            settled = {"status": UNKNOWN, "error": detail, "new_order_id": None}
            sql.finish_action(self.store, row_id, settled, self.clock())
            log.warning(
                "reorder_answer_already_tracked",
                panel=self.panel,
                order=order.order_id,
                answered=new_id,
                **({"tracked_on": elsewhere} if elsewhere else {}),
            )
            return {**result, "status": UNKNOWN, "error": detail, "cause": unknown.cause}
        also = {} if answered.also_said is None else {"also_said": answered.also_said}
        if also:  # "Not enough funds" beside its ID: tracked, never said a plain "placed"
            log.warning(
                "reorder_placed_with_words",
                panel=self.panel,
                order=order.order_id,
                new_order=new_id,
                said=answered.also_said,
                hint="check it on the panel",
            )
        log.info(
            "reordered",
            panel=self.panel,
            order=order.order_id,
            new_order=new_id,
            quantity=plan.quantity,
            reason=plan.reason,  # what was placed: "400 as 4 runs of 100 every 60 min"
            **also,
        )
        return {**result, "status": PLACED, "new_order_id": new_id, **also}

    def _not_sent(self, order_id: int, error: str) -> None:
        """Tell a re-order certainly not sent: at warning, but at info (with
        ``warned_at``) when an earlier run told it of this order in the same
        words, no add sent since (a panel refusing adds with HTTP 429 at each
        run: cron mailed it every run). :meth:`sent_told` ends the episode."""
        told = told_of_panel(
            self.store, self.panel, NOT_SENT_LINE, {str(order_id): error}, self.clock()
        )
        warned = told.get(str(order_id))
        (log.warning if warned is None else log.info)(
            "reorder_not_sent",
            panel=self.panel,
            order=order_id,
            error=error,
            **({} if warned is None else {"warned_at": warned}),
        )

    def sent_told(self) -> None:
        """A round's re-orders reached the panel, none left not sent: the
        next one not sent is told at warning again."""
        told_of_panel(self.store, self.panel, NOT_SENT_LINE, {}, self.clock())
