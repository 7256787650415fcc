"""Pure decision: which jobs ``run --once --due`` starts.

A cron line runs ``run --once`` every minute, each run a new process; plain
``run --once`` runs every job (the whole catalogue synced each minute). With
``--due`` a job runs when its interval has passed since the start of the
last ``run --once`` it succeeded in (``job_runs``), or when it never
succeeded; the poll always runs (each order has its own next-check time).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

ALWAYS = frozenset({"status"})  # job kinds run at every run

# Seconds an interval may fall short and still be due: cron starts each run a
# little later or sooner than the last (the process's start, the machine's
# load), and a job due at 12:15:00.4 must not wait for the run at 12:16 for
# having started at 12:00:00.6. Never more than a tenth of the interval.
SLACK = 30.0


def is_due(kind: str, every: float, last: datetime | None, now: datetime) -> bool:
    """Whether a job of ``kind`` run every ``every`` seconds, last run to
    success at ``last`` (None: never), is due at ``now``. A ``last`` after
    ``now`` (the clock set back since) is due: its interval is not known."""
    if kind in ALWAYS or last is None or last > now:
        return True
    return (now - last).total_seconds() >= every - min(SLACK, every / 10)


def not_due(every: Mapping[str, float], last: Mapping[str, datetime], now: datetime) -> list[str]:
    """Given each job's interval by name (``kind:panel``) and its last
    successful run, return the names of the jobs not due at ``now``, in order."""
    return [
        name
        for name, seconds in every.items()
        if not is_due(name.partition(":")[0], seconds, last.get(name), now)
    ]
