"""The wall clock's forward steps, seen between two looks at one thing.

A run of failed calls (or polls) counts from its first failure; when the wall
clock stepped forward inside it (a VM resumed after hours asleep, NTP or an
operator setting it ahead), the gap was never spent failing: nothing was
tried in it. :class:`Looks` reads the wall and the monotonic clock at each
look and tells the rules (:func:`tracker.rules.alerts.stepped_forward`)
whether the wall clock went further than the monotonic one since the last.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from tracker.clock import Clock
from tracker.rules.alerts import stepped_forward


class Looks:
    """Given the wall clock and its monotonic twin (returning None: unknown,
    as a test's own clock), remember each key's last look."""

    def __init__(self, clock: Clock, monotonic: Callable[[], float | None]):
        self._clock, self._monotonic = clock, monotonic
        self._last: dict[str, tuple[datetime, float | None]] = {}
        self._lock = threading.Lock()

    def look(self, key: str) -> tuple[datetime, bool]:
        """Return now, and whether the wall clock stepped forward since the
        last look at ``key`` (never at the first)."""
        with self._lock:
            now, tick = self._clock(), self._monotonic()
            before, tick_before = self._last.get(key, (None, None))
            self._last[key] = (now, tick)
        return now, stepped_forward(before, tick_before, now, tick)
