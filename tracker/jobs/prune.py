"""The daemon's own prune: once a day, ``database.prune_older_than`` (off by default).

The same code as ``smm-tracker prune --older-than DURATION --yes``: count,
then delete in batches of whole orders (:mod:`tracker.store.prune`), every
panel in the file (``run --panel NAME``: that one's, as ``prune --panel``),
the refill window respected, the run recorded in ``prune_runs`` with
``older_than`` as configured. On a connection of its own, as the command's:
its reads never hold the jobs' shared connection, its batches wait for the
write lock as the command's do. Its first run is :data:`FIRST_AFTER` after
the start (or the reload that turns it on): a restart loop never prunes at
each start. Not in ``run --once``: a one-shot poll deletes no history.

Between two batches it waits on the stop event: a stop (SIGTERM, or the
reload retiring its generation) ends it there, whole orders deleted and the
run's row counting them (``ended_at`` empty), within the daemon's stop
bound. Its count before the first batch (the queries choosing what goes:
seconds on a year's history) is cut short too: SQLite looks at the stop
event every :data:`STEPS` instructions and abandons the query, nothing
deleted and no row written; ``prune_stopped`` says so, every count 0.
A failure (the database busy past ``busy_timeout``, disk full) is one
warning, ``prune_failed``, and the next day's run tries again: no alert.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import structlog

from tracker.clock import Clock, iso, utcnow
from tracker.config.model import Config
from tracker.errors import StopRequested, StoreError
from tracker.jobs.base import Job
from tracker.jobs.steps import Looks
from tracker.rules.prune import ClockSet, clock_set, cutoffs, held_back
from tracker.rules.prune_notes import DAEMON
from tracker.store.orders import Store
from tracker.store.prune import Plans, count, forget_gone, prune, zero
from tracker.store.prune_runs import PruneRun
from tracker.store.readings import panels_in_database
from tracker.store.refill_reach import longest_refill_window

log = structlog.get_logger("tracker.prune")

MARKS = "alert_state"  # the rows of panels gone from the config, in prune_done's deleted
NAME = "prune"  # the job's name: `job=prune` in its log lines, its metrics label
EVERY = 86400.0  # once a day
LEFT = "stopping: the prune is left for its next run"  # a stop before its first batch
FIRST_AFTER = 600.0  # its first run: 10 minutes after the start, or the reload turning it on
STEPS = 10_000  # SQLite instructions between two looks at the stop event while counting


class AutoPrune:
    """Given the config, the generation's stop event and the clock: the daily
    prune (``panel``: ``run --panel``'s, None for every panel)."""

    def __init__(
        self,
        config: Config,
        stop_event: threading.Event,
        *,
        clock: Clock = utcnow,
        panel: str | None = None,
        open_store: Callable[[], Store] | None = None,
        on_batch: Callable[[], None] = lambda: None,
        monotonic: Callable[[], float | None] | None = None,
        boottime: Callable[[], float | None] | None = None,
    ):
        self.config, self.stop_event, self.clock, self.panel = config, stop_event, clock, panel
        # The wall clock's steps since the start (or reload): rows stamped by a
        # clock behind today's are younger than they read (rules.prune.held_back).
        self.looks, self.set = Looks(clock, monotonic or (lambda: None), boottime), ClockSet()
        self.looks.step(NAME)
        self.on_batch = on_batch  # each batch committed: progress, for the watchdog
        database = config.database
        self.open_store = open_store or (
            lambda: Store(database.path, busy_timeout=database.busy_timeout, migrate=False)
        )

    def pause(self, seconds: float) -> None:
        """Between two batches: wait ``seconds``, ending the run on a stop."""
        if self.stop_event.wait(seconds):
            raise StopRequested("stopping: the rest of the prune is left for its next run")

    @contextmanager
    def stoppable(self, store: Store) -> Iterator[None]:
        """Run the block's queries on ``store`` so that a stop abandons them:
        SQLite calls back every STEPS instructions, and once the stop event is
        set the query fails as interrupted, raised here as StopRequested."""
        conn = store.conn
        cut: list[bool] = []  # set once SQLite was told to abandon a query

        def abandon() -> bool:  # SQLite's question: abandon the query now?
            if not cut and self.stop_event.is_set():
                cut.append(True)
            return bool(cut)

        conn.set_progress_handler(abandon, STEPS)
        try:
            yield
        except StoreError:
            if cut:  # the query SQLite abandoned for the stop: no failure
                raise StopRequested(LEFT) from None
            raise
        finally:
            conn.set_progress_handler(None, STEPS)

    def forget_left(self, store: Store) -> int:
        """As ``prune`` of every panel does: the ``alert_state`` rows of the
        panels the config no longer names and no order is left of deleted
        (:func:`tracker.store.prune.forget_gone`); return how many. A busy
        database leaves them for the next day's run. Not under ``run --panel``."""
        if self.panel is None:
            with contextlib.suppress(StoreError):
                return forget_gone(store, [p.name for p in self.config.panels])
        return 0

    def run(self) -> bool:
        """Prune once; return False when it failed (said in one warning)."""
        older_than = self.config.database.prune_older_than
        if not older_than or self.stop_event.is_set():
            return True
        try:
            store = self.open_store()
        except StoreError as exc:
            log.warning("prune_failed", error=str(exc), older_than=older_than, retry="in 24h")
            return False
        store.stopping = self.stop_event  # a stop cuts its waits for the lock short
        try:
            return self._run(store, older_than)
        except StoreError as exc:
            log.warning("prune_failed", error=str(exc), older_than=older_than, retry="in 24h")
            return False
        finally:
            store.close()

    def _run(self, store: Store, older_than: str) -> bool:
        started = time.monotonic()
        refill = self.config.refill
        now, gap = self.looks.step(NAME)
        self.set = clock_set(self.set, gap)
        window = longest_refill_window(store, refill) if refill.enabled else None
        cut = cutoffs(now, self.config.database.prune_seconds, window, held_back(self.set))
        if held := held_back(self.set):
            log.info("prune_clock_held", held_s=round(held), cutoff=iso(cut.records))
        plans: Plans = {}
        done = zero()  # what committed batches deleted: all 0 until the first
        try:
            with self.stoppable(store):
                names = [self.panel] if self.panel else panels_in_database(store)
                found = count(store, names, cut, self.panel, plans)
            if any(found.values()):
                if self.stop_event.is_set():  # a stop while it counted: nothing deleted
                    raise StopRequested(LEFT)
                run = PruneRun(store, now, self.panel, older_than, cut.records, DAEMON)
                prune(
                    store, names, cut, self.panel, done, self.on_batch,
                    pause=self.pause, plans=plans, run=run,
                )  # fmt: skip
        except StopRequested:
            log.info("prune_stopped", deleted=done, older_than=older_than, cutoff=iso(cut.records))
            raise
        if gone := self.forget_left(store):  # said as a table's, as the command says them
            done[MARKS] = gone
        elif not any(found.values()):
            log.debug("prune_nothing", older_than=older_than, cutoff=iso(cut.records))
            return True
        seconds = round(time.monotonic() - started, 2)
        log.info(
            "prune_done", deleted=done, seconds=seconds, older_than=older_than,
            cutoff=iso(cut.records), panel=self.panel,
        )  # fmt: skip
        return True


def prune_jobs(
    config: Config,
    stop_event: threading.Event,
    clock: Clock = utcnow,
    panel: str | None = None,
    on_batch: Callable[[], None] = lambda: None,
    clocks: tuple[Callable[[], float | None], Callable[[], float | None]] | None = None,
) -> list[Job]:
    """Return the daemon's prune job, or none while ``database.prune_older_than``
    is off. ``on_batch``: told of each batch committed (the watchdog's
    progress: a long first prune is no stuck job). ``clocks``: the monotonic
    and boot clocks, telling the wall clock's steps (a prune's cutoffs held back)."""
    if not config.database.prune_older_than:
        return []
    name = config.panel(panel).name if panel else None  # as `run --panel` names its jobs
    monotonic, boottime = clocks or (None, None)
    job = AutoPrune(
        config, stop_event, clock=clock, panel=name, on_batch=on_batch,
        monotonic=monotonic, boottime=boottime,
    )  # fmt: skip
    return [Job(NAME, EVERY, job.run, first_after=FIRST_AFTER)]
