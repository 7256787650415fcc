"""A panel's quirks told once across processes (:mod:`tracker.rules.quirks`):
what an earlier process told read from ``alert_state`` at the first sighting
in this one, each sighting kept there (at most once an hour).

Called from the client's calls (the poll's worker threads too): thread-safe.
A database that cannot say (busy) tells nothing: the quirk at warning.
"""

from __future__ import annotations

import sqlite3
import threading

from tracker.clock import Clock
from tracker.errors import StoreError
from tracker.rules.episodes import Episode
from tracker.rules.quirks import judge_quirk, quirk_kind, seen_again
from tracker.store.alerts import load_episode, save_quirk
from tracker.store.orders import Store


class QuirksTold:
    """Given the store and the wall clock, judge each quirk seen (see the module)."""

    def __init__(self, store: Store, clock: Clock):
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()
        # (panel, kind) -> (told by an earlier process, as this one stored it)
        self._seen: dict[tuple[str, str], tuple[bool, Episode]] = {}

    def seen(self, panel: str, url: str, line: str) -> bool:
        """The quirk of ``line`` seen now at the panel (its URL): return
        whether an earlier process told it, so that this one says it at debug."""
        now, key = self.clock(), (panel, quirk_kind(line, url))
        with self._lock:
            if key in self._seen:
                told, before = self._seen[key]
                after = seen_again(before, now)
                if after is None:
                    return told
            else:
                try:
                    found = load_episode(self.store, *key)
                except (StoreError, sqlite3.Error):
                    self._seen[key] = (False, Episode(False, now, now))
                    return False  # not known: told again, at most once a process
                after, told = judge_quirk(Episode(*found) if found else Episode(), now)
            self._seen[key] = (told, after)
            try:
                save_quirk(self.store, (*key, after), line)  # its other URLs' forgotten
            except (StoreError, sqlite3.Error):
                pass  # stored at a later sighting: told again by the next process at most
            return told
