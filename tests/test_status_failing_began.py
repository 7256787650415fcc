"""``status_failing`` counts from when the poll's first failed status call
began, not from the poll's end after that call's retries (up to
``retry_budget``, 2 min by default): the episode's start was that late and
its recovery's "after Xm" that short, as ``panel_unreachable``'s was before
:func:`tracker.rules.clocksteps.call_began`.

A Tracker on a clock of the test's own; each status call is told to its
Watch as the client's whole-call observer tells it (the call's seconds on
the monotonic clock), then the poll's end, as ``Tracker.poll`` does. No
network: the balance calls' answers keep the panel reachable.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

START = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
ERROR = "main: status: HTTP 500: answered an HTML page (500 Internal Server Error)"


def at(seconds: float) -> str:
    return (START + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def tracker_on(tmp_path: Path, clock: Resumable) -> Tracker:
    config = config_from_dict(
        {
            "database": {"path": str(tmp_path / "tracker.db")},
            "panels": [{"name": "main", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 16}],
            "refill": {"enabled": False},
            "alerts": {"unreachable_after": "15m"},
        },
        base_dir=tmp_path,
        env={},
    )
    return Tracker(config, clock=clock, monotonic=clock.monotonic, boottime=clock.boottime)


def poll(tracker: Tracker, clock: Resumable, *calls: tuple[float, bool]) -> None:
    """A poll of "main" whose status calls, one after another, took
    (seconds, answered); the balance job answers after it."""
    watch = tracker.watch
    errors = []
    with capture_logs():
        for seconds, answered in calls:
            clock.advance(seconds)
            watch.reach.observe("main", "status", answered, seconds, None if answered else ERROR)
            if not answered:
                errors.append(ERROR)
        watch.after_status("main", errors)
        watch.reach.observe("main", "balance", True, 0.2, None)


def alerts(tracker: Tracker) -> list[dict[str, Any]]:
    return alerts_since(tracker.store, None)


def test_status_failing_counts_from_the_first_failed_status_calls_start(tmp_path: Path) -> None:
    clock = Resumable(START)
    tracker = tracker_on(tmp_path, clock)
    poll(tracker, clock, (0.3, True))  # 00:00:00: every order checked
    clock.advance(300)  # 00:05: the next poll's status call fails after 2 min of retries
    poll(tracker, clock, (120.0, False))
    clock.advance(300)
    poll(tracker, clock, (120.0, False))  # 00:12 to 00:14
    assert alerts(tracker) == []  # failing for 9 minutes
    clock.advance(300)
    poll(tracker, clock, (120.0, False))  # 00:19 to 00:21: 16 minutes (14 from the poll's end)
    (failing,) = alerts(tracker)
    assert failing["kind"] == "status_failing"
    assert failing["data"]["since"] == at(300)
    assert failing["message"].startswith(
        "main: status checks have left orders unchecked at every poll for 16m: status:"
    )
    clock.advance(300)
    poll(tracker, clock, (0.3, True))  # 00:26: checked again
    recovered = alerts(tracker)[-1]
    assert recovered["kind"] == "status_recovered"
    assert recovered["message"] == "main: status checks work again after 21m of failed polls"
    tracker.close()


def test_never_before_the_panels_last_answer_to_a_status_call(tmp_path: Path) -> None:
    clock = Resumable(START)
    tracker = tracker_on(tmp_path, clock)
    poll(tracker, clock, (0.3, True))
    clock.advance(300)
    # 00:05: two batches asked at once; one answered after 60 s, the other
    # failed after 120 s of retries.
    clock.advance(60)
    tracker.watch.reach.observe("main", "status", True, 60.0, None)
    clock.advance(60)
    tracker.watch.reach.observe("main", "status", False, 120.0, ERROR)
    with capture_logs():
        tracker.watch.after_status("main", [ERROR])
    for _ in range(2):
        clock.advance(300)
        poll(tracker, clock, (120.0, False))
    (failing,) = alerts(tracker)
    # Not from the failed call's start (00:05:00.3): the panel answered a
    # status call at 00:06:00.3, the run begins after it.
    assert failing["data"]["since"] == at(360)
    tracker.close()


def test_a_poll_that_checked_every_order_ends_the_run_of_failed_status_calls(
    tmp_path: Path,
) -> None:
    clock = Resumable(START)
    tracker = tracker_on(tmp_path, clock)
    poll(tracker, clock, (120.0, False))  # 00:02: a failed poll
    clock.advance(300)
    poll(tracker, clock)  # 00:07: nothing due, no call: it failed nothing
    clock.advance(3600)  # 01:07: the status calls fail again
    poll(tracker, clock, (120.0, False))
    assert alerts(tracker) == []  # from 01:07, not from 00:00
    for _ in range(2):  # 01:14 to 01:16, 01:21 to 01:23
        clock.advance(300)
        poll(tracker, clock, (120.0, False))
    (failing,) = alerts(tracker)
    assert failing["data"]["since"] == at(4020)  # 01:07:00, when its first call began
    tracker.close()


def test_a_clock_step_during_the_run_counts_it_from_the_polls_end(tmp_path: Path) -> None:
    clock = Resumable(START)
    tracker = tracker_on(tmp_path, clock)
    poll(tracker, clock, (0.3, True))
    clock.advance(300)
    clock.advance(100)
    clock.step(3600)  # the clock set an hour ahead while a status call retries
    clock.advance(20)
    tracker.watch.reach.observe("main", "status", False, 120.0, ERROR)  # ends 01:07:00.3
    with capture_logs():
        tracker.watch.after_status("main", [ERROR])
    for _ in range(3):
        clock.advance(300)
        poll(tracker, clock, (120.0, False))
    (failing,) = alerts(tracker)
    # From the first failed poll's end, the clock's reading then: not an
    # hour earlier, nor a start read on the clock before its step.
    assert failing["data"]["since"] == at(3600 + 420)
    tracker.close()
