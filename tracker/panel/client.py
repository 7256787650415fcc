"""The API v2 client: one per panel, a method per action, answers parsed.

The HTTP, retries and answer checks live in :mod:`tracker.panel.transport`;
what a whole-answer refusal means (the key, this call, no such action) in
:mod:`tracker.panel.witness`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    BadAnswerError,
    OutcomeUnknownError,
    PanelAnswerError,
    PanelError,
    TransientError,
)
from tracker.panel import parse, parse_refill_status, parse_refills, refusals
from tracker.panel.models import (
    Balance,
    CancelResult,
    NewOrder,
    OrderStatus,
    RefillRequest,
    RefillStatus,
    Service,
)
from tracker.panel.transport import CallObserver, P
from tracker.panel.values import to_id
from tracker.panel.witness import WITNESS_TTL, WholeCallRefused, Witnessed

log = structlog.get_logger("tracker.client")

__all__ = ["MAX_IDS", "CallObserver", "PanelClient", "WholeCallRefused"]

MAX_IDS = 100  # the API's own limit for multi-ID actions


class PanelClient(Witnessed[P]):
    """Given a panel's settings, talk API v2 to it for the process lifetime: one
    method per action, answers parsed into :mod:`tracker.panel.models` values."""

    _status_ok_until = 0.0  # monotonic: until then status calls are known to be answered
    _reads_multi = False  # True once the panel answered ``orders=`` for one ID
    _probe_refused: str | None = None  # words that refused an order= probe (asked once)

    def warn_unknown(self, kind: str, raw: str | None) -> None:
        """Log a status spelling we do not know, once per panel and spelling."""
        self.warn_once(f"{kind}:{raw}", "unknown_status", kind=kind, status=raw)

    def warn_once(self, key: str, event: str, **fields: Any) -> None:
        """Log ``event`` for this panel once per process and ``key``."""
        with self._warn_lock:
            if key in self._warned:
                return
            self._warned.add(key)
        log.warning(event, panel=self.name, **fields)

    def _tag(self, exc: PanelError, action: str) -> PanelError:
        exc.panel, exc.action = self.name, action
        exc.args = (f"{self.name}: {action}: {exc.detail}",)
        return exc

    def _parsed(self, action: str, fn: Callable[..., Any], *args: Any) -> Any:
        try:
            return fn(*args)
        except PanelError as exc:
            raise self._tag(exc, action) from None

    # --- actions -------------------------------------------------------------

    def services(self) -> list[Service]:
        """Return the panel's services ("No services available" is an empty list)."""
        return self._refusable("services", parse.parse_services, self._call("services"))

    def balance(self) -> Balance:
        return self._refusable("balance", parse.parse_balance, self._call("balance"))

    def _refusable(self, action: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Parse an answer whose whole-answer error may be an unknown key refusal."""
        try:
            return fn(*args)
        except PanelAnswerError as exc:
            raise self._tag(self.refusal(action, exc), action) from None
        except PanelError as exc:
            raise self._tag(exc, action) from None

    def add(self, order: NewOrder) -> int:
        """Place an order; return its ID. Never resent once it may have arrived."""
        data = self._call("add", order.form(), idempotent=False)
        try:
            return self._parsed("add", parse.parse_add, data)
        except PanelAnswerError:
            raise  # the panel's own refusal: nothing was placed
        except BadAnswerError as exc:  # it took the request but named no order
            raise OutcomeUnknownError.because(exc.detail, panel=self.name, action="add") from None

    def status(self, order_id: int) -> OrderStatus:
        """Ask for one order with ``order=``. A whole-answer error raises (see
        :meth:`refusal`)."""
        data = self._call("status", {"order": str(order_id)})
        try:
            result = parse.parse_status_single(order_id, data)
        except PanelAnswerError as exc:
            raise self._tag(self.refusal("status", exc), "status") from None
        except PanelError as exc:
            raise self._tag(exc, "status") from None
        self._check_known(result)
        if result.status is not None:
            self._answered()
        return result

    def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        """Return statuses of up to 100 orders with one ``orders=`` call (even for one ID).

        A whole-answer error is never an order's: it raises AuthError (the key),
        WholeCallRefused (the panel answers otherwise: something in this call
        provoked it; the caller splits the batch) or the panel's error. Only a
        panel proven not to read ``orders=`` (refused for one ID that ``order=``
        answers) is asked one order at a time, remembered for the process. An
        answer naming none of the IDs raises BadAnswerError; IDs missing from
        an answer are absent from the result.
        """
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        if not self.multi_status:
            return self._statuses_one_by_one(order_ids)
        try:
            return self._multi(order_ids)
        except WholeCallRefused as exc:
            if not self._reads_single_only(order_ids[0], exc):
                raise
        return self._statuses_one_by_one(order_ids)

    def _multi(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        data = self._call("status", {"orders": ",".join(map(str, order_ids))})
        try:
            result = parse.parse_status_multi(order_ids, data)
        except PanelAnswerError as exc:
            raise self._tag(self.refusal("status", exc), "status") from None
        except PanelError as exc:
            raise self._tag(exc, "status") from None
        self._check_whole("status", [item.error for item in result.values()])
        for item in result.values():
            self._check_known(item)
        self._reads_multi = True  # it read orders=: later refusals are about their IDs
        if any(item.status is not None for item in result.values()):
            self._answered()
        return result

    def _check_whole(self, action: str, errors: list[str | None], busy: bool = True) -> None:
        """Given the error of each item of an answer to ``action``, raise when
        every item says the same of the panel: the key refused (AuthError: the
        panel pauses) or, with ``busy``, the panel busy (TransientError: the
        job stops asking it), in every item instead of once at the top."""
        if not errors or not all(errors):
            return
        if all(refusals.is_key_refusal(e) for e in errors if e):
            raise self._tag(AuthError(errors[0] or ""), action)
        if busy and all(refusals.is_busy(e) for e in errors if e):
            raise self._tag(TransientError(f"panel busy: {errors[0]}"), action)

    def _check_acted(
        self, action: str, results: Sequence[RefillRequest | CancelResult], asked: int
    ) -> None:
        """Given the results of a ``refill`` or ``cancel`` call (not resent):
        raise AuthError when every asked order's item refuses the key (nothing
        was done), never for busy words (said after acting, maybe) nor beside
        a refill ID or a yes (an unknown outcome: it may have been done)."""
        if len(results) == asked:
            self._check_whole(action, [None if r.unknown else r.error for r in results], False)

    def _answered(self) -> None:
        with self._warn_lock:
            self._status_ok_until = time.monotonic() + WITNESS_TTL

    def answers_status(self) -> bool:
        """Return True when a status call was answered with an order's status
        within WITNESS_TTL: the panel answers status calls now, so a refusal
        (whole or per order) is about what was asked."""
        with self._warn_lock:
            return time.monotonic() < self._status_ok_until

    def lone_refusal(self, order_id: int, refused: WholeCallRefused) -> OrderStatus:
        """Given a status call for ``order_id`` alone that was refused as a whole,
        return the refusal as that order's own error when the panel is known to
        answer status calls now. Otherwise raise PanelAnswerError: the panel
        refuses status calls (even "Incorrect order ID" for every order may be a
        panel that reads no ID), which no order is to blame for; asked again at
        the next poll."""
        if self.answers_status():
            return OrderStatus(order_id=order_id, error=refused.detail)
        failure = PanelAnswerError(f"status refused for every order asked: {refused.detail}")
        raise self._tag(failure, "status")

    def _reads_single_only(self, order_id: int, refused: WholeCallRefused) -> bool:
        """After ``orders=`` was refused, return True (and remember it) when the
        panel answers ``order=`` for an ID it refuses as ``orders=``."""
        if self._reads_multi:  # proven already: the refusal is about this call's IDs
            return False
        if refused.detail == self._probe_refused:  # asked already, in these words
            return False
        try:
            self.status(order_id)
        except WholeCallRefused as exc:
            self._probe_refused = exc.detail
            return False  # this ID may be the bad one: the caller isolates it
        try:
            self._multi([order_id])
        except WholeCallRefused:
            log.warning("multi_status_unsupported", panel=self.name, answer=refused.detail)
            self.multi_status = False
            return True
        self._reads_multi = True
        return False

    def _statuses_one_by_one(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        result = {}
        for order_id in order_ids:
            try:
                result[order_id] = self.status(order_id)
            except WholeCallRefused as exc:
                result[order_id] = self.lone_refusal(order_id, exc)
        return result

    def status_alone(self, order_id: int) -> OrderStatus:
        """Ask for one order asked about but left out of a multi answer, with ``order=``."""
        try:
            return self.status(order_id)
        except WholeCallRefused as exc:
            return self.lone_refusal(order_id, exc)

    def _judged(
        self, action: str, data: Any, names_it: Callable[[str], bool]
    ) -> PanelAnswerError | None:
        """Given the answer to a one-ID ``action``, return None unless it is a
        whole-answer error without a refill ID, in words neither about what was
        asked (``names_it``) nor a known key phrasing (the parser's AuthError);
        then what :meth:`refusal` makes of it, raising AuthError for the key."""
        words = refusals.error_text(data)
        if words is None or names_it(words) or refusals.is_key_refusal(words):
            return None
        if to_id(data.get("refill")) is not None:
            return None  # an ID beside the error: the parser's unknown outcome
        verdict = self.refusal(action, PanelAnswerError(words))
        if isinstance(verdict, AuthError):
            raise self._tag(verdict, action)
        return verdict

    def _check_known(self, item: OrderStatus) -> None:
        if item.status is not None and not item.known_status:
            self.warn_unknown("order", item.raw_status)

    def refill(self, order_id: int) -> RefillRequest:
        """Ask for one order's refill; never resent once it may have arrived. A
        refused key, in any words (see :meth:`_judged`), raises AuthError: no
        refill was asked. Any other refusal is the order's (``error`` set)."""
        data = self._call("refill", {"order": str(order_id)}, idempotent=False)
        self._judged("refill", data, refusals.names_order)
        return self._parsed("refill", parse_refills.parse_refill_single, order_id, data)

    def refills(self, order_ids: list[int]) -> list[RefillRequest]:
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        data = self._call("refill", {"orders": ",".join(map(str, order_ids))}, idempotent=False)
        self._judged("refill", data, refusals.names_order)  # a refused key: AuthError
        result = self._parsed("refill", parse_refills.parse_refill_multi, order_ids, data)
        self._check_acted("refill", result, len(order_ids))
        return result

    def refill_status(self, refill_id: str) -> RefillStatus:
        """Ask for one refill. A whole-answer error is the refill's own when it is
        about a refill ("Refill not found") or the panel answers other calls
        (WholeCallRefused); a refused key raises AuthError, and an error while
        the witness fails too raises it as it is: no refill's."""
        data = self._call("refill_status", {"refill": refill_id})
        verdict = self._judged("refill_status", data, refusals.names_refill)
        if verdict is not None and not isinstance(verdict, WholeCallRefused):
            raise self._tag(verdict, "refill_status")
        result = self._parsed(
            "refill_status", parse_refill_status.parse_refill_status_single, refill_id, data
        )
        if result.status is not None and not result.known_status:
            self.warn_unknown("refill", result.raw_status)
        return result

    def refill_statuses(self, refill_ids: list[str]) -> list[RefillStatus]:
        if len(refill_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(refill_ids)}")
        data = self._call("refill_status", {"refills": ",".join(refill_ids)})
        result = self._parsed(
            "refill_status", parse_refill_status.parse_refill_status_multi, refill_ids, data
        )
        self._check_whole("refill_status", [item.error for item in result])
        for item in result:
            if item.status is not None and not item.known_status:
                self.warn_unknown("refill", item.raw_status)
        return result

    def cancel(self, order_ids: list[int]) -> list[CancelResult]:
        """Ask to cancel up to 100 orders. Sent once, like add and refill: a lost
        answer raises OutcomeUnknownError (they may have been canceled). What
        the answer names beside the asked orders is logged and left out."""
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        data = self._call("cancel", {"orders": ",".join(map(str, order_ids))}, idempotent=False)
        answer = self._parsed("cancel", parse_refills.parse_cancel, order_ids, data)
        self._check_acted("cancel", answer.results, len(order_ids))
        if answer.ignored:  # orders nobody asked about: read for none of them
            shown = ", ".join(answer.ignored[:10])
            log.warning(
                "cancel_answer_ignored", panel=self.name, count=len(answer.ignored), named=shown
            )
        return answer.results
