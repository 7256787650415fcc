"""A webhook receiver's Retry-After is waited out, within the alert's budget.

Slack and Discord answer a burst of alerts with HTTP 429 and Retry-After;
the sink retried after its own 1-2 s backoff, into another 429, and spent
its tries. Now it waits what the receiver asked (at most 120 s), and a wait
past the alert's retry budget ends the tries at once: the alert is kept and
tried again later (alerts.redeliver_for), not after a useless retry.
"""

from __future__ import annotations

import threading
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


def _waiting_sink(stop: threading.Event) -> tuple[WebhookSink, list[int], threading.Event]:
    """A sink (its own sleep) whose receiver answers 429, Retry-After: 30."""
    posts: list[int] = []
    answered = threading.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        posts.append(1)
        answered.set()
        return httpx.Response(429, headers={"Retry-After": "30"})

    sink = WebhookSink(
        "https://hooks.example/x",
        timeout=5,
        stop_event=stop,
        transport=httpx.MockTransport(answer),
    )
    return sink, posts, answered


def test_a_stop_during_a_retry_after_wait_ends_it_and_sends_no_retry() -> None:
    # The wait looked only at close(): a stop (SIGTERM, a reload retiring the
    # sink) left it waiting the whole 30 s, then the retry was sent anyway.
    stop = threading.Event()
    sink, posts, answered = _waiting_sink(stop)
    with capture_logs() as logs:
        assert sink.send(ALERT) and answered.wait(5)
        stop.set()
        assert sink.flush(10)  # given up at once, not 30 s later
    sink.close()
    assert posts == [1] and (sink.sent, sink.failed) == (0, 1)
    assert [(e["event"], e["error"]) for e in logs] == [("webhook_failed", "HTTP 429")]


def test_a_close_during_a_retry_after_wait_sends_no_retry() -> None:
    # close() cut the wait, then the retry went out at once, seconds after
    # the receiver asked for 30 s of quiet: close is one try per alert.
    sink, posts, answered = _waiting_sink(threading.Event())
    assert sink.send(ALERT) and answered.wait(5)
    sink.close(timeout=10)
    assert posts == [1] and (sink.sent, sink.failed) == (0, 1)
