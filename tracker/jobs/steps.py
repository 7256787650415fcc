"""The wall clock's steps and sleeps, seen between two looks at one thing.

A run of failed calls (or polls) counts from its first failure; when the wall
clock stepped forward inside it (a VM resumed after hours asleep, NTP or an
operator setting it ahead), the gap was never spent failing: nothing was
tried in it. :class:`Looks` reads the wall, the monotonic and (on Linux) the
boot clock at each look and tells the rules
(:func:`tracker.rules.clocksteps.clock_gap`) how much further (or less far)
the wall clock went than the monotonic one since the last, and how much of
that was asleep; it sums the gaps inside an open episode for its recovery's
words (:mod:`tracker.rules.watched`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime

from tracker.clock import Clock
from tracker.rules.clocksteps import Gap, clock_gap

Ticks = Callable[[], float | None]  # a monotonic or boot clock; None: unknown


def _unknown() -> float | None:
    return None


class Looks:
    """Given the wall clock, its monotonic twin and the boot clock (each
    returning None: unknown, as a test's own clock), remember each key's
    last look, and the gaps summed while each key's episode is open."""

    def __init__(self, clock: Clock, monotonic: Ticks, boottime: Ticks | None = None):
        self._clock, self._monotonic = clock, monotonic
        self._boottime = boottime or _unknown
        self._last: dict[str, tuple[datetime, float | None, float | None]] = {}
        self._open: dict[str, Gap] = {}  # key -> the gaps inside its open episode
        self._stepped: dict[str, float] = {}  # key -> the monotonic clock at its last gap
        self._lock = threading.Lock()

    def look(self, key: str) -> tuple[datetime, bool]:
        """Return now, and whether the wall clock stepped forward (or the
        machine slept) since the last look at ``key`` (never at the first)."""
        now, gap = self.step(key)
        return now, gap.forward

    def step(self, key: str) -> tuple[datetime, Gap]:
        """Return now, and the clock's gap since the last look at ``key``
        (:func:`tracker.rules.clocksteps.clock_gap`; none at the first)."""
        now, gap, _tick, _stepped_at = self.ended(key)
        return now, gap

    def ended(self, key: str) -> tuple[datetime, Gap, float | None, float | None]:
        """As :meth:`step`, with the monotonic clock now and at the last look
        at ``key`` that saw a gap, this one included (None: not known, or
        none seen): a call ending now that began before it spans a step."""
        with self._lock:
            now = (self._clock(), self._monotonic(), self._boottime())
            gap = clock_gap(self._last.get(key), now)
            self._last[key] = now
            if gap and now[1] is not None:
                self._stepped[key] = now[1]
            return now[0], gap, now[1], self._stepped.get(key)

    def inside(self, key: str, was_open: bool, step: Gap) -> Gap:
        """Given whether ``key``'s episode was open before this look and the
        gap since the last, return the gaps inside that episode so far (this
        one too); none when it was not open."""
        with self._lock:
            gaps = self._open.get(key, Gap()) + step if was_open else Gap()
            self._open[key] = gaps
        return gaps
