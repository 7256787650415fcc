"""The ``run --once`` side of :class:`tracker.jobs.reach.Reach` (a mixin of
it): each panel's actions' counts of runs of failures (what makes an action
broken, :func:`tracker.rules.refill_rounds.held_by`) carried across runs in
``alert_state`` (:mod:`tracker.store.run_counts`): read at the run's start,
stored after each job's run where they changed, never on a call's path; the
daemon keeps them in memory. A key accepted again after ``auth_failed``
begins them anew (:meth:`KeptCounts.forget_counts`). So does a panel's runs
of failed polls and calls kept in its episodes at another URL than this
run's (:meth:`KeptCounts.carry_moves`: a ``run --once``'s, a daemon's
start), as a reload moving it does.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Mapping
from typing import Any

import structlog

from tracker.clock import Clock
from tracker.config.model import ScheduleConfig
from tracker.errors import StoreError
from tracker.rules.refill_rounds import counts_kept, counts_kept_for
from tracker.store.orders import Store
from tracker.store.run_counts import load_counts, moved_since_last_run, save_counts

log = structlog.get_logger("tracker.watch")


class KeptCounts:
    """The counts' part of a Reach: kept in the database under ``run --once``."""

    clock: Clock
    after_s: float
    _lock: threading.RLock
    _runs: dict[str, dict[str, int]]
    _unsaved: set[tuple[str, str]]
    _kept_in: Store | None
    _urls: Mapping[str, str]
    _saving: threading.Lock
    _successor: weakref.ref[Any] | None  # the Reach a reload handed over to
    _moved: set[str]  # moved: the first poll judged anew (Reach.begins_anew)
    _calls_anew: set[str]  # moved: the first call judged anew

    def carry_moves(
        self, store: Store, urls: Mapping[str, str], *, anew: bool = True
    ) -> frozenset[str]:
        """``run --once``'s start and the daemon's: return the panels of
        ``urls`` (name -> URL) the last run (a ``run --once``, a daemon) ran
        at another URL (:func:`tracker.store.run_counts.
        moved_since_last_run`, keeping this one's): their runs of failed
        polls and calls kept in ``alert_state`` are the old URL's, begun anew
        here (an alert open stays open until a call works). Not ``anew`` (a
        daemon's reload, whose moves :meth:`take_over` judged): their URLs
        kept alone. A database that cannot say (busy): none, as before."""
        try:
            moved = moved_since_last_run(store, urls, self.clock())
        except (StoreError, sqlite3.Error) as exc:
            log.debug("run_url_unread", error=str(exc))
            return frozenset()
        if not anew:
            return frozenset()
        with self._lock:
            self._moved |= moved
            self._calls_anew |= moved
        return frozenset(moved)

    def carry_counts(self, store: Store, urls: Mapping[str, str], schedule: ScheduleConfig) -> None:
        """``run --once``'s start: read the counts an earlier run kept of the
        panels of ``urls`` (name -> URL; those not stale: :func:`counts_kept`,
        counted at that URL), and keep this run's in ``store`` from now on;
        those of a panel not among them (the config no longer names it) or
        counted at another URL are deleted with the stale ones, as a reload
        forgets them. A database that cannot say
        (busy): counted from 0 in this run, as before, and none stored (the
        kept ones stay for the next run)."""
        now = self.clock()
        try:
            stored = load_counts(store, urls)
        except (StoreError, sqlite3.Error) as exc:
            log.debug("failed_runs_unread", error=str(exc))
            return
        kept_for = counts_kept_for(self.after_s, schedule)
        with self._lock:
            for panel, counts in stored.items():
                if panel in urls:
                    self._runs[panel] = counts_kept(counts, now, kept_for)
                stale = counts.keys() - self._runs.get(panel, {}).keys()
                self._unsaved.update((panel, action) for action in stale)  # deleted
            self._kept_in, self._urls = store, dict(urls)

    def store_counts(self) -> None:
        """Store the counts changed since they were last stored, in one
        transaction (a job's thread, after its run; the tracker's close).
        Never raises: those the database did not take are stored later.
        Nothing outside ``run --once`` (:meth:`carry_counts`)."""
        if self._kept_in is None or not self._saving.acquire(blocking=False):
            return
        try:
            with self._lock:
                unsaved, self._unsaved = self._unsaved, set()
                counts = [(p, a, self._runs.get(p, {}).get(a, 0)) for p, a in sorted(unsaved)]
            if not counts:
                return
            try:
                save_counts(self._kept_in, counts, self.clock(), self._urls)
            except (StoreError, sqlite3.Error) as exc:
                with self._lock:
                    self._unsaved |= unsaved
                log.debug("failed_runs_unsaved", error=str(exc))
        finally:
            self._saving.release()

    def forget_counts(self, panel: str) -> None:
        """The panel's key accepted again after ``auth_failed`` (a key fixed):
        its actions' counts of runs of failures begin anew, the new key's
        calls judged on their own; under ``run --once`` their rows deleted
        with the next counts stored."""
        with self._lock:
            if self._successor is not None:  # retired by a reload: its heir's
                if (heir := self._successor()) is not None:
                    heir.forget_counts(panel)
                return
            runs = self._runs.pop(panel, {})
            if self._kept_in is not None:
                self._unsaved.update((panel, action) for action in runs)
