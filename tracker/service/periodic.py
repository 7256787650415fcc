"""A check run at most every so many seconds, whose True is kept.

The daemon's main loop asks it a few times a second, and so does a reload's
handover while it waits for a panel's hanging call: the check each second
(the database file replaced under the daemon, its lock taken) goes on
whatever the main thread is waiting for.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class Periodic:
    """Given a check (or None) and seconds, call it at most that often; once
    it said True, say True without calling it again (it stops the daemon, and
    says why once)."""

    def __init__(
        self,
        check: Callable[[], bool] | None,
        every: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._check, self._every, self._clock = check, every, clock
        self._next = clock() + every
        self._said = False

    def __call__(self) -> bool:
        if self._said or self._check is None or self._clock() < self._next:
            return self._said
        self._next = self._clock() + self._every
        self._said = bool(self._check())
        return self._said
