"""A job's run of failures kept in ``alert_state``: its failure line told
once per run of them (:mod:`tracker.rules.failing_jobs`), in the daemon and
across ``run --once`` runs, and so is the ``panel_retry`` of its calls
given up meanwhile (:meth:`tracker.panel.whole_calls.WholeCalls.failure_told`).

A database that cannot say (busy) tells nothing: the line at error.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from tracker.errors import StoreError
from tracker.rules.episodes import Episode
from tracker.rules.failing_jobs import judge_job
from tracker.store.alerts import load_episode, save_episode
from tracker.store.orders import Store


def _stored(store: Store, panel: str, line: str) -> Episode | None:
    try:
        found = load_episode(store, panel, line)
    except (StoreError, sqlite3.Error):
        return None
    return Episode(*found) if found else Episode()


def failing(store: Store, panel: str, line: str) -> bool:
    """Return whether the job of ``line`` (``balance_failed``...) has failed
    at its last run, told then: its calls given up now are told already."""
    stored = _stored(store, panel, line)
    return stored is not None and stored.since is not None


def told_once(store: Store, panel: str, line: str, failed: bool, now: datetime) -> bool:
    """The job of ``line`` just ran, ``failed`` or not: store its run of
    failures; return whether this failure was told already."""
    stored = _stored(store, panel, line)
    if stored is None:
        return False
    after, told = judge_job(stored, failed, now)
    if after != stored:
        try:
            save_episode(store, (panel, line, after))
        except (StoreError, sqlite3.Error):
            pass  # judged again at the job's next run: told once more at most
    return told
