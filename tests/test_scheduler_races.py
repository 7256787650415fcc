"""The daemon's scheduler against APScheduler's own thread: a reload racing
its job processing, a clock step during a panel's first poll, and the
private APScheduler 3.x fields a reload reads (caught here at an upgrade).

Jobs are small functions coordinated with events, run by the real
APScheduler; the interleavings are forced through a logging filter on
APScheduler's own debug line, so nothing depends on timing. Waits are
bounded only to turn a hang into a failure.
"""

from __future__ import annotations

import logging
import threading
import time

from waits import idle, until

from tracker.jobs.base import Job
from tracker.service.daemon import Generation, JobStats, Scheduler

WAIT = 10.0


class Jobs:
    """A generation of named jobs (hourly) that record their starts and ends."""

    def __init__(self, *names: str, hold: str = ""):
        self.started = {n: threading.Event() for n in names}
        self.ended = {n: threading.Event() for n in names}
        self.order: list[str] = []
        self.release = threading.Event()
        self.hold = hold  # this job's runs wait for ``release``
        self.stop_event = threading.Event()
        self.generation = Generation(
            [Job(n, 3600, self._runner(n)) for n in names], self.stop_event
        )

    def _runner(self, name: str):
        def run() -> bool:
            self.order.append(f"{name} started")
            self.started[name].set()
            if name == self.hold:
                self.release.wait(WAIT)
            self.order.append(f"{name} ended")
            self.ended[name].set()
            return True

        return run


class Between(logging.Filter):
    """Holds APScheduler's job processing once, just past its paused check
    (its "Looking for jobs to run" line), until ``go`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.inside, self.go = threading.Event(), threading.Event()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.armed and record.msg == "Looking for jobs to run":
            self.armed = False
            self.inside.set()
            self.go.wait(WAIT)
        return False  # no debug chatter in the test's output


def test_a_new_panels_refill_round_starts_when_job_processing_was_under_way_at_the_reload():
    # SIGHUP adding a panel just as APScheduler's thread woke (a job's turn,
    # the heartbeat): pausing the scheduler while the reload added the jobs
    # did not stop a round of job processing already past its paused check.
    # It started the new panel's poll, which ended (a refused call) before
    # the refill round was added: nothing released the round, and it never
    # ran until a restart, in silence.
    stats = JobStats()
    old = Jobs("status:a")
    scheduler = Scheduler(stats)
    scheduler.start(old.generation)
    assert old.ended["status:a"].wait(WAIT)
    end = time.monotonic() + WAIT
    while scheduler._in_flight() and time.monotonic() < end:  # its end told APScheduler
        time.sleep(0.01)
    new = Jobs("status:a", "status:b", "refill:b")
    between = Between()
    aps = logging.getLogger("apscheduler.scheduler")
    level, real_add_gen, real_add_job = aps.level, scheduler._add, scheduler._scheduler.add_job

    def add_generation(*args, **kwargs):
        first = real_add_gen(*args, **kwargs)
        between.armed = True
        scheduler._scheduler.wakeup()  # a turn came: job processing begins
        assert between.inside.wait(WAIT)
        return first

    added: list[str] = []

    def add_job(*args, **kwargs):
        if kwargs.get("id") == "refill:b":  # as the round is being added
            between.go.set()  # processing goes on: the poll is due, if added
            if "status:b" in added:  # it runs, ends, and its end is told first
                until(lambda: stats.snapshot().runs_by_job["status:b"], "the new poll never ran")
            # (else it cannot start before it is added: no wait, where a fixed
            # 0.5 s, then 0.1 s, were waited out whichever came first)
        added.append(kwargs.get("id"))
        return real_add_job(*args, **kwargs)

    aps.setLevel(logging.DEBUG)
    aps.addFilter(between)
    scheduler._add = add_generation
    scheduler._scheduler.add_job = add_job
    try:
        scheduler.replace(new.generation)
        new.started["refill:b"].wait(WAIT)
    finally:
        between.go.set()
        aps.removeFilter(between)
        aps.setLevel(level)
        scheduler.shutdown()
    assert new.ended["status:b"].is_set()
    assert new.started["refill:b"].is_set(), "the new panel's refill round never ran"
    assert new.order.index("refill:b started") > new.order.index("status:b ended")


def test_a_clock_step_during_a_panels_first_poll_leaves_its_refill_round_waiting_for_it():
    # The clock stepped (NTP at boot, soon after the daemon started) while
    # a panel's first poll ran: every job was set to run at once, the refill
    # round and stall watch held for that poll too. They judged what the
    # database said when the tracker stopped, beside the poll, and ran again
    # once it ended. They wait for the poll, as at any start.
    stats = JobStats()
    gen = Jobs("status:x", "refill:x", hold="status:x")
    scheduler = Scheduler(stats)
    scheduler.start(gen.generation)
    try:
        assert gen.started["status:x"].wait(WAIT)
        scheduler.run_all_now()  # what the main loop does on `clock_stepped`
        # Nothing due, nothing in flight but the poll: a round set to run at
        # once has run by now (a fixed 0.5 s gave it the time on a quiet host only).
        until(lambda: idle(scheduler, frozenset({"status:x"})), "the step never went quiet")
        assert not gen.started["refill:x"].is_set(), "the round ran beside the first poll"
        gen.release.set()
        assert gen.started["refill:x"].wait(WAIT)
        assert gen.ended["refill:x"].wait(WAIT)
    finally:
        gen.release.set()
        scheduler.shutdown()
    assert gen.order == ["status:x started", "status:x ended", "refill:x started", "refill:x ended"]


UPGRADE = (
    "APScheduler's executor no longer keeps {} as 3.11 does: Scheduler._in_flight "
    "(a reload's count of the runs in flight) must be rewritten for this version"
)


def test_apscheduler_still_counts_each_jobs_runs_where_a_reload_reads_them():
    # Scheduler._in_flight reads the default executor's private run count
    # (``_instances``, under ``_lock``): a run handed to a worker but not
    # started yet is known there alone. An APScheduler upgrade that drops or
    # changes them fails here, not at a reload in production.
    scheduler = Scheduler(JobStats())
    pool = scheduler._pool
    assert getattr(pool, "_lock", "gone") is None, UPGRADE.format("_lock (None until started)")
    assert isinstance(getattr(pool, "_instances", None), dict), UPGRADE.format("_instances")
    assert scheduler._in_flight() == set()  # not started: no lock to take
    gen = Jobs("status:x", hold="status:x")
    scheduler.start(gen.generation)
    try:
        assert gen.started["status:x"].wait(WAIT)
        lock = pool._lock
        assert hasattr(lock, "__enter__"), UPGRADE.format("_lock")
        with lock, lock:  # reentrant: a run over before it was counted is told inside it
            assert dict(getattr(pool, "_instances", {})) == {"status:x": 1}, UPGRADE.format(
                "_instances (job id: runs handed over and not ended)"
            )
        assert scheduler._in_flight() == {"status:x"}
        gen.release.set()
        end = time.monotonic() + WAIT
        while any(pool._instances.values()) and time.monotonic() < end:
            time.sleep(0.01)
        assert not any(pool._instances.values()), UPGRADE.format("_instances counted down")
        assert scheduler._in_flight() == set()
    finally:
        gen.release.set()
        scheduler.shutdown()
