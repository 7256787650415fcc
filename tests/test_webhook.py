"""The webhook sink against real loopback servers: payloads, failures, back-pressure."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

import httpx
import pytest
import structlog
from dripping import Dripping
from hostile import HostileServer, JoinedServer, drip, stopped
from logcapture import fresh_logs, thread_logs  # noqa: F401  (fixture)
from ports import closed_port
from structlog.testing import capture_logs

from tracker.alerts.webhook import WebhookSink, payload
from tracker.rules.episodes import Alert
from tracker.service.logs import configure

pytestmark = pytest.mark.usefixtures("fresh_logs")

TOKEN = "123456:AAbbCCddEEff-telegram-token"
ALERT = Alert(
    "balance_low",
    "main: balance 4.20 USD is below 10.00",
    panel="main",
    data={"balance": "4.2"},
    at=datetime(2026, 11, 1, 12, 0, tzinfo=UTC),
    id=7,
)


class Hook:
    """A loopback webhook that records JSON bodies and answers ``status``."""

    def __init__(self, status: int = 200):
        self.status = status
        self.delay = 0.0  # seconds each answer waits (a slow receiver)
        self.answer = b"ok"
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                hook.bodies.append(json.loads(self.rfile.read(length)))
                hook.paths.append(self.path)
                stopped(self, hook.delay)  # cut short by the hook's close
                # A sink that gave up first (its timeout, a close) hung up: the
                # answer goes nowhere. Said on stderr, the BrokenPipeError landed
                # in whatever later test's CLI output was being captured then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.send_response(hook.status)
                    self.send_header("Content-Length", str(len(hook.answer)))
                    self.end_headers()
                    self.wfile.write(hook.answer)

            def log_message(self, *args: Any) -> None:
                return

        self.server = JoinedServer(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/bot{TOKEN}/sendMessage"
        self.server.start()

    def close(self) -> None:
        self.server.stop()  # its handlers' threads ended too


@pytest.fixture
def hook() -> Iterator[Hook]:
    server = Hook()
    yield server
    server.close()


def dead_url() -> str:
    """A loopback URL that refuses connections (:func:`ports.closed_port`)."""
    return f"http://127.0.0.1:{closed_port()}/hook/{TOKEN}"


def make_sink(url: str, sleeps: list[float] | None = None, **options: Any) -> WebhookSink:
    sleeps = [] if sleeps is None else sleeps
    return WebhookSink(url, timeout=5, sleep=sleeps.append, **options)


def test_json_payload_is_the_alert(hook: Hook) -> None:
    sink = make_sink(hook.url)
    assert sink.send(ALERT)
    assert sink.flush(5)
    sink.close()
    assert hook.bodies == [
        {
            "source": "smm-tracker",
            "version": 1,
            "id": 7,
            "at": "2026-11-01T12:00:00+00:00",
            "panel": "main",
            "kind": "balance_low",
            "severity": "warning",
            "message": "main: balance 4.20 USD is below 10.00",
            "data": {"balance": "4.2"},
        }
    ]
    assert sink.sent == 1


def test_slack_and_telegram_payloads(hook: Hook) -> None:
    for fmt in ("slack", "telegram"):
        sink = make_sink(hook.url, fmt=fmt, chat_id="-100123")
        sink.send(ALERT)
        assert sink.flush(5)
        sink.close()
    text = "\U0001f7e0 balance_low: main: balance 4.20 USD is below 10.00"
    assert hook.bodies == [
        {"text": text},
        {"chat_id": "-100123", "text": text, "disable_web_page_preview": True},
    ]
    assert payload(ALERT, "telegram", "@chan")["chat_id"] == "@chan"


def test_a_webhook_answering_500_is_retried_a_bounded_number_of_times() -> None:
    broken = Hook(status=500)
    sleeps: list[float] = []
    try:
        sink = make_sink(broken.url, sleeps)
        with capture_logs() as logs:
            sink.send(replace(ALERT, id=7))
            assert sink.flush(5)
        sink.close()
    finally:
        broken.close()
    assert len(broken.bodies) == 3 and len(sleeps) == 2
    assert logs == [
        {
            "event": "webhook_failed",
            "log_level": "warning",
            # Which alert was lost: `alerts --json` shows it by its ID.
            "alert": "balance_low",
            "alert_id": 7,
            "panel": "main",
            "error": "HTTP 500: ok",
        }
    ]
    assert (sink.sent, sink.failed) == (0, 1)


def test_a_dripping_webhook_holds_an_alert_no_longer_than_its_retry_budget() -> None:
    # Cut at 3 s, a 1-2 s backoff, then a second whole 3 s POST: 7-8 s of a
    # 5 s budget. Now a retry needs a second of the budget left after its wait.
    with HostileServer(lambda form: drip(declared=1000, every=0.2)) as dripping:
        sink = WebhookSink(dripping.url, timeout=3.0, budget=5.0)  # real waits
        started = time.monotonic()
        with capture_logs() as logs:
            sink.send(ALERT)
            assert sink.flush(15)
        elapsed = time.monotonic() - started
        sink.close(timeout=1)
    assert elapsed < 5.0 + 1.5
    assert len(dripping.requests) == 1
    assert [e["event"] for e in logs] == ["webhook_failed"]
    assert logs[0]["error"].startswith("no answer")  # cut at its deadline


def test_a_webhook_retry_gets_only_what_is_left_of_the_retry_budget(monkeypatch) -> None:
    # 5 s, a 1-2 s backoff, then a second whole 5 s: 11-12 s of an 8 s budget.
    hook = Dripping(monkeypatch)
    sink = WebhookSink(
        "https://hooks.example/x", timeout=5.0, budget=8.0, sleep=hook.sleep, clock=hook.clock
    )
    sink.send(ALERT)
    assert sink.flush(5)
    sink.close()
    first, *retries = hook.deadlines
    assert first == 5.0 and len(retries) == 1 and 1.0 <= retries[0] <= 2.0
    assert hook.now - 1000.0 == pytest.approx(8.0)


def test_a_webhook_that_is_down_costs_one_log_line_per_alert() -> None:
    sink = make_sink(dead_url())
    with capture_logs() as logs:
        for _ in range(2):
            sink.send(ALERT)
        assert sink.flush(5)
    sink.close()
    refused = "connection refused: is the receiver up, and the port in alerts.webhook_url"
    assert [(e["event"], e["error"]) for e in logs] == [
        ("webhook_failed", f"{refused} (or webhook_url_file) right?")
    ] * 2


class Flaky:
    """A notify target (as tracker.alerts.notify.NotifyTarget) that fails
    while ``down``."""

    name = "alerts.notify[0] (tgram)"

    def __init__(self) -> None:
        self.down = True

    def deliver(self, alert: Alert) -> str | None:
        return "delivery failed" if self.down else None


def test_a_target_down_is_warned_once_an_outage_and_its_return_told(hook: Hook) -> None:
    # While the receiver was down, every alert logged its own webhook_failed
    # warning, and every Apprise target failing its own notify_failed.
    hook.status = 500
    target = Flaky()
    sink = make_sink(hook.url, notify=[target])
    before = _delivered()
    with capture_logs() as logs:
        for _ in range(3):
            sink.send(ALERT)
        assert sink.flush(10)
        hook.status, target.down = 200, False
        sink.send(ALERT)
        assert sink.flush(10)
    sink.close()
    said = [(e["event"], e["log_level"]) for e in logs]
    assert said.count(("webhook_failed", "warning")) == 1
    assert said.count(("notify_failed", "warning")) == 1
    assert said.count(("webhook_failed", "debug")) == 2
    assert said.count(("notify_failed", "debug")) == 2
    back = {e["event"]: e for e in logs if e["event"].endswith("_recovered")}
    assert back["webhook_recovered"]["log_level"] == "info"
    assert back["webhook_recovered"]["failed"] == 3
    assert back["notify_recovered"]["target"] == "alerts.notify[0] (tgram)"
    assert back["notify_recovered"]["failed"] == 3
    after = _delivered()  # every failure still counted
    assert after["webhook failed"] - before.get("webhook failed", 0) == 3
    assert after["notify failed"] - before.get("notify failed", 0) == 3


def _one_alert_to(status: int) -> tuple[Hook, list[dict[str, Any]]]:
    """Send one alert to a webhook answering ``status``; return the webhook
    (closed) and the log lines."""
    hook = Hook(status=status)
    try:
        sink = make_sink(hook.url)
        with capture_logs() as logs:
            sink.send(ALERT)
            assert sink.flush(5)
        sink.close()
    finally:
        hook.close()
    return hook, logs


def test_a_client_error_is_not_retried() -> None:
    refused, logs = _one_alert_to(404)
    assert len(refused.bodies) == 1
    assert logs[0]["error"] == "HTTP 404: ok"


def test_send_never_blocks_a_full_queue_drops_with_a_log_line() -> None:
    on_the_wire, release = threading.Event(), threading.Event()

    def stuck(request: httpx.Request) -> httpx.Response:
        on_the_wire.set()
        release.wait(5)
        return httpx.Response(200)

    sink = WebhookSink(
        "https://hooks.example/x", queue_size=2, transport=httpx.MockTransport(stuck)
    )
    with thread_logs() as logs:
        results = [sink.send(ALERT)]
        # The first one taken before the others come: a worker that took it
        # only after the third was dropped queued the fourth, and told so
        # (webhook_queued_again), as a loaded machine's scheduling fell.
        assert on_the_wire.wait(5)
        results += [sink.send(ALERT) for _ in range(3)]  # 1 in flight, 2 queued, 1 dropped
        release.set()
        assert sink.flush(5)
    sink.close()
    assert results == [True, True, True, False]
    assert (sink.sent, sink.dropped) == (3, 1)
    # The sink's own events: those of this thread (send) and of its worker,
    # not those of a sink or server an earlier test of this process left.
    own = {threading.current_thread(), sink._thread}
    told = [e for e in logs if e["thread"] in own and e["log_level"] != "debug"]
    assert [(e["event"], e["log_level"]) for e in told] == [("webhook_dropped", "warning")]


def test_close_gives_queued_alerts_one_try_and_returns(hook: Hook) -> None:
    sink = make_sink(hook.url)
    sink.send(ALERT)
    sink.close(timeout=5)
    assert len(hook.bodies) == 1
    assert not sink.send(ALERT)  # closed: refused without blocking


def test_close_with_a_full_queue_behind_a_hanging_webhook_keeps_its_bound() -> None:
    # The stop's wait for queued alerts is one bound (webhook_timeout + 5 s in
    # the daemon): with the queue full, the wait to queue the stop came first
    # and then a whole second bound for the thread, twice what doctor counts.
    on_the_wire, release = threading.Event(), threading.Event()

    def hanging(request: httpx.Request) -> httpx.Response:
        on_the_wire.set()
        release.wait(30)
        return httpx.Response(200)

    sink = WebhookSink(
        "https://hooks.example/x", queue_size=2, transport=httpx.MockTransport(hanging)
    )
    try:
        sink.send(ALERT)
        assert on_the_wire.wait(5)
        assert sink.send(ALERT) and sink.send(ALERT)  # the queue is full
        started = time.monotonic()
        with capture_logs() as logs:
            sink.close(timeout=1.0)
        elapsed = time.monotonic() - started
    finally:
        release.set()
        sink._thread.join(10)  # given up on by the close: it ends once its POST does
    assert elapsed < 1.0 + 0.7  # was 2 s: the bound twice
    assert [e["event"] for e in logs] == ["webhook_unsent"]


@pytest.fixture
def real_logging() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    configure("debug", "json", stream=stream, cache=False)
    yield stream
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def test_the_webhook_url_never_reaches_the_log(real_logging: io.StringIO) -> None:
    sink = make_sink(dead_url())
    sink.send(ALERT)
    assert sink.flush(5)
    sink.close()
    output = real_logging.getvalue()
    assert "webhook_failed" in output
    assert TOKEN not in output and "/hook/" not in output


def test_a_redirecting_webhook_is_one_line_that_says_redirects_are_not_followed() -> None:
    moved, logs = _one_alert_to(301)  # an http:// URL moved to https://, a renamed hook...
    assert len(moved.bodies) == 1  # not retried: the answer will not change
    [line] = logs
    assert line["event"] == "webhook_failed"
    assert line["error"].startswith("HTTP 301")
    assert "redirect" in line["error"] and "not followed" in line["error"]
    assert TOKEN not in repr(logs)


def _delivered() -> dict[str, float]:
    """The scrape's alert_deliveries_total samples, by 'target outcome'."""
    from tracker.service.callstats import CallCounters
    from tracker.service.jobstats import JobStats
    from tracker.service.metrics import render, take_snapshot

    text = render(take_snapshot(None, CallCounters(), JobStats()))
    found = {}
    for line in text.splitlines():
        if line.startswith("smm_tracker_alert_deliveries_total{"):
            labels, value = line.rsplit(" ", 1)
            outcome = labels.split('outcome="')[1].split('"')[0]
            target = labels.split('target="')[1].split('"')[0]
            found[f"{target} {outcome}"] = float(value)
    return found


def test_the_metrics_count_alerts_sent_and_given_up_across_sinks(hook: Hook) -> None:
    # An operator alerts on alerts that reach nobody: the webhook's given-up
    # alerts were only log lines. Counted for the process: a reload's new sink
    # adds to the same counters.
    before = _delivered()
    ok = make_sink(hook.url)
    assert ok.send(ALERT) and ok.flush(5)
    ok.close()
    broken = Hook(status=500)
    try:
        failing = make_sink(broken.url)
        assert failing.send(ALERT) and failing.flush(10)
        failing.close()
    finally:
        broken.close()
    after = _delivered()
    gained = {k: n - before.get(k, 0) for k, n in after.items() if n != before.get(k, 0)}
    assert gained == {"webhook sent": 1, "webhook failed": 1}


def test_every_configured_target_has_its_delivery_series_at_zero_from_the_start(
    hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README's `increase(smm_tracker_alert_deliveries_total{outcome!="sent"}[1h]) > 0`
    # sees no increase in a series that first appears at 1: the first alert
    # given up or dropped reached nobody and nothing said so.
    import tracker.alerts.outcomes as outcomes
    import tracker.alerts.webhook as webhook
    import tracker.service.metrics as metrics
    from tracker.alerts.deliveries import Deliveries

    fresh = Deliveries()
    monkeypatch.setattr(webhook, "DELIVERIES", fresh)
    monkeypatch.setattr(outcomes, "DELIVERIES", fresh)  # sent and failed counted there
    monkeypatch.setattr(metrics, "DELIVERIES", fresh)
    assert _delivered() == {}  # no target configured: no series
    sink = make_sink(hook.url)
    sink.close()
    assert _delivered() == {
        "webhook sent": 0,
        "webhook failed": 0,
        "webhook dropped": 0,
        "webhook given_up": 0,
    }


def test_an_alert_dropped_counts_once_per_target_as_sent_and_failed_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # With two Apprise targets, `sent` and `failed` count each; a dropped
    # alert reached neither: it counted once, and the three did not compare.
    import tracker.alerts.outcomes as outcomes
    import tracker.alerts.webhook as webhook
    import tracker.service.metrics as metrics
    from tracker.alerts.deliveries import Deliveries

    fresh = Deliveries()
    monkeypatch.setattr(webhook, "DELIVERIES", fresh)
    monkeypatch.setattr(outcomes, "DELIVERIES", fresh)  # sent and failed counted there
    monkeypatch.setattr(metrics, "DELIVERIES", fresh)
    release = threading.Event()

    class Target:
        name = "alerts.notify[0] (json)"

        def deliver(self, alert: Alert) -> str | None:
            release.wait(5)
            return None

    def stuck(request: httpx.Request) -> httpx.Response:
        release.wait(5)
        return httpx.Response(200)

    sink = WebhookSink(
        "https://hooks.example/x",
        queue_size=1,
        transport=httpx.MockTransport(stuck),
        notify=[Target(), Target()],  # type: ignore[list-item]
    )
    results = [sink.send(ALERT) for _ in range(4)]
    release.set()
    assert sink.flush(5)
    sink.close()
    dropped = results.count(False)
    assert dropped >= 1
    counts = _delivered()
    assert counts["webhook dropped"] == dropped and counts["notify dropped"] == 2 * dropped
    assert counts["webhook sent"] + dropped == 4
    assert counts["notify sent"] + 2 * dropped == 8


class BigAnswer:
    """A loopback webhook answering ``status`` with a 100 kB body (past the
    64 kB the sink reads); counts the POSTs."""

    def __init__(self, status: int):
        self.posts = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                owner.posts += 1
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # read 64 kB
                    self.send_response(status)
                    self.send_header("Content-Length", str(100_000))
                    self.end_headers()
                    self.wfile.write(b"x" * 100_000)

            def log_message(self, *args: Any) -> None:
                return

        self.server = JoinedServer(Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.server.start()

    def close(self) -> None:
        self.server.stop()  # its handlers' threads ended too


@pytest.mark.parametrize(("status", "sent", "posts"), [(200, 1, 1), (500, 0, 3)])
def test_a_large_answer_is_judged_by_its_status(status: int, sent: int, posts: int) -> None:
    # The status comes before the body: a 200 took the alert (it was logged
    # failed for its 100 kB answer), a 500 is retried as any 500 (it was not).
    big = BigAnswer(status)
    try:
        sink = make_sink(big.url)
        with capture_logs() as logs:
            assert sink.send(ALERT) and sink.flush(10)
        sink.close()
    finally:
        big.close()
    assert (sink.sent, big.posts) == (sent, posts)
    failed = [e["error"] for e in logs if e["event"] == "webhook_failed"]
    assert failed == ([] if sent else ["HTTP 500: answer larger than 64 kB"])
