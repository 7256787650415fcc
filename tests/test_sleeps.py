"""Sleeps and clock steps inside an episode: every recovery alert says the time
the tracker watched and names what it did not watch, and the boot clock
(CLOCK_BOOTTIME) tells a sleep (real time passed) from the clock set ahead.

A Tracker against the simulated panel over loopback HTTP, on a Resumable
clock (tests/resumable.py); jobs driven directly, nothing sleeps for real.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from laptop import laptop
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.service.runs import run_once
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

H = 3600
START = datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path, request):
    """A laptop (tests/laptop.py; its boot clock passed when the parameter is
    True) whose balance is below ``balance.low``."""
    with laptop(tmp_path, START, boot=request.param, balance={"low": 10}) as made:
        made[1].set_balance("5.00")
        yield made


def failing_then_away(clock, jobs, away) -> None:
    """Run the jobs at 14:00, 14:05, 14:10 and 14:15 (the episodes open by
    then), at 14:17 be ``away`` (a sleep or a step of 8 hours); then run them
    once more."""
    with capture_logs():
        for _ in range(4):
            run_once(jobs)
            clock.advance(300)
        clock.advance(-300 + 120)
        away(8 * H)
        run_once(jobs)


def last(tracker, kind):
    return [r for r in alerts_since(tracker.store, None) if r["kind"] == kind][-1]


# --- every recovery: the time watched, the gap named ------------------------


def unreachable(panel, jobs):
    panel.inject("json500", count=8)  # 4 runs of a status and a balance call
    return jobs, "panel_recovered", "main: answering again after 17m unreachable"


def status_failing(panel, jobs):
    panel.inject("json500", count=4, action="status")  # balance answers: no panel_unreachable
    return jobs, "status_recovered", "main: status checks work again after 17m of failed polls"


def balance_low(panel, jobs):
    balance = [j for j in jobs if j.name == "balance:main"]
    recovered = "main: balance back to 100.00 USD (above 10.50 USD) after 17m"
    return balance, "balance_recovered", recovered


@pytest.mark.parametrize("episode", [unreachable, status_failing, balance_low])
@pytest.mark.parametrize(
    ("world", "away", "words", "asleep", "set_by"),
    [
        (False, "sleep", " (plus 8h asleep or the clock set ahead)", None, None),
        (True, "sleep", " (plus 8h asleep)", 8 * H, 0),
        (True, "step", " (the clock was set ahead 8h meanwhile)", 0, 8 * H),
    ],
    indirect=["world"],
)
def test_each_recovery_says_the_time_watched_and_names_the_sleep_or_step(
    world, episode, away, words, asleep, set_by
):
    # Without the boot clock (``world`` False) a sleep and a step look alike.
    clock, panel, tracker, jobs = world
    jobs, kind, said = episode(panel, jobs)

    def gone(seconds):
        getattr(clock, away)(seconds)
        panel.set_balance("100.00")

    failing_then_away(clock, jobs, gone)
    recovered = last(tracker, kind)
    assert recovered["message"] == said + words
    data = recovered["data"]
    assert data.get("since", data.get("low_since")) == START.isoformat()
    assert data["watched_seconds"] == 17 * 60
    assert data["clock_skipped_seconds"] == 8 * H
    assert (data["asleep_seconds"], data["clock_set_seconds"]) == (asleep, set_by)


def test_a_recovery_with_no_gap_says_what_it_said():
    from tracker.rules.polling import recovered_alert

    plain = recovered_alert("main", START, START + timedelta(minutes=30))
    assert plain.message == "main: status checks work again after 30m of failed polls"
    assert plain.data["watched_seconds"] == 30 * 60 and plain.data["clock_skipped_seconds"] == 0


def test_a_recovery_with_no_gap_says_nothing_asleep_nor_set():
    # A webhook read `"asleep_seconds": null, "clock_set_seconds": null` for
    # an outage with no sleep and no step in it, on Linux too: the words the
    # README keeps for "a sleep cannot be told from a step". Nothing passed
    # unwatched, so both parts are 0 wherever the tracker runs.
    from tracker.rules.polling import recovered_alert
    from tracker.rules.reachability import reachable_alert

    later = START + timedelta(minutes=30)
    for alert in (recovered_alert("main", START, later), reachable_alert("main", START, later)):
        parts = (alert.data["asleep_seconds"], alert.data["clock_set_seconds"])
        assert parts == (0, 0), alert.kind
        assert alert.data["clock_skipped_seconds"] == 0


def test_a_gap_is_told_apart_by_the_boot_clock_and_named_in_parts():
    from tracker.rules.clocksteps import Gap, clock_gap
    from tracker.rules.watched import watched

    def at(hours):
        return START + timedelta(hours=hours)

    # (wall, monotonic, boot): 8 h asleep; 8 h set ahead; asleep 8 h and set back 1 h
    before = (START, 100.0, 500.0)
    assert clock_gap(before, (at(8), 100.0, 500.0 + 8 * H)) == Gap(8 * H, 8 * H)
    assert clock_gap(before, (at(8), 100.0, 500.0)) == Gap(8 * H, 0.0)
    assert clock_gap(before, (at(7), 100.0, 500.0 + 8 * H)) == Gap(7 * H, 8 * H)
    assert clock_gap(before, (at(8), 100.0, None)) == Gap(8 * H)  # no boot clock
    assert not clock_gap(before, (at(1), 100.0 + H, 500.0 + H))  # awake, no step
    both = watched(START, at(7.5), Gap(7 * H, 8 * H))
    assert both.aside == " (plus 8h asleep; the clock was set back 1h meanwhile)"
    assert both.seconds == 30 * 60
    # gaps summed inside one episode: a sleep not told apart makes the sum not told apart
    assert Gap(8 * H, 8 * H) + Gap(-H, 0.0) == Gap(7 * H, 8 * H)
    assert Gap(8 * H, 8 * H) + Gap(H) == Gap(9 * H)
    assert watched(START, at(9.5), Gap(9 * H)).aside == " (plus 9h asleep or the clock set ahead)"


def test_the_daemon_reads_the_boot_clock_where_linux_has_one(tmp_path):
    import sys
    import time

    from tracker.clock import boottime
    from tracker.config.load import config_from_dict
    from tracker.jobs.base import Core

    data = {
        "database": {"path": str(tmp_path / "tracker.db")},
        "panels": [{"name": "main", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
    }
    config = config_from_dict(data, base_dir=tmp_path, env={})
    core = Core(config)  # the real clocks
    own = Core(config, clock=lambda: START)  # a clock of the caller's own: no boot clock
    try:
        if sys.platform.startswith("linux"):
            boot = core.boottime()
            assert boot is not None and boot >= time.monotonic() - 1
        else:
            assert boottime() is None
        assert own.boottime() is None
    finally:
        core.store.close()
        own.store.close()
