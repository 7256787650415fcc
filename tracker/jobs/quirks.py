"""A panel's quirks told once across processes (:mod:`tracker.rules.quirks`):
what earlier processes told read from ``alert_state`` once, when the watch
wires the clients (:meth:`QuirksTold.load`), the sightings since (at most one
an hour per quirk) stored after each job's run (:meth:`QuirksTold.store_seen`).

:meth:`QuirksTold.seen` is called from the client's calls, the poll's worker
threads too: thread-safe, and it touches no database, so a worker never waits
on a busy database (another process writing, a backup) for a log line's sake.
A database that could not say (busy at the start): the quirk at warning,
read again at the next job's end for the quirks not seen yet.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Mapping

import structlog

from tracker.clock import Clock
from tracker.errors import StoreError
from tracker.rules.episodes import Episode
from tracker.rules.quirks import QUIRKS, judge_quirk, quirk_kind, seen_again
from tracker.store.alerts import load_episodes, save_quirks
from tracker.store.orders import Store

log = structlog.get_logger("tracker.quirks")

Key = tuple[str, str]  # (panel, kind): the kind holds the quirk's line and URL digest


class QuirksTold:
    """Given the store, the wall clock and the panels (name -> URL), judge
    each quirk seen (see the module)."""

    def __init__(self, store: Store, clock: Clock, panels: Mapping[str, str]):
        self.store = store
        self.clock = clock
        self._keys = [
            (name, quirk_kind(line, url)) for name, url in panels.items() for line in QUIRKS
        ]
        self._lock = threading.Lock()
        self._saving = threading.Lock()  # one job's thread stores at a time
        self._stored: dict[Key, Episode] | None = None  # None: not read (the database busy)
        # (panel, kind) -> (told by an earlier process, as this one stored it)
        self._seen: dict[Key, tuple[bool, Episode]] = {}
        self._unsaved: dict[Key, tuple[Episode, str]] = {}  # sightings to store, their line

    def load(self) -> None:
        """Read what earlier processes told of the panels' quirks (off the
        workers: at the start of a run or a generation). Never raises: a
        database that cannot say leaves them unknown, read again later."""
        try:
            found = load_episodes(self.store, self._keys)
        except (StoreError, sqlite3.Error) as exc:
            log.debug("quirks_unread", error=str(exc))
            return
        with self._lock:
            self._stored = {key: Episode(*row) for key, row in found.items()}

    def seen(self, panel: str, url: str, line: str) -> bool:
        """The quirk of ``line`` seen now at the panel (its URL): return
        whether an earlier process told it, so that this one says it at debug.
        No database: the sighting is stored by :meth:`store_seen`."""
        now, key = self.clock(), (panel, quirk_kind(line, url))
        with self._lock:
            if key in self._seen:
                told, before = self._seen[key]
                after = seen_again(before, now)
                if after is None:
                    return told
            elif self._stored is None:  # not known: told again, at most once a process
                self._seen[key] = (False, Episode(False, now, now))
                return False
            else:
                after, told = judge_quirk(self._stored.get(key, Episode()), now)
            self._seen[key] = (told, after)
            self._unsaved[key] = (after, line)  # its other URLs' forgotten when stored
            return told

    def store_seen(self) -> None:
        """Store the sightings not stored yet, in one transaction (a job's
        thread, after its run; the tracker's close). Never raises: those the
        database does not take are kept for the next time. While another
        thread stores, nothing: its next job's end does."""
        if not self._saving.acquire(blocking=False):
            return
        try:
            if self._stored is None:
                self.load()
            with self._lock:
                unsaved, self._unsaved = self._unsaved, {}
            if not unsaved:
                return
            try:
                save_quirks(self.store, [(*key, *kept) for key, kept in unsaved.items()])
            except (StoreError, sqlite3.Error) as exc:
                with self._lock:  # a sighting since is the newer
                    self._unsaved = {**unsaved, **self._unsaved}
                log.debug("quirks_unsaved", error=str(exc))
        finally:
            self._saving.release()

    def take_over(self, previous: QuirksTold) -> None:
        """At a reload: what the last generation saw of this one's panels at
        the same URL (judged and not stored yet) goes on here; the rest is
        dropped, a panel moved being told again at its new URL."""
        keys = set(self._keys)
        with previous._lock:
            seen = {k: v for k, v in previous._seen.items() if k in keys}
            unsaved = {k: v for k, v in previous._unsaved.items() if k in keys}
            previous._unsaved = {}
        with self._lock:
            self._seen.update(seen)
            self._unsaved.update(unsaved)
