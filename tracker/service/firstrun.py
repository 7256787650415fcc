"""Which of a panel's jobs wait for which: the poll before the stall watch.

A panel's poll, catalogue and balance read nothing another of its jobs
writes (:data:`BESIDE`); its refill round reads the catalogue's refill terms
and the poll's remains, and its stall watch the poll's statuses. ``run
--once`` runs the first side by side, then the others in turn
(:func:`stages`). The daemon starts the first at once and each of the others
when the panel's BESIDE jobs have each ended a first run
(:class:`FirstRuns`): run beside the first poll, the stall watch judged what
the database said when the tracker stopped (orders Completed meanwhile
listed as stalled), 3 ms before the poll stored the answers. At a reload
(SIGHUP) the jobs the running config had keep their turns
(:meth:`FirstRuns.start`); only a panel new to it starts so.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tracker.jobs.base import Job

BESIDE = frozenset({"status", "services", "balance"})


def _panel(name: str) -> str:
    return name.rpartition(":")[2]


def _kind(name: str) -> str:
    return name.partition(":")[0]


def chains(jobs: list[Job]) -> dict[str, list[Job]]:
    """Given jobs named "kind:panel", return each panel's jobs in their order:
    the panels run side by side, each panel's jobs in :func:`stages`."""
    found: dict[str, list[Job]] = {}
    for job in jobs:
        found.setdefault(_panel(job.name), []).append(job)
    return found


def stages(chain: list[Job]) -> list[list[Job]]:
    """Given one panel's jobs in order, return the groups to run one after the
    other, the jobs of a group side by side: every BESIDE job first, then each
    other job alone, in order."""
    beside = [job for job in chain if _kind(job.name) in BESIDE]
    rest = [[job] for job in chain if _kind(job.name) not in BESIDE]
    return [beside, *rest] if beside else rest


class FirstRuns:
    """One generation's start in the daemon: each panel's jobs that read what
    its BESIDE jobs store are :meth:`held` until every one of those has ended
    a first run (succeeded or not), then each is started:
    ``release(name, next_run_time=now)``, APScheduler's ``modify_job``.

    Nothing is released once ``stop_event`` is set: the generation is retired,
    and its job names may already be the next generation's."""

    def __init__(
        self,
        jobs: list[Job],
        release: Callable[..., Any],
        stop_event: threading.Event,
        kept: Mapping[str, datetime] | None = None,
    ):
        self._release, self._stop, self._lock = release, stop_event, threading.Lock()
        self._kept = dict(kept or {})
        self._first: dict[str, set[str]] = {}  # panel: BESIDE jobs yet to end a first run
        self._held: dict[str, list[str]] = {}  # panel: the jobs waiting for them
        # A job kept from the generation before (a reload) waits for nothing:
        # the database holds its panel's answers.
        # A job with a first_after of its own waits for that alone.
        fresh = [job for job in jobs if job.name not in self._kept and not job.first_after]
        for panel, chain in chains(fresh).items():
            first = {job.name for job in chain if _kind(job.name) in BESIDE}
            if first:
                self._first[panel] = first
                self._held[panel] = [job.name for job in chain if job.name not in first]

    def start(self, job: Job, now: datetime) -> datetime | None:
        """When the job first runs (None: held until released). At a reload
        (SIGHUP) a job the old generation ran keeps its next turn, brought
        forward to one interval from ``now`` if its interval shrank: a reload
        ran every job at once (the catalogue, a refill round) whatever its
        schedule. A turn that passed while the job waited for its panel's old
        runs (a hanging call) is now: handed to APScheduler past its misfire
        grace, it was skipped. A job new to the config runs now, as at a start
        (``first_after`` seconds from now, when it has one)."""
        if job.name in self._kept:
            return max(now, min(self._kept[job.name], now + timedelta(seconds=job.every)))
        if job.first_after:
            return now + timedelta(seconds=job.first_after)
        return None if self.held(job.name) else now

    def stepped(self, now: datetime, later: Mapping[str, float]) -> None:
        """The wall clock stepped (``Scheduler.run_all_now``): each kept turn is
        now, or ``later[name]`` seconds from now. A job a reload still holds
        for its panel's old runs starts then at once, as every scheduled job
        does, not at a turn read before the step (an hour late when the clock
        was set back an hour)."""
        for name in self._kept:
            self._kept[name] = now + timedelta(seconds=later.get(name, 0.0))

    def held(self, name: str) -> bool:
        """Whether the job's first run waits for its panel's BESIDE jobs."""
        return name in self._held.get(_panel(name), ())

    def wrap(self, job: Job) -> Job:
        """Return the job, telling this start when one of its runs ends."""
        panel = _panel(job.name)
        if job.name not in self._first.get(panel, ()):
            return job

        def run() -> bool:
            try:
                return job.run()
            finally:
                self._ended(panel, job.name)

        return Job(job.name, job.every, run)

    def _ended(self, panel: str, name: str) -> None:
        with self._lock:
            first = self._first.get(panel)
            if first is None or name not in first:
                return
            first.discard(name)
            if first:
                return
            del self._first[panel]
            released = self._held.pop(panel)
        for held in released:
            if self._stop.is_set():
                return
            try:
                self._release(held, next_run_time=datetime.now(UTC))
            except KeyError:  # removed meanwhile (APScheduler's JobLookupError)
                pass
