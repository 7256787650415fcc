"""An order the panel calls unknown across a wall clock set ahead while the
daemon runs: the days the clock was set ahead are no days of the panel
calling it unknown, so it is not given up as lost (`schedule.unknown_give_up`,
3 days) for a clock's step. A sleep the boot clock tells is real time. On the
simulated panel on loopback, with the Tracker's own poll job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from resumable import Resumable

from tracker.sim.server import SERVICE_FOLLOWERS
from tracker.store.alerts import alerts_since

H, DAY = 3600.0, 86400.0
MISSING = 990_001  # an ID the panel does not know (yet)


@pytest.fixture(params=[False, True], ids=["no-boot-clock", "boot-clock"])
def tracker(tmp_path, request):
    from refill_world import World

    clock = Resumable(datetime(2026, 11, 1, 20, 0, tzinfo=UTC))
    boot = {"boottime": clock.boottime} if request.param else {}
    w = World(tmp_path, clock, monotonic=clock.monotonic, **boot)
    w.order(SERVICE_FOLLOWERS, "In progress")  # the panel answers: a witness
    w.store.track("sim", [MISSING], clock())
    yield clock, w, request.param
    w.close()


def polled(w) -> bool:
    return bool(w.store.order("sim", MISSING)["polling"])


def lost(w) -> list[dict]:
    return [a for a in alerts_since(w.store, None, limit=100) if a["kind"] == "order_lost"]


def test_a_clock_set_days_ahead_gives_up_no_order_called_unknown_for_an_hour(tracker):
    # Called unknown for an hour, the clock then set four days ahead: the
    # order read as unknown for four days and was given up at once, polled
    # no more (`orders --status lost`), though the panel may list it soon.
    clock, w, _ = tracker
    w.poll()
    clock.advance(H)
    w.poll()
    clock.step(4 * DAY)
    w.poll()
    assert polled(w) and lost(w) == []
    clock.advance(2 * DAY)  # 2 days and an hour really unknown
    w.poll()
    assert polled(w) and lost(w) == []
    clock.advance(DAY)  # past the 3 days
    w.poll()
    assert not polled(w)
    [alert] = lost(w)
    assert [o["order_id"] for o in alert["data"]["orders"]] == [MISSING]


def test_an_order_unknown_over_a_sleep_the_boot_clock_tells_is_given_up(tracker):
    clock, w, boot = tracker
    w.poll()
    clock.advance(H)
    w.poll()
    clock.sleep(4 * DAY)  # suspended four days: the panel called it unknown all along
    w.poll()
    # Without the boot clock the sleep may have been a step: given up later, never sooner.
    assert polled(w) is not boot
    clock.advance(3 * DAY)
    w.poll()
    assert not polled(w)
