"""The daemon says `daemon_started` before any job's line.

Seen in CI under load: the first poll, services sync and balance check all
logged before `daemon_started`, which was said once APScheduler's thread had
started, and its first runs were already under way: a person reading the
journal saw a poll before the daemon said it started. The first runs are
made to come before the scheduler's start returns, as on a loaded machine."""

from __future__ import annotations

import threading

import pytest
import structlog
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.jobs.base import Job
from tracker.service.daemon import Generation, JobStats, Scheduler

WAIT = 20.0  # only reached on a hang


@pytest.mark.usefixtures("fresh_logs")
def test_daemon_started_is_said_before_the_first_job_runs(monkeypatch):
    ran = threading.Event()

    def poll() -> bool:
        structlog.get_logger("test").info("poll_ran")
        ran.set()
        return True

    scheduler = Scheduler(JobStats())
    start = scheduler._scheduler.start

    def start_then_run(*args, **kwargs):  # a loaded machine: the thread runs first
        start(*args, **kwargs)
        assert ran.wait(WAIT)

    monkeypatch.setattr(scheduler._scheduler, "start", start_then_run)
    try:
        with capture_logs() as logs:
            scheduler.start(Generation([Job("status:a", 3600, poll)], threading.Event()))
            events = [e["event"] for e in logs]
    finally:
        scheduler.shutdown()
    assert events[0] == "daemon_started" and "poll_ran" in events, events
