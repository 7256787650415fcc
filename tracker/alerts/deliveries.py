"""How alerts fared on their way out, for the whole process: counters that
outlive reloads (each reload builds a new sink) and never go back.

``target`` is ``webhook`` or ``notify`` (every Apprise target together);
``outcome`` is ``sent`` (late ones too), ``failed`` (not taken after its
tries: kept to be tried again, see :mod:`tracker.alerts.redeliver`),
``given_up`` (kept ``alerts.redeliver_for`` and never taken) or ``dropped``
(never queued: the queue was full). The metrics endpoint serves them as
``smm_tracker_alert_deliveries_total``: an operator alerts on alerts that do
not reach anyone.

:class:`Outages` keeps each target's run of failures for the log: a webhook
down for an hour failed every alert raised meanwhile, each its own warning.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

WEBHOOK = "webhook"
NOTIFY = "notify"
SENT, FAILED, DROPPED, GIVEN_UP = "sent", "failed", "dropped", "given_up"
OUTCOMES = (SENT, FAILED, DROPPED, GIVEN_UP)


class Deliveries:
    """Thread-safe counts by (target, outcome)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[tuple[str, str]] = Counter()

    def count(self, target: str, outcome: str, n: int = 1) -> None:
        with self._lock:
            self._counts[(target, outcome)] += n

    def snapshot(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return dict(self._counts)


DELIVERIES = Deliveries()  # the process's: every sink of every reload counts here


class Outages:
    """Each target's run of failed deliveries, for its log lines: the first
    failure of a run is told at warning, the rest at debug, and the run ends
    in one line when the target takes an alert again. One sink's, in memory:
    the daemon's sinks keep their targets' outages in the database too
    (:class:`tracker.alerts.outages_kept.KeptOutages`). Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failed: dict[str, int] = {}

    def failed(self, target: str) -> bool:
        """``target`` did not take an alert: return True when that begins a run."""
        with self._lock:
            self._failed[target] = self._failed.get(target, 0) + 1
            return self._failed[target] == 1

    def took(self, target: str) -> int:
        """``target`` took an alert: return how many failed in the run that
        ends (0: none was running)."""
        with self._lock:
            return self._failed.pop(target, 0)

    def ended(self, target: str) -> tuple[int, datetime | None] | None:
        """``target`` took an alert: return how many failed in the outage that
        ends and when it began (None: not known), or None when none was going."""
        failed = self.took(target)
        return (failed, None) if failed else None

    def let_go(self) -> None:
        """The sink's thread was given up on (its store closing): keep to
        memory from now on. One sink's, in memory already: nothing to do."""
