"""Status calls and the rest of a client every action shares.

:class:`StatusCalls` is the part of :class:`tracker.panel.client.PanelClient`
that asks about orders: ``order=`` and ``orders=`` calls, the fallback to one
order at a time for a panel proven not to read ``orders=``, and whether the
panel is known to answer status calls now (what makes a refusal an order's);
plus the tagging, the once-per-process warnings (:mod:`told_once`) and the whole-answer checks
the other actions use too.

Whether the panel answers status calls now (:meth:`StatusCalls.answers_status`,
for :data:`WITNESS_TTL`) is set by any status call answered with an order's
status: an open order's in a poll, and an ended order's late check too
(:mod:`tracker.jobs.late_checks`, through the same ``ask_batch``). That is
right: what it vouches for is that this panel reads status calls sent with
this client's key now, so that a lone refusal is the order's own; an ended
order's status is the same action, the same key and the same panel's
script reading the ID, and proves it as well as an open order's. It never
outlives the key: it is this client's, in memory, and a key changed is
another client (a reload's, which takes over only what was logged:
:meth:`StatusCalls.told_by`) or another process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    PanelAnswerError,
    PanelError,
    RateLimitedError,
    TransientError,
)
from tracker.panel import not_found, parse, parse_single, refusals
from tracker.panel.models import OrderStatus
from tracker.panel.settings import P
from tracker.panel.told_once import TellsOnce
from tracker.panel.witness import WITNESS_TTL, WholeCallRefused

log = structlog.get_logger("tracker.client")

MAX_IDS = 100  # the API's own limit for multi-ID actions


class StatusCalls(TellsOnce[P]):
    """Given a panel's settings, ask it about orders (see the module's docstring)."""

    _status_ok_until = 0.0  # monotonic: until then status calls are known to be answered
    _reads_multi = False  # True once the panel answered ``orders=`` for one ID
    # The words ``orders=`` was refused in when this process proved the panel
    # reads ``order=`` alone (the caller stores it: every process starts from it).
    single_only: str | None = None
    _probe_refused: str | None = None  # words that refused an order= probe (asked once)

    def _tag(self, exc: PanelError, action: str) -> PanelError:
        exc.panel, exc.action = self.name, action
        exc.args = (f"{self.name}: {action}: {exc.detail}",)
        return exc

    def _refusable(self, action: str, fn: Callable[..., Any], *args: Any) -> Any:
        """Parse an answer whose whole-answer error may be an unknown key refusal."""
        try:
            return fn(*args)
        except PanelAnswerError as exc:
            raise self._tag(self.refusal(action, exc), action) from None
        except PanelError as exc:
            raise self._tag(exc, action) from None

    def status(self, order_id: int) -> OrderStatus:
        """Ask for one order with ``order=``. A whole-answer error raises (see
        :meth:`refusal`)."""
        data = self._call("status", {"order": str(order_id)})
        result = self._refusable("status", parse_single.parse_status_single, order_id, data)
        self._check_known(result)
        if result.status is not None:
            self._answered()
        return result

    def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        """Return statuses of up to 100 orders with one ``orders=`` call (even for one ID).

        A whole-answer error is never an order's: it raises AuthError (the key),
        WholeCallRefused (the panel answers otherwise: something in this call
        provoked it; the caller splits the batch) or the panel's error. Only a
        panel proven not to read ``orders=`` (refused, as a whole or in every
        item, for one ID that ``order=`` answers) is asked one order at a time,
        remembered for the process. An
        answer naming none of the IDs raises BadAnswerError; IDs missing from
        an answer are absent from the result.
        """
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        if not self.multi_status:
            return self._statuses_one_by_one(order_ids)
        try:
            result = self._multi(order_ids)
        except WholeCallRefused as exc:
            if not self._reads_single_only(order_ids[0], exc.detail):
                raise
            return self._statuses_one_by_one(order_ids)
        if self._reads_multi or not result:
            return result
        # Every item refused ("Incorrect order ID" each) before the panel ever
        # answered orders=: a panel that reads no orders= refuses this way too.
        first = next(iter(result.values()))
        if first.error is None or not self._reads_single_only(first.order_id, first.error):
            return result
        return self._statuses_one_by_one(order_ids)

    def _multi(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        data = self._call("status", {"orders": ",".join(map(str, order_ids))})
        if (one := parse_single.one_order_shaped(data, order_ids)) is not None:  # read alone
            raise self._tag(WholeCallRefused(one), "status")
        result = self._refusable("status", parse.parse_status_multi, order_ids, data)
        # Its items' words never carry the answer's code: given apart.
        errors = [item.error for item in result.values()]
        self._check_whole("status", errors, status=refusals.answer_status(data))
        for item in result.values():
            self._check_known(item)
        if any(item.status is not None for item in result.values()):
            self._reads_multi = True  # it read orders=: later refusals are about their IDs
            self._answered()
        return result

    def _check_whole(
        self, action: str, errors: list[str | None], busy: bool = True, status: int | None = None
    ) -> None:
        """Given the error of each item of an answer to ``action``, raise when
        every item says the same of the panel: the key refused (AuthError: the
        panel pauses) or, with ``busy``, the panel busy (TransientError, or
        RateLimitedError in a rate limit's words: the job stops asking it), in
        every item instead of once at the top; named with ``status``, the
        answer's HTTP code when not 200, as every other refusal and busy
        answer is ("HTTP 202: Invalid API key", "panel busy: HTTP 201: Too
        many requests"), and kept as data. Every item busy in the usual shapes
        is the transport's already (:func:`item_refusals.items_busy`: retried within
        the call, its Retry-After waited); this is for the other shapes. Other
        words, the same in every item of a 4xx (a read's: :func:`item_refusals.items_refused`),
        are judged as at the top (:meth:`refusal`): the key's when the witness
        is refused alike, the panel's failure when it fails too, else each
        item's own."""
        if not errors or not all(errors):
            return
        first = errors[0] or ""
        said = first if status is None else f"HTTP {status}: {first}"
        if all(refusals.is_key_refusal(e) for e in errors if e):
            raise self._tag(AuthError(said, status=status), action)
        if busy and all(refusals.is_busy(e) for e in errors if e):
            limited = refusals.is_rate_limit(first)
            failure = (RateLimitedError if limited else TransientError)(
                f"panel busy: {said}", status=status
            )
            raise self._tag(failure, action)
        if status is not None and 400 <= status < 500 and len(set(errors)) == 1:
            # Other words, the same in every item with a 4xx: judged as at the top.
            verdict = self.refusal(action, PanelAnswerError(said, status=status))
            if not isinstance(verdict, WholeCallRefused):  # the key's, or the panel's
                raise self._tag(verdict, action)

    def _answered(self) -> None:
        with self._warn_lock:
            self._status_ok_until = time.monotonic() + WITNESS_TTL

    @property
    def reads_multi(self) -> bool:
        """Whether the panel answered an ``orders=`` status call with a status."""
        return self._reads_multi

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
        if refusals.refuses_the_call(refused.detail):  # "Incorrect request": no order's
            failure = PanelAnswerError(f"status call refused: {refused.detail}")
            raise self._tag(failure, "status")
        if self.answers_status():
            return OrderStatus(order_id=order_id, error=refused.detail)
        words = refused.detail + not_found.not_found_hint(refused.detail)
        failure = PanelAnswerError(f"status refused for every order asked: {words}")
        raise self._tag(failure, "status")

    def _reads_single_only(self, order_id: int, words: str) -> bool:
        """After ``orders=`` was refused in ``words`` (as a whole, or in every
        item), return True (and remember it) when the panel answers ``order=``
        with a status for an ID it refuses as ``orders=``."""
        if self._reads_multi:  # proven already: the refusal is about this call's IDs
            return False
        if words == self._probe_refused:  # asked already, in these words
            return False
        try:
            alone = self.status(order_id)
        except WholeCallRefused as exc:
            alone = OrderStatus(order_id=order_id, error=exc.detail)
        if alone.status is None:
            self._probe_refused = words
            return False  # this ID may be the bad one: the caller isolates it
        try:
            again = self._multi([order_id]).get(order_id)
        except WholeCallRefused:
            again = None
        if again is not None and again.status is not None:
            return False  # it reads orders= (now proven): the refusal is about the IDs
        # Told by the caller, who stores it: a first refusal at info (tried
        # again at the next poll), learned at the second: one warning.
        self.multi_status, self.single_only = False, words
        return True

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

    def _check_known(self, item: OrderStatus) -> None:
        if item.status is not None and not item.known_status:
            self.warn_unknown("order", item.raw_status)
        if item.negative_charge is not None:  # dropped, the stored charge kept: said once
            self.tell_quirk(
                "charge_negative_dropped",
                f"charge_negative:{item.order_id}",
                order=item.order_id,
                charge=item.negative_charge,
            )
        if item.unread_remains is not None:  # read as none, the stored one kept: said once
            self.tell_quirk(
                "remains_unreadable",
                f"remains_unread:{item.order_id}",
                order=item.order_id,
                remains=item.unread_remains,
            )
        for name, said in item.twice:  # given twice, differently: neither believed
            key, order = f"{name}_twice:{item.order_id}:{'|'.join(said)}", item.order_id
            if name == "charge":
                self.tell_quirk("status_charge_twice", key, order=order, charges=list(said))
            else:
                self.tell_quirk("status_currency_twice", key, order=order, currencies=list(said))
