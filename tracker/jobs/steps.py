"""The wall clock's forward steps, seen between two looks at one thing.

A run of failed calls (or polls) counts from its first failure; when the wall
clock stepped forward inside it (a VM resumed after hours asleep, NTP or an
operator setting it ahead), the gap was never spent failing: nothing was
tried in it. :class:`Looks` reads the wall and the monotonic clock at each
look and tells the rules (:func:`tracker.rules.clocksteps.clock_step`) how much
further (or less far) the wall clock went than the monotonic one since the last.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from tracker.clock import Clock
from tracker.rules.clocksteps import clock_step


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
        now, step = self.step(key)
        return now, step > 0

    def step(self, key: str) -> tuple[datetime, float]:
        """Return now, and the seconds the wall clock stepped since the last
        look at ``key`` (:func:`tracker.rules.clocksteps.clock_step`: below 0
        set back; 0.0 at the first look)."""
        with self._lock:
            now, tick = self._clock(), self._monotonic()
            before, tick_before = self._last.get(key, (None, None))
            self._last[key] = (now, tick)
        return now, clock_step(before, tick_before, now, tick)
