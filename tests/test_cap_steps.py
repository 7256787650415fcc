"""The daily cap across several clock steps: a clock put right months ahead
after a smaller step, and a property check of the day the cap counts from
over random wall, monotonic and boot readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from logcapture import fresh_logs  # noqa: F401  (fixture)
from reorder_day import REORDERS, partial, reordered
from resumable import Resumable

from tracker.rules.cap_day import CapClock, cap_day
from tracker.rules.reorder_costs import day_start

H = 3600.0
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


@pytest.mark.usefixtures("fresh_logs")
def test_a_clock_set_back_past_midnight_spends_no_second_cap_when_it_comes_round_again(board):
    clock, w = board
    run = w.jobs["automation:sim"].run
    clock.advance(3 * H + 600)  # 00:10, really: a new day, nothing spent
    assert run() and reordered(w) == []
    clock.step(-H)  # set back an hour by mistake: 23:10 "yesterday"
    first = [partial(w), partial(w)]
    assert run() and reordered(w) == first  # 0.90 of today's 1.00, stamped 23:10
    clock.advance(H)  # 01:10 really, 00:10 by the clock: midnight came round again
    partial(w)
    assert run() and reordered(w) == first  # 0.90 + 0.45 is above the same day's cap


@pytest.mark.usefixtures("fresh_logs")
def test_a_clock_set_ahead_towards_midnight_spends_no_second_cap_when_it_passes_it(board):
    clock, w = board
    run = w.jobs["automation:sim"].run
    first = [partial(w), partial(w)]
    assert run() and reordered(w) == first  # 21:00: 0.90 of the day's 1.00
    clock.step(2 * H)  # set two hours ahead, wrongly: 23:00
    assert run()
    clock.advance(70 * 60)  # 22:10 really; 00:10 tomorrow by the clock
    third = partial(w)
    assert run() and reordered(w) == first
    clock.step(-2 * H)  # set right
    clock.advance(2 * H)  # 00:10 tomorrow, really: the cap starts over
    assert run() and reordered(w) == [*first, third]


# --- the day counted, over random readings -------------------------------------

START = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)
CAP = 3  # re-orders of 1 each


def simulate(events):
    """Given waits, sleeps (the boot clock counting them) and clock set wrong
    for a while then put right within the same real day, place a re-order at
    each look while the day's count allows; return (real time, stamp) of each,
    checking at each look that the day counted never starts after the real
    one, nor more than two days before it."""
    real, tick, boot = 0.0, 1000.0, 5000.0
    state, _ = cap_day(CapClock(), START, tick, boot)
    placed: list[tuple[float, datetime]] = []

    def look(wrong_by: float) -> None:
        nonlocal state
        wall = START + timedelta(seconds=real + wrong_by)
        state, counted = cap_day(state, wall, tick, boot)
        real_day = day_start(START + timedelta(seconds=real))
        if wrong_by == 0:
            assert real_day - timedelta(days=2) <= counted <= real_day
        spent = sum(1 for _, stamp in placed if stamp >= counted)
        placed.extend((real, wall) for _ in range(CAP - spent))

    for kind, seconds, lasting in events:
        if kind == "wait":
            real, tick, boot = real + seconds, tick + seconds, boot + seconds
            look(0.0)
        elif kind == "sleep":
            real, boot = real + seconds, boot + seconds
            look(0.0)
        else:  # the clock set wrong by `seconds`, put right before the real midnight
            now = START + timedelta(seconds=real)
            left = (day_start(now) + timedelta(days=1) - now).total_seconds()
            lasting = min(lasting, max(left - 1, 0.0))
            look(seconds)
            real, tick, boot = real + lasting, tick + lasting, boot + lasting
            look(seconds)
            look(0.0)
    return placed


EVENTS = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.floats(1, 30 * H), st.just(0.0)),
        st.tuples(st.just("sleep"), st.floats(1, 30 * H), st.just(0.0)),
        st.tuples(
            st.just("wrong"),
            st.one_of(st.floats(-23.9 * H, -6), st.floats(6, 23.9 * H)),
            st.floats(0, 24 * H),
        ),
    ),
    max_size=8,
).filter(lambda events: sum(abs(s) for k, s, _ in events if k == "wrong") <= 23.9 * H)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(EVENTS)
def test_no_real_day_spends_more_than_the_cap_whatever_the_clock_did(events):
    per_day: dict[datetime, int] = {}
    for real, _ in simulate(events):
        day = day_start(START + timedelta(seconds=real))
        per_day[day] = per_day.get(day, 0) + 1
    assert max(per_day.values(), default=0) <= CAP


def test_readings_of_the_boot_clock_and_then_the_monotonic_one_tell_no_step():
    state, day = cap_day(CapClock(), EVENING, 100.0, 100.0 + 5 * H)  # 5 h asleep since boot
    later = EVENING + timedelta(hours=3, minutes=30)  # 00:30 tomorrow
    state, day = cap_day(state, later, 100.0 + 3.5 * H, None)  # no boot clock this time
    assert day == day_start(later)  # not the day before: the 5 h asleep are no step
