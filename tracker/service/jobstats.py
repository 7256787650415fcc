"""What the daemon knows of its jobs: runs, failures, what is running, progress.

Read by the STATUS= line, the metrics and the watchdog (which is fed only
while the jobs make progress).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

JobObserver = Callable[[str, float, bool, bool], None]


@dataclass
class JobStats:
    """What the daemon knows of its jobs, for STATUS= lines and metrics."""

    runs: int = 0
    failures: int = 0
    last_ok: dict[str, float] = field(default_factory=dict)
    last_failed: set[str] = field(default_factory=set)
    last_held: set[str] = field(default_factory=set)  # their last run held, not run
    durations: dict[str, float] = field(default_factory=dict)
    runs_by_job: Counter[str] = field(default_factory=Counter)
    failures_by_job: Counter[str] = field(default_factory=Counter)
    # Runs skipped while the job's panel is paused (the key refused): no failures.
    paused_by_job: Counter[str] = field(default_factory=Counter)
    # Refill rounds held while the panel's calls fail: no failures either.
    holds_by_job: Counter[str] = field(default_factory=Counter)
    running: dict[str, float] = field(default_factory=dict)  # job name -> started (epoch)
    # Monotonic time of the last sign of life of the jobs: a run starting or
    # ending, a panel call completing. The watchdog is fed only while it moves.
    progress: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called after each run with (job, seconds, ok, stopped): the metrics' histograms.
    observers: list[JobObserver] = field(default_factory=list)

    def touch(self) -> None:
        """Record progress (a panel call completed)."""
        self.progress = time.monotonic()

    def stalled(self, bound: float, now: float | None = None) -> list[str]:
        """Return the jobs running while nothing progressed for ``bound`` seconds."""
        now = time.monotonic() if now is None else now
        with self.lock:
            if not self.running or now - self.progress <= bound:
                return []
            return sorted(self.running)

    def snapshot(self) -> JobStats:
        """Return a consistent copy, safe to read without the lock."""
        with self.lock:
            return JobStats(
                runs=self.runs,
                failures=self.failures,
                last_ok=dict(self.last_ok),
                last_failed=set(self.last_failed),
                last_held=set(self.last_held),
                durations=dict(self.durations),
                runs_by_job=Counter(self.runs_by_job),
                failures_by_job=Counter(self.failures_by_job),
                paused_by_job=Counter(self.paused_by_job),
                holds_by_job=Counter(self.holds_by_job),
                running=dict(self.running),
                progress=self.progress,
            )

    def busy(self) -> bool:
        with self.lock:
            return bool(self.running)

    def forget(self, keep: Iterable[str]) -> None:
        """Drop what is known of every job not named in ``keep`` and not
        running: a reload that removed a panel removes its jobs' numbers from
        the STATUS= line and the metrics too (they would stay frozen)."""
        kept = set(keep)
        with self.lock:
            gone = {*self.last_ok, *self.durations, *self.runs_by_job, *self.last_failed}
            gone |= self.last_held
            for name in gone - kept - set(self.running):
                self.last_ok.pop(name, None)
                self.durations.pop(name, None)
                self.runs_by_job.pop(name, None)
                self.failures_by_job.pop(name, None)
                self.paused_by_job.pop(name, None)
                self.holds_by_job.pop(name, None)
                self.last_failed.discard(name)
                self.last_held.discard(name)
