"""What an earlier ``run --once`` told, carried into this one.

Under cron each run is a process of its own, so "told once" cannot live in
memory. The episodes kept in ``alert_state`` say what an earlier run found,
and so what it logged; read at a run's start
(:meth:`tracker.jobs.watch.Watch.carry_outages`), each makes its lines go
at debug until what it says ends:

- a run of failed calls left going (``panel_unreachable`` open, or
  counting): the outage's lines, until the panel answers a call
  (:meth:`tracker.panel.whole_calls.WholeCalls.carry_outage`);
- ``auth_failed`` open: ``panel_paused``, the poll's ``status_failed``
  of the key's refusal and ``key_refused_unknown_wording``, until the key
  is accepted (the episode ends);
- ``status_failing``'s run of failed polls left going (open, or counting:
  :func:`tracker.rules.polling.judge_poll`), the key not refused: the
  poll's ``status_failed``, ``status_reask_failed`` and
  ``status_refused_alike``, a status call's ``panel_retry``, and the
  refill round's hold, until a poll leaves no order unchecked
  (:meth:`tracker.panel.whole_calls.WholeCalls.carry_polls`). A run
  counted while the key was refused told the refusal alone: what fails once
  the key is accepted is told;
- at another URL than the last run's (``moved``), a run of failures (of
  calls, of polls) not alerted is the old URL's: its lines told again;
- ``unknown_status`` open: the ``unknown_status`` line of each status word
  the panel's open orders already carry (an earlier run warned of it); a
  word not stored yet is told.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from tracker.alerts.alerter import Alerter
from tracker.errors import StoreError
from tracker.panel.client import PanelClient
from tracker.panel.told_once import MAX_SPELLINGS_LOGGED
from tracker.rules.alerts import AUTH_FAILED, PANEL_UNREACHABLE
from tracker.rules.episodes import Episode, run_left
from tracker.rules.polling import STATUS_FAILING
from tracker.rules.unknown_status import UNKNOWN_STATUS
from tracker.store.readings import unknown_spellings


@dataclass
class Carried:
    """The panels whose pause an earlier run told (see the module's docstring)."""

    paused: set[str] = field(default_factory=set)  # auth_failed open: the pause told


def carried(
    alerter: Alerter,
    clients: Mapping[str, PanelClient],
    now: datetime,
    after_s: float,
    every: float,
    moved: Collection[str] = (),
) -> Carried:
    """Given the alerter, each panel's client, now, ``alerts.unreachable_after``
    and ``schedule.status_every`` (seconds), tell each client whose outage or
    failing polls an earlier run left going, and the status words it warned
    of that open orders still carry; return the pauses it told. A panel in
    ``moved`` (another URL than the last run's) carries an open episode alone.
    An episode the database cannot read (busy) carries nothing: told again."""
    found = Carried()
    for name, client in clients.items():
        left = partial(_left, now=now, open_alone=name in moved)
        if left(alerter.episode(name, PANEL_UNREACHABLE), after_s):
            client.carry_outage()
        if (refused := alerter.episode(name, AUTH_FAILED)) and refused.active:
            found.paused.add(name)  # its polls' refusal told; not what fails once accepted
            client.key_refusal_told()  # in words it does not know: told too
        # Counted as judge_poll counts it: a run unseen for long begins again.
        elif left(alerter.episode(name, STATUS_FAILING), max(after_s, every)):
            client.carry_polls()
        words = alerter.episode(name, UNKNOWN_STATUS)
        if words and words.active and alerter.store is not None:
            try:
                told = unknown_spellings(alerter.store, name, MAX_SPELLINGS_LOGGED)
            except (StoreError, sqlite3.Error):
                continue  # the database cannot say (busy): told again
            client.spellings_told(told)
    return found


def _left(episode: Episode | None, after: float, *, now: datetime, open_alone: bool) -> bool:
    """:func:`run_left`; ``open_alone``: an open episode alone (moved)."""
    if open_alone:
        return episode is not None and episode.active
    return run_left(episode, now, after)
