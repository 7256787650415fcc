"""Alerts a target did not take, kept and tried again later.

The webhook sink hands each final failure (its tries spent) of a stored
alert to a :class:`Keeper`, which notes it in ``alert_deliveries``; at each
look (:data:`tracker.rules.redelivery.LOOK_EVERY`) the sink's thread runs
:func:`redeliver` over the alerts due again: one attempt per target, the
alert marked late. A target that fails again stops the pass for that target
(its other alerts wait for the next look, their place kept). Delivered: the
row is deleted; past ``alerts.redeliver_for``: given up, logged, kept for
``alerts --undelivered`` and ``alerts --resend ID``.

Never raises: a database that cannot take the note costs the second try
(one ``alert_not_kept`` line), never the sink's thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

import structlog

from tracker.alerts.deliveries import DELIVERIES, FAILED, GIVEN_UP, NOTIFY, SENT, WEBHOOK
from tracker.clock import Clock, iso
from tracker.errors import StoreError
from tracker.redact.scrub import redact_text
from tracker.rules.episodes import Alert
from tracker.rules.redelivery import (
    NO_TARGET,
    NOT_TRIED,
    PER_PASS,
    REMOVED,
    late_note,
    no_target,
    not_understood,
)
from tracker.store import outbox
from tracker.store.outbox import EVERY

log = structlog.get_logger("tracker.webhook")

# A target's delivery of one alert with the words to put before its text
# ("" for none): None when taken, else why not (never the URL).
Deliver = Callable[[Alert, str], str | None]

# One look at a time in a process: at a reload the new sink's first look
# would read the rows the old sink's look is still sending (sent twice).
_LOOKING = threading.Lock()


class Keeper:
    """Given a store, a wall clock and ``alerts.redeliver_for`` (seconds; 0:
    nothing kept), keep the alerts a target did not take. ``unread``: the
    notify targets in the config whose URL Apprise does not understand (never
    sent to: their alerts given up in those words, not as removed)."""

    def __init__(self, store: Any, clock: Clock, window: float, unread: Collection[str] = ()):
        self.store = store
        self.unread = frozenset(unread)
        self.clock = clock
        self.window = window
        self.troubles = 0  # notes the database did not take: no look again at once
        # Taken, but its row could not be deleted (the database busy or
        # read-only): not sent again, its row deleted at a later look.
        self.taken: set[tuple[int | None, str]] = set()

    def failed(
        self, alert: Alert, target: str, error: str, *, last: bool = False, tried: bool = True
    ) -> datetime | None:
        """Note a failure of ``target`` with ``alert`` (``last``: no second
        try; ``tried`` False: not sent there, no failure counted); return
        when it is tried again, None when never."""
        if alert.id is None or self.window <= 0 or self.store is None:
            return None  # never stored (the database refused it), or nothing is kept
        error = redact_text(error)  # a receiver's words may quote the URL or the key
        try:
            window = 0 if last else self.window
            due = outbox.failed(self.store, alert.id, target, error, self.clock(), window, tried)
        except (StoreError, sqlite3.Error) as exc:
            self.troubles += 1
            log.error("alert_not_kept", alert=alert.kind, alert_id=alert.id, error=str(exc))
            return None
        if due is None:
            if target != EVERY:  # "*": no target to count it against
                DELIVERIES.count(_series(target), GIVEN_UP)
            log.error(
                "alert_given_up",
                alert=alert.kind,
                alert_id=alert.id,
                panel=alert.panel,
                target=target,
                error=error,
            )
        else:
            log.info(
                "alert_kept", alert=alert.kind, alert_id=alert.id, target=target, next_at=iso(due)
            )
        return due

    def wake(self, targets: set[str]) -> bool:
        """Have the alerts kept for ``targets`` tried at once: each just took
        a new alert, so it is back. Return True when any was waiting."""
        if self.window <= 0 or self.store is None:
            return False
        try:
            return outbox.wake(self.store, targets, self.clock())
        except (StoreError, sqlite3.Error) as exc:  # tried at their own time instead
            log.warning("alerts_redelivery_unread", error=str(exc))
            return False

    def hold(self, target: str, until: datetime) -> None:
        """Have the target's other alerts wait with the one that failed (none
        past its own window's end)."""
        try:
            outbox.hold(self.store, target, until, self.clock(), self.window)
        except (StoreError, sqlite3.Error) as exc:  # tried at the next look instead
            log.warning("alerts_redelivery_unread", error=str(exc))

    def expire(self, target: str, error: str) -> None:
        """Give up the target's alerts whose window has ended: it just failed."""
        error = redact_text(error)
        try:
            gone = outbox.expire(self.store, target, error, self.clock(), self.window)
        except (StoreError, sqlite3.Error) as exc:  # given up at a later failure instead
            log.warning("alerts_redelivery_unread", error=str(exc))
            return
        for row in gone:
            DELIVERIES.count(_series(target), GIVEN_UP)
            log.error(
                "alert_given_up",
                alert=row["kind"],
                alert_id=row["id"],
                panel=row["panel"],
                target=target,
                error=error,
            )

    def give_up_all(self, why: str | None = None) -> int:
        """The daemon sends to no target (none configured, or only URLs Apprise
        does not understand), or sends nothing again (``why``: its words):
        give up every alert still tried, at once, each logged with why
        (:func:`no_target` by default), whatever ``alerts.redeliver_for``
        says; return how many. Nothing else would ever look at them.

        Never waits: while a reload's other sink (the old generation's) is
        looking, sending them to a slow target, they stay kept (the old
        sink's own queue too, sent or kept at its close) and the next start
        or reload gives them up. Waiting for that look held the reload, and
        the daemon's new jobs, up to 5 s."""
        if self.store is None or not _LOOKING.acquire(blocking=False):
            return 0
        try:
            rows = [r for r in outbox.waiting(self.store) if not r["gave_up_at"]]
            now = self.clock()
            for row in rows:
                said = why or no_target(row["target"], self.unread)
                outbox.failed(self.store, row["id"], row["target"], said, now, 0, tried=False)
                if row["target"] != EVERY:
                    DELIVERIES.count(_series(row["target"]), GIVEN_UP)
                log.error(
                    "alert_given_up",
                    alert=row["kind"],
                    alert_id=row["id"],
                    panel=row["panel"],
                    target=row["target"],
                    error=said,
                )
        except (StoreError, sqlite3.Error) as exc:  # given up at the next start instead
            log.warning("alerts_redelivery_unread", error=str(exc))
            return 0
        finally:
            _LOOKING.release()
        return len(rows)

    def delivered(self, alert: Alert, target: str) -> None:
        if alert.id is None or self.store is None:
            return
        try:
            outbox.delivered(self.store, alert.id, target)
        except (StoreError, sqlite3.Error) as exc:  # deleted at a later look, not sent again
            self.troubles += 1
            self.taken.add((alert.id, target))
            log.error("alert_not_kept", alert=alert.kind, alert_id=alert.id, error=str(exc))
        else:
            self.taken.discard((alert.id, target))

    def spread(self, alert: Alert, names: list[str], targets: Mapping[str, Any]) -> None:
        """A stop while ``alert`` goes to every target: each of ``names``
        still configured keeps a row of its own (outbox.spread)."""
        if alert.id is None or self.store is None:
            return
        untried = [n for n in names if n in targets]
        gone = [n for n in names if n not in targets]
        try:
            outbox.spread(self.store, alert.id, untried, gone, self.clock())
        except (StoreError, sqlite3.Error) as exc:  # its "*" row stays: sent to each again
            log.warning("alerts_redelivery_unread", error=str(exc))

    def due(self) -> list[tuple[Alert, list[str], int]]:
        if self.window <= 0 or self.store is None:
            return []
        try:
            return outbox.due(self.store, self.clock(), PER_PASS)
        except (StoreError, sqlite3.Error) as exc:
            log.warning("alerts_redelivery_unread", error=str(exc))
            return []


def redeliver(
    keeper: Keeper, targets: dict[str, Deliver], stopped: Callable[[], bool]
) -> dict[str, int]:
    """Try each alert due again at the targets that did not take it, marked
    late (when it was raised, before its text); return how many alerts were
    looked at, and how many deliveries succeeded, failed again and were
    skipped (their target failed earlier in this pass)."""
    counts = {"alerts": 0, "delivered": 0, "failed": 0, "skipped": 0}
    down: set[str] = set()
    for alert, names, failures in keeper.due():
        counts["alerts"] += 1
        note = late_note(alert.at, keeper.clock())
        # `alerts --resend ID`: each target configured now; so too when the
        # targets it was put back for (failures 0) are no longer configured
        every = EVERY in names or (not failures and any(n not in targets for n in names))
        if every:
            names = list(dict.fromkeys([*targets, *(n for n in names if n != EVERY)]))
        for i, name in enumerate(names):
            if stopped():
                if every:  # the rest get rows of their own: the next start sends only to them
                    keeper.spread(alert, names[i:], targets)
                return counts
            if (alert.id, name) in keeper.taken:  # taken already: only its row to delete
                keeper.delivered(alert, name)
                continue
            if name in down:
                counts["skipped"] += 1
                if every:  # its own row now, still as sent again by hand (failures 0)
                    keeper.failed(alert, name, NOT_TRIED, tried=False)
                continue
            deliver = targets.get(name)
            if deliver is None and every and targets:  # sent by hand: the targets now have it
                keeper.delivered(alert, name)
                continue
            if deliver is None:  # the config changed, or Apprise refused its URL: nowhere
                why = not_understood(name) if name in keeper.unread else REMOVED
                keeper.failed(alert, name, why, last=True, tried=False)  # given up, not tried
                counts["failed"] += 1
                continue
            error = deliver(alert, note)
            if error is None:
                keeper.delivered(alert, name)
                DELIVERIES.count(_series(name), SENT)
                log.info("alert_redelivered", alert=alert.kind, alert_id=alert.id, target=name)
                counts["delivered"] += 1
            else:  # not taken after its try, kept again: counted as a new alert's is
                DELIVERIES.count(_series(name), FAILED)
                again = keeper.failed(alert, name, error)
                if again is not None:  # still down: its other alerts wait with this one
                    keeper.hold(name, again)
                keeper.expire(name, error)  # and those whose window has ended go
                down.add(name)
                counts["failed"] += 1
        if every:
            if not names:
                keeper.failed(alert, EVERY, NO_TARGET, last=True, tried=False)
            else:
                keeper.delivered(alert, EVERY)
    return counts


def _series(target: str) -> str:
    return WEBHOOK if target == WEBHOOK else NOTIFY
