"""The API v2 client: one per panel, a method per action, answers parsed.

The HTTP, retries and answer checks live in :mod:`tracker.panel.transport`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import structlog

from tracker.errors import (
    AuthError,
    PanelAnswerError,
    PanelError,
)
from tracker.panel import parse
from tracker.panel.models import (
    Balance,
    CancelResult,
    NewOrder,
    OrderStatus,
    RefillRequest,
    RefillStatus,
    Service,
)
from tracker.panel.transport import CallObserver, P, Transport

log = structlog.get_logger("tracker.client")

__all__ = ["MAX_IDS", "CallObserver", "PanelClient"]

MAX_IDS = 100  # the API's own limit for multi-ID actions
_NO_MULTI_STATUS = ("order not found", "order id is required", "incorrect request")


class PanelClient(Transport[P]):
    """Given a panel's settings, talk API v2 to it for the process lifetime: one
    method per action, answers parsed into :mod:`tracker.panel.models` values."""

    def warn_unknown(self, kind: str, raw: str | None) -> None:
        """Log a status spelling we do not know, once per panel and spelling."""
        key = f"{kind}:{raw}"
        with self._warn_lock:
            if key in self._warned:
                return
            self._warned.add(key)
        log.warning("unknown_status", panel=self.name, kind=kind, status=raw)

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
        return self._parsed("services", parse.parse_services, self._call("services"))

    def balance(self) -> Balance:
        return self._parsed("balance", parse.parse_balance, self._call("balance"))

    def add(self, order: NewOrder) -> int:
        """Place an order; return its ID. Never resent once it may have arrived."""
        data = self._call("add", order.form(), idempotent=False)
        return self._parsed("add", parse.parse_add, data)

    def status(self, order_id: int) -> OrderStatus:
        data = self._call("status", {"order": str(order_id)})
        result = self._parsed("status", parse.parse_status_single, order_id, data)
        self._check_known(result)
        return result

    def statuses(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        """Return statuses of up to 100 orders with one multi-status call.

        Falls back to single calls (and remembers it) for clones that answer
        a multi-status call with "Order not found." IDs missing from the
        answer are absent from the result.
        """
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        if not self.multi_status or len(order_ids) == 1:
            return self._statuses_one_by_one(order_ids)
        data = self._call("status", {"orders": ",".join(map(str, order_ids))})
        try:
            result = parse.parse_status_multi(order_ids, data)
        except PanelAnswerError as exc:
            if not any(text in exc.detail.lower() for text in _NO_MULTI_STATUS):
                raise self._tag(exc, "status") from None
            log.warning("multi_status_unsupported", panel=self.name, answer=exc.detail)
            self.multi_status = False
            return self._statuses_one_by_one(order_ids)
        except PanelError as exc:
            raise self._tag(exc, "status") from None
        for item in result.values():
            self._check_known(item)
        return result

    def _statuses_one_by_one(self, order_ids: list[int]) -> dict[int, OrderStatus]:
        result = {}
        for order_id in order_ids:
            try:
                result[order_id] = self.status(order_id)
            except AuthError:
                raise
            except PanelAnswerError as exc:
                result[order_id] = OrderStatus(order_id=order_id, error=exc.detail)
        return result

    def _check_known(self, item: OrderStatus) -> None:
        if item.status is not None and not item.known_status:
            self.warn_unknown("order", item.raw_status)

    def refill(self, order_id: int) -> RefillRequest:
        data = self._call("refill", {"order": str(order_id)}, idempotent=False)
        return self._parsed("refill", parse.parse_refill_single, order_id, data)

    def refills(self, order_ids: list[int]) -> list[RefillRequest]:
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        data = self._call("refill", {"orders": ",".join(map(str, order_ids))}, idempotent=False)
        return self._parsed("refill", parse.parse_refill_multi, data)

    def refill_status(self, refill_id: str) -> RefillStatus:
        data = self._call("refill_status", {"refill": refill_id})
        result = self._parsed("refill_status", parse.parse_refill_status_single, refill_id, data)
        if result.status is not None and not result.known_status:
            self.warn_unknown("refill", result.raw_status)
        return result

    def refill_statuses(self, refill_ids: list[str]) -> list[RefillStatus]:
        if len(refill_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(refill_ids)}")
        data = self._call("refill_status", {"refills": ",".join(refill_ids)})
        result = self._parsed("refill_status", parse.parse_refill_status_multi, data)
        for item in result:
            if item.status is not None and not item.known_status:
                self.warn_unknown("refill", item.raw_status)
        return result

    def cancel(self, order_ids: list[int]) -> list[CancelResult]:
        if len(order_ids) > MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} IDs per call, got {len(order_ids)}")
        data = self._call("cancel", {"orders": ",".join(map(str, order_ids))})
        return self._parsed("cancel", parse.parse_cancel, data)
