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
