"""The simulated panel's API v2 answers, without any HTTP.

Part of :mod:`tracker.sim.server` (import from there). Tests can drive
:class:`SimulatedPanel` directly with :meth:`SimulatedPanel.handle`; the HTTP
layer calls :meth:`SimulatedPanel.answer`, which also says when to sleep or
drop the connection. The state it answers from is :mod:`tracker.sim.state`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tracker.panel.statuses import CANCELED, PARTIAL, PENDING
from tracker.sim.faults import BEFORE, ODD, Reply, after_reply, before_reply
from tracker.sim.faults import json_reply as _json_reply
from tracker.sim.orders import (
    OrderView,
    SimRefusal,
    order_charge,
)
from tracker.sim.scripts import NO_SERVICES, listed_twice, misfile, with_notices
from tracker.sim.shapes import BAD_ORDER, REFILL_SPELLINGS, spell
from tracker.sim.state import PanelState

MAX_IDS = 100
ORDER_REQUIRED = "Order ID is required parameter. Please check your API Manual"
# Which field makes a call "multi", for the counters.
MULTI_FIELDS = {"status": "orders", "refill": "orders", "refill_status": "refills"}


def _tokens(raw: str) -> list[str]:
    return [token.strip() for token in raw.split(",") if token.strip()]


def _parse_id(token: str | None) -> int | None:
    token = (token or "").strip()
    return int(token) if token.isascii() and token.isdigit() else None


def _id_out(token: str) -> int | str:
    """Echo an ID from a multi call: as a number when it is one, else verbatim."""
    parsed = _parse_id(token)
    return token if parsed is None else parsed


# Each action's handler: (form fields, now) -> the JSON answer.
HANDLERS = {
    "services": "_services",
    "add": "_add",
    "status": "_status",
    "refill": "_refill",
    "refill_status": "_refill_status",
    "cancel": "_cancel",
    "balance": "_balance_answer",
}


class SimulatedPanel(PanelState):
    """An SMM panel speaking API v2, with seeded, clock-driven orders and refills.

    ``speed`` is seconds per stage (Pending, maybe Processing, two for In
    progress); changing it affects orders placed afterwards. ``quirks`` turns
    on the varied shapes real panels send; all choices are seeded.
    """

    # -- the API ------------------------------------------------------------

    def handle(self, form: Mapping[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Given POST form fields, return (HTTP status, headers, body).

        Delays ("slow") are the HTTP layer's business and are ignored here; a
        "reset" raises ConnectionResetError, as a client would see it.
        """
        reply = self.answer(form)
        if reply.reset:
            raise ConnectionResetError("simulated panel closed the connection")
        return reply.status, reply.headers, reply.body

    def answer(self, form: Mapping[str, str]) -> Reply:
        """Given POST form fields, return the full :class:`Reply` (with delay/reset)."""
        with self._lock:
            action = form.get("action", "")
            self._count(action, form)
            limits: dict[str, str] = {}
            if self.script.rate_limit:  # the panel's own limit: said on every answer
                over, limits = self._window.take(self._clock(), self.script.rate_limit)
                if over:
                    return _json_reply(429, {"error": "Too many requests"}, limits)
            fault = self._faults.next(action)
            if fault in BEFORE or fault in ODD:
                return before_reply(fault, retry_after=self.retry_after)
            reply = with_notices(self._act(action, form), self.script.notices)
            if fault:
                coin = self._faults.coin()
                reply = after_reply(fault, reply, slow_seconds=self.slow_seconds, coin=coin)
            return reply._replace(headers={**reply.headers, **limits})

    def _act(self, action: str, form: Mapping[str, str]) -> Reply:
        now = self._clock()
        self._settle(now)
        try:
            if form.get("key") != self.key:
                raise SimRefusal(self.script.key_refusal, auth=True)
            if self.account_inactive:
                raise SimRefusal("Your account is inactive", auth=True)
            name = HANDLERS.get(action)
            if name is None or action in self.script.missing_actions:
                raise SimRefusal(self.script.generic_refusal)
            handler: Callable[[Mapping[str, str], float], Any] = getattr(self, name)
            return _json_reply(200, handler(form, now))
        except SimRefusal as refusal:
            return self._error(refusal)

    def _error(self, refusal: SimRefusal) -> Reply:
        body: dict[str, Any] = {"error": refusal.text}
        if self.numeric_status_code:
            body["status"] = "102" if refusal.auth else "101"
        status = 200
        if self.http_errors:
            status = 401 if refusal.auth else 400
        return _json_reply(status, body)

    def _count(self, action: str, form: Mapping[str, str]) -> None:
        self.calls[action] += 1
        field = MULTI_FIELDS.get(action)
        if field is None:
            return
        multi = field in form
        self.calls[f"{action}:{'multi' if multi else 'single'}"] += 1
        if action == "status":
            self.ids_per_call.append(len(_tokens(form[field])) if multi else 1)

    # -- actions ------------------------------------------------------------

    def _add(self, form: Mapping[str, str], now: float) -> dict[str, Any]:
        service = _parse_id(form.get("service"))
        if service is None or service not in self.services:
            raise SimRefusal("Incorrect service ID")
        if not form.get("link", "").strip():
            raise SimRefusal("Bad Link")
        quantity = _parse_id(form.get("quantity")) or 0
        comments = form.get("comments", "").strip()
        if self.services[service].type == "Custom Comments" and comments:
            quantity = len([line for line in comments.splitlines() if line.strip()])
        runs = interval = None
        if form.get("runs") or form.get("interval"):
            runs, interval = _parse_id(form.get("runs")), _parse_id(form.get("interval"))
            if runs is None or interval is None:
                raise SimRefusal("Incorrect request")
        order_id = self.add_order(service, quantity, runs=runs, interval=interval)
        if self.numeric_status_code:
            return {"status": 100, "order": order_id}
        return {"order": order_id}

    def _status(self, form: Mapping[str, str], now: float) -> Any:
        if not self.multi_status:
            # A clone that only reads ``order``: a multi call finds nothing.
            if "order" not in form:
                raise SimRefusal("Order not found.")
            return self._item(self._single(form["order"], now), now)
        if "orders" in form:
            return self._status_multi(self._id_list(form["orders"]), now)
        if "order" in form:
            return self._item(self._single(form["order"], now), now)
        raise SimRefusal(ORDER_REQUIRED)

    def _order_item(self, view: OrderView) -> dict[str, Any]:
        item = self._shapes.order(view, self.currency)
        if self.script.pending_remains_zero and view.status == PENDING:
            item.update(remains="0", start_count="0")  # nothing delivered yet, "0" all the same
        return item

    def _item(self, view: OrderView, now: float) -> dict[str, Any]:
        """An order's status item at ``now``: with ``late_refund``, a Partial
        or Canceled order still charged in whole until that long after it ended."""
        item = self._order_item(view)
        wait, ended = self.script.late_refund, view.finished_at
        if wait and view.status in (PARTIAL, CANCELED) and ended is not None and now < ended + wait:
            item["charge"] = str(order_charge(view.service, view.quantity))
        return item

    def _status_multi(self, tokens: list[str], now: float) -> Any:
        views = {token: self._lookup(token, now) for token in tokens}
        if self.script.whole_call_refusal and None in views.values():
            raise SimRefusal(BAD_ORDER)
        if self.status_shape == "list":
            # List-shaped panels drop unknown IDs silently.
            found = {v.order_id: v for v in views.values() if v is not None}
            return [{"order": oid, **self._item(v, now)} for oid, v in found.items()]
        unknown = self._shapes.unknown_order(self.unknown_shape)
        tag = self._shapes.chance(0.2)  # some panels repeat the ID in each item
        answer: dict[str, Any] = {}
        for token, view in views.items():
            if view is None:
                answer[token] = unknown
            else:
                item = self._item(view, now)
                answer[token] = {"order": view.order_id, **item} if tag else item
        return misfile(answer, tokens) if self.script.misfiled else answer

    def _refill(self, form: Mapping[str, str], now: float) -> Any:
        if "orders" in form:
            return [
                {"order": _id_out(token), "refill": self._try(self._refill_one, token, now)}
                for token in self._id_list(form["orders"])
            ]
        if "order" not in form:
            raise SimRefusal(ORDER_REQUIRED)
        return self._shapes.refill_added(self._refill_one(form["order"], now))

    def _refill_one(self, token: str, now: float) -> int:
        order = self._single(token, now)
        return self._refills.request(order, now, self.speed, self.script.drops)

    def _refill_status(self, form: Mapping[str, str], now: float) -> Any:
        if "refills" in form:
            not_found = {"error": "Refill not found"}
            return [
                {"refill": _id_out(token), "status": self._refill_spelled(token, now) or not_found}
                for token in self._id_list(form["refills"])
            ]
        status = self._refill_spelled(form.get("refill", ""), now)
        if status is None:
            raise SimRefusal("Incorrect refill ID")
        return {"status": status}

    def _cancel(self, form: Mapping[str, str], now: float) -> Any:
        if "orders" not in form:
            raise SimRefusal(ORDER_REQUIRED)
        return [
            {"order": _id_out(token), "cancel": self._try(self._cancel_one, token, now)}
            for token in self._id_list(form["orders"])
        ]

    def _cancel_one(self, token: str, now: float) -> int:
        order_id = _parse_id(token)
        if order_id is None:
            raise SimRefusal(BAD_ORDER)
        self._balance += self._orders.cancel(order_id, now)
        return 1

    # -- answer pieces ------------------------------------------------------

    def _try(self, act: Callable[[str, float], int], token: str, now: float) -> Any:
        """Run one item of a multi call: its result, or its error as an object."""
        try:
            return self._shapes.num(act(token, now), text=False)
        except SimRefusal as refusal:
            return {"error": refusal.text}

    def _id_list(self, raw: str) -> list[str]:
        tokens = _tokens(raw)
        if not tokens:
            raise SimRefusal(ORDER_REQUIRED)
        if len(tokens) > MAX_IDS:
            raise SimRefusal("Incorrect request")
        return tokens

    def _lookup(self, token: str, now: float) -> OrderView | None:
        order_id = _parse_id(token)
        if order_id is None or order_id not in self._orders:
            return None
        return self._orders.view(order_id, now)

    def _single(self, token: str, now: float) -> OrderView:
        view = self._lookup(token, now)
        if view is None:
            raise SimRefusal(BAD_ORDER)
        return view

    def _refill_spelled(self, token: str, now: float) -> str | None:
        refill_id = _parse_id(token)
        task = None if refill_id is None else self._refills.get(refill_id)
        if task is None:
            return None
        return spell(task.status(now), task.variant, REFILL_SPELLINGS, self.quirks)

    def _services(self, form: Mapping[str, str], now: float) -> Any:
        if self.script.empty_catalogue == "error":
            raise SimRefusal(NO_SERVICES)
        if self.script.empty_catalogue == "list":
            return []
        return listed_twice(self.catalogue) if self.script.twice_listed else self.catalogue

    def _balance_answer(self, form: Mapping[str, str], now: float) -> Any:
        return {"balance": f"{self._balance:.5f}", "currency": self.currency}
