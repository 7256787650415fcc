"""Alerts: one type, one way out (log, ``alerts`` table, webhook), once per episode.

:func:`raise_alert` never raises and never needs a working database: a
database that is full or read-only costs the stored row, not the log line or
the webhook. :class:`Alerter` adds episodes ("once per episode"), kept in
memory and in ``alert_state`` so they survive a restart.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import structlog

from tracker.clock import Clock, utcnow
from tracker.errors import StoreError
from tracker.redact.scrub import redact_text
from tracker.rules.episodes import Alert, Episode
from tracker.store import alerts as store_alerts
from tracker.terminal import escape_controls

log = structlog.get_logger("tracker.alerts")


class Sink(Protocol):
    def send(self, alert: Alert) -> bool: ...


def _plain(value: Any) -> Any:
    """Return ``value`` as JSON-ready data with every registered secret scrubbed."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal | datetime):
        return str(value)
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    return redact_text(str(value))


def raise_alert(
    alert: Alert,
    *,
    store: Any = None,
    sink: Sink | None = None,
    clock: Clock = utcnow,
    episode: tuple[str, str, Episode] | None = None,
) -> Alert:
    """Given an alert, log it, store it and hand it to the sink; return it with
    its time (and its ID once stored).

    ``store`` may be None or broken: the failure is logged and the alert
    still goes to the log and the sink. ``episode`` (panel, kind, state) is
    saved in the same transaction as the alert. Never raises.
    """
    alert = replace(
        alert,
        at=alert.at or clock(),
        # A panel's words in it (a currency, a status) as characters: never
        # an escape a terminal, a phone or a chat client obeys or hides.
        message=escape_controls(redact_text(alert.message)),
        data=_plain(alert.data),
    )
    # At warning at least, a recovery (severity info) too: unlike the other
    # lines ending an episode (info), the alert line is the alert itself for a
    # user with no webhook (cron mails stderr at --log-level warning), and
    # panel_recovered must reach whoever panel_unreachable reached.
    level = "error" if alert.severity == "error" else "warning"
    log.log(
        40 if level == "error" else 30,
        "alert",
        alert=alert.kind,
        panel=alert.panel,
        severity=alert.severity,
        message=alert.message,
        data=alert.data,
    )
    if store is not None:
        try:
            alert = replace(alert, id=store_alerts.record_alert(store, alert, episode))
        except (StoreError, sqlite3.Error) as exc:
            log.error("alert_not_stored", alert=alert.kind, error=str(exc))
    if sink is not None:
        try:
            sink.send(alert)
        except Exception as exc:  # a sink's bug must not stop the caller
            log.error("alert_not_sent", alert=alert.kind, error=str(exc))
    return alert


class Alerter:
    """Given a store (or None) and a sink (or None), raise alerts once per episode.

    Thread-safe: observers and jobs of several panels call it at once.
    """

    def __init__(self, store: Any = None, sink: Sink | None = None, *, clock: Clock = utcnow):
        self.store = store
        self.sink = sink
        self.clock = clock
        self._lock = threading.RLock()
        self._episodes: dict[tuple[str, str], Episode] = {}
        # Episodes whose new state (and the alert that came with it) could not
        # be stored (database busy, full): stored at the next update, so a
        # restart does not reopen them and raise their alert again.
        self._unsaved: dict[tuple[str, str], tuple[Episode, Alert | None]] = {}

    def raise_alert(self, alert: Alert) -> Alert:
        """Raise an alert that has no episode (each one is news)."""
        return raise_alert(alert, store=self.store, sink=self.sink, clock=self.clock)

    def episode(self, panel: str, kind: str) -> Episode | None:
        """Return the episode (panel, kind): from memory, else from the database;
        None when the database cannot say (busy): nothing is assumed of it."""
        with self._lock:
            key = (panel, kind)
            if key not in self._episodes:
                loaded = None
                if self.store is not None:
                    try:
                        loaded = store_alerts.load_episode(self.store, panel, kind)
                    except (StoreError, sqlite3.Error) as exc:
                        log.error(
                            "alert_state_unreadable",
                            panel=panel,
                            kind=kind,
                            error=str(exc),
                            deferred="judged again at the next update",
                        )
                        return None
                self._episodes[key] = Episode(*loaded) if loaded else Episode()
            return self._episodes[key]

    def update(
        self,
        panel: str,
        kind: str,
        judge: Callable[[Episode], tuple[Episode, Alert | None]],
    ) -> Alert | None:
        """Given an episode and a pure ``judge`` of it, apply the judgement.

        ``judge`` returns the new episode and the alert to raise (or None).
        The alert and the episode are stored together; a quiet change of the
        episode is stored on its own. Return the alert raised, if any.
        """
        with self._lock:
            self._save_unsaved()
            before = self.episode(panel, kind)
            if before is None:
                # Judged against a closed episode, an open one (stored) would
                # alert again, and a close never be stored: wait for the state.
                return None
            after, alert = judge(before)
            key = (panel, kind)
            self._episodes[key] = after
            state = (panel, kind, after)
            if alert is not None:
                alert = raise_alert(
                    alert, store=self.store, sink=self.sink, clock=self.clock, episode=state
                )
                if alert.id is None and self.store is not None:
                    self._unsaved[key] = (after, alert)
                return alert
            if after != before and self.store is not None:
                self._unsaved[key] = (after, self._unsaved.get(key, (after, None))[1])
                self._save_unsaved(first=key)
            return None

    def close(self) -> None:
        """Store what could not be stored before, once more; say what is lost
        when the database still refuses (a restart may raise it again)."""
        with self._lock:
            self._save_unsaved()
            if self._unsaved:
                lost = sorted(f"{panel}:{kind}" for panel, kind in self._unsaved)
                log.error("alert_state_lost_at_stop", episodes=lost)

    def _save_unsaved(self, first: tuple[str, str] | None = None) -> None:
        """Store the episodes whose state could not be stored before; a failure
        is logged once per episode (``first``: the one just changed)."""
        for (panel, kind), (episode, alert) in list(self._unsaved.items()):
            try:
                if alert is not None:
                    store_alerts.record_alert(self.store, alert, (panel, kind, episode))
                else:
                    store_alerts.save_episode(self.store, (panel, kind, episode))
            except (StoreError, sqlite3.Error) as exc:
                if first is not None:
                    log.error("alert_state_not_stored", panel=panel, kind=kind, error=str(exc))
                return
            del self._unsaved[(panel, kind)]
