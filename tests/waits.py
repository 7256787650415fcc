"""A wait in a test for what the daemon's threads do: its deadline only
guards against a hang; nothing asserts how fast anything is."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

WAIT = 20.0  # seconds: only ever reached when something hangs


def until(done: Callable[[], object], what: str, wait: float = WAIT) -> None:
    """Poll ``done`` until it is true; fail with ``what`` after ``wait`` seconds."""
    end = time.monotonic() + wait
    while not done():
        assert time.monotonic() < end, what
        time.sleep(0.02)


def next_turns(scheduler: Any) -> dict[str, float]:
    """Given the daemon's Scheduler, return each scheduled job's seconds to
    its next run (a job run at once: about 0), by job ID."""
    now = datetime.now(UTC)
    return {
        j.id: (j.next_run_time - now).total_seconds()
        for j in scheduler._scheduler.get_jobs()
        if j.next_run_time is not None
    }


def settled(stats: Any, scheduler: Any) -> bool:
    """Whether the daemon's job runs have ended, by its own stats and by
    APScheduler's count of runs in flight: a run APScheduler still counts
    when a reload comes is cut short by it and run again at once (by
    design), so a test reloading after the first runs waits for both (a
    race lost on a loaded machine)."""
    return not stats.busy() and not scheduler._in_flight()


AHEAD = 60.0  # seconds: a turn this far off comes long after any test has ended


def idle(scheduler: Any, running: frozenset[str] = frozenset()) -> bool:
    """Whether the daemon's Scheduler has gone quiet: no run in flight but
    those of the jobs named in ``running`` (held open by the test), and no
    job due (each one's turn at least AHEAD seconds off, or held: None).
    Once true it stays true until the test moves something (a held run let
    go, a job added or released by the test's own thread): a job that must
    NOT have run has then had every chance to, so asserting its absence
    misses nothing, where a fixed sleep gave it the time on a quiet host only.

    A job is only made due by a run (a first poll releasing its panel's held
    jobs) or by the test; a run's whole life, from APScheduler's hand-over to
    its end, is seen in the in-flight count or the run count, read before and
    after the turns: no run can slip between the reads unseen."""
    runs = scheduler.stats.snapshot().runs
    if scheduler._in_flight() != running:
        return False
    if any(turn < AHEAD for turn in next_turns(scheduler).values()):
        return False
    return scheduler._in_flight() == running and scheduler.stats.snapshot().runs == runs
