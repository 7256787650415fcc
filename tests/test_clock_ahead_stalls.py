"""Stall alerts across a wall clock set ahead while the daemon runs (an
operator's wrong time, NTP stepping it, a VM's clock put forward): the hours
the clock was set ahead are no hours an order sat unchanged, and no burst of
``order_stalled`` for every open order comes of them. A sleep (a VM or
laptop suspended, the boot clock counting it) is real time: the panel kept
working, the orders did sit still, and they are told stalled as before. On
the simulated panel on loopback, with the real jobs."""

from __future__ import annotations

import pytest
from resumable import poll_round, resumed_world

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store.alerts import alerts_since

H = 3600.0
ORDERS = 12


@pytest.fixture(params=[False, True], ids=["no-boot-clock", "boot-clock"])
def tracker(tmp_path, request):
    clock, w = resumed_world(tmp_path, request.param)
    yield clock, w, request.param
    w.close()


round_ = poll_round


def stalled(w) -> list[int]:
    """The order IDs every ``order_stalled`` so far named."""
    rows = alerts_since(w.store, None, limit=100)
    told = [a["data"].get("orders") or [a["data"]] for a in rows if a["kind"] == "order_stalled"]
    return sorted(o["order_id"] for each in told for o in each)


def test_a_clock_set_ahead_past_stall_after_stalls_no_order(tracker):
    # In progress for an hour, the clock then set 8 h ahead: each order read
    # as unchanged 9 h (stall_after 6 h), and all of them were told stalled.
    clock, w, _ = tracker
    orders = [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(ORDERS)]
    round_(w)
    clock.advance(H)
    round_(w)
    clock.step(8 * H)
    round_(w)
    assert stalled(w) == []
    assert w.cli("orders", "--stalled", "--json").stdout.strip() in ("", "[]")
    clock.advance(4.5 * H)  # 5.5 h unchanged in real time
    round_(w)
    assert stalled(w) == []
    clock.advance(H)  # 6.5 h: stalled now, each once
    round_(w)
    assert stalled(w) == orders
    [alert] = [a for a in alerts_since(w.store, None, limit=100) if a["kind"] == "order_stalled"]
    assert {o["unchanged_seconds"] for o in alert["data"]["orders"]} == {int(6.5 * H)}
    assert "the longest unchanged 6h" in alert["message"]


def test_orders_asleep_past_stall_after_are_stalled_where_the_sleep_is_told(tracker):
    clock, w, boot = tracker
    orders = [w.order(SERVICE_FOLLOWERS, "In progress") for _ in range(ORDERS)]
    round_(w)
    clock.advance(H)
    round_(w)
    clock.sleep(8 * H)  # suspended: 8 h passed, the panel's orders sat still
    round_(w)
    # The boot clock tells a sleep: stalled, as before. Without it the sleep
    # may be a clock set ahead: held until 6 h have passed awake, never sooner.
    assert stalled(w) == (orders if boot else [])
    clock.advance(5.5 * H)
    round_(w)
    assert stalled(w) == orders
