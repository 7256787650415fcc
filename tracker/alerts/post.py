"""One webhook POST of an alert: what its answer, or its failure, means.

:func:`post_once` sends one body within what is left of the alert's retry
budget and raises :class:`Retryable` (timeout, network, 429, 5xx) or
:class:`Refused` (a 4xx answer, a URL no retry cures, a redirect): the
sink (:mod:`tracker.alerts.webhook`) retries the first within its budget,
after the receiver's Retry-After when it sent one (:func:`wait_before_retry`),
and keeps the alert for a later try (:mod:`tracker.alerts.redeliver`) when
both are spent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import tenacity

from tracker.alerts.misdirected import hopeless, proxy_refusal, unanswered, unconnected
from tracker.panel import deadline, proxies, wait_hints
from tracker.panel.budget import Budget
from tracker.panel.inflate import Undecodable
from tracker.redact.scrub import redact_text

ANSWER_LIMIT = 64 * 1024  # a webhook's answer is read only to show its error
BACKOFF = tenacity.wait_exponential_jitter(initial=1, max=20, jitter=1)
LONGEST_ASKED = 120.0  # seconds: the most of a receiver's Retry-After waited, as a panel's


class Retryable(Exception):
    """A failure worth another try: timeout, network, 429, 5xx; with the
    seconds the receiver asked to wait (its Retry-After), None when it did not."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """A failure a retry will not fix: a 4xx answer, a URL that leads nowhere."""


def post_once(http: httpx.Client, url: str, body: dict[str, Any], budget: Budget) -> None:
    """POST ``body`` to ``url`` once, within what is left of ``budget``;
    return when taken, else raise Retryable or Refused (never quoting the
    URL: it holds a token)."""
    seconds = budget.attempt()
    if seconds is None:  # the wait before this retry left too little
        raise Retryable(budget.spent())
    try:
        # One deadline for the whole POST: a receiver that drips its
        # answer is cut at ``seconds`` like one that never answers.
        response = deadline.exchange(
            http, "POST", url, seconds=seconds, limit=ANSWER_LIMIT, json=body
        )
    except (deadline.AnswerTooLarge, Undecodable) as exc:  # its status came first: it says
        if exc.status is not None and 200 <= exc.status < 300:
            return  # taken; what it said after is not read (nor could be: sent again, twice)
        if exc.status == 429 or (exc.status or 0) >= 500:
            raise Retryable(f"HTTP {exc.status}: {exc}") from None
        raise Refused(str(exc) if exc.status is None else f"HTTP {exc.status}: {exc}") from None
    except httpx.ConnectError as exc:  # nothing sent: a wrong URL is tried once
        proxy = proxies.proxy_of(http, url)  # its host:port, never its credentials
        wrong = hopeless(exc, proxied=proxy is not None)
        raise (Refused(wrong) if wrong else Retryable(unconnected(exc, proxy))) from None
    except httpx.ProxyError as exc:  # the proxy's answer to CONNECT: nothing sent
        said, retryable = proxy_refusal(str(exc), proxies.proxy_of(http, url))
        raise (Retryable(said) if retryable else Refused(said)) from None
    except httpx.TimeoutException as exc:  # the proxy's, when it is: said so, retried
        connect = min(http.timeout.connect or seconds, seconds)
        proxy = proxies.proxy_of(http, url)
        limits = {"connect": round(connect, 1), "seconds": round(seconds, 1)}
        raise Retryable(unanswered(exc, url, proxy, **limits)) from None
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        # The class name only: some httpx messages quote the URL.
        raise Retryable(f"no answer ({type(exc).__name__})") from None
    except httpx.HTTPError as exc:
        raise Refused(f"HTTP failure ({type(exc).__name__})") from None
    if response.is_success:
        return
    proxied = proxies.proxy_of(http, url) if response.status_code == 407 else None
    if proxied is not None:  # an http:// URL's POST
        # forwarded: its proxy's own refusal (credentials), no receiver's answer
        said = proxy_refusal(f"407 {response.reason_phrase}", proxied, tunnel=False)[0]
        raise Refused(said)
    said = redact_text(response.text.strip().replace("\n", " "))[:120]  # then cut
    what = f"HTTP {response.status_code}" + (f": {said}" if said else "")
    if response.status_code == 429 or response.status_code >= 500:
        raise Retryable(what, wait_hints.retry_after(response))  # Slack's, Discord's 429
    if response.is_redirect:  # where it points is not said: it may hold the token
        what += " (a redirect: not followed; set the URL it points to)"
    raise Refused(what)


def wait_before_retry(state: tenacity.RetryCallState) -> float:
    """tenacity's wait: what the receiver asked (a 429's Retry-After: Slack
    and Discord send one), at most LONGEST_ASKED, else BACKOFF. A wait past
    the alert's budget ends its tries (the budget's stop): kept for later."""
    exc = state.outcome.exception() if state.outcome else None
    asked = getattr(exc, "retry_after", None)
    return min(float(asked), LONGEST_ASKED) if asked is not None else BACKOFF(state)


def unless_stopped(stopping: Callable[[], bool], post: Callable[..., None]) -> Callable[..., None]:
    """Wrap one alert's POST for tenacity: a retry whose wait a stop or close
    cut short is not sent (the receiver asked for that wait, Retry-After): the
    failure before it is raised again, and the alert kept for later."""
    failed: list[Retryable] = []

    def attempt(*args: Any) -> None:
        if failed and stopping():
            raise failed[-1]
        try:
            post(*args)
        except Retryable as exc:
            failed.append(exc)
            raise

    return attempt
