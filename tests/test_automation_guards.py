"""Automation against panels that answer what they should not: a rate of 0 or
below in ``services``, a key refused in words the tracker does not know, an
``add`` answer naming an order already tracked. Through the simulated panel on
loopback, the real jobs and the real CLI; nothing sleeps.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from refill_world import World

from tracker.rules.reorders import NO_RATE
from tracker.sim.catalogue import SERVICES
from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store import automation as automation_sql

REORDER = "reorder = true\nreorder_services = [1]\ndaily_cap = 1.0\n"


@pytest.fixture(autouse=True)
def cli_today(monkeypatch, clock):
    """The `automation` command's "today" is the world's."""
    monkeypatch.setattr("tracker.cli.automation.utcnow", clock)


def run(w: World) -> bool:
    return w.jobs["automation:sim"].run()


def actions(w: World, action: str) -> list[dict]:
    return [a for a in reversed(automation_sql.actions(w.store)) if a["action"] == action]


def rate_is(w: World, rate: object) -> None:
    """Make the panel's services answer give the followers service ``rate``."""
    listed = [dict(s, rate=rate) if s["service"] == SERVICE_FOLLOWERS else s for s in SERVICES]
    w.panel._services = lambda form, now: listed  # type: ignore[method-assign]


# --- 1. a rate of 0 or below never gets round the daily cap --------------------------


@pytest.mark.parametrize("rate", ["-1.0", "0", 0, -0.5, "0.00000000001"])
def test_a_rate_of_zero_or_below_places_no_reorder_and_says_why(world, rate):
    w = world(automation=REORDER)
    rate_is(w, rate)
    assert w.sync_services()
    parents = [w.order(SERVICE_FOLLOWERS, "Partial") for _ in range(4)]
    w.poll()
    assert run(w) and run(w)
    assert w.panel.calls["add"] == 0
    assert actions(w, "reorder") == []
    skipped = {s["order_id"]: s["reason"] for s in automation_sql.skips(w.store)}
    assert skipped == {p: NO_RATE for p in parents}
    shown = json.loads(w.cli("automation", "--json").stdout)
    assert [s["spent"] for s in shown["spend"]] == [0.0]
    text = w.cli("automation").stdout
    assert "sim: re-orders today: 0.00 of cap 1.00" in text
    assert "no usable rate" in text


def test_a_negative_cost_recorded_earlier_never_gives_spend_back(world):
    w = world(automation=REORDER)
    assert w.sync_services()  # followers: 0.90 per 1000
    old = w.order(SERVICE_FOLLOWERS, "Partial")
    # A re-order an older version placed at a rate of -1.0 and counted as -3.00.
    automation_sql.begin_action(
        w.store, "sim", old, "reorder", w.clock(), status="Placed", estimated_cost=Decimal("-3")
    )
    parents = [w.order(SERVICE_FOLLOWERS, "Partial") for _ in range(3)]
    w.poll()
    assert "sim: re-orders today: 0.00 of cap 1.00" in w.cli("automation").stdout
    assert run(w)
    costs = [a["estimated_cost"] for a in actions(w, "reorder") if a["order_id"] in parents]
    assert 0 < sum(costs) <= 1.0 and len(costs) < 3  # the -3.00 made no room
    assert w.panel.calls["add"] == len(costs)
    (today,) = json.loads(w.cli("automation", "--json").stdout)["spend"]
    assert today["spent"] == pytest.approx(sum(costs))
