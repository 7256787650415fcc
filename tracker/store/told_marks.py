"""What ``run --once`` told at warning (or error) once per episode, marked
in ``alert_state`` so the runs after it, each a process of its own under
cron, say the same line at info: every minute's run warned again of the
same thing, a mail a minute. A mark is a row (``panel``: what the line is
about, ``kind``: the line's event, ``active`` 0: no alert; ``since``: when
it was told); the episode lasts while the thing is found at each run, and
ends (its mark deleted) at the first run that does not find it:

- ``orders_of_unconfigured_panel``: a panel the config leaves out with open
  orders (``panel``: its name), until it is configured again or has none;
- ``orphaned_wal_found``: a ``-wal`` kept aside beside the database
  (``panel``: its name, size and time, :func:`tracker.store.orphans.told_kind`),
  told by a start of ``run``, the daemon's too, until it is gone or changed;
- ``notify_target_invalid``: an ``[alerts] notify`` place whose URL Apprise
  does not understand (``panel``: the place's name, ``alerts.notify[0]
  (tgram)``, never a panel's: a panel's name has no brackets, nor the URL's
  secrets), until its URL is understood or gone.

A panel's lines about one thing of it (an order's re-order not sent, in
the panel's words) are marked by :func:`told_of_panel`: ``panel`` the
panel's name, ``kind`` the line's event, the thing and a digest of the
words (``reorder_not_sent#123#ab12cd34ef56``; no byte of the panel's
answer stored), so that other words about the same thing are a new fact.

A job failing run after run (:mod:`tracker.rules.failing_jobs`) is marked
by :func:`told_once`: ``panel`` the panel's name, ``kind`` the line's event
(``balance_failed``), ``since`` and ``last_sent_at`` its first failure told;
a run of the job that does not fail ends it, the row kept with neither (as
an alert's episode closed). :func:`failing` says whether it goes on.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from tracker.clock import iso
from tracker.errors import StoreError


class Store(Protocol):
    """The database the marks are kept in, as used here
    (:class:`tracker.store.connection.Connection`, which imports
    :mod:`tracker.store.orphans`, a user of this module, through
    :mod:`tracker.store.identity`: a Protocol, no import)."""

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]: ...

    def write(
        self, what: str | None = None, *, temp_in_memory: bool = False
    ) -> AbstractContextManager[Any]: ...


UNCONFIGURED = "orders_of_unconfigured_panel"
NOTIFY_INVALID = "notify_target_invalid"


def told_before(store: Store, kind: str, found: Iterable[str], now: datetime) -> dict[str, str]:
    """Given the line's event and what a run found to tell of it now, return
    those an earlier run told, each with when; mark the others told now and
    delete the marks of what is no longer found, in one transaction (none
    when nothing changed). A database that cannot say: none told (each told
    at its level), and what it did not take is marked at a later run."""
    now_found = set(found)
    rows = _read(store, "SELECT panel, since FROM alert_state WHERE kind = ?", [kind])
    if rows is None:
        return {}
    stored = {str(row["panel"]): row["since"] or "" for row in rows}
    new = [(what, kind, iso(now)) for what in sorted(now_found - stored.keys())]
    gone = [(what, kind) for what in sorted(stored.keys() - now_found)]
    _mark(store, kind, new, gone)
    return {what: since for what, since in stored.items() if what in now_found}


def told_of_panel(
    store: Store,
    panel: str,
    line: str,
    found: Mapping[str, str],
    now: datetime,
    *,
    asked: Iterable[str] | None = None,
) -> dict[str, str]:
    """Given a panel's line (``reorder_not_sent``...) and what a run found to
    tell of it now, each thing (an order's ID) with its words, return those
    an earlier run told in the same words, each with when; mark the others
    told now, and delete the marks of the things no longer found in the
    same words, of every thing of the panel's line or of those ``asked``
    alone (the others left as they are: not looked at this time). A
    database that cannot say: none told."""
    marks = {f"{line}#{what}#{words_mark(words)}": what for what, words in found.items()}
    prefix = f"{line}#"
    rows = _read(
        store,
        "SELECT kind, since FROM alert_state WHERE panel = ? AND substr(kind, 1, ?) = ?",
        [panel, len(prefix), prefix],
    )
    if rows is None:
        return {}
    looked = None if asked is None else set(asked) | set(found)
    stored = {str(row["kind"]): row["since"] or "" for row in rows}
    new = [(panel, kind, iso(now)) for kind in sorted(marks.keys() - stored.keys())]
    gone = [
        (panel, kind)
        for kind in sorted(stored.keys() - marks.keys())
        if looked is None or kind[len(prefix) :].rsplit("#", 1)[0] in looked
    ]
    _mark(store, line, new, gone)
    return {marks[kind]: since for kind, since in stored.items() if kind in marks}


def told_of_panel_before(store: Store, panel: str, line: str, what: str) -> bool:
    """Return whether an earlier run told ``line`` of ``what`` (an order's
    ID), in any words, its mark kept (:func:`told_of_panel`): an episode
    going on. A database that cannot say: False (told)."""
    prefix = f"{line}#{what}#"
    rows = _read(
        store,
        "SELECT 1 FROM alert_state WHERE panel = ? AND substr(kind, 1, ?) = ? LIMIT 1",
        [panel, len(prefix), prefix],
    )
    return bool(rows)


# A job's run of failures: its row, told (since set); begun; ended, kept.
_RUN_TOLD = (
    "SELECT 1 FROM alert_state WHERE panel = ? AND kind = ? AND since IS NOT NULL "
    "AND since != '' LIMIT 1"
)
_RUN_BEGUN = (
    "INSERT INTO alert_state (panel, kind, active, since, last_sent_at) VALUES (?, ?, 0, ?, ?) "
    "ON CONFLICT (panel, kind) DO UPDATE SET active = 0, since = excluded.since, "
    "last_sent_at = excluded.last_sent_at"
)
_RUN_ENDED = (
    "UPDATE alert_state SET active = 0, since = NULL, last_sent_at = NULL "
    "WHERE panel = ? AND kind = ?"
)


def failing(store: Store, panel: str, line: str) -> bool:
    """Return whether the job of ``line`` (``balance_failed``...) has failed
    at its last run, told then: its calls given up now are told already.
    A database that cannot say: False."""
    return bool(_read(store, _RUN_TOLD, [panel, line]))


def told_once(store: Store, panel: str, line: str, failed: bool, now: datetime) -> bool:
    """The job of ``line`` just ran, ``failed`` or not: mark its run of
    failures begun, or ended by a run not failed; return whether this
    failure was told already (by an earlier run of the job). A database
    that cannot say: False (told at its level), nothing marked."""
    rows = _read(store, _RUN_TOLD, [panel, line])
    if rows is None:
        return False
    told = bool(rows)
    begun = [(panel, line, iso(now), iso(now))] if failed and not told else []
    ended = [(panel, line)] if told and not failed else []
    _mark(store, None, begun, ended, insert=_RUN_BEGUN, delete=_RUN_ENDED)
    return told and failed


def hold_told(store: Store, panel: str, why: str | None, now: datetime) -> bool:
    """Given why a panel's refill round is held now (None: it is not),
    return whether an earlier run told a hold of the same calls (its start
    left out: each run's failures begin anew), no round run since; mark it.
    Not held ends the episode (the mark deleted)."""
    found = {} if why is None else {"round": re.sub(r" since \S+", "", why)}
    return bool(told_of_panel(store, panel, "refill_round_held", found, now))


def words_mark(words: str) -> str:
    """A digest of a line's words, 12 hex digits: a mark of them, not them."""
    import hashlib  # here: OpenSSL's load is no read command's (~2 ms of its start)

    return hashlib.sha256(words.encode("utf-8", "replace")).hexdigest()[:12]


def _read(store: Store, sql: str, params: list[Any]) -> list[dict[str, Any]] | None:
    """The marks ``sql`` reads; None when the database cannot say (busy)."""
    try:
        return store.rows(sql, params)
    except (StoreError, sqlite3.Error):
        return None


_INSERT = (
    "INSERT INTO alert_state (panel, kind, active, since) VALUES (?, ?, 0, ?) "
    "ON CONFLICT (panel, kind) DO NOTHING"
)
_DELETE = "DELETE FROM alert_state WHERE panel = ? AND kind = ?"


def _mark(
    store: Store,
    kind: str | None,
    new: Sequence[tuple[str, ...]],
    gone: Sequence[tuple[str, str]],
    *,
    insert: str = _INSERT,
    delete: str = _DELETE,
) -> None:
    """Insert the ``new`` marks (panel, kind, since), delete the ``gone``
    ones (panel, kind), in one transaction (none when neither), the write
    named ``<kind> told`` (None: unnamed, a job's). ``insert`` and
    ``delete``: the SQL of each (a job's run: begun, ended)."""
    if not (new or gone):
        return
    try:
        with store.write(None if kind is None else f"{kind} told") as db:
            db.conn.executemany(delete, gone)
            db.conn.executemany(insert, new)
    except (StoreError, sqlite3.Error):
        pass  # told at its level now, and again at the next run


def notify_told(store: Store, now: datetime) -> Callable[[list[str]], Mapping[str, str]]:
    """Return what :func:`tracker.alerts.notify.targets` asks with the names
    of the notify places it refused: those an earlier run told, marked."""

    def told(refused: list[str]) -> Mapping[str, str]:
        return told_before(store, NOTIFY_INVALID, refused, now)

    return told


# The lines told of one order, the thing of their mark its ID: ``prune``
# deletes their marks with the order. Other lines' things are digests of
# words, which may read as a number.
OF_ORDERS = ("probe_failed", "reorder_not_sent")


def forget_orders(conn: sqlite3.Connection, panel: str, order_ids: Iterable[int]) -> None:
    """Delete the panel's marks of :data:`OF_ORDERS` lines told of one of
    ``order_ids``, in the caller's transaction (a batch of ``prune``'s)."""
    gone = {str(order) for order in order_ids}
    if not gone:
        return
    either = " OR ".join("kind GLOB ?" for _ in OF_ORDERS)
    found = conn.execute(
        f"SELECT kind FROM alert_state WHERE panel = ? AND ({either})",
        [panel, *(f"{line}#*" for line in OF_ORDERS)],
    ).fetchall()
    dead = [(panel, kind) for (kind,) in found if str(kind).split("#", 2)[1] in gone]
    conn.executemany("DELETE FROM alert_state WHERE panel = ? AND kind = ?", dead)
