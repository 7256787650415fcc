"""A panel that says its rate limit is spent is left alone until it resets.

Panels that count requests often say so on every answer, a 200 included:
``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (or the IETF draft's
``RateLimit-*`` fields; :func:`tracker.panel.wait_hints.spent_wait` reads
them). A 429 says so too, its wait read as its retry reads it
(``Retry-After``, else ``X-RateLimit-Reset``, else the IETF draft's reset;
nothing readable: nothing held, the call's backoff alone). Unread, a
panel's other workers and jobs ran straight into its 429 every window, each
into its own, and panels behind Cloudflare or fail2ban-style rules block a
key or an address after a run of them. The call that got the 429 waits its retry's wait, the same
length from the same answer: once it is over, so is the hold.

One :class:`Pacing` per transport, so per panel: every job and worker of the
panel asks it before each request (retries included), once an in-flight
slot is theirs, and tells it every answer. The wait is at most
:data:`~tracker.panel.budget.LONGEST_WAIT` (a 429's cap: the request after
it finds out whether the panel still refuses), never past the call's retry
budget (the call fails at once as rate limited, nothing sent), and a stop
ends it at once, nothing sent. When a hold ends, those it held go
:data:`SPACING` apart, the first at the reset. Each wait to send is told to
``told`` (the one-off commands say it on stderr). Time is injected:
``clock`` (monotonic), ``wall`` (Unix time, against which a reset given as
one is read), ``sleep``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx
import structlog

from tracker.errors import RateLimitedError, StopRequested
from tracker.panel import wait_hints
from tracker.panel.budget import LONGEST_WAIT, Budget

log = structlog.get_logger("tracker.client")

# After a hold, the requests it held go one at a time, this many seconds
# apart, the first at the reset: the first's answer (most panels answer
# within the second) says whether the panel still refuses, a new hold the
# others then wait for, instead of all of them (``concurrency`` workers)
# going at the reset instant, into the same refusal.
SPACING = 1.0


class Pacing:
    """Given a panel's name and clocks, hold its next requests until the rate
    limit it said was spent resets."""

    def __init__(
        self,
        panel: str,
        clock: Callable[[], float],
        wall: Callable[[], float],
        sleep: Callable[[float], object],
        stop_event: threading.Event,
        told: Callable[[float, str], object] | None = None,
    ):
        self.panel = panel
        self.told = told  # told of each wait to send of a second or more: (seconds, why)
        self._clock, self._wall, self._sleep, self._stop = clock, wall, sleep, stop_event
        self._lock = threading.Lock()
        self._until = float("-inf")  # the clock time the panel may be asked again
        self._said = ""  # the header the current hold was read from
        self._status = 200  # the status of the answer it was read from
        self._paced = False  # in an episode: spent, and no answer since the hold said otherwise
        # After a hold, until no request waits: the turn of the next request.
        self._spacing, self._next, self._waiting = False, float("-inf"), 0

    def heard(self, response: httpx.Response, action: str) -> httpx.Response:
        """Read ``response``'s headers; when they say the rate limit is spent
        (or it is a 429 saying how long to wait), hold the panel's next
        requests until it resets. Return ``response``."""
        said = wait_hints.held_wait(response, self._wall())
        now = self._clock()
        with self._lock:
            if said is None or said[0] <= 0:  # not spent: the episode ends, its hold over
                self._paced = self._paced and self._until > now
                return response
            seconds, header = min(said[0], LONGEST_WAIT), said[1]
            if now + seconds > self._until:
                self._until, self._said = now + seconds, header
                self._status = response.status_code
                self._spacing, self._next = True, max(self._next, self._until)
            fresh, self._paced = not self._paced, True
        if fresh:  # once an episode, however many windows and requests it holds
            log.info("panel_rate_paced", panel=self.panel, action=action, wait=round(seconds, 2),
                     header=header, status=response.status_code)  # fmt: skip
        return response

    def refuse_if_stopping(self, action: str) -> None:
        if self._stop.is_set():
            raise StopRequested("stopping: request not sent", panel=self.panel, action=action)

    def wait(self, budget: Budget, action: str) -> None:
        """Return once a request of ``action`` may be sent: at once, or at its
        turn after a hold (see :data:`SPACING`). Raise StopRequested when the
        tracker is (or becomes) stopping, and TransientError (rate limited)
        when the wait outlasts the call's retry budget: nothing sent."""
        turn = slept = None  # its turn once the hold is over; what it last slept until
        tell = self.told  # once a wait: None once told
        with self._lock:
            self._waiting += 1
        try:
            while True:
                self.refuse_if_stopping(action)
                with self._lock:
                    now, until = self._clock(), self._until
                    held = until > now and until != slept  # the reset not come yet
                    if not held and (turn is None or turn < until):  # no turn after this hold
                        turn = self._take_turn(now)
                    at = until if held or turn is None else turn  # None: never, when not held
                    header, status = self._said, self._status
                left = at - now
                if left <= 0 or at == slept:  # its turn: come, or waited for
                    return
                if not budget.hold(left):
                    self._give_back(None if held else turn)
                    raise RateLimitedError(
                        _too_long(status, header, left, budget.seconds),
                        retry_after=left,
                        panel=self.panel,
                        action=action,
                    )
                if tell is not None and left >= 1.0:
                    tell(left, self._why(held, status, header))
                    tell = None
                self._sleep(left)  # the stop event's wait: a stop ends it at once
                slept = at
        finally:
            with self._lock:
                self._waiting -= 1
                if not self._waiting and self._until <= self._clock():
                    self._spacing, self._next = False, float("-inf")  # none held is left

    def _why(self, held: bool, status: int, header: str) -> str:
        """Return why a request waits to send, for :attr:`told`."""
        if not held:  # only its turn after a hold
            return f"panel {self.panel}'s requests go a second apart after its rate limit's hold"
        if status == 429:
            return f"panel {self.panel} answered HTTP 429, asking to wait ({header})"
        return f"panel {self.panel} says its rate limit is spent ({header})"

    def retrying(self, exc: BaseException | None, seconds: float) -> None:
        """Tell :attr:`told` of a retry's wait of a second or more after a
        rate limit (a 429, its words), the call's own wait for it."""
        if self.told is not None and isinstance(exc, RateLimitedError) and seconds >= 1.0:
            self.told(seconds, f"panel {self.panel} answered: {exc.detail}")

    def _take_turn(self, now: float) -> float:
        """Return the clock time a request may go, the hold over (the lock
        held): now, or after a hold :data:`SPACING` after the one before."""
        turn = max(now, self._until)
        if self._spacing:
            turn = max(turn, self._next)
            self._next = turn + SPACING
        return turn

    def _give_back(self, turn: float | None) -> None:
        """Free ``turn`` (a request failed, not sent), if no later one was taken."""
        with self._lock:
            if turn is not None and self._next == turn + SPACING:
                self._next = turn


def _too_long(status: int, header: str, left: float, budget: float) -> str:
    """Return why a call held past its retry budget fails, nothing sent: the
    429 that asked for the wait, or the limit an answer said was spent."""
    if status == 429:
        return (
            f"rate limited (HTTP 429: the panel asks us to wait {left:.0f}s more ({header}), "
            f"past this call's retry budget of {budget:g}s: not sent)"
        )
    return (
        f"rate limited (the panel said its limit is spent for {left:.0f}s more "
        f"({header}), past the {budget:g}s retry budget: not sent)"
    )
