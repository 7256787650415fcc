"""The long-running process: APScheduler in UTC, reload, clean shutdown.

Signal handlers only set a flag (:mod:`tracker.signals`); the main
thread looks at it a few times a second (:mod:`tracker.service.mainloop`,
``serve``): on stop it shuts the scheduler down,
letting the job in flight finish its batch (every call in it has a timeout,
and retry waits end once the generation's stop event is set); on reload it
swaps in the jobs of a freshly read config, panel by panel
(:mod:`tracker.service.handover`, where a *generation* is defined).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta

import structlog

from tracker.jobs.base import Job
from tracker.service.firstrun import FirstRuns
from tracker.service.handover import Generation, Handover, Retired, abandoned, panel_of
from tracker.service.jobstats import JobStats
from tracker.service.runs import guarded

log = structlog.get_logger("tracker.daemon")

# Enough threads for a few dozen panels' jobs; threads are only created on use.
WORKERS = 32
HEARTBEAT = "heartbeat"


class Scheduler:
    """Given job stats, run generations of jobs on an APScheduler in UTC."""

    def __init__(self, stats: JobStats):
        self.stats = stats
        self.current: Generation | None = None
        self.retiring: Generation | None = None  # a reload's old one, runs still in flight
        self._retired = Retired()  # the old ones whose runs ended, closing
        self._first: FirstRuns | None = None  # the current generation's start
        # Here: `run --once` runs jobs without a scheduler, faster without its imports.
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self._pool = ThreadPoolExecutor(WORKERS)
        self._scheduler = BackgroundScheduler(
            timezone="UTC",
            # The heartbeat has a thread of its own: long polls filling the
            # pool must not starve the watchdog and get a healthy daemon killed.
            executors={"default": self._pool, HEARTBEAT: ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1},
        )

    def start(
        self,
        generation: Generation,
        *,
        heartbeat: Callable[[], None] | None = None,
        heartbeat_every: float = 30.0,
    ) -> None:
        """Schedule the generation's jobs (first run now) and the heartbeat, then start."""
        self._schedule(generation.jobs, self._add(generation), generation.stop_event)
        if heartbeat is not None:
            self._scheduler.add_job(
                heartbeat,
                "interval",
                seconds=heartbeat_every,
                id=HEARTBEAT,
                name=HEARTBEAT,
                executor=HEARTBEAT,
                # First beat one interval after start: READY=1 goes first.
                next_run_time=datetime.now(UTC) + timedelta(seconds=heartbeat_every),
                misfire_grace_time=max(1, int(heartbeat_every)),
            )
        # Said before the scheduler's thread starts: its first runs begin at
        # once, and a loaded machine ran them (and logged their lines) before
        # a line said after the start.
        log.info("daemon_started", jobs=[job.name for job in generation.jobs])
        self._scheduler.start()

    def _add(self, generation: Generation, kept: Mapping[str, datetime] | None = None) -> FirstRuns:
        # A panel's refill round and stall watch wait for its first poll (None: paused);
        # at a reload, the jobs the old generation ran keep their turns (``kept``).
        first = FirstRuns(generation.jobs, self._scheduler.modify_job, generation.stop_event, kept)
        self.current, self._first = generation, first
        return first

    def _schedule(self, jobs: list[Job], first: FirstRuns, retired: threading.Event) -> None:
        # A job held for its panel's first poll goes in before the poll: a poll
        # ending fast (a refused call) released nothing not yet added, and the
        # refill round or stall watch waited for a restart. Pausing APScheduler
        # meanwhile did not do it: a round of its job processing already past
        # its paused check still started the poll.
        now = datetime.now(UTC)
        for job in sorted(jobs, key=lambda job: not first.held(job.name)):
            self._scheduler.add_job(
                guarded(first.wrap(job), self.stats, retired),
                "interval",
                seconds=job.every,
                id=job.name,
                name=job.name,
                next_run_time=first.start(job, now),
                # A run delayed by a long previous one still happens, up to most of
                # an interval late; later than that it is skipped, not fired twice.
                misfire_grace_time=max(1, int(job.every * 0.9)),
            )

    def replace(
        self,
        new: Generation,
        *,
        pause: float = 0.05,
        stopping: Callable[[], bool] = lambda: False,
        meanwhile: Callable[[], None] = lambda: None,
    ) -> bool:
        """Retire the current generation and schedule ``new`` in its place, panel
        by panel; return False when a stop came first.

        The old jobs stop being scheduled and are told to stop; the runs in
        flight commit what they have (each is bounded by its timeouts). Each
        panel's new jobs start once its own old runs have ended: a hanging call
        holds back no other panel (:mod:`tracker.service.handover`). The old
        generation is closed after its last run, in a thread of its own
        (:class:`Retired`); the heartbeat beats meanwhile.
        A stop (``stopping()``) ends the wait at once: the runs are then
        :meth:`shutdown`'s to bound, and no held job starts (it would send
        requests after the stop). ``meanwhile()`` runs at each look of the
        wait, as the main loop's own looks would (a clock step acted on:
        :meth:`run_all_now`, which starts no held job early).
        """
        old, kept = self.current, {}
        if old is not None:
            # Each job's next turn, but for one cut short by the reload (it runs
            # now), and one the new generation wants run at once (``due_now``).
            turns = {j.id: j.next_run_time for j in self._scheduler.get_jobs()}
            cut = self._in_flight() | new.due_now
            kept = {n: t for n, t in turns.items() if t and n not in cut}
            kept = {n: t for n, t in kept.items() if panel_of(n) not in new.anew}  # a new url
            old.stop_event.set()
            for job in old.jobs:
                self._scheduler.remove_job(job.name)
        if stopping():  # shutdown() bounds the old runs and closes them
            new.close()
            return False
        handover = Handover(new.jobs, running := self._in_flight())
        first, self.retiring = self._add(new, kept), old
        self._schedule(handover.ready, first, new.stop_event)
        if running:  # their panels' new jobs wait for them; the others' have started
            log.info("reload_waiting", running=sorted(running))
        while not handover.done and not stopping():
            time.sleep(pause)
            meanwhile()  # the wait may last a panel's timeout: minutes
            if stopping():  # came during the wait: a held job scheduled now runs after it
                break
            self._schedule(handover.step(self._in_flight()), first, new.stop_event)
        if not handover.done:  # a stop: shutdown() bounds both generations' runs
            return False
        if old is not None:
            self._retired.close(old)  # its sink's queue is not waited for here
        self.retiring = None
        self.stats.forget(job.name for job in new.jobs)
        log.info("jobs_replaced", jobs=[job.name for job in new.jobs])
        return True

    def _in_flight(self) -> set[str]:
        """Return the jobs with a run in flight: running, or handed to a
        worker at its turn and not started yet (on a loaded host, long enough
        for a reload to come between). APScheduler's own count, the one its
        ``max_instances`` reads: a job of the same name is not run while it
        holds one (APScheduler 3.x)."""
        handed: set[str] = set()
        if (lock := self._pool._lock) is not None:  # None until the scheduler starts
            with lock:
                handed = {name for name, count in self._pool._instances.items() if count}
        return handed | set(self.stats.snapshot().running)

    def run_all_now(self) -> None:
        """Have every job (the heartbeat too) run now, but for one with a
        ``first_after`` (the prune: that long from now, as at a start; a
        clock stepped forward and put right must not have it delete by the
        wrong date); each then keeps its interval from this run: see
        :mod:`tracker.service.clockstep`. A job held for its panel's first
        poll (:class:`FirstRuns`) still waits for it: run beside it, it
        judged what the database said when the tracker stopped. So does a
        job a reload holds for its panel's old runs (not scheduled yet): it
        starts at once when they have ended, its turn kept from before the
        step dropped (:meth:`FirstRuns.stepped`)."""
        now = datetime.now(UTC)
        alive = [g for g in (self.retiring, self.current) if g is not None]
        later = {job.name: job.first_after for g in alive for job in g.jobs}
        if self._first is not None:
            self._first.stepped(now, later)
        for job in self._scheduler.get_jobs():
            if job.next_run_time is not None:  # None: held, released when the poll ends
                job.modify(next_run_time=now + timedelta(seconds=later.get(job.id, 0.0)))

    def shutdown(self, bound: float | None = None, *, pause: float = 0.05) -> bool:
        """Stop the generations, wait for runs in flight (and a reload's old
        generations' closes, hurried), then close them. With ``bound`` (or a
        generation's longer own), wait at most that many seconds: return False
        when some go on, each generation having closed at once what none of
        its runs uses (:func:`~tracker.service.handover.abandoned`)."""
        generations = [g for g in (self.retiring, self.current) if g is not None]
        self._retired.hurry()  # a reload's old generations: unsent alerts kept, not waited for
        if self.retiring is not None:  # one whose runs a stop came after: likewise
            self.retiring.hurry.set()
        for generation in generations:
            generation.stop_event.set()
            bound = None if bound is None else max(bound, generation.bound)  # a reload's
        if bound is None:
            self._scheduler.shutdown(wait=True)
            self._retired.join()
        else:
            self._scheduler.shutdown(wait=False)
            end = time.monotonic() + bound
            while (self.stats.busy() or self._retired.busy) and time.monotonic() < end:
                time.sleep(pause)
            if self.stats.busy() or self._retired.busy:
                running = sorted(self.stats.snapshot().running)
                closing = {"closing": "a reload's old generation"} if self._retired.busy else {}
                log.critical("stop_overdue", running=running, bound=bound, **closing)
                abandoned(generations)  # the -wal checkpointed, unsent alerts kept
                return False
        for generation in generations:
            generation.close()
        self.current = self.retiring = self._first = None
        return True


def run_daemon(jobs: list[Job], stop: threading.Event) -> None:
    """Schedule ``jobs`` (first run now) and block until ``stop`` is set (the demo)."""
    stats = JobStats()
    scheduler = Scheduler(stats)
    scheduler.start(Generation(jobs, stop))
    try:
        while not stop.wait(1.0):
            pass
    finally:
        log.info("daemon_stopping")
        scheduler.shutdown()
        log.info("daemon_stopped", runs=stats.runs, failures=stats.failures)
