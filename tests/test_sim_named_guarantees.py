"""The simulator honours the refill guarantee its services' names give
("[R90]", "Lifetime Refill"), in its own days, as the tracker reads them;
a name saying none gets its own window (30 days)."""

from __future__ import annotations

import json
from typing import Any

from refill_world import DAY, KEY

from tracker.config.model import RefillConfig
from tracker.rules.guarantees import named_guarantee, window_of
from tracker.sim.server import (
    SERVICE_FOLLOWERS,
    SERVICE_TELEGRAM,
    SERVICE_TIKTOK,
    SERVICE_VIEWS,
    SERVICES,
    SimulatedPanel,
)


def _sold_as(names: dict[int, str]) -> tuple[dict[str, Any], ...]:
    """The simulator's catalogue with these services renamed."""
    return tuple({**s, "name": names.get(s["service"], s["name"])} for s in SERVICES)


LONG = _sold_as(
    {
        SERVICE_FOLLOWERS: "Instagram Followers [R30]",
        SERVICE_TIKTOK: "TikTok Followers | Lifetime Refill",
        SERVICE_TELEGRAM: "Telegram Members [R90]",
        SERVICE_VIEWS: "YouTube Views [R7]",
    }
)


def _refill(panel: SimulatedPanel, order_id: int) -> dict[str, Any]:
    status, _, body = panel.handle({"key": KEY, "action": "refill", "order": str(order_id)})
    assert status == 200, body
    return json.loads(body)


REFUSED = {"error": "Order not eligible for refill."}


def test_the_simulator_accepts_refills_inside_the_guarantee_its_service_names(clock):
    panel = SimulatedPanel(
        key=KEY, clock=lambda: clock().timestamp(), quirks=False, speed=1.0, catalogue=LONG
    )

    def completed(service: int, days: float) -> int:
        return panel.seed_orders(1, status="Completed", service=service, age=days * DAY)[0]

    assert "refill" in _refill(panel, completed(SERVICE_TELEGRAM, 60))  # R90
    assert _refill(panel, completed(SERVICE_TELEGRAM, 91)) == REFUSED
    assert "refill" in _refill(panel, completed(SERVICE_TIKTOK, 400))  # lifetime: no end
    assert "refill" in _refill(panel, completed(SERVICE_FOLLOWERS, 29))  # R30
    assert _refill(panel, completed(SERVICE_FOLLOWERS, 31)) == REFUSED
    assert _refill(panel, completed(SERVICE_VIEWS, 8)) == REFUSED  # R7


def test_the_simulators_own_services_end_where_the_tracker_reads_them_to(clock):
    # The demo's and simulate's catalogue: each service with refill accepts
    # a refill until the window the tracker reads in its name ends, not after.
    panel = SimulatedPanel(key=KEY, clock=lambda: clock().timestamp(), quirks=False, speed=1.0)
    for entry in SERVICES:
        if entry["service"] not in panel.services or not panel.services[entry["service"]].refill:
            continue
        said = named_guarantee(entry["name"], entry.get("category"))
        days = window_of(said, RefillConfig()).seconds / DAY
        service = entry["service"]
        inside = panel.seed_orders(1, status="Completed", service=service, age=(days - 1) * DAY)
        past = panel.seed_orders(1, status="Completed", service=service, age=(days + 1) * DAY)
        assert "refill" in _refill(panel, inside[0]), entry["name"]
        assert _refill(panel, past[0]) == REFUSED, entry["name"]


def test_a_simulated_day_counts_a_names_guarantee_too(clock):
    # simulate --quirk drops: its day is minutes; "R90" is 90 of them.
    day = 600.0
    panel = SimulatedPanel(
        key=KEY, clock=lambda: clock().timestamp(), quirks=False, speed=1.0, day=day, catalogue=LONG
    )
    inside = panel.seed_orders(1, status="Completed", service=SERVICE_TELEGRAM, age=80 * day)[0]
    past = panel.seed_orders(1, status="Completed", service=SERVICE_TELEGRAM, age=95 * day)[0]
    assert "refill" in _refill(panel, inside)
    assert _refill(panel, past) == REFUSED
