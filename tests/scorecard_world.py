"""A database the simulator fills with known outcomes, for the views, report and
dashboard tests.

Three days ago (real time: the views measure against SQLite's 'now'), orders
were tracked at known offsets and all polled at hour 10, so each Completed
order's time from first seen to Completed is known exactly (each seen In
progress by a poll at hour 10 first, then Completed by another at that same
moment: an order first seen already Completed is no sample of it). A day later one
followers order had dropped and the refill job asked for every eligible order:
the dropped one is refilled, the others are Rejected. An order 40 days old
sits outside the 30-day window; one placed an hour ago is open but not stuck.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from conftest import FakeClock
from refill_world import H, World

from tracker.clock import iso, utcnow
from tracker.sim.server import SERVICE_FOLLOWERS, SERVICE_LIKES, SERVICE_TIKTOK

POLL_AT = 10 * H  # every order below is first polled at hour 10
# (service, status pinned on the panel, hours after the start it was tracked)
PLAN = [
    (SERVICE_FOLLOWERS, "Completed", 0.0),
    (SERVICE_FOLLOWERS, "Completed", 1.0),
    (SERVICE_FOLLOWERS, "Completed", 2.0),
    (SERVICE_FOLLOWERS, "Completed", 3.0),
    (SERVICE_FOLLOWERS, "Completed", 5.5),
    (SERVICE_FOLLOWERS, "Partial", 0.0),
    (SERVICE_FOLLOWERS, "Canceled", 0.5),
    (SERVICE_LIKES, "Completed", 0.0),
    (SERVICE_LIKES, "Completed", 4.0),
    (SERVICE_LIKES, "Completed", 8.0),
    (SERVICE_LIKES, "Partial", 1.0),
    (SERVICE_TIKTOK, "Completed", 2.0),
    (SERVICE_TIKTOK, "Completed", 6.0),
    (SERVICE_TIKTOK, "In progress", 0.0),  # never moves again: stuck
]


@dataclass
class Placed:
    order_id: int
    service: int
    status: str
    tracked_at: datetime
    charge: float
    completed_at: datetime | None = None


@dataclass
class Known:
    """What the test knows happened, to compute expected figures from."""

    start: datetime
    orders: list[Placed] = field(default_factory=list)
    refilled: int = 0  # the order whose refill completed
    refills_at: datetime | None = None  # when every eligible order was asked
    refills_asked: list[int] = field(default_factory=list)
    fresh: int = 0  # the open order tracked an hour ago
    stuck: int = 0  # the In progress order
    old: Placed | None = None  # 40 days old: outside the 30-day window


def build(tmp_path: Path) -> tuple[World, Known]:
    """Return a World whose database holds the story above, and what happened."""
    start = (utcnow() - timedelta(days=3)).replace(microsecond=0)
    clock = FakeClock(start)
    w = World(tmp_path, clock)
    known = Known(start=start)
    assert w.sync_services()
    for service, status, hours in sorted(PLAN, key=lambda p: p[2]):
        clock.now = start + timedelta(hours=hours)
        order_id = w.order(service, status)
        charge = float(w.panel.order(order_id).charge)
        known.orders.append(Placed(order_id, service, status, clock.now, charge))
    clock.now = start + timedelta(seconds=POLL_AT)
    done = [p.order_id for p in known.orders if p.status == "Completed"]
    for order_id in done:  # seen In progress first: one first seen Completed is no sample
        w.panel.pin(order_id, "In progress")
    w.poll()
    for order_id in done:  # and Completed at the same moment
        w.panel.pin(order_id, "Completed")
    w.poll()
    for placed in known.orders:
        if placed.status in ("Completed", "Partial", "Canceled"):
            placed.completed_at = clock.now
    known.stuck = next(p.order_id for p in known.orders if p.status == "In progress")

    # A day after completion: one followers order dropped; every Completed order
    # of a refill service is asked for (refill.detect = "panel").
    known.refilled = known.orders[0].order_id
    w.panel.drop(known.refilled, 80)
    clock.advance(24.5 * H)
    known.refills_at = clock.now
    assert w.round()
    clock.advance(0.25 * H)  # the panel finishes (or rejects) each task
    assert w.round()
    known.refills_asked = [
        p.order_id
        for p in known.orders
        if p.status == "Completed" and p.service in (SERVICE_FOLLOWERS, SERVICE_TIKTOK)
    ]

    # An order placed an hour ago: open, not stuck.
    clock.now = (utcnow() - timedelta(hours=1)).replace(microsecond=0)
    known.fresh = w.order(SERVICE_FOLLOWERS, "Pending")
    known.orders.append(
        Placed(known.fresh, SERVICE_FOLLOWERS, "Pending", clock.now, _charge(w, known.fresh))
    )
    w.poll()

    # 40 days old, completed an hour after it was first seen.
    first = (utcnow() - timedelta(days=40)).replace(microsecond=0)
    known.old = Placed(99, SERVICE_FOLLOWERS, "Completed", first, 0.9, first + timedelta(hours=1))
    with w.store.write() as db:
        db.execute(
            "INSERT INTO orders (panel, order_id, service, quantity, status, remains, charge, "
            "currency, created_at, updated_at, completed_at, last_change_at, polling) "
            "VALUES ('sim', 99, ?, 1000, 'Completed', 0, 0.9, 'USD', ?, ?, ?, ?, 0)",
            [SERVICE_FOLLOWERS, iso(first), iso(first), *[iso(first + timedelta(hours=1))] * 2],
        )
    return w, known


def _charge(w: World, order_id: int) -> float:
    return float(w.panel.order(order_id).charge)
