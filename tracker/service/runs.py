"""One run of a job, as the daemon and ``run --once`` make it: logged
(``job_started``, ``job_done``, ``job_failed``, ``job_stopped``), counted in
:class:`~tracker.service.jobstats.JobStats`, never raising. A run its paused
panel skipped (the key refused: :class:`~tracker.errors.JobPaused`), or
that met the refusal which paused it, is no failure: counted apart, and not
timed; so is a refill round held while its panel's calls fail
(:class:`~tracker.errors.JobHeld`). Nor is a run that ends without
success once its stop event is set (SIGTERM, a reload retiring its
generation): a call on the wire ending at its deadline then is the stop's,
and so is a refusal of the key it met then (a retired generation pauses
nothing: the new one asks the key again), not counted as paused.

And which jobs run (``--panel``). Apart from :mod:`tracker.service.daemon`
so that ``run --once`` loads none of the scheduler's modules (the handover,
the clock watch, the first runs' stages).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

from tracker.errors import JobHeld, JobPaused, StopRequested, TrackerError
from tracker.jobs.base import Job
from tracker.service.jobstats import JobStats

if TYPE_CHECKING:
    from tracker.config.model import Config
    from tracker.jobs.tracker import Tracker

log = structlog.get_logger("tracker.daemon")


def guarded(
    job: Job, stats: JobStats, retired: threading.Event | None = None
) -> Callable[[], bool]:
    """Wrap a job so it logs instead of raising, and counts its outcome.

    A run that starts after ``retired`` is set is skipped: its generation's
    store and clients may already be closed.
    """

    def run() -> bool:
        with stats.lock:
            if retired is not None and retired.is_set():
                return False
            stats.running[job.name] = time.time()
            stats.progress = time.monotonic()
        started = time.monotonic()
        ok = stopped = paused = held = False
        try:
            with structlog.contextvars.bound_contextvars(job=job.name):
                log.debug("job_started", job=job.name)  # with job_done: which ran when
                try:
                    ok = bool(job.run())
                except StopRequested as exc:  # a stop or reload: the rest not sent, not failed
                    stopped = True
                    log.info("job_stopped", job=job.name, reason=exc.detail)
                except JobPaused:  # not run: panel_paused said why, panel_resumed says when
                    # A reload's retired generation pauses nothing: its run the stop's
                    paused = not _cut_short(retired, job.name, "the key refused once the stop came")
                    stopped = not paused
                except JobHeld:  # not run, on purpose: refill_round_held said why
                    held = True
                except TrackerError as exc:  # a call, a write: cut short by a stop, or failed
                    stopped = _cut_short(retired, job.name, f"{type(exc).__name__}: {exc}")
                    told_by = getattr(exc, "told_by", None)  # an open outage's alert said it
                    if not stopped and told_by is not None:
                        log.debug(
                            "job_failed",
                            error=str(exc),
                            error_type=type(exc).__name__,
                            told_by=told_by,
                        )
                    elif not stopped:
                        log.error("job_failed", error=str(exc), error_type=type(exc).__name__)
                except Exception as exc:  # a bug: a failure, stop or not; its traceback
                    log.exception("job_failed", error=str(exc), error_type=type(exc).__name__)
                else:
                    stopped = not ok and _cut_short(
                        retired, job.name, "it failed once the stop came"
                    )
        finally:
            seconds = time.monotonic() - started
            with stats.lock:
                stats.running.pop(job.name, None)
                stats.progress = time.monotonic()
                stats.runs += 1
                stats.runs_by_job[job.name] += 1
                stats.durations[job.name] = seconds
                if ok or paused or held:  # no failure: the job's last one is past (STATUS=)
                    stats.last_failed.discard(job.name)
                if ok:
                    stats.last_ok[job.name] = time.time()
                elif paused:
                    stats.paused_by_job[job.name] += 1
                elif held:
                    stats.holds_by_job[job.name] += 1
                elif not stopped:
                    stats.failures += 1
                    stats.failures_by_job[job.name] += 1
                    stats.last_failed.add(job.name)
                (stats.last_held.add if held else stats.last_held.discard)(job.name)
            for observer in () if paused or held else stats.observers:  # nothing to time
                observer(job.name, seconds, ok, stopped)
            log.debug(
                "job_done",
                job=job.name,
                ok=ok,
                stopped=stopped,
                paused=paused,
                held=held,
                seconds=round(seconds, 3),
            )
        return ok

    return run


def _cut_short(retired: threading.Event | None, job: str, reason: str) -> bool:
    """Return True (and say ``job_stopped``) when a run that did not succeed
    ended once ``retired`` was set (SIGTERM, a reload): its calls on the wire
    ended at their deadlines, its retries and waits were cut short: the
    stop's, not a failure of the job (``job_failures_total``, STATUS=,
    ``daemon_stopped``'s failures)."""
    if retired is None or not retired.is_set():
        return False
    log.info("job_stopped", job=job, reason=reason)
    return True


def run_once(jobs: list[Job], stats: JobStats | None = None) -> bool:
    """Run every job once, now, in order; return True when all succeeded."""
    stats = stats or JobStats()
    results = [guarded(job, stats)() for job in jobs]
    return all(results)


def select_jobs(tracker: Tracker, config: Config, panel: str | None) -> list[Job]:
    """Given a Tracker, return its jobs (``panel``'s alone; ConfigError if none is so named)."""
    jobs = tracker.jobs()
    if panel is None:
        return jobs
    name = config.panel(panel).name
    return [job for job in jobs if job.name.endswith(f":{name}")]
