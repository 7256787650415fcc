"""Noticing the wall clock being stepped (NTP, an operator, a VM restored).

APScheduler 3 keeps its next run times in wall-clock time: after the clock
is set back an hour, every job (the watchdog's heartbeat too) waits that hour
before it runs again. The main loop asks :class:`ClockWatch` a few times a
second whether the wall clock moved against the monotonic one, and has the
scheduler run every job now when it did (see ``Scheduler.run_all_now``); so
does a reload's handover while it waits for a panel's hanging call, which may
take that panel's ``timeout``: minutes, longer than systemd's watchdog waits.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# More than this between two looks a fifth of a second apart is a step, not
# NTP's slewing (at most half a millisecond per second). The one figure the
# reachability rule tells a step within a run of failed calls by, too.
from tracker.rules.clocksteps import STEP_SECONDS


class ClockWatch:
    """Given the wall and monotonic clocks, tell when the wall clock was stepped."""

    def __init__(
        self,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        step: float = STEP_SECONDS,
    ):
        self._wall, self._monotonic, self._step = wall, monotonic, step
        self._offset = wall() - monotonic()

    def stepped(self) -> float | None:
        """Return how many seconds the wall clock jumped since the last look
        (negative: set back), or None when it did not."""
        offset = self._wall() - self._monotonic()
        jump, self._offset = offset - self._offset, offset
        return jump if abs(jump) > self._step else None
