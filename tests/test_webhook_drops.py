"""A run of alerts dropped by the webhook's full queue is told once.

Ops56: while the queue was full, every alert logged its own
``webhook_dropped`` warning. The first drop of a run is now a warning, the
rest debug, and the run ends in one ``webhook_queued_again`` line (info)
with the count when an alert is queued again, as a target's failed
deliveries are told. The metric counts each drop."""

from __future__ import annotations

import threading

import httpx
import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.alerts.deliveries import DELIVERIES, DROPPED, WEBHOOK
from tracker.alerts.webhook import WebhookSink
from tracker.rules.episodes import Alert

pytestmark = pytest.mark.usefixtures("fresh_logs")


def test_a_run_of_drops_is_one_warning_then_one_line_with_the_count() -> None:
    posting, release = threading.Event(), threading.Event()

    def stuck(request: httpx.Request) -> httpx.Response:
        posting.set()
        release.wait(5)
        return httpx.Response(200)

    sink = WebhookSink(
        "https://hooks.example/x", queue_size=1, transport=httpx.MockTransport(stuck)
    )
    before = DELIVERIES.snapshot().get((WEBHOOK, DROPPED), 0)
    alerts = [Alert("order_failed", f"main: order {n} failed", panel="main") for n in range(7)]
    try:
        with capture_logs() as logs:
            assert sink.send(alerts[0])
            assert posting.wait(5)  # in flight: the queue holds one more
            sent = [sink.send(alert) for alert in alerts[1:5]]  # 1 queued, 3 dropped
            release.set()
            assert sink.flush(5)
            assert sink.send(alerts[5]) and sink.flush(5)  # queued again: the run ends
            assert sink.send(alerts[6]) and sink.flush(5)
    finally:
        sink.close()
    assert sent == [True, False, False, False]
    dropped = [e["log_level"] for e in logs if e["event"] == "webhook_dropped"]
    assert dropped == ["warning", "debug", "debug"]  # before: three warnings
    again = [e for e in logs if e["event"] == "webhook_queued_again"]
    assert [(e["log_level"], e["dropped"]) for e in again] == [("info", 3)]
    assert DELIVERIES.snapshot()[(WEBHOOK, DROPPED)] - before == 3  # each counted
