"""``run --once --due``: the jobs due by ``job_runs``, and each run's successes
stored there (:mod:`tracker.rules.due` decides; :mod:`tracker.store.job_runs`
keeps them).

Every ``run --once`` records its jobs that succeeded, ``--due`` or not: a
run by hand counts as a run. The daemon records none.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import structlog

from tracker.errors import StoreError
from tracker.jobs.base import Job
from tracker.rules.due import not_due
from tracker.store.connection import Connection
from tracker.store.job_runs import last_runs, record_runs

log = structlog.get_logger("tracker.daemon")


def due_jobs(
    store: Connection, jobs: list[Job], now: datetime, always: Iterable[str] = ()
) -> tuple[list[Job], list[str]]:
    """Given ``run --once``'s jobs and its start, return (the jobs due, the
    names of those not due); the jobs named in ``always`` are due whatever
    their last run. A database that cannot be read runs them all: their own
    runs then say what is wrong with it."""
    try:
        last = last_runs(store)
    except StoreError as exc:
        log.warning("job_runs_unread", error=str(exc))
        return jobs, []
    wanted = set(always)
    skipped = [n for n in not_due({j.name: j.every for j in jobs}, last, now) if n not in wanted]
    if skipped:
        log.debug("jobs_not_due", jobs=skipped)
    return [job for job in jobs if job.name not in skipped], skipped


def record_succeeded(store: Connection, names: Iterable[str], started: datetime) -> None:
    """Store ``started`` as the last successful run of the jobs named; a
    database that refuses is logged (the next ``--due`` run runs them again)."""
    try:
        record_runs(store, names, started)
    except StoreError as exc:
        log.warning("job_runs_unsaved", error=str(exc))
