"""A database busy for long is an outage: another process holding its write
lock (a sqlite3 shell left inside BEGIN, a script's transaction never
committed) stops every write of the daemon, and only the jobs' own log lines
said so: an operator alerted by webhook heard nothing while nothing was
recorded for hours. Now a job failing busy at 3 runs in a row over 10
minutes raises one store_unwritable, and its next success store_writable.
A busy moment (a one-off command writing) still alerts no one."""

from __future__ import annotations

import pytest
from test_disk import ListSink, scripted, store_error

from tracker.errors import StoreError
from tracker.jobs.base import Job
from tracker.jobs.health import STORE_UNWRITABLE, STORE_WRITABLE, StoreHealth

BUSY = "database is locked"


def runs(job: Job, clock, times: int, every: float) -> None:
    for _ in range(times):
        with pytest.raises(StoreError):  # each cycle still fails, and says why
            job.run()
        clock.advance(every)


def test_a_lock_held_for_long_raises_one_outage_and_its_end(clock):
    sink = ListSink()
    locked = [True]

    def probe() -> None:  # the daemon's tiny write: busy while the lock is held
        if locked[0]:
            raise store_error(BUSY)

    health = StoreHealth(sink=sink, clock=clock, probe=probe)
    poll = health.wrap(Job("status:a", 60, scripted([store_error(BUSY)] * 20 + [True])))
    balance = health.wrap(Job("balance:a", 60, scripted([store_error(BUSY)] * 20)))
    runs(poll, clock, 10, 60)  # 9 minutes of failed polls: still a busy spell
    assert sink.sent == []
    runs(poll, clock, 1, 60)  # the run at 10 minutes
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE]
    outage = sink.sent[0]
    assert "is busy (another process holds a write lock) for 10m00s, 11 runs" in outage.message
    assert "nothing new is recorded" in outage.message
    runs(poll, clock, 9, 60)
    runs(balance, clock, 20, 60)  # another job busy as long: the same outage
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE]
    locked[0] = False
    assert poll.run() is True  # the lock let go: the probe's write ends it
    assert [a.kind for a in sink.sent] == [STORE_UNWRITABLE, STORE_WRITABLE]


def test_busy_moments_are_no_outage(clock):
    sink = ListSink()
    health = StoreHealth(sink=sink, clock=clock)
    # Busy at every other run for an hour: each spell ends with a success.
    outcomes: list[Exception | bool] = [store_error(BUSY), store_error(BUSY), True] * 20
    poll = health.wrap(Job("status:a", 60, scripted(outcomes)))
    for outcome in outcomes:
        if outcome is True:
            assert poll.run() is True
        else:
            runs(poll, clock, 1, 60)
    # A daily job busy at two runs a day apart: two runs are no outage.
    sync = health.wrap(Job("services:a", 86400, scripted([store_error(BUSY)] * 2)))
    runs(sync, clock, 2, 86400)
    assert sink.sent == []
