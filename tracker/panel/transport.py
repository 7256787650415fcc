"""HTTP for one panel: POST a request, interpret the answer, retry within bounds.

Knows nothing of SQLite or of the config file: a panel's settings come in as
any object with the attributes :class:`~tracker.panel.settings.PanelSettings`
names. Every call has a timeout; every retry loop is bounded in attempts and in
total time and stops waiting when ``stop_event`` is set; a call that only reads
(anything but ``add``, ``refill``, ``cancel``) stops waiting for its answer too,
within a second (StopRequested), while those three are waited out to their
deadline: whether they acted must be known (``stop_cuts_reads`` False: a
read is waited for too, as ``run --once``'s first stop does). The key travels only in
the POST body and never appears in a message. Its answers are read by
:class:`~tracker.panel.interpret.Interpreting`, its base; its failures and
retries are said by :class:`~tracker.panel.failure_words.FailureWords`, the
class between them.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx
import structlog
import tenacity

from tracker import USER_AGENT
from tracker.errors import (
    AnswerTooLargeError,
    OutcomeUnknownError,
    PanelAnswerError,
    PanelError,
    StopRequested,
    TransientError,
)
from tracker.panel import deadline, failures, large_answers, misdirected, proxies, sockets
from tracker.panel.budget import Budget
from tracker.panel.failure_words import FailureWords
from tracker.panel.form import CONTENT_TYPE, form_body
from tracker.panel.pacing import Pacing
from tracker.panel.settings import P
from tracker.panel.values import short
from tracker.panel.warned import WarnedKeys

log = structlog.get_logger("tracker.client")

_HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json"}
FORM_HEADERS = {"Content-Type": CONTENT_TYPE}  # the body: form.form_body

# Observer of every HTTP call: (panel, action, ok, seconds, why it failed:
# None if it did not). Metrics and reachability tracking hang here.
CallObserver = Callable[[str, str, bool, float, str | None], None]


class Transport(FailureWords[P]):
    """Given a panel's settings, POST API v2 requests to it with bounded retries.

    ``transport`` replaces the network (tests), ``limiter`` is called before
    every request (shared rate limit), ``stop_event`` cuts retry waits short,
    ``on_wait`` is told of each wait to send a rate limit causes (seconds, why),
    and is given where a person waits on the calls: each retry is then a
    warning, else at debug and a call failed after its retries one warning;
    ``sleep``, ``clock`` (monotonic) and ``wall`` (Unix time) replace the real ones (tests).
    ``stop_cuts_reads``: a stop ends the wait for the answer of a call that only
    reads, within a second (StopRequested); else it is waited for to its deadline.
    ``on_send``: a context each request is on the wire inside (a person's command).
    """

    def __init__(
        self,
        panel: P,
        *,
        transport: httpx.BaseTransport | None = None,
        stop_event: threading.Event | None = None,
        limiter: Callable[[], None] | None = None,
        observers: Iterable[CallObserver] = (),
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
        on_wait: Callable[[float, str], object] | None = None,
        stop_cuts_reads: bool = True,
        on_send: Callable[[], contextlib.AbstractContextManager[object]] | None = None,
    ):
        self.panel, self.name = panel, panel.name
        self._on_send = on_send or contextlib.nullcontext
        self._stop = stop_event or threading.Event()
        self._cuts_reads = stop_cuts_reads
        self._limiter = limiter
        self._sleep_fn, self._clock, self._wall = sleep, clock, wall
        self.observers = list(observers)
        self._pacing = Pacing(self.name, clock, wall, self._sleep, self._stop, on_wait)
        self._waited_on = on_wait is not None  # a person waits: each retry said
        self._in_flight = threading.BoundedSemaphore(panel.concurrency)
        self._http = deadline.http_client(panel.timeout, headers=_HEADERS, transport=transport)
        # add, refill, cancel: each on a connection of its own, made at the first
        # (see _acting); never one an earlier answer left bytes on, nor one idle
        # that the server closes as the request goes: an outcome unknown.
        self._acts: httpx.Client | None = None
        self._acts_made = threading.Lock()
        self._network = transport
        self.multi_status = True  # False once the panel proves it only reads `order`
        self._warned = WarnedKeys()
        self._warn_lock = threading.Lock()

    def close(self) -> None:
        self._http.close()
        with self._acts_made:
            if self._acts is not None:
                self._acts.close()
            self._acts = self._http  # closed: a call after it fails as before

    def _acting(self) -> httpx.Client:
        """The client of the calls that may act: no connection kept alive."""
        with self._acts_made:
            if self._acts is None:
                self._acts = deadline.http_client(
                    self.panel.timeout, headers=_HEADERS, transport=self._network, keep_alive=False
                )
            return self._acts

    def _send_once(
        self, action: str, fields: dict[str, str], idempotent: bool, budget: Budget
    ) -> Any:
        """POST one request within ``budget``; return decoded JSON or raise a PanelError."""
        data = {"key": self.panel.key.reveal(), "action": action, **fields}
        self._pacing.refuse_if_stopping(action)
        if self._limiter is not None:
            self._limiter()
        started, sent, ok = time.monotonic(), False, False
        failure: str | None = None  # the error's words, key blanked: the observers'
        try:
            with self._in_flight:
                # Checked again once a slot is free: no request goes out after a
                # stop (SIGTERM), nor while the panel says its rate limit is spent
                # (a stop ends that wait). Not a call, so not counted: no failure.
                self._pacing.wait(budget, action)
                seconds = budget.next_attempt(panel=self.name, action=action)
                end, sent = time.monotonic() + seconds, True
                with self._on_send():  # on the wire: a stop now waits for its answer
                    response = self._fetch(action, data, seconds, idempotent)
            # The panel's part is done once its bytes are in: the slot is free
            # for the next request while this answer is read. A large answer
            # to a read is read one at a time, process-wide (memory).
            stop = self._stop if self._cuts_reads else None
            size = len(response.content) if idempotent else 0
            with large_answers.one_at_a_time(size, end, stop, panel=self.name, action=action):
                answer = self._interpret(response, action=action, idempotent=idempotent)
            ok = True
            return answer
        except StopRequested:  # its answer no longer awaited: neither an answer nor a failure
            sent = False
            raise
        except PanelError as exc:  # an error the panel answered: it is reachable
            ok, failure = isinstance(exc, PanelAnswerError), exc.detail
            raise
        finally:
            for observe in self.observers if sent else ():
                observe(self.name, action, ok, time.monotonic() - started, None if ok else failure)

    def _fetch(
        self, action: str, data: dict[str, str], seconds: float, idempotent: bool
    ) -> httpx.Response:
        """Send one request; return the panel's whole answer, unread. A stop
        cuts the wait for the answer of a call that only reads (``idempotent``),
        never of one that may act: ``add``, ``refill``, ``cancel``."""
        panel = self.name
        try:
            response = deadline.exchange(
                self._http if idempotent else self._acting(),
                "POST",
                self.panel.url,
                seconds=seconds,
                limit=deadline.answer_limit(self.panel, action),
                stop=self._stop if idempotent and self._cuts_reads else None,
                trailed=lambda behind: self._trailed(action, behind),
                content=form_body(data),
                headers=FORM_HEADERS,
            )
        except sockets.Stopped as exc:  # a read only: nothing acted on, nothing lost
            raise StopRequested(str(exc), panel=panel, action=action) from None
        except deadline.AnswerTooLarge as exc:
            raise AnswerTooLargeError(
                f"{exc} (the cap for {action!r} answers: panels[].{deadline.cap_key(action)})",
                panel=panel,
                action=action,
            ) from None
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise misdirected.connect_failed(exc, self._failure(exc), panel, action) from None
        except httpx.ProxyError as exc:  # the proxy's answer to CONNECT: nothing sent
            raise self._proxy_refused(str(exc), action) from None
        except failures.MAYBE_SENT as exc:  # unless the proxy never opened the tunnel
            if isinstance(exc, httpx.RemoteProtocolError):  # h11's own words, kept
                said = short(self._scrub_text(str(exc)), 300)  # a refused line is quoted whole
                log.debug("panel_protocol_error", panel=panel, action=action, said=said)
            url = self.panel.url
            unsent = proxies.no_tunnel(exc, url, proxies.proxy_of(self._http, url))
            raise TransientError(
                self._failure(exc), maybe_sent=not unsent, panel=panel, action=action
            ) from None
        except httpx.HTTPError as exc:
            raise PanelError(self._failure(exc), panel=panel, action=action) from None
        proxied = response.status_code == 407 and proxies.proxy_of(self._http, self.panel.url)
        if proxied:  # a forwarding proxy's own answer: no panel saw the request
            raise self._proxy_refused(f"407 {response.reason_phrase}", action, tunnel=False)
        return self._pacing.heard(response, action)  # a spent limit, a 429: holds the next

    def _trailed(self, action: str, behind: int) -> None:
        """The panel sent ``behind`` bytes after its answer to ``action`` (a
        second answer, a newline): the answer stands, read whole; its
        connection closed, never used again. Said at info once per panel and
        process, then at debug: nothing for the user to do."""
        with self._warn_lock:
            fresh = self._warned.take("bytes_after_answer") is not None
        tell = log.info if fresh else log.debug
        tell("panel_bytes_after_answer", panel=self.name, action=action, bytes=behind)

    def _call(
        self, action: str, fields: dict[str, str] | None = None, *, idempotent: bool = True
    ) -> Any:
        """POST ``action`` with retries; return decoded JSON. A non-idempotent
        action is retried only when the request certainly did not reach the
        panel; otherwise OutcomeUnknownError is raised."""

        def retryable(exc: BaseException) -> bool:
            return misdirected.retryable(exc, idempotent)  # a wrong URL fails at once

        budget = Budget(self.panel.timeout, self.panel.retry_budget, self._clock)
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(retryable),
            stop=(
                tenacity.stop_after_attempt(self.panel.retries + 1)
                | budget
                | tenacity.stop_when_event_set(self._stop)
            ),
            wait=budget.wait,
            sleep=self._sleep,
            reraise=True,
            before_sleep=self._log_retry,
        )
        try:
            return self._retried(retrying, action, fields or {}, idempotent, budget)
        except PanelError as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            if attempts > 1 and retryable(exc):  # retried until its retries ran out
                self._gave_up(action, attempts, exc)
            raise

    def _retried(
        self,
        retrying: tenacity.Retrying,
        action: str,
        fields: dict[str, str],
        idempotent: bool,
        budget: Budget,
    ) -> Any:
        """Make ``action``'s attempts; raise what the call failed with, said
        as the caller is to be told it."""
        try:
            return retrying(self._send_once, action, fields, idempotent, budget)
        except AnswerTooLargeError as exc:
            if not idempotent:  # it answered: it may well have acted
                raise OutcomeUnknownError.because(
                    exc.detail, panel=self.name, action=action, status=exc.status
                ) from None
            raise
        except TransientError as exc:
            if not idempotent and exc.maybe_sent:
                raise OutcomeUnknownError.because(
                    exc.detail, panel=self.name, action=action, status=exc.status, unanswered=True
                ) from None
            raise budget.outlasted(exc) from None  # a rate limit's wait past it: said

    def _sleep(self, seconds: float) -> None:
        (self._sleep_fn or self._stop.wait)(seconds)  # a stop cuts the wait short
