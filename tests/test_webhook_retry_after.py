"""A webhook receiver's Retry-After is waited out, within the alert's budget.

Slack and Discord answer a burst of alerts with HTTP 429 and Retry-After;
the sink retried after its own 1-2 s backoff, into another 429, and spent
its tries. Now it waits what the receiver asked (at most 120 s), and a wait
past the alert's retry budget ends the tries at once: the alert is kept and
tried again later (alerts.redeliver_for), not after a useless retry.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from test_webhook import ALERT

from tracker.alerts.webhook import WebhookSink

pytestmark = pytest.mark.usefixtures("fresh_logs")


def _sink(answers: list[httpx.Response], sleeps: list[float], **options: Any) -> WebhookSink:
    def answer(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    return WebhookSink(
        "https://hooks.example/x",
        timeout=5,
        sleep=sleeps.append,
        transport=httpx.MockTransport(answer),
        **options,
    )


def test_a_429_with_retry_after_is_waited_out_then_taken() -> None:
    sleeps: list[float] = []
    answers = [httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)]
    sink = _sink(answers, sleeps)
    with capture_logs() as logs:
        assert sink.send(ALERT) and sink.flush(5)
    sink.close()
    assert sleeps == [7.0]
    assert (sink.sent, sink.failed) == (1, 0) and not answers
    assert [e["event"] for e in logs if e["log_level"] != "debug"] == []


def test_a_5xx_with_retry_after_is_waited_out_too() -> None:
    sleeps: list[float] = []
    answers = [httpx.Response(503, headers={"Retry-After": "4"}), httpx.Response(200)]
    sink = _sink(answers, sleeps)
    assert sink.send(ALERT) and sink.flush(5)
    sink.close()
    assert sleeps == [4.0] and sink.sent == 1


def test_a_wait_past_the_budget_ends_the_tries_at_once() -> None:
    # Asked to wait 90 s with 60 s of budget: no sleep, no useless retry.
    sleeps: list[float] = []
    answers = [httpx.Response(429, headers={"Retry-After": "90"}), httpx.Response(200)]
    sink = _sink(answers, sleeps)
    with capture_logs() as logs:
        assert sink.send(ALERT) and sink.flush(5)
    sink.close()
    assert sleeps == [] and len(answers) == 1  # the 200 never asked for
    assert [(e["event"], e["error"]) for e in logs] == [("webhook_failed", "HTTP 429")]


def test_without_retry_after_the_backoff_is_the_sinks_own() -> None:
    sleeps: list[float] = []
    answers = [httpx.Response(429), httpx.Response(200)]
    sink = _sink(answers, sleeps)
    assert sink.send(ALERT) and sink.flush(5)
    sink.close()
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0 and sink.sent == 1


def test_a_garbled_retry_after_is_the_backoff() -> None:
    sleeps: list[float] = []
    for garbled in ("soon", "-5", "1e9", "nan"):
        answers = [httpx.Response(429, headers={"Retry-After": garbled}), httpx.Response(200)]
        sink = _sink(answers, sleeps)
        assert sink.send(ALERT) and sink.flush(5)
        sink.close()
    assert len(sleeps) == 4 and all(1.0 <= s <= 2.0 for s in sleeps)
