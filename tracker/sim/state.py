"""The simulated panel's state: its catalogue, order and refill books, balance,
fault plan and counters, and the helpers tests, the demo and the bench use.

:class:`tracker.sim.panel.SimulatedPanel` adds the API v2 answers on top.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tracker.panel.statuses import canonical_order_status
from tracker.sim.catalogue import SERVICE_FOLLOWERS, SERVICES, SimService, parse_catalogue
from tracker.sim.faults import FaultInjector, FaultPlan
from tracker.sim.lifecycle import PINNABLE
from tracker.sim.limits import RateWindow
from tracker.sim.orders import (
    OrderBook,
    OrderView,
    SimRefusal,
    checked_quantity,
    order_charge,
)
from tracker.sim.refills import DAY, RefillBook, RefillRules
from tracker.sim.scripts import ScriptQuirks
from tracker.sim.shapes import Shapes


class PanelState:
    """An SMM panel speaking API v2, with seeded, clock-driven orders and refills.

    ``speed`` is seconds per stage (Pending, maybe Processing, two for In
    progress); changing it affects orders placed afterwards. ``quirks`` turns
    on the varied shapes real panels send; all choices are seeded.
    """

    def __init__(
        self,
        *,
        key: str,
        clock: Callable[[], float] = time.time,
        seed: int = 0,
        balance: Decimal | str = "100",
        currency: str = "USD",
        quirks: bool = True,
        speed: float = 3.0,
        latency: float = 0.0,
        slow_seconds: float = 3.0,
        retry_after: int = 1,
        status_shape: str = "dict",
        unknown_shape: str | None = None,
        multi_status: bool = True,
        numeric_status_code: bool = False,
        http_errors: bool = False,
        refill_days: float = 30.0,
        refill_cooldown: float = DAY,
        refill_partial: bool = False,
        day: float = DAY,
        faults: FaultPlan | None = None,
        first_order_id: int = 23501,
        first_refill_id: int = 12345,
        script: ScriptQuirks | None = None,
        catalogue: tuple[dict[str, Any], ...] = SERVICES,
    ):
        if status_shape not in ("dict", "list"):
            raise ValueError("status_shape must be 'dict' or 'list'")
        if unknown_shape not in (None, "object", "string"):
            raise ValueError("unknown_shape must be None, 'object' or 'string'")
        self.key = key
        self.currency = currency
        self.speed = speed
        self.latency = latency  # slept by the HTTP layer on every request
        self.slow_seconds = slow_seconds  # how long a "slow" fault sleeps
        # The seconds a "429" fault asks to wait (Retry-After, X-RateLimit-Reset);
        # 0: retry at once (the client's backoff alone).
        self.retry_after = retry_after
        self.status_shape = status_shape
        self.unknown_shape = unknown_shape  # None: varies per answer with quirks
        self.multi_status = multi_status
        self.numeric_status_code = numeric_status_code
        self.http_errors = http_errors  # 400/401 instead of the classic 200
        self.account_inactive = False
        # Real panel scripts' behaviours (notices, refusal wording...); assignable.
        self.script = script or ScriptQuirks()
        self.calls: Counter[str] = Counter()
        self.ids_per_call: list[int] = []  # IDs asked for by each status call
        # The services listing as answered; its names' guarantees are honoured.
        self.catalogue = catalogue
        self.services: dict[int, SimService] = parse_catalogue(catalogue)
        self._clock = clock
        self._balance = Decimal(str(balance))
        self._lock = threading.RLock()
        self._shapes = Shapes(seed, quirks)
        self._faults = FaultInjector(seed, faults)
        self._window = RateWindow()  # counts only with script.rate_limit set
        self._orders = OrderBook(self.services, seed=seed, first_id=first_order_id, quirks=quirks)
        # ``day``: the drops quirk's (``script.drops``); refill_days count real days.
        rules = RefillRules(refill_days * DAY, refill_cooldown, refill_partial, day)
        self._refills = RefillBook(seed=seed, first_id=first_refill_id, rules=rules)

    def _settle(self, now: float) -> None:
        self._balance += self._orders.due_refunds(now)

    # -- faults -------------------------------------------------------------

    @property
    def quirks(self) -> bool:
        return self._shapes.quirks

    @property
    def faults(self) -> FaultPlan:
        """Random faults; assign a new :class:`FaultPlan` to change them at runtime."""
        return self._faults.plan

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        with self._lock:
            self._faults.plan = plan

    def inject(self, kind: str, count: int = 1, action: str | None = None) -> None:
        """Make the next ``count`` requests (of ``action``, or any) fail with ``kind``."""
        with self._lock:
            self._faults.inject(kind, count, action)

    def clear_faults(self) -> None:
        """Forget injected faults and turn random ones off."""
        with self._lock:
            self._faults.clear()

    # -- for tests, the demo and the benchmark -------------------------------

    def add_order(
        self,
        service: int,
        quantity: int,
        *,
        runs: int | None = None,
        interval: int | None = None,
        charge: bool = True,
    ) -> int:
        """Place an order as ``add`` does; return its ID. Raise SimRefusal when refused.

        A drip-feed order delivers ``quantity`` per run and takes ``runs``
        times as long; ``interval`` is only checked.
        """
        with self._lock:
            now = self._clock()
            self._settle(now)
            svc = self.services.get(service)
            if svc is None:
                raise SimRefusal("Incorrect service ID")
            total = checked_quantity(svc, quantity, runs, interval, quirks=self.quirks)
            cost = order_charge(svc, total)
            if charge and cost > self._balance:
                raise SimRefusal("Not enough funds on balance")
            order_id = self._orders.add(svc, total, now, self.speed * (runs or 1))
            if charge:
                self._balance -= cost
                self._orders.charge_paid(order_id, cost, now)
            return order_id

    def seed_orders(
        self,
        n: int,
        *,
        status: str | None = None,
        service: int = SERVICE_FOLLOWERS,
        quantity: int = 1000,
        age: float = 0.0,
        spread: float = 0.0,
    ) -> list[int]:
        """Create ``n`` orders cheaply (not charged); return their IDs.

        ``status`` pins them at that status for good (until canceled); without
        it they follow their seeded paths. They were created ``age`` seconds
        ago, staggered over a further ``spread`` seconds.
        """
        pin = None
        if status is not None:
            pin = canonical_order_status(status)
            if pin not in PINNABLE:
                raise ValueError(f"cannot pin orders at {status!r}; use one of {PINNABLE}")
        with self._lock:
            if service not in self.services:
                raise ValueError(f"unknown service {service}")
            created = self._clock() - age
            svc = self.services[service]
            ids = self._orders.seed(
                n, svc, quantity, created=created, stage=self.speed, spread=spread, pin=pin
            )
            return list(ids)

    def pin(self, order_id: int, status: str | None) -> None:
        """Move an order to ``status`` and keep it there (None: let it follow its
        seeded path again), as a provider that stalls or resumes would."""
        pin = None if status is None else canonical_order_status(status)
        if status is not None and pin not in PINNABLE:
            raise ValueError(f"cannot pin orders at {status!r}; use one of {PINNABLE}")
        with self._lock:
            self._orders.pin(order_id, pin)

    def pin_orders(self, ids: range, status: str) -> None:
        """Move the orders ``ids`` (a range of seeded IDs) to ``status`` and keep
        them there: the bench's "every order changes" workload."""
        pin = canonical_order_status(status)
        if pin not in PINNABLE:
            raise ValueError(f"cannot pin orders at {status!r}; use one of {PINNABLE}")
        with self._lock:
            for order_id in ids:
                self._orders.pin(order_id, pin)

    def order(self, order_id: int) -> OrderView:
        """Return an order as it stands now, canonical. Raise KeyError if unknown."""
        with self._lock:
            return self._orders.view(order_id, self._clock())

    @property
    def order_count(self) -> int:
        return len(self._orders)

    def refill_state(self, refill_id: int) -> str:
        """Return a refill's canonical status now. Raise KeyError if unknown."""
        with self._lock:
            task = self._refills.get(refill_id)
            if task is None:
                raise KeyError(refill_id)
            return task.status(self._clock())

    def drop(self, order_id: int, amount: int) -> None:
        """Simulate ``amount`` of a delivered order's count going away."""
        if amount <= 0:
            raise ValueError("a drop must be positive")
        with self._lock:
            if order_id not in self._orders:
                raise KeyError(order_id)
            self._refills.drop(order_id, amount)

    def current_count(self, order_id: int) -> int:
        """Return the live count a buyer's probe would see: start + delivered - missing."""
        with self._lock:
            now = self._clock()
            view = self._orders.view(order_id, now)
            start = view.start_count or 0
            return start + view.delivered - self._refills.missing(view, now, self.script.drops)

    @property
    def balance(self) -> Decimal:
        with self._lock:
            self._settle(self._clock())
            return self._balance

    def set_balance(self, amount: Decimal | str | float) -> None:
        with self._lock:
            self._balance = Decimal(str(amount))

    def reset_counters(self) -> None:
        with self._lock:
            self.calls.clear()
            self.ids_per_call.clear()
