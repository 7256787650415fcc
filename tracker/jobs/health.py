"""Is the database writable? One alert when writes start failing for a reason
that waiting a few seconds will not cure (disk full, read-only file or mount,
I/O error, a damaged file), one when they work again.

The jobs themselves need nothing special: a failed write rolls its transaction
back, the job is reported failed for this cycle, and its next scheduled run
simply tries again, so the daemon keeps running instead of crash-looping and
catches up once the disk is writable. What this module adds is that someone
hears about it: :func:`judge` (pure, given ``now``) decides, :class:`StoreHealth`
wraps the jobs and raises the alerts through :func:`tracker.alerts.alerter.raise_alert`,
which needs no working database.

A busy database (another writer) is not an outage: it fails one cycle and is
reported by the job's own error line only, until it lasts: a job failing
busy at BUSY_RUNS runs in a row over BUSY_OUTAGE seconds (a sqlite3 shell
left in a transaction, holding the write lock for hours) opens one, as
above, since nothing is recorded meanwhile.

An outage is told once, its end once: while one is open, a job failing for
the cause that opened it (disk full, busy...) is marked ``told_by`` on its
error, so its ``job_failed`` line goes at debug (still a failure in the
metrics); the recovery alert counts those runs.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from tracker.alerts.alerter import Sink, raise_alert
from tracker.clock import Clock, utcnow
from tracker.errors import StoreError
from tracker.jobs.base import Job
from tracker.rules.episodes import Alert
from tracker.store.alerts import record_alert
from tracker.store.causes import error_kind
from tracker.store.orders import Store

STORE_UNWRITABLE = "store_unwritable"
STORE_WRITABLE = "store_writable"
# The causes that last (a busy database clears by itself within a cycle); a
# damaged file lasts until restored, and the jobs that need its pages fail.
_LASTING = frozenset({"full", "readonly", "io", "damaged"})
BUSY_OUTAGE = 600.0  # seconds a job's runs in a row failed busy: an outage
BUSY_RUNS = 3  # and at least this many runs (two a day apart are no outage)


def unwritable(error: BaseException) -> bool:
    """Return True when ``error`` says the database cannot be written for now."""
    return error_kind(error) in _LASTING


class Health(NamedTuple):
    """The jobs whose last run failed to write, and since when writes fail."""

    failing: frozenset[str] = frozenset()
    since: datetime | None = None


def _lasted(seconds: float) -> str:
    minutes, secs = divmod(max(0, round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def judge(
    health: Health, job: str, error: str | None, now: datetime, failed_runs: int = 0
) -> tuple[Health, Alert | None]:
    """Given the health so far and one job run (``error``: why it could not
    write, None: it succeeded), return the new health and the alert to raise
    (the recovery's counting ``failed_runs``, the outage's failed job runs).

    The first failing job opens the outage (one error alert, however many jobs
    fail after it). It closes when every job that failed has succeeded again:
    a job that failed to write had something to write, so its success proves
    writes work, where a job with nothing to write would prove nothing.
    """
    if error is not None:
        if health.failing:
            return health._replace(failing=health.failing | {job}), None
        message = (
            f"the database cannot be written ({error}); nothing new is recorded until it "
            "can be. The tracker keeps running and retries every job on its schedule"
        )
        alert = Alert(
            STORE_UNWRITABLE, message, severity="error", data={"error": error, "job": job}
        )
        return Health(frozenset({job}), now), alert
    if job not in health.failing:
        return health, None
    left = health.failing - {job}
    if left:
        return health._replace(failing=left), None
    return written(health, now, failed_runs)


def busy_outage(first: datetime, runs: int, now: datetime) -> str | None:
    """Given when a job's runs began failing busy, in a row, how many did and
    ``now``, return how long, said for an alert, once that is an outage."""
    seconds = (now - first).total_seconds()
    if runs < BUSY_RUNS or seconds < BUSY_OUTAGE:
        return None
    return f"for {_lasted(seconds)}, {runs} runs in a row"


def written(health: Health, now: datetime, failed_runs: int = 0) -> tuple[Health, Alert]:
    """Given an open outage, how many job runs failed in it and a write that
    just succeeded, return the closed health and the recovery alert."""
    since = health.since or now
    lasted = _lasted((now - since).total_seconds())
    runs = f" ({failed_runs} failed job runs meanwhile)" if failed_runs > 1 else ""
    message = f"the database is writable again after {lasted}{runs}; the jobs are catching up"
    data = {"since": since.isoformat(timespec="seconds"), "failed_runs": failed_runs}
    return Health(), Alert(STORE_WRITABLE, message, severity="info", data=data)


class StoreHealth:
    """Given where alerts go, wrap jobs so database outages raise alerts.

    ``store`` receives the recovery alert only (while writes fail there is no
    point trying to store one). Thread-safe: jobs of several panels run at once.
    """

    def __init__(
        self,
        *,
        store: Store | None = None,
        sink: Sink | None = None,
        clock: Clock = utcnow,
        probe: Callable[[], None] | None = None,
    ):
        self.store = store
        self.sink = sink
        self.clock = clock
        # A tiny write tried after any job run while writes fail: the outage
        # ends as soon as one succeeds, not when the slowest job next runs.
        self.probe = probe
        self.health = Health()
        self._lock = threading.Lock()
        self._outage: Alert | None = None  # raised while nothing could be stored
        # A damaged file takes the probe's one-page write, not the pages the
        # failing jobs need: only their own success ends that outage.
        self._damaged = False
        self._retired = False  # a reload's new generation took the outage over
        self._busy: dict[str, tuple[datetime, int]] = {}  # job: failing busy since, runs
        # The open outage's cause (error_kind: "full", "busy"...) and the job
        # runs failed for it: those after the first were told by its alert.
        self._cause: str | None = None
        self._failed_runs = 0

    def take_over(self, previous: StoreHealth) -> None:
        """At a reload, carry on the outage the last generation's ``previous``
        has open: a failing write then raises no second store_unwritable, and
        the first that works raises its store_writable (and stores the outage).
        ``previous`` says nothing more: its jobs are on their way out."""
        with previous._lock:
            self.health, self._outage = previous.health, previous._outage
            self._damaged = previous._damaged
            self._cause, self._failed_runs = previous._cause, previous._failed_runs
            previous.health, previous._outage, previous._retired = Health(), None, True

    def wrap(self, job: Job) -> Job:
        def run() -> bool:
            try:
                ok = job.run()
            except StoreError as exc:
                kind = error_kind(exc)
                if self._told(kind):  # the open outage's alert said it: job_failed at debug
                    exc.told_by = STORE_UNWRITABLE
                if unwritable(exc):
                    self._damaged = self._damaged or kind == "damaged"
                    self.record(job.name, str(exc), kind)
                elif (lasted := self._still_busy(job.name, exc)) is not None:
                    self.record(job.name, f"{exc} {lasted}", kind)
                else:
                    self.try_probe()
                raise  # the job still fails this cycle, and says why
            self._busy.pop(job.name, None)
            if ok:
                self.record(job.name, None)
            self.try_probe()
            return ok

        return replace(job, run=run)

    def wrap_all(self, jobs: list[Job]) -> list[Job]:
        return [self.wrap(job) for job in jobs]

    def _told(self, kind: str | None) -> bool:
        """Return True, counting it, when an outage for ``kind`` is open: a
        run failing for it says nothing its alert did not."""
        with self._lock:
            if self._retired or not self.health.failing or kind != self._cause:
                return False
            self._failed_runs += 1
            return True

    def _still_busy(self, job: str, error: StoreError) -> str | None:
        """Count a run of ``job`` failed on ``error``; return how long it has
        failed busy, when that is an outage (:func:`busy_outage`)."""
        if error_kind(error) != "busy":
            self._busy.pop(job, None)
            return None
        now = self.clock()
        first, runs = self._busy.get(job, (now, 0))
        self._busy[job] = (first, runs + 1)
        return busy_outage(first, runs + 1, now)

    def try_probe(self) -> None:
        """While writes fail, try the probe write; end the outage if it succeeds."""
        if self.probe is None or not self.health.failing or self._damaged:
            return
        try:
            self.probe()
        except StoreError:
            return  # still failing: the jobs' own errors say why
        with self._lock:
            if not self.health.failing:
                return
            self.health, alert = written(self.health, self.clock(), self._failed_runs)
        self._raise(alert)

    def record(self, job: str, error: str | None, kind: str | None = None) -> None:
        with self._lock:
            if self._retired:
                return
            self.health, alert = judge(self.health, job, error, self.clock(), self._failed_runs)
            if alert is not None and alert.kind == STORE_UNWRITABLE:
                self._cause, self._failed_runs = kind, 1
        if alert is not None:
            self._raise(alert)

    def _raise(self, alert: Alert) -> None:
        if alert.kind == STORE_UNWRITABLE:  # logged and sent; stored once it can be
            self._outage = raise_alert(alert, sink=self.sink, clock=self.clock)
            return
        if self._outage is not None and self.store is not None:
            # The outage goes into the alerts table at its own time, before
            # its end, so `smm-tracker alerts` shows both.
            with contextlib.suppress(StoreError):
                record_alert(self.store, self._outage, None)
        self._outage = None
        self._damaged = False
        self._cause, self._failed_runs = None, 0
        raise_alert(alert, store=self.store, sink=self.sink, clock=self.clock)
