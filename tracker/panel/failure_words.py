"""What a panel's transport says of its failures: a request that failed to
send or to be answered, in words a user can act on, the key blanked; a
proxy's refusal of the tunnel (or of the request it forwards); each retry
logged, at debug (a hiccup its retry answers is no news) or, where a person
waits on the call, at warning; and a call failed after its retries, one
``panel_retry`` warning (``gave_up``), an outage told once.

:class:`FailureWords` is :class:`~tracker.panel.transport.Transport`'s base;
its own base, :class:`~tracker.panel.interpret.Interpreting`, reads the
answers. None of it runs on a call that is answered at its first attempt.
"""

from __future__ import annotations

import threading

import httpx
import structlog
import tenacity

from tracker.errors import MisdirectedError, PanelError, TransientError
from tracker.panel import failures, proxies
from tracker.panel.interpret import Interpreting
from tracker.panel.pacing import Pacing
from tracker.panel.settings import P

log = structlog.get_logger("tracker.client")


class FailureWords(Interpreting[P]):
    """The failure and retry words of a :class:`~tracker.panel.transport.Transport`."""

    _http: httpx.Client
    _pacing: Pacing
    _stop: threading.Event
    _waited_on: bool  # a person waits on the calls (``on_wait`` given)

    def _failure(self, exc: BaseException) -> str:  # h11 quotes bytes it refused: scrubbed
        limits = {"timeout": self.panel.timeout, "connect": min(self.panel.timeout, 10.0)}
        proxy = proxies.proxy_of(self._http, url := self.panel.url)  # the proxy's, maybe
        said = failures.describe_send_failure(
            exc, url, proxy=proxy, panel=self.name, scrub=self._scrub_text, **limits
        )
        return self._scrub_text(said)

    def _proxy_refused(self, answer: str, action: str, *, tunnel: bool = True) -> TransientError:
        """The proxy's refusal of the tunnel to the panel (or, not ``tunnel``,
        of the request it forwards): retried when it is the proxy (or the
        way behind it) failing, not its 407."""
        host, port = failures.host_port(url := self.panel.url)
        proxy = proxies.proxy_of(self._http, url) or "the proxy"
        said, retried = proxies.refusal(answer, proxy, f"{host}:{port}", tunnel=tunnel)
        kind = TransientError if retried else MisdirectedError
        return kind(self._scrub_text(said), panel=self.name, action=action)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        """Log a retry: at debug (a hiccup its retry answers is no news), but
        where a person waits on the call (``on_wait`` given: ``add``,
        ``refill``...): at warning, the same error again, nothing answered
        since, at debug."""
        exc = state.outcome.exception() if state.outcome else None
        self._pacing.retrying(exc, state.upcoming_sleep)  # a rate limit's: said (CLI)
        error, wait = getattr(exc, "detail", str(exc)), round(state.upcoming_sleep, 2)
        told = log.warning if self._waited_on and not self._retry_told(error) else log.debug
        told("panel_retry", panel=self.name, attempt=state.attempt_number, wait=wait, error=error)

    def _gave_up(self, action: str, attempts: int, exc: PanelError) -> None:
        """A call retried, failed for good: one ``panel_retry`` warning
        (``gave_up``), unless a person waits on it (its command says the
        error), a stop ended it, or the same error was told last, nothing
        answered since (an outage told once)."""
        if self._waited_on or self._stop.is_set():
            return
        error = exc.detail
        told = log.debug if self._retry_told(error, action) else log.warning
        told(
            "panel_retry",
            panel=self.name,
            action=action,
            attempt=attempts,
            error=error,
            gave_up=True,
        )

    def _retry_told(self, error: str, action: str = "") -> bool:
        # WholeCalls: the same failure, no answer since; or told by an earlier run
        return False
