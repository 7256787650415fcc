"""One alert's POST to the webhook, tried again within its retry budget.

At most ``attempts`` tries (:func:`tracker.alerts.post.post_once` each), each
within what is left of one budget per alert (:class:`tracker.panel.budget.Budget`:
none is started with too little), after the receiver's Retry-After or a backoff
(:func:`tracker.alerts.post.wait_before_retry`); a close of the sink or the
daemon's stop ends the tries, and a retry whose wait they cut short is not sent.
The sink (:mod:`tracker.alerts.webhook`) counts, logs and keeps what this says.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import httpx
import tenacity

from tracker.alerts.post import Refused, Retryable, post_once, unless_stopped, wait_before_retry
from tracker.panel.budget import Budget


def post_tried(
    http: httpx.Client,
    url: str,
    body: dict[str, Any],
    *,
    attempts: int,
    timeout: float,
    budget: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
    stop_event: threading.Event,
    closing: threading.Event,
) -> str | None:
    """POST ``body`` to ``url`` in at most ``attempts`` tries within a retry
    budget of ``budget`` seconds (each try's deadline ``timeout`` at most);
    return None when taken, else why not."""
    # One budget per alert, ending at a moment fixed now: each retry
    # gets what is left of it, and none is started with too little.
    spent = Budget(timeout, budget, clock)
    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_exception_type(Retryable),
        stop=(
            tenacity.stop_after_attempt(attempts)
            | spent
            | tenacity.stop_when_event_set(stop_event)
            | tenacity.stop_when_event_set(closing)
        ),
        wait=wait_before_retry,
        sleep=sleep,
        reraise=True,
    )

    def stopping() -> bool:
        return closing.is_set() or stop_event.is_set()

    try:
        retrying(unless_stopped(stopping, post_once), http, url, body, spent)
    except (Retryable, Refused) as exc:
        return str(exc)
    return None
