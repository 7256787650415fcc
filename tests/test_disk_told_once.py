"""An outage is told once, its recovery once: with the disk full every job
run logged ``job_failed`` at error, every run, the store_unwritable alert
having said it already; the journal's one line that mattered drowned. Now
the run that opens the outage is loud, those failing for its cause after it
log ``job_failed`` at debug (``told_by``), still counted as failures, and
the recovery alert counts them. The same for a long busy spell."""

from __future__ import annotations

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.contextvars import merge_contextvars
from structlog.testing import capture_logs
from test_disk import FULL, ListSink, scripted, store_error

from tracker.jobs.base import Job
from tracker.jobs.health import STORE_UNWRITABLE, STORE_WRITABLE, StoreHealth
from tracker.service.jobstats import JobStats
from tracker.service.runs import guarded

BUSY = "database is locked"


def failed_lines(logs: list[dict]) -> list[tuple[str, str]]:
    return [(e["job"], e["log_level"]) for e in logs if e["event"] == "job_failed"]


@pytest.mark.usefixtures("fresh_logs")
def test_a_full_disk_is_one_loud_line_then_quiet_runs_still_counted(clock):
    sink, stats = ListSink(), JobStats()
    full = [True]

    def probe() -> None:  # the daemon's one-page write: fails while the disk is full
        if full[0]:
            raise store_error(FULL)

    health = StoreHealth(sink=sink, clock=clock, probe=probe)
    poll = guarded(health.wrap(Job("status:a", 60, scripted([store_error(FULL)] * 3))), stats)
    balance = guarded(health.wrap(Job("balance:a", 60, scripted([store_error(FULL)] * 2))), stats)
    other = guarded(
        health.wrap(Job("services:a", 60, scripted([store_error("no such table: x")]))), stats
    )
    with capture_logs([merge_contextvars]) as logs:
        for run in (poll, balance, poll, other, balance, poll):
            assert run() is False
            clock.advance(60)
    assert failed_lines(logs) == [
        ("status:a", "error"),  # the first failure: beside the alert, loud
        ("balance:a", "debug"),  # the same cause, the alert said it
        ("status:a", "debug"),
        ("services:a", "error"),  # another cause: news
        ("balance:a", "debug"),
        ("status:a", "debug"),
    ]
    assert [e.get("told_by") for e in logs if e["event"] == "job_failed"][1] == STORE_UNWRITABLE
    assert stats.failures == 6 and stats.failures_by_job["status:a"] == 3  # metrics count all
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE]

    full[0] = False  # space freed: the next run's probe ends it, loudly
    ok = guarded(health.wrap(Job("status:a", 60, scripted([True]))), stats)
    assert ok() is True
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE, STORE_WRITABLE]
    assert "(5 failed job runs meanwhile)" in sink.sent[1].message
    assert sink.sent[1].data["failed_runs"] == 5

    # The next outage is news again.
    full[0] = True
    again = guarded(health.wrap(Job("status:a", 60, scripted([store_error(FULL)]))), stats)
    with capture_logs([merge_contextvars]) as logs:
        assert again() is False
    assert failed_lines(logs) == [("status:a", "error")]


@pytest.mark.usefixtures("fresh_logs")
def test_a_long_busy_spell_is_loud_until_its_outage_opens_then_quiet(clock):
    sink, stats = ListSink(), JobStats()

    def probe() -> None:  # the daemon's one-page write: busy while the lock is held
        raise store_error(BUSY)

    health = StoreHealth(sink=sink, clock=clock, probe=probe)
    poll = guarded(health.wrap(Job("status:a", 60, scripted([store_error(BUSY)] * 13))), stats)
    balance = guarded(health.wrap(Job("balance:a", 60, scripted([store_error(BUSY)]))), stats)
    with capture_logs([merge_contextvars]) as logs:
        for _ in range(11):  # a busy moment until 10 minutes: each its own line
            assert poll() is False
            clock.advance(60)
        assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE]
        assert poll() is False
        assert balance() is False  # busy too, inside the busy outage
        assert poll() is False
    levels = [level for _, level in failed_lines(logs)]
    assert levels == ["error"] * 11 + ["debug"] * 3
    assert stats.failures == 14
