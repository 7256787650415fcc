"""Each alert target's outage kept in ``alert_state``: told once across a
reload and across ``run --once`` processes, not once a sink.

A sink's :class:`~tracker.alerts.deliveries.Outages` lived in the sink: a
reload (a new sink) and every ``run --once`` under cron told the same outage
again (``webhook_failed`` at warning every 5 minutes) and none told its end
when a later run saw the target answer. Kept in ``alert_state`` too (no
alert; no panel's row, :data:`~tracker.store.alerts.NO_PANEL`): one row per
target in an outage, its kind the line that tells it, the target's name and
a mark of its URL (``webhook_failed@webhook#<mark>``,
``notify_failed@alerts.notify[0] (tgram)#<mark>``; the mark is
:func:`tracker.store.key_marks.key_mark`'s: salted, slow, 32 bits, never the
URL nor a quick hash of its token), ``since`` its first failure,
``last_sent_at`` its latest (stored at most hourly). A failure of a target
that failed within a day (:data:`tracker.rules.quirks.ABSENT`, a quirk's
rule) is told already: at debug. The target taking an alert again ends the
outage in one line, whichever run sees it, saying when it began.

Bounded: a row of a target no longer configured, or of another URL at its
place (a URL changed while down: told afresh), is deleted as the sink is
made (:meth:`KeptOutages.forget_others`), and every row by a process with
no target at all (:func:`forget_all`). Never raises: a database that cannot
say costs the memory across processes (the sink tells its own outages),
never an alert.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from tracker.alerts.deliveries import WEBHOOK, Outages
from tracker.alerts.notify import target_name
from tracker.clock import Clock
from tracker.config.model import Secret
from tracker.errors import StoreError
from tracker.rules.episodes import Episode
from tracker.rules.quirks import judge_quirk, seen_again
from tracker.store.alerts import (
    NO_PANEL,
    EpisodeRow,
    forget_target_outages,
    save_episode,
    target_outages,
)
from tracker.store.key_marks import key_mark, marks_key


def _line(target: str) -> str:
    return "webhook_failed" if target == WEBHOOK else "notify_failed"


class KeptOutages(Outages):
    """Given a store, a wall clock and each target's URL by its name
    (:func:`target_urls`), the targets' outages, kept across processes."""

    def __init__(self, store: Any, clock: Clock, urls: Mapping[str, str]):
        super().__init__()
        self._store = store
        self._clock = clock
        self._urls = dict(urls)  # in memory only: the rows keep a mark of each
        self._marks: dict[str, str | None] = {}  # a row's kind -> its target (checked once)
        self._made: dict[str, str] = {}  # target -> the kind of a row this sink writes
        self._db = threading.Lock()

    def failed(self, target: str) -> bool:
        """``target`` did not take an alert: return True when that begins its
        outage (none kept from an earlier run or sink within a day)."""
        first = super().failed(target)
        now = self._clock()
        with self._db:
            kept = self._read()
            if kept is None:  # the database cannot say: this sink's own outage
                return first
            kind, before = kept.get(target, (None, Episode()))
            after, told = judge_quirk(before, now)
            if told and seen_again(before, now) is None:
                after = before  # its latest failure stored hourly, not at each
            if after != before and (kind := kind or self._kind(target)) is not None:
                self._write(lambda store: save_episode(store, (NO_PANEL, kind, after)))
        # None kept: this sink's outage begins (or its row could not be written)
        return first if before.since is None else not told

    def ended(self, target: str) -> tuple[int, datetime | None] | None:
        """``target`` took an alert: return how many this sink saw fail in the
        outage that ends and when it began (an earlier run's maybe), or None
        when none was going."""
        failed = self.took(target)
        with self._db:
            kept = self._read()
            kind, episode = (kept or {}).get(target, (None, Episode()))
            if kind is not None:
                self._write(lambda store: forget_target_outages(store, [kind]))
        if episode.since is None:
            return (failed, None) if failed else None
        return failed, episode.since

    def let_go(self) -> None:
        """The sink gave up on its thread (a stop past its bound, `run --once`
        left): the store is closed next, held for good until the process
        ends. The thread's outcome still to come is kept in memory only: it
        waited the whole ``busy_timeout`` for the store, its POST long done."""
        self._store = None

    def _kind(self, target: str) -> str | None:
        """Return the kind of a new row of ``target``'s: its URL marked anew."""
        if target not in self._made and (url := self._urls.get(target)):
            self._made[target] = kind = f"{_line(target)}@{target}#{key_mark(Secret(url))}"
            self._marks[kind] = target
        return self._made.get(target)

    def forget_others(self) -> None:
        """Delete the outages kept of targets not configured now, or of
        another URL at a target's place (a URL changed while down: its
        outage told afresh). Never raises."""
        with self._db:
            rows = self._rows()
            if rows is None:
                return  # forgotten at the next start instead
            if gone := [kind for kind in rows if self._target(kind) is None]:
                self._write(lambda store: forget_target_outages(store, gone))

    def _read(self) -> dict[str, tuple[str, Episode]] | None:
        """Return {target: (kind, outage)} of the configured targets' outages
        kept; None when the database cannot say. Read at each delivery: a
        reload's other sink writes them too."""
        rows = self._rows()
        if rows is None:
            return None
        kept: dict[str, tuple[str, Episode]] = {}
        for kind, row in sorted(rows.items()):
            if (target := self._target(kind)) is not None and target not in kept:
                kept[target] = (kind, Episode(*row))
        return kept

    def _rows(self) -> dict[str, EpisodeRow] | None:
        store = self._store  # once: let go of (None) at any time
        if store is None:  # no database: this sink's own outages
            return None
        try:
            return target_outages(store)
        except (StoreError, sqlite3.Error, ValueError):  # ValueError: a time edited by hand
            return None

    def _target(self, kind: str) -> str | None:
        """Return the configured target ``kind`` is the outage of, or None;
        its mark checked once (some 50 ms)."""
        if kind not in self._marks:
            self._marks[kind] = self._target_of(kind)
        return self._marks[kind]

    def _target_of(self, kind: str) -> str | None:
        """Return the configured target ``kind`` is the outage of, or None."""
        return kept_target(kind, self._urls)

    def _write(self, write: Any) -> None:
        store = self._store  # once: let go of (None) at any time
        if store is None:
            return
        try:
            write(store)
        except (StoreError, sqlite3.Error):
            pass  # this process's memory holds; the next run tells it once more at most


def kept_target(kind: str, urls: Mapping[str, str]) -> str | None:
    """Given the kind of an outage row and each configured target's URL by its
    name, return the target it is the outage of (its URL's mark checked), or
    None: no such target, or another URL at its place."""
    line, _, rest = kind.partition("@")
    target, _, mark = rest.rpartition("#")
    url = urls.get(target)
    if url is None or line != _line(target):
        return None
    return target if marks_key(mark, Secret(url)) else None


def target_urls(
    webhook_url: str, notify_urls: Sequence[str], made: Sequence[Any]
) -> dict[str, str]:
    """Given ``[alerts]``'s webhook URL ("" for none), its notify URLs and the
    targets made of them, return each target's URL by its name."""
    return urls_by_name(webhook_url, notify_urls, {target.name for target in made})


def urls_by_name(
    webhook_url: str, notify_urls: Sequence[str], names: Collection[str]
) -> dict[str, str]:
    """As :func:`target_urls`, given the names of the notify targets made."""
    urls = {WEBHOOK: webhook_url} if webhook_url else {}
    for index, url in enumerate(notify_urls):
        if (name := target_name(index, url)) in names:
            urls[name] = url
    return urls


def forget_all(store: Any, clock: Clock) -> None:
    """No target is configured: forget every outage kept. Never raises."""
    KeptOutages(store, clock, {}).forget_others()
