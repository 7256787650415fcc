"""The simulated panel's own rate limit, said in ``X-RateLimit-*`` headers.

Part of :mod:`tracker.sim.server`. With ``ScriptQuirks(rate_limit=N)``
(``simulate --quirk rate_limit=N``) the panel takes N requests in each
minute of its clock (windows begin on the minute, as many panel scripts
count them) and answers every request with ``X-RateLimit-Limit``,
``X-RateLimit-Remaining`` (what is left of the window after it) and
``X-RateLimit-Reset`` (whole seconds until the next window). A request past
the limit is answered HTTP 429 ``{"error": "Too many requests"}`` with the
same headers; it counts, as a real panel counts it.
"""

from __future__ import annotations

import math

WINDOW = 60.0  # seconds


class RateWindow:
    """Counts the requests of the current window of :data:`WINDOW` seconds."""

    def __init__(self) -> None:
        self._start = float("-inf")
        self._used = 0

    def take(self, now: float, limit: int) -> tuple[bool, dict[str, str]]:
        """Count one request at ``now`` (the panel's clock) against ``limit``
        a window; return (over the limit, the headers its answer carries)."""
        start = now - now % WINDOW
        if start != self._start:
            self._start, self._used = start, 0
        self._used += 1
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - self._used)),
            "X-RateLimit-Reset": str(max(1, math.ceil(start + WINDOW - now))),
        }
        return self._used > limit, headers
