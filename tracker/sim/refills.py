"""Simulated refills and count drops, with the rules real panels enforce.

Part of :mod:`tracker.sim.server`. A refill task restores the drop that was
outstanding when it was requested; one requested where nothing dropped ends
Rejected. Task progress is computed from the clock, like orders. Drops are
made by hand (:meth:`RefillBook.drop`) or, with the ``drops`` quirk, as
real accounts lose followers: each whole simulated day after an order
ended, a seeded share of what it delivered, up to ``drops`` of it
(:meth:`RefillBook.drifted`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.panel.statuses import COMPLETED, IN_PROGRESS, PARTIAL, PENDING, REFILL_REJECTED
from tracker.sim.catalogue import SimService
from tracker.sim.lifecycle import mix
from tracker.sim.orders import OrderView, SimRefusal

DAY = 86_400.0
# A simulated day with the drops quirk, in stages (``simulate --speed``): six
# stages, a minute at the default 10 s, about an order and a half's life.
DAY_STAGES = 6
LONGEST_DRIFT = 400  # days of drops counted at most (past any window but a lifetime's)


@dataclass(frozen=True, slots=True)
class RefillRules:
    # Counted from the order's completion: that of a service whose name says
    # no guarantee; one whose name does gets its own (SimService.guarantee_days).
    window: float = 30 * DAY
    cooldown: float = DAY  # between two requests for one order
    allow_partial: bool = False  # some panels also refill Partial orders
    # The panel's day: the drops quirk's (the share it names drops once a
    # day), and the unit of a name's guarantee ("Refill 30 days": 30 of them).
    day: float = DAY

    def window_of(self, service: SimService) -> float:
        """Given an order's service, return how long after its completion a
        refill of it is accepted: the days its name guarantees, else
        :attr:`window`."""
        days = service.guarantee_days
        return self.window if days is None else days * self.day


@dataclass(frozen=True, slots=True)
class RefillTask:
    refill_id: int
    order_id: int
    created: float
    stage: float  # seconds per stage
    amount: int  # the drop it restores; 0 means it will be Rejected
    variant: int  # 0-255: picks a stable spelling

    def status(self, now: float) -> str:
        """Return the canonical refill status at ``now``."""
        elapsed = now - self.created
        if elapsed < self.stage:
            return PENDING
        if self.amount <= 0:
            return REFILL_REJECTED
        return IN_PROGRESS if elapsed < 2 * self.stage else COMPLETED

    def running(self, now: float) -> bool:
        return self.status(now) in (PENDING, IN_PROGRESS)


class RefillBook:
    """Refill tasks and drops. Not thread-safe: the panel holds its lock around it."""

    def __init__(self, *, seed: int, first_id: int, rules: RefillRules):
        self.rules = rules
        self._seed = seed
        self._next_id = first_id
        self._tasks: dict[int, RefillTask] = {}
        self._by_order: dict[int, list[RefillTask]] = {}
        self._dropped: dict[int, int] = {}

    def get(self, refill_id: int) -> RefillTask | None:
        return self._tasks.get(refill_id)

    def drop(self, order_id: int, amount: int) -> None:
        """Record that ``amount`` of a delivered order's count went away."""
        self._dropped[order_id] = self._dropped.get(order_id, 0) + amount

    def missing(self, order: OrderView, now: float, drops: float = 0.0) -> int:
        """Return how much has dropped (by hand; with ``drops``, as it drifts
        too) and not (yet) been restored by a refill."""
        restored = sum(
            task.amount
            for task in self._by_order.get(order.order_id, ())
            if task.status(now) == COMPLETED
        )
        lost = self._dropped.get(order.order_id, 0) + self.drifted(order, now, drops)
        return lost - restored

    def drifted(self, order: OrderView, now: float, drops: float) -> int:
        """Return how much of a Completed or Partial order's delivered count has
        gone by ``now`` on its own: each whole ``rules.day`` since it ended, a
        seeded share of ``drops`` (a quarter of it to all of it) of what it
        delivered, never more than it delivered."""
        ended = order.finished_at
        if drops <= 0 or ended is None or order.status not in (COMPLETED, PARTIAL):
            return 0
        days = min(int((now - ended) // self.rules.day), LONGEST_DRIFT)
        lost = 0
        for day in range(1, days + 1):
            share = (
                0.25 + 0.75 * (mix(self._seed ^ 0xD409, order.order_id * 1024 + day) & 0xFF) / 255
            )
            lost += int(order.delivered * drops * share)
        return min(lost, order.delivered)

    def request(self, order: OrderView, now: float, stage: float, drops: float = 0.0) -> int:
        """Start a refill of ``order``; return its ID. Raise SimRefusal when refused."""
        self._check(order, now)
        task = RefillTask(
            refill_id=self._next_id,
            order_id=order.order_id,
            created=now,
            stage=stage,
            amount=max(0, self.missing(order, now, drops)),
            variant=mix(self._seed ^ 0x5EF1, self._next_id) & 0xFF,
        )
        self._next_id += 1
        self._tasks[task.refill_id] = task
        self._by_order.setdefault(order.order_id, []).append(task)
        return task.refill_id

    def _check(self, order: OrderView, now: float) -> None:
        if not order.service.refill:
            raise SimRefusal("Refill is disabled for this service")
        allowed = (COMPLETED, PARTIAL) if self.rules.allow_partial else (COMPLETED,)
        if order.status not in allowed or order.finished_at is None:
            raise SimRefusal("Order not eligible for refill.")
        if now > order.finished_at + self.rules.window_of(order.service):
            raise SimRefusal("Order not eligible for refill.")
        tasks = self._by_order.get(order.order_id)
        if tasks and tasks[-1].running(now):
            raise SimRefusal("The refill task is not completed for this order")
        if tasks and now - tasks[-1].created < self.rules.cooldown:
            raise SimRefusal("You are not eligible to send refill request.")
