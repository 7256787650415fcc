"""One call's retry budget: how long each attempt may run, whether to retry.

tenacity's ``stop_before_delay`` only decides whether to sleep before a retry:
the attempt after the sleep still had the whole ``timeout``, so a call with a
budget of 8 s and a timeout of 5 s ran 11.6 s against a panel dripping its
answer. Here the budget ends at one moment, fixed when the call starts; a
retry's whole-call deadline is what is left of it (at most ``timeout``), and
a retry with less than :data:`MIN_ATTEMPT` left is not started. The first
attempt always has the whole ``timeout`` (a budget of 0 means no retries, not
no call), so a call ends within the larger of ``timeout`` and the budget.
The panel transport and the webhook both retry within one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import tenacity

from tracker.errors import RateLimitedError, TransientError

# The least time left that a retry is started with: a second (or the whole
# timeout, when shorter), about one round trip and a connect.
MIN_ATTEMPT = 1.0
BACKOFF = tenacity.wait_exponential_jitter(multiplier=1, max=30, jitter=1)
# The longest a panel's wish (Retry-After, a rate limit's reset) is waited at
# a time; the request after it finds out whether the panel still refuses.
LONGEST_WAIT = 120.0


class Budget(tenacity.stop.stop_base):
    """Given ``timeout`` and ``budget`` (seconds) at the start of a call, say
    how long its next attempt may run and (a tenacity stop) whether a retry
    is worth starting."""

    def __init__(self, timeout: float, budget: float, clock: Callable[[], float] = time.monotonic):
        self.timeout = timeout
        self.seconds = budget
        self._clock = clock
        self._end = clock() + budget
        self._started = 0
        self._least = min(MIN_ATTEMPT, timeout)
        self._last = ""
        self._status: int | None = None  # the HTTP code of the answer _last is about
        self._held = False  # the next attempt waited for a panel's rate limit first
        # Stopped as the wait asked would run past the budget: True (a retry's
        # wait), None (a rate limit's hold, its failure saying so), else False.
        self._outwaited: bool | None = False

    def left(self) -> float:
        """Return the seconds left of the budget (negative once it is spent)."""
        return self._end - self._clock()

    def next_attempt(self, *, panel: str, action: str) -> float:
        """Return the whole-call deadline (seconds from now) of the attempt
        about to start. A retry left too little of the budget (its wait for
        the rate limit or a free slot took it) is not sent: TransientError."""
        seconds = self.attempt()
        if seconds is None:
            raise TransientError(self.spent(), panel=panel, action=action, status=self._status)
        return seconds

    def attempt(self) -> float | None:
        """Return the whole-call deadline (seconds from now) of the attempt
        about to start, or None for a retry left too little of the budget."""
        self._started += 1
        if self._started == 1 and not self._held:
            return self.timeout
        left = self.left()
        return None if left < self._least else min(self.timeout, left)

    def hold(self, seconds: float) -> bool:
        """Return True when the next attempt, held ``seconds`` first (a panel's
        rate limit spent), still starts with the least an attempt is given, as
        a retry after that wait would; it then has what is left of the budget
        (at most ``timeout``), the first attempt too. False: not worth waiting."""
        if self.left() - seconds < self._least:
            self._outwaited = None  # the hold's own failure says so: see outlasted
            return False
        self._held = True
        return True

    def spent(self) -> str:
        """Return why the attempt was not started: the failure it followed,
        and the budget spent."""
        spent = f"retry budget ({self.seconds:g}s) spent before attempt {self._started}"
        return f"{self._last} ({spent})"

    def __call__(self, state: tenacity.RetryCallState) -> bool:
        """Return True (stop) when the retry would start, after its wait, with
        less than the least an attempt is given."""
        exc = state.outcome.exception() if state.outcome else None
        self._last = getattr(exc, "detail", str(exc))  # what the next attempt follows
        self._status = getattr(exc, "status", None)  # and its answer's HTTP code
        left = self.left()
        stop = left - (state.upcoming_sleep or 0.0) < self._least
        if self._outwaited is not None:
            self._outwaited = stop and left >= self._least
        return stop

    def outlasted(self, exc: TransientError) -> TransientError:
        """Return ``exc``, the call's last failure; when it was a rate limit
        whose wait would have run past the budget (no retry sent), one saying
        so: "rate limited (HTTP 429: ...): the panel asks us to wait 300s,
        past this call's retry budget of 60s"."""
        asked = exc.retry_after
        if not (self._outwaited and isinstance(exc, RateLimitedError) and asked is not None):
            return exc
        wait = "more than a day" if asked > 86_400 else f"{asked:.0f}s"
        budget = f"this call's retry budget of {self.seconds:g}s"
        if self._started > 1:  # earlier attempts took some of it
            budget = f"the {max(0.0, self.left()):.0f}s left of {budget}"
        said = f"{exc.detail}: the panel asks us to wait {wait}, past {budget}"
        return RateLimitedError(
            said, retry_after=asked, panel=exc.panel, action=exc.action, status=exc.status
        )

    @staticmethod
    def wait(state: tenacity.RetryCallState) -> float:
        """tenacity's wait: the panel's Retry-After (at most :data:`LONGEST_WAIT`), else
        backoff. A wish under a second (``Retry-After: 0``, "retry now", a reset
        this instant) is the backoff too: a panel answering so for ever is asked
        ``retries`` more times a call, backing off, never in a tight loop."""
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is None or hinted < MIN_ATTEMPT:
            return BACKOFF(state)
        return min(float(hinted), LONGEST_WAIT)


# The words :meth:`Budget.spent` adds, whose attempt number varies from call
# to call of one outage: not part of what failed.
_SPENT = re.compile(r" \(retry budget \([^()]*\) spent before attempt \d+\)")


def gist(error: str) -> str:
    """Return what failed, without the attempt the retry budget ran out at
    (an outage told once: ``status_failed``, ``balance_failed``...)."""
    return _SPENT.sub("", error)
