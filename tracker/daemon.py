"""The long-running process: APScheduler in UTC, signals, clean shutdown.

Signal handlers only set the stop event. The main thread waits on it, then
shuts the scheduler down, letting the job in flight finish its batch (every
call in it has a timeout, and retry waits end as soon as the event is set).
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from tracker.app import Job

log = structlog.get_logger("tracker.daemon")


@dataclass
class JobStats:
    """What the daemon knows of its jobs, for STATUS= lines and metrics."""

    runs: int = 0
    failures: int = 0
    last_ok: dict[str, float] = field(default_factory=dict)
    last_failed: set[str] = field(default_factory=set)
    durations: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def guarded(job: Job, stats: JobStats) -> Callable[[], bool]:
    """Wrap a job so it logs instead of raising, and counts its outcome."""

    def run() -> bool:
        started = time.monotonic()
        ok = False
        with structlog.contextvars.bound_contextvars(job=job.name):
            try:
                ok = bool(job.run())
            except Exception as exc:
                log.error("job_failed", error=str(exc), error_type=type(exc).__name__)
        with stats.lock:
            stats.runs += 1
            stats.durations[job.name] = time.monotonic() - started
            if ok:
                stats.last_ok[job.name] = time.time()
                stats.last_failed.discard(job.name)
            else:
                stats.failures += 1
                stats.last_failed.add(job.name)
        return ok

    return run


def run_once(jobs: list[Job], stats: JobStats | None = None) -> bool:
    """Run every job once, now, in order; return True when all succeeded."""
    stats = stats or JobStats()
    results = [guarded(job, stats)() for job in jobs]
    return all(results)


def install_signal_handlers(stop: threading.Event) -> None:
    def handler(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def run_daemon(
    jobs: list[Job],
    stop: threading.Event,
    *,
    stats: JobStats | None = None,
    on_ready: Callable[[], None] | None = None,
    tick: Callable[[], None] | None = None,
    tick_every: float = 1.0,
) -> None:
    """Schedule ``jobs`` (first run now) and block until ``stop`` is set.

    ``tick`` runs on the main thread every ``tick_every`` seconds (status
    updates); ``on_ready`` once the jobs are scheduled.
    """
    stats = stats or JobStats()
    scheduler = BackgroundScheduler(
        timezone="UTC",
        executors={"default": ThreadPoolExecutor(max(2, len(jobs)))},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    now = datetime.now(UTC)
    for job in jobs:
        scheduler.add_job(
            guarded(job, stats),
            "interval",
            seconds=job.every,
            id=job.name,
            name=job.name,
            next_run_time=now,
            # A run delayed by a long previous one still happens, up to most of
            # an interval late; later than that it is skipped, not fired twice.
            misfire_grace_time=max(1, int(job.every * 0.9)),
        )
    scheduler.start()
    log.info("daemon_started", jobs=[job.name for job in jobs])
    try:
        if on_ready is not None:
            on_ready()
        while not stop.wait(tick_every):
            if tick is not None:
                tick()
    finally:
        log.info("daemon_stopping")
        stop.set()
        scheduler.shutdown(wait=True)
        log.info("daemon_stopped", runs=stats.runs, failures=stats.failures)
