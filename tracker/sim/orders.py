"""Simulated orders: compact rows, an order as it stands, its charge.

Part of :mod:`tracker.sim.server`. The benchmark holds a million orders, so an
order is one row across a few typed arrays (25 bytes) and everything else —
its path through the statuses, its timing, its counts — is derived from
(seed, order ID, created_at, stage length) whenever it is looked at
(:mod:`tracker.sim.lifecycle`). Only rare facts (a cancel, the charge of a
paid order) live in dicts.
"""

from __future__ import annotations

import heapq
from array import array
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from tracker.panel.statuses import CANCELED, PARTIAL, PENDING, TERMINAL
from tracker.sim.catalogue import SimService
from tracker.sim.lifecycle import (
    PINNABLE,
    Path,
    make_path,
    mix,
    natural_progress,
    pinned_progress,
)

_PLACES = Decimal("0.00001")


class SimRefusal(Exception):
    """The simulated panel refuses a request; ``text`` is its verbatim error."""

    def __init__(self, text: str, *, auth: bool = False):
        super().__init__(text)
        self.text = text
        self.auth = auth


@dataclass(frozen=True, slots=True)
class OrderView:
    """One order as it stands at a given time, in canonical terms."""

    order_id: int
    service: SimService
    quantity: int
    status: str
    variant: int
    charge: Decimal
    start_count: int | None
    delivered: int
    finished_at: float | None

    @property
    def remains(self) -> int:
        return self.quantity - self.delivered


def order_charge(service: SimService, quantity: int) -> Decimal:
    """Return the full charge of ``quantity`` units (rates are per 1000)."""
    return (service.rate * quantity / 1000).quantize(_PLACES, ROUND_HALF_UP)


def checked_quantity(
    service: SimService, quantity: int, runs: int | None, interval: int | None, *, quirks: bool
) -> int:
    """Return the total quantity of a new order. Raise SimRefusal as the panel would."""
    if quantity < service.min:
        plain = f"Quantity less than minimal {service.min}"
        raise SimRefusal("neworder.error.min_quantity" if quirks else plain)
    if quantity > service.max:
        plain = f"Quantity more than maximal {service.max}"
        raise SimRefusal("neworder.error.max_quantity" if quirks else plain)
    if runs is None:
        return quantity
    if not service.dripfeed:
        raise SimRefusal("Drip-feed is disabled for this service")
    if runs < 2 or not interval or interval < 1:
        raise SimRefusal("Incorrect request")
    return quantity * runs


def _charge(service: SimService, quantity: int, status: str, delivered: int) -> Decimal:
    if status == CANCELED:
        return Decimal("0").quantize(_PLACES)
    full = order_charge(service, quantity)
    if status == PARTIAL:
        return (full * delivered / quantity).quantize(_PLACES, ROUND_HALF_UP)
    return full


class OrderBook:
    """Every simulated order. Not thread-safe: the panel holds its lock around it."""

    def __init__(self, services: dict[int, SimService], *, seed: int, first_id: int, quirks: bool):
        self._services = services
        self._seed = seed
        self._first = first_id
        self._quirks = quirks
        self._created = array("d")
        self._stage = array("d")
        self._service = array("I")
        self._quantity = array("I")
        self._pin = array("B")
        self._overrides: dict[int, tuple[str, int, float]] = {}  # cancel results
        self._paid: dict[int, Decimal] = {}  # orders placed through ``add``
        self._refunds: list[tuple[float, int]] = []  # (due time, order ID) heap

    def __len__(self) -> int:
        return len(self._created)

    def __contains__(self, order_id: object) -> bool:
        return isinstance(order_id, int) and 0 <= order_id - self._first < len(self._created)

    @property
    def next_id(self) -> int:
        return self._first + len(self._created)

    def add(self, service: SimService, quantity: int, now: float, stage: float) -> int:
        """Place one order now; return its ID."""
        return self.seed(1, service, quantity, created=now, stage=stage)[0]

    def charge_paid(self, order_id: int, paid: Decimal, now: float) -> None:
        """Record what a placed order cost, and when a Partial/Canceled one gets its refund."""
        self._paid[order_id] = paid
        i = order_id - self._first
        path = self._path(order_id, i)
        if path.outcome in (PARTIAL, CANCELED):
            heapq.heappush(self._refunds, (self._created[i] + path.finish, order_id))

    def seed(
        self,
        n: int,
        service: SimService,
        quantity: int,
        *,
        created: float,
        stage: float,
        spread: float = 0.0,
        pin: str | None = None,
    ) -> range:
        """Create ``n`` orders at once, staggered by ``spread`` seconds back from ``created``."""
        first = self.next_id
        if spread:
            self._created.extend(created - spread * k / n for k in range(n))
        else:
            self._created.extend(array("d", [created]) * n)
        self._stage.extend(array("d", [stage]) * n)
        self._service.extend(array("I", [service.id]) * n)
        self._quantity.extend(array("I", [quantity]) * n)
        self._pin.extend(array("B", [PINNABLE.index(pin) + 1 if pin else 0]) * n)
        return range(first, first + n)

    def view(self, order_id: int, now: float) -> OrderView:
        """Return the order as it stands at ``now``. Raise KeyError for an unknown ID."""
        if order_id not in self:
            raise KeyError(order_id)
        i = order_id - self._first
        service = self._services[self._service[i]]
        quantity = self._quantity[i]
        path = self._path(order_id, i)
        status, delivered, finished = self._progress(order_id, i, path, now)
        return OrderView(
            order_id=order_id,
            service=service,
            quantity=quantity,
            status=status,
            variant=path.variant,
            charge=_charge(service, quantity, status, delivered),
            start_count=None if status == PENDING else path.start_count,
            delivered=delivered,
            finished_at=finished,
        )

    def cancel(self, order_id: int, now: float) -> Decimal:
        """Cancel an unfinished order; return the refund due. Raise SimRefusal if refused."""
        try:
            before = self.view(order_id, now)
        except KeyError:
            raise SimRefusal("Incorrect order ID") from None
        if not before.service.cancel:
            raise SimRefusal("Cancel is disabled for this service")
        if before.status in TERMINAL:
            raise SimRefusal("This order cannot be canceled")
        # Whatever was already delivered stays delivered: that is a Partial.
        status = CANCELED if before.delivered == 0 else PARTIAL
        self._overrides[order_id] = (status, before.delivered, now)
        paid = self._paid.get(order_id)
        if paid is None:
            return Decimal(0)
        return paid - self.view(order_id, now).charge

    def pin(self, order_id: int, status: str | None) -> None:
        """Pin an order at ``status`` from now on (None: back to its seeded path)."""
        if order_id not in self:
            raise KeyError(order_id)
        self._pin[order_id - self._first] = PINNABLE.index(status) + 1 if status else 0

    def due_refunds(self, now: float) -> Decimal:
        """Return the refunds of paid orders that ended Partial or Canceled by ``now``."""
        total = Decimal(0)
        while self._refunds and self._refunds[0][0] <= now:
            _, order_id = heapq.heappop(self._refunds)
            if order_id not in self._overrides:  # a cancel refunded it already
                total += self._paid[order_id] - self.view(order_id, now).charge
        return total

    def _path(self, order_id: int, i: int) -> Path:
        h = mix(self._seed, order_id)
        return make_path(h, self._quantity[i], self._stage[i], self._quirks)

    def _progress(
        self, order_id: int, i: int, path: Path, now: float
    ) -> tuple[str, int, float | None]:
        override = self._overrides.get(order_id)
        if override is not None:
            return override
        created = self._created[i]
        pin = self._pin[i]
        if pin:
            return pinned_progress(PINNABLE[pin - 1], path, self._quantity[i], created)
        return natural_progress(path, self._quantity[i], created, now)
