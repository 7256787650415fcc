"""The daily cap across several clock steps: a clock put right months ahead
after a smaller step, and a property check of the day the cap counts from
over random wall, monotonic and boot readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable

from tracker.rules.cap_day import CapClock, cap_day
from tracker.rules.reorders import day_start

H = 3600.0
# followers at 0.90 per 1000: each Partial below (1000, 500 undelivered)
# re-orders 500 for 0.45; two (0.90) fit a cap of 1.00, three do not.
REORDERS = "reorder = true\nreorder_services = [1]\ndaily_cap = 1.0\n"
EVENING = datetime(2026, 3, 1, 21, 0, tzinfo=UTC)  # the board's build date, 21:00


@pytest.fixture(params=[False, True], ids=["no-boot-clock", "boot-clock"])
def board(tmp_path, request):
    """A tracker whose wall clock ran behind (a board without a battery-backed
    clock), with or without the boot clock."""
    from refill_world import World

    clock = Resumable(EVENING)
    boot = {"boottime": clock.boottime} if request.param else {}
    w = World(tmp_path, clock, automation=REORDERS, monotonic=clock.monotonic, **boot)
    assert w.sync_services()
    yield clock, w
    w.close()


def partial(w):
    """An order the tracker saw open and then Partial (500 undelivered)."""
    from tracker.sim.server import SERVICE_FOLLOWERS

    order_id = w.ended(SERVICE_FOLLOWERS)
    w.poll()
    return order_id


def reordered(w):
    from tracker.store import automation as automation_sql

    return sorted(
        a["order_id"] for a in automation_sql.actions(w.store) if a["action"] == "reorder"
    )


@pytest.mark.usefixtures("fresh_logs")
def test_a_clock_put_right_months_ahead_after_a_smaller_step_starts_that_days_cap(board):
    clock, w = board
    run = w.jobs["automation:sim"].run
    first = [partial(w), partial(w)]
    assert run() and reordered(w) == first  # 21:00 on the build date: 0.90 of 1.00
    clock.advance(600)
    clock.step(4 * H)  # set four hours ahead by hand: 01:10 "tomorrow", held as today
    assert run() and reordered(w) == first
    clock.advance(60)
    clock.step(275 * 24 * H)  # then NTP: nine months ahead, the real date
    assert w.sync_services()  # today's rates
    third = partial(w)
    assert run()
    # the real day's cap, not every re-order since the build date held against it
    assert reordered(w) == [*first, third]


def test_held_steps_adding_up_to_more_than_a_day_are_a_clock_put_right():
    state, day = cap_day(CapClock(), EVENING, 100.0)
    state, day = cap_day(state, EVENING + timedelta(hours=4), 160.0)  # held as the day before
    assert day == day_start(EVENING) and state.before_step is not None
    later = EVENING + timedelta(hours=4 + 21, minutes=2)  # 21 h more: 25 h ahead in all
    state, day = cap_day(state, later, 220.0)
    assert day == day_start(later) and state.before_step is None
