"""Stale Pending cancels across a wall clock set ahead while the daemon runs
(an operator setting the wrong time or time zone, NTP stepping it): the hours
the clock was set ahead are no hours an order spent Pending. A sleep (a VM or
laptop suspended, the boot clock counting it) is real time and counts. On
the simulated panel on loopback, with the real jobs."""

from __future__ import annotations

import pytest
from resumable import poll_round, resumed_world

from tracker.sim.server import SERVICE_FOLLOWERS

H = 3600.0
CANCEL = 'cancel_pending = true\ncancel_pending_after = "24h"\n'


@pytest.fixture(params=[False, True], ids=["no-boot-clock", "boot-clock"])
def tracker(tmp_path, request):
    clock, w = resumed_world(tmp_path, request.param, automation=CANCEL)
    yield clock, w, request.param
    w.close()


round_ = poll_round


def test_a_clock_set_ahead_cancels_no_pending_order_before_its_time(tracker):
    # Pending for an hour, the clock then set 30 h ahead: the order read as
    # Pending 31 h, and cancel_pending_after = 24h canceled it at once.
    clock, w, _ = tracker
    order = w.order(SERVICE_FOLLOWERS, "Pending")
    round_(w)
    clock.advance(H)
    round_(w)
    clock.step(30 * H)
    round_(w)
    assert w.panel.calls["cancel"] == 0
    assert w.store.order("sim", order)["status"] == "Pending"
    clock.advance(22 * H)  # 23 h Pending in real time
    round_(w)
    assert w.panel.calls["cancel"] == 0
    clock.advance(1.5 * H)  # 24.5 h: stale now
    round_(w)
    assert w.panel.calls["cancel"] == 1
    w.poll()
    assert w.store.order("sim", order)["status"] == "Canceled"


def test_a_pending_order_asleep_over_its_time_is_canceled_where_the_sleep_is_told(tracker):
    clock, w, boot = tracker
    order = w.order(SERVICE_FOLLOWERS, "Pending")
    round_(w)
    clock.advance(H)
    round_(w)
    clock.sleep(30 * H)  # suspended: 30 h passed
    round_(w)
    # The boot clock tells a sleep: canceled. Without it the sleep may be a
    # clock set ahead: held until 24 h have passed awake, never sooner.
    assert w.panel.calls["cancel"] == (1 if boot else 0)
    clock.advance(23.5 * H)
    round_(w)
    assert w.panel.calls["cancel"] == 1
    w.poll()
    assert w.store.order("sim", order)["status"] == "Canceled"
