"""Clock edges in alerts and automation: a sleep inside an outage, balance
history stamped in the future, the daily cap across a wrong midnight and a sleep over one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from laptop import laptop as on_a_laptop
from logcapture import fresh_logs  # noqa: F401  (fixture)
from reorder_day import REORDERS, partial, reordered
from resumable import Resumable
from structlog.testing import capture_logs

from tracker.service.runs import run_once
from tracker.store.alerts import alerts_since

H = 3600
START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def laptop(tmp_path):
    """A Tracker on a Resumable clock (a laptop that sleeps) and a simulated panel."""
    with on_a_laptop(tmp_path, START) as made:
        yield made


def messages(tracker, kind):
    return [r for r in alerts_since(tracker.store, None) if r["kind"] == kind]


# --- 1. panel_recovered after a sleep ------------------------------------------


@pytest.mark.usefixtures("fresh_logs")
def test_panel_recovered_after_a_sleep_says_the_time_watched_and_names_the_sleep(laptop):
    clock, panel, tracker, jobs = laptop
    panel.inject("json500", count=8)  # 4 runs of a status and a balance call
    with capture_logs():
        for _ in range(4):  # 14:00, 14:05, 14:10, 14:15: unreachable at 14:15
            run_once(jobs)
            clock.advance(300)
        clock.advance(-300 + 120)  # 14:17: the lid closed, asleep until 22:17
        clock.sleep(8 * H)
        run_once(jobs)  # answering again
    (unreachable,) = messages(tracker, "panel_unreachable")
    (recovered,) = messages(tracker, "panel_recovered")
    assert "for 15m" in unreachable["message"]
    assert recovered["message"] == (
        "main: answering again after 17m unreachable (plus 8h asleep or the clock set ahead)"
    )
    assert recovered["data"]["since"] == START.isoformat()
    assert recovered["data"]["watched_seconds"] == 17 * 60
    assert recovered["data"]["clock_skipped_seconds"] == 8 * H


def test_the_recovery_leaves_out_each_step_inside_the_episode_and_names_it():
    from tracker.rules.alerts import PANEL_RECOVERED
    from tracker.rules.clocksteps import Gap
    from tracker.rules.reach_episodes import Reachability, judge_call
    from tracker.rules.reachability import reachable_alert

    state, _ = judge_call(Reachability(), False, START, 900)
    state, kind = judge_call(state, False, START + timedelta(minutes=15), 900)
    assert kind == "panel_unreachable" and state.skipped == Gap()
    later = START + timedelta(minutes=20, hours=8)
    state, _ = judge_call(state, False, later, 900, step=Gap(8 * H))  # asleep, still failing
    assert state.skipped == Gap(8 * H) and state.episode.since == START
    back = later + timedelta(minutes=5) - timedelta(hours=1)
    state, _ = judge_call(state, False, back, 900, step=Gap(-H))  # NTP sets it back an hour
    assert state.skipped == Gap(7 * H)
    end, kind = judge_call(state, True, back + timedelta(minutes=5), 900)
    assert kind == PANEL_RECOVERED and end == Reachability()
    said = reachable_alert("main", START, back + timedelta(minutes=5), state.skipped)
    assert said.message == (
        "main: answering again after 30m unreachable (plus 7h asleep or the clock set ahead)"
    )
    set_back = reachable_alert("main", START, START + timedelta(minutes=10), Gap(-H))
    assert set_back.message == (
        "main: answering again after 1h10m unreachable (the clock was set back 1h meanwhile)"
    )
    assert set_back.data["watched_seconds"] == 70 * 60
    plain = reachable_alert("main", START, START + timedelta(minutes=10))
    assert plain.message == "main: answering again after 10m unreachable"
    assert plain.data["clock_skipped_seconds"] == 0


# --- 2. the runway after the clock was set back --------------------------------


def balance_checks(clock, panel, job, balances, every=H):
    """Answer each balance in turn, one balance check per ``every`` seconds;
    return the runway words each check logged."""
    said = []
    for amount in balances:
        panel.set_balance(amount)
        with capture_logs() as logs:
            run_once([job])
        said += [e["runway"] for e in logs if e["event"] == "balance_checked"]
        clock.advance(every)
    return said


@pytest.mark.usefixtures("fresh_logs")
def test_the_runway_after_the_clock_was_set_back_counts_no_spending_across_the_step(laptop):
    clock, panel, tracker, jobs = laptop
    (job,) = [j for j in jobs if j.name == "balance:main"]
    # 2.00 spent an hour (48/day) for 20 hours: 60.00 left, 30h of runway
    said = balance_checks(clock, panel, job, [100 - 2 * i for i in range(21)])
    assert said[-1] == "about 30h left at 48 USD/day"
    # The clock ran 5h30m ahead: NTP sets it back. Rows stamped 14:30 to 20:00
    # now lie in the "future"; the hourly checks go on at 2.00 an hour.
    clock.sleep(-5.5 * H)
    said = balance_checks(clock, panel, job, [58 - 2 * i for i in range(4)])
    assert said == [
        "about 29h left at 48 USD/day",
        "about 28h left at 48 USD/day",
        "about 27h left at 48 USD/day",
        "about 26h left at 48 USD/day",
    ]


def test_a_runway_counts_neither_the_time_nor_the_drop_across_a_step_back():
    from tracker.rules.balance import estimate_runway

    def at(hours):
        return START + timedelta(hours=hours)

    # checked hourly, 1.00 an hour; set back 3 hours between the 3rd and 4th check
    history = [(at(0), 10.0), (at(1), 9.0), (at(2), 8.0), (at(-0.5), 7.0), (at(0.5), 6.0)]
    runway = estimate_runway(history, 6.0)
    assert (runway.span, runway.spent, runway.rate_per_day) == (3 * H, 3.0, 24.0)
    # a day of checks stamped a year ahead (a clock that ran far ahead) counts
    # its newest day only, then the checks after the step
    ahead = [(at(24 * 365 + h), 100.0 - h) for h in range(48)]
    runway = estimate_runway([*ahead, (at(0), 52.0), (at(1), 51.0)], 51.0)
    assert runway.span == 24 * H and runway.rate_per_day == 24.0


# --- 3. the daily cap across a wrong midnight ----------------------------------

EVENING = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)


@pytest.fixture
def wrong_midnight(tmp_path):
    from refill_world import World

    clock = Resumable(EVENING)
    w = World(tmp_path, clock, automation=REORDERS, monotonic=clock.monotonic)
    assert w.sync_services()
    yield clock, w
    w.close()


@pytest.mark.usefixtures("fresh_logs")
def test_a_clock_jumping_past_midnight_and_back_spends_no_more_than_the_cap(wrong_midnight):
    clock, w = wrong_midnight
    run = w.jobs["automation:sim"].run
    first = [partial(w), partial(w)]
    assert run() and reordered(w) == first  # 21:00: 0.90 of the day's 1.00
    clock.advance(600)
    third = partial(w)
    clock.sleep(4 * H)  # 21:10: NTP steps the clock to 01:10 tomorrow, wrongly
    assert run()
    assert reordered(w) == first  # the same real day: 0.90 + 0.45 is above the cap
    clock.sleep(-4 * H)  # 21:15: set right again
    clock.advance(300)
    assert run() and reordered(w) == first
    clock.advance(3 * H)  # 00:15 tomorrow, really: the cap starts over
    assert run() and reordered(w) == [*first, third]


def test_the_cap_counts_the_day_before_until_the_monotonic_clock_passes_midnight():
    from tracker.rules.cap_day import CapClock, cap_day

    today = EVENING.replace(hour=0)
    tomorrow = today + timedelta(days=1)
    state, day = cap_day(CapClock(), EVENING, 100.0)
    assert day == today
    # 21:00 + 10 min; the wall clock says 01:10 tomorrow (stepped 4 h ahead)
    state, day = cap_day(state, EVENING + timedelta(hours=4, minutes=10), 700.0)
    assert day == today and state.before_step == (EVENING, 100.0)
    state, day = cap_day(state, EVENING + timedelta(minutes=15), 1000.0)  # set right
    assert day == today
    state, day = cap_day(state, EVENING + timedelta(hours=3), 100.0 + 3 * H)
    assert day == tomorrow and state.before_step is None  # really past midnight
    # no monotonic clock (a test's own): the wall clock's day, as before
    assert cap_day(CapClock(EVENING), EVENING + timedelta(hours=4), None)[1] == tomorrow
    # a step back: the wall clock's day (re-orders stamped ahead still count)
    assert cap_day(CapClock(EVENING, 100.0), EVENING - timedelta(hours=22), 160.0)[1] == (
        today - timedelta(days=1)
    )


def test_a_clock_put_right_after_running_months_behind_starts_todays_cap():
    # A board with no battery-backed clock starts at its build date; NTP puts
    # it right minutes later. Held as "the day before", the cap counted every
    # re-order since the build date and placed none until a restart.
    from tracker.rules.cap_day import CapClock, cap_day

    built = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    state, day = cap_day(CapClock(), built, 12.0)
    state, day = cap_day(state, EVENING, 75.0)  # NTP: nine months ahead
    assert day == EVENING.replace(hour=0) and state.before_step is None


@pytest.fixture
def evening(tmp_path):
    from refill_world import World

    clock = Resumable(EVENING)
    w = World(
        tmp_path, clock, automation=REORDERS, monotonic=clock.monotonic, boottime=clock.boottime
    )
    assert w.sync_services()
    yield clock, w
    w.close()


def test_after_a_real_sleep_over_midnight_the_cap_counts_the_new_day(evening):
    clock, w = evening
    run = w.jobs["automation:sim"].run
    evening_orders = [partial(w), partial(w)]
    assert run() and reordered(w) == evening_orders  # 21:00: 0.90 of the day's 1.00
    clock.sleep(10 * H)  # the lid closed at 21:00, opened at 07:00 tomorrow
    morning = [partial(w), partial(w), partial(w)]
    assert run()
    assert reordered(w) == [*evening_orders, *morning[:2]]  # a new day: a full cap again


def test_a_clock_set_ahead_past_midnight_still_counts_the_day_before(evening):
    clock, w = evening
    run = w.jobs["automation:sim"].run
    first = [partial(w), partial(w)]
    assert run() and reordered(w) == first
    clock.advance(600)
    third = partial(w)
    clock.step(4 * H)  # 21:10: NTP steps the clock to 01:10 tomorrow, wrongly
    assert run() and reordered(w) == first  # the boot clock saw no midnight
    clock.step(-4 * H)
    clock.advance(3 * H)  # 00:10 tomorrow, really
    assert run() and reordered(w) == [*first, third]
