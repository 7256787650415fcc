"""A poll's result (:mod:`tracker.jobs.poll`): what it counted, and its failed
calls, each told once (``status_failed`` at error the first time in a poll
or the one before it, then at debug: an outage is not told once per batch
and poll; nor across ``run --once`` runs, what an earlier run told being
carried: :mod:`tracker.jobs.carried`); a late check's call
(:mod:`tracker.jobs.late_checks`), whose failure is never the poll's nor
its orders'.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from concurrent.futures import Future
from dataclasses import dataclass, field

import structlog

from tracker.errors import AuthError, PanelError, StopRequested, TransientError
from tracker.jobs.batch_answer import Answer
from tracker.jobs.late_checks import LateChecks
from tracker.panel.budget import gist as _gist

log = structlog.get_logger("tracker.poll")

# After this many failed batches a poll gives up until its next run.
MAX_FAILED_BATCHES = 3


@dataclass
class PollResult:
    panel: str
    calls: int = 0
    checked: int = 0
    transitions: int = 0
    lost: int = 0
    late: int = 0  # ended orders asked again (tracker.jobs.late_checks)
    late_failed: int = 0  # of those, checks that failed (nothing stored changed)
    refunds: int = 0  # of those, orders whose charge went down (order_refunded)
    errors: list[str] = field(default_factory=list)
    auth_failed: bool = False
    # A stop (SIGTERM, a reload retiring the jobs) left due orders unasked or
    # unanswered: the poll is the stop's, neither a success nor a failure.
    stopped: bool = False
    # The errors of the panel's poll before: the same failure again (an
    # outage) is logged at debug, each new one at error (see status_failed).
    told: Collection[str] = ()
    # True while an outage an earlier `run --once` told goes on (the client's
    # ``carried``), or its failing polls (``polls_carried``): every failure
    # is told already, at debug.
    carried: Callable[[], bool] = lambda: False
    # The key's refusal told by an earlier `run --once` (auth_failed open):
    # a refusal of the key is told already, at debug.
    refusal_told: bool = False
    # Seconds this poll took, the process's CPU seconds meanwhile (every
    # thread), and the seconds its thread spent storing answers (the single
    # writer): the bench's write-throughput figures.
    wall_s: float = 0.0
    cpu_s: float = 0.0
    write_s: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.errors


def late_done(result: PollResult, late: LateChecks, ids: list[int], future: Future[Answer]) -> bool:
    """Store a late-check call's answer, or its failure (never its orders'
    nor the poll's: not in ``result.errors``); return False when no more
    late checks should go out this poll."""
    error = future.exception()
    if error is None:
        answer = future.result()
        result.calls += answer.calls
        late.answered(ids, answer)
        return True
    if not isinstance(error, PanelError):
        raise error
    if isinstance(error, StopRequested):
        return False  # never sent: each stays due
    result.calls += 1
    late.failed(ids, str(error))
    return False


def count_failure(result: PollResult, error: BaseException, ids: list[int]) -> bool:
    """Record a failed call in ``result``; return False when the poll should stop.

    Raise ``error`` again if it is not a PanelError (a bug, not the panel's fault).
    """
    if not isinstance(error, PanelError):
        raise error
    if isinstance(error, StopRequested):
        result.stopped = True  # never sent, or not waited for: the stop's
        return False  # the daemon is stopping, not the panel failing
    result.calls += 1
    refused = isinstance(error, AuthError)
    failed(result, str(error), ids, told=refused and result.refusal_told)
    if refused:
        result.auth_failed = True
        return False
    return not isinstance(error, TransientError) and len(result.errors) < MAX_FAILED_BATCHES


# How many orders a failed batch held: no part of what failed (a spell of `{}`
# answers to batches of 100 and 50 orders is one failure, told once).
_COUNTS = (
    (re.compile(r"none of the \d+ asked IDs"), "none of the asked IDs"),
    (re.compile(r"\b\d+ orders? left unsettled"), "orders left unsettled"),
)


def _what_failed(error: str) -> str:
    """Return ``error`` without the retry attempt and the batch's order counts."""
    said = _gist(error)
    for counted, uncounted in _COUNTS:
        said = counted.sub(uncounted, said)
    return said


def failed(result: PollResult, error: str, ids: list[int], *, told: bool = False) -> None:
    """Count a failure in ``result``; log it at error the first time (see
    poll_panel), at debug when ``told`` already (the same words, but for the
    attempt its retries ran out at and how many orders its batch held)."""
    gist = _what_failed(error)
    told = (
        told
        or result.carried()
        or any(_what_failed(e) == gist for e in (*result.errors, *result.told))
    )
    result.errors.append(error)
    (log.debug if told else log.error)(
        "status_failed", panel=result.panel, orders=len(ids), error=error
    )
