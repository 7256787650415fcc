"""A per-panel request rate limit: a thread-safe token bucket.

Panels throttle per key ("120 status checks per minute"); going over earns
429s, or a blocked key. One :class:`RateLimiter` per panel is handed to its
:class:`~tracker.client.PanelClient` (``limiter=``), so every job of that
panel (status polls, refills, balance) draws from the same bucket, and a
retry counts like any other request.

Time is injected: ``clock`` (monotonic seconds) and ``sleep`` make the
limiter testable without waiting. A shutdown never waits out the bucket: the
wait ends as soon as ``stop_event`` is set, and the request is not sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tracker.errors import StopRequested

# Requests leave 1 % further apart than the rate says: what the panel counts
# is when they arrive, and network jitter can bring two arrivals closer than
# they left. With this headroom, arrivals may shift by up to 0.6 s without
# ``per_minute + 1`` of them ever landing inside one 60-second window.
HEADROOM = 1.01


class RateLimitStopped(StopRequested):
    """The tracker is stopping: a request waiting for the rate limit was not sent."""


class RateLimiter:
    """Given a rate per minute, let callers through no faster than that.

    The bucket holds ``burst`` tokens (default 1: requests are spaced evenly,
    ``60 / per_minute`` seconds apart plus :data:`HEADROOM`, so no 60-second
    window ever holds more than ``per_minute`` of them). It is kept as the
    "theoretical arrival time" of the generic cell rate algorithm: each caller
    reserves the next slot under a lock and waits for it outside the lock, so
    waiting threads go out in arrival order and never hold each other up.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] | None = None,
        stop_event: threading.Event | None = None,
        panel: str = "",
    ):
        if per_minute <= 0:
            raise ValueError("per_minute must be positive (no limit means no limiter)")
        if burst < 1:
            raise ValueError("burst must be at least 1")
        self.interval = 60.0 / per_minute * HEADROOM  # seconds per token
        self.panel = panel
        self._tolerance = self.interval * (burst - 1)  # how far ahead a burst may run
        self._clock = clock
        self._stop = stop_event or threading.Event()
        # Waiting on the stop event is what makes a shutdown cut the wait short.
        self._sleep = sleep or self._stop.wait
        self._lock = threading.Lock()
        self._next_free = clock()  # when the bucket is next short of a token
        self.waited = 0.0  # seconds callers have spent waiting, in total

    def reserve(self) -> float:
        """Take the next slot; return the clock time at which it may be used."""
        with self._lock:
            now = self._clock()
            due = max(self._next_free, now)
            self._next_free = due + self.interval
            send_at = max(now, due - self._tolerance)
            self.waited += send_at - now
            return send_at

    def __call__(self) -> None:
        """Return once a request may go out.

        Raise RateLimitStopped if the stop event is (or becomes) set first.
        """
        self._check_stop()
        send_at = self.reserve()
        while (delay := send_at - self._clock()) > 0:
            self._sleep(delay)
            self._check_stop()

    def _check_stop(self) -> None:
        if self._stop.is_set():
            raise RateLimitStopped("stopping: request not sent", panel=self.panel)
