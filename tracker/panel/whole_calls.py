"""Whole calls: what a call came to once its retries are done.

:class:`Transport` tells its ``observers`` about every attempt (metrics,
progress). Reachability is a question about whole calls: an attempt that
failed and was answered at its retry is no failure of the panel. Judged per
attempt, a run of failures begun 15 minutes earlier (a refill call lost to a
502) made the first failed attempt of the next call raise
``panel_unreachable``, and its retry ``panel_recovered``, in the same second.

A call the panel refused for its rate limit (HTTP 429 or its words, retries
done; or not sent, the panel's hold outlasting the retry budget) is an
answer: the panel is there and refuses for now. Told failed, a panel
rate-limiting the tracker for ``alerts.unreachable_after`` raised
``panel_unreachable`` "every call has failed" while it answered every
request. The per-attempt ``observers`` (metrics) still count it failed. So
is a call whose large answer came but waited past its deadline for the
process's one slot to read it (:mod:`tracker.panel.large_answers`).

A call a stop cut while its first attempt awaited the answer (a reload's
stop cuts the reads in flight) is neither: told to ``cut_observers``
(``(panel, action, seconds)``), so the next generation's run of failures,
when its next call fails too, counts from when the cut call began.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from functools import partial
from typing import Any

from tracker.errors import RateLimitedError, StopRequested, UnreadAnswerError
from tracker.panel.budget import gist
from tracker.panel.settings import P
from tracker.panel.told_lines import ToldLines
from tracker.panel.transport import CallObserver, Transport


class WholeCalls(Transport[P]):
    """A transport that also tells ``call_observers`` once per call, retries
    included, with its last attempt's outcome: ``(panel, action, ok, seconds,
    why it failed)``, as :data:`CallObserver`; ``ok`` True for a call refused
    for the panel's rate limit too (answered), its words then the last: why
    it got no answer to its request. A call that sent nothing (a stop before
    its first attempt) is not told; one not sent for a rate limit is. Its seconds are read on
    ``call_clock`` (the observers' own monotonic clock; None: not known, 0 s)."""

    def __init__(self, panel: P, **kwargs: Any):  # Transport's other arguments
        super().__init__(panel, **kwargs)
        self.call_observers: list[CallObserver] = []
        self.call_clock: Callable[[], float | None] = time.monotonic
        self._current = threading.local()  # the attempts happen in the calling thread
        self.observers.insert(0, self._attempted)
        self._told: dict[str, str] = {}  # what -> the error last told, nothing answered since
        # The poll's worker threads judge and clear _told at once: a read and
        # its write under one lock, or two threads both tell a failure "once".
        self._told_lock = threading.Lock()
        self._carried = False  # an earlier run told this outage: see carry_outage
        # An earlier run told the panel's failing polls (see carry_polls); the
        # poll clears it once a poll leaves no order unchecked.
        self.polls_carried = False
        # The poll's lines told once per episode of them (status_reask_failed...).
        self.told_lines = ToldLines()
        # Told of a call a stop cut, its first attempt awaiting the answer.
        self.cut_observers: list[Callable[[str, str, float], None]] = []
        self._on_send = partial(self._awaited, self._on_send)

    @contextmanager
    def _awaited(self, sending: Callable[[], AbstractContextManager[object]]) -> Iterator[None]:
        """An attempt on the wire, in this thread: its answer awaited until it came."""
        self._current.awaiting = True
        with sending():
            yield
        self._current.awaiting = False  # its answer came (not so when raising)

    def carry_outage(self) -> None:
        """An earlier process (a ``run --once`` before this one) told this
        panel's outage, nothing answered since: every line :meth:`told_before`
        judges is told already, at debug, until an attempt is answered."""
        self._carried = True

    def carry_polls(self) -> None:
        """An earlier process (a ``run --once`` before this one) told this
        panel's status calls failing while its other calls answer (its polls
        leaving orders unchecked: ``status_failing``'s run): a status call's
        ``panel_retry`` is told already, at debug, while :attr:`polls_carried`."""
        self.polls_carried = True

    @contextmanager
    def failure_told(self, told: bool) -> Iterator[None]:
        """Within it, in this thread: a call failed for good was told already
        (``told``: its job has failed run after run, the first told:
        :mod:`tracker.store.told_marks`), its ``panel_retry`` at debug."""
        self._current.told = told
        try:
            yield
        finally:
            self._current.told = False

    @property
    def carried(self) -> bool:
        """True while an outage an earlier process told goes on (see :meth:`carry_outage`)."""
        return self._carried

    def told_before(self, error: str, what: str = "panel_retry") -> bool:
        """Return True when ``what`` (a log line: ``panel_retry``,
        ``balance_failed``...) last told ``error`` and no attempt was answered
        since: an outage is told once (the same line after it at debug), not at
        every retry, call or job run."""
        said = gist(error)  # whatever attempt the retry budget ran out at
        with self._told_lock:  # read and written as one: told once, whatever the threads
            told, self._told[what] = self._carried or self._told.get(what) == said, said
        return told

    def _retry_told(self, error: str, action: str = "") -> bool:
        told = self.told_before(error) or getattr(self._current, "told", False)
        return told or (action == "status" and self.polls_carried)

    def _attempted(self, _panel: str, _action: str, ok: bool, _s: float, error: str | None) -> None:
        if ok:
            with self._told_lock:
                self._told.clear()  # answered: the next failure is told
                self._carried = False
        last = getattr(self._current, "last", None)
        if last is not None:
            last[:] = [ok, error]

    def _call(
        self, action: str, fields: dict[str, str] | None = None, *, idempotent: bool = True
    ) -> Any:
        outer = getattr(self._current, "last", None)  # a call made inside another's
        last: list[Any] = []
        self._current.last, started, cut = last, self.call_clock(), False
        self._current.awaiting = False
        try:
            return super()._call(action, fields, idempotent=idempotent)
        except StopRequested:  # no attempt told: its first one's answer cut, or none sent
            cut = not last and self._current.awaiting
            raise
        # The panel answered: it refuses for now, or its answer waited on the
        # process's slot for large answers (the tracker's wait, not the panel's)
        except (RateLimitedError, UnreadAnswerError) as exc:
            last[:] = [True, exc.detail]
            raise
        finally:
            self._current.last = outer
            if last or cut:
                ended = self.call_clock()
                seconds = 0.0 if started is None or ended is None else ended - started
                for observe in self.call_observers if last else ():
                    observe(self.name, action, last[0], seconds, last[1])
                for told in self.cut_observers if cut else ():
                    told(self.name, action, seconds)
