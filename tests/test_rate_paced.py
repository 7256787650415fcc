"""A panel that says its rate limit is spent is left alone until it resets.

Panels send ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (or the
IETF draft's ``RateLimit-*`` fields) on any answer, a 200 included. Unread,
the panel's other workers and jobs ran straight into its 429 each window,
and panels behind Cloudflare or fail2ban-style rules block a key or an
address after a run of them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from faketime import FakeTime
from hostile import HostileServer, Reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.config.model import PanelConfig, Secret
from tracker.errors import StopRequested, TransientError
from tracker.jobs.tracker import Tracker
from tracker.panel.client import PanelClient

KEY = "k3y-SECRET-0123456"
NOW = 1_750_000_000.0  # the wall clock the scripted clients are given: June 2025
URL = "https://panel.test/api/v2"
BALANCE = {"balance": "1.5", "currency": "USD"}

# Ways a panel says its limit is spent and opens again in a second.
SPENT_FOR_A_SECOND = {
    "x-ratelimit": {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1",
    },
    "retry-after": {"X-RateLimit-Remaining": "0", "Retry-After": "1"},
    "ietf-fields": {"RateLimit-Limit": "60", "RateLimit-Remaining": "0", "RateLimit-Reset": "1"},
    "ietf-combined": {"RateLimit": '"default";r=0;t=1', "RateLimit-Policy": '"default";q=60;w=60'},
}


def answer(form: dict[str, str], headers: dict[str, str] | None = None) -> Reply:
    """The panel's answer to ``form``: a balance, an empty catalogue, or the
    status of each order asked, with ``headers``."""
    action = form.get("action")
    status = {"status": "In progress", "remains": "5", "charge": "0.1"}
    if action == "status":
        ids = form["orders"].split(",") if "orders" in form else None
        body: Any = status if ids is None else dict.fromkeys(ids, status)
    else:
        body = BALANCE if action == "balance" else []
    return Reply(
        json.dumps(body).encode(), 200, {"Content-Type": "application/json", **(headers or {})}
    )


class LoopbackPanel:
    """Answers every request; the first ``spent`` requests of ``spent_action``
    say the limit is spent with ``headers``, each recording the moment (the
    monotonic clock, this process's) the limit opens again: when it answered,
    plus the second it announced. Each request's arrival is recorded too."""

    def __init__(self, headers: dict[str, str], spent_action: str = "balance", spent: int = 1):
        self.headers, self.spent_action, self.spent = headers, spent_action, spent
        self.arrivals: list[tuple[str, float]] = []  # (action, monotonic time)
        self.reopens: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, form: dict[str, str]) -> Reply:
        with self._lock:
            self.arrivals.append((form.get("action", ""), time.monotonic()))
            if form.get("action") == self.spent_action and self.spent > 0:
                self.spent -= 1
                self.reopens.append(time.monotonic() + 1.0)
                return answer(form, self.headers)
            return answer(form, {"X-RateLimit-Remaining": "59", "X-RateLimit-Reset": "1"})


def loopback_client(url: str, **options: Any) -> PanelClient:
    config = PanelConfig(name="p", url=url, key=Secret(KEY), concurrency=4, retries=0, **options)
    return PanelClient(config)


@pytest.mark.parametrize("headers", SPENT_FOR_A_SECOND.values(), ids=SPENT_FOR_A_SECOND.keys())
@pytest.mark.usefixtures("quick_spacing")  # the reset, not the spacing after it
def test_every_worker_of_the_panel_waits_for_the_reset_before_sending(headers):
    panel = LoopbackPanel(headers)
    with HostileServer(panel) as server:
        client = loopback_client(server.url)
        try:
            client.balance()  # the panel: spent, open again in a second
            calls: list[Callable[[], object]] = [
                client.balance,
                lambda: client.statuses([11, 12]),
                client.services,
                lambda: client.status(13),
            ]
            done: list[object] = []
            workers = [threading.Thread(target=lambda c=c: done.append(c())) for c in calls]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=30)
        finally:
            client.close()
    assert len(done) == 4  # each call answered, none failed
    (reopen,) = panel.reopens
    later = [at for _, at in panel.arrivals[1:]]
    assert len(later) == 4 and min(later) >= reopen


@pytest.mark.usefixtures("quick_spacing")  # the reset, not the spacing after it
def test_a_poll_waits_for_a_reset_the_balance_job_heard(tmp_path):
    # Six status calls (5 orders each) from four workers, after the balance
    # job was told the limit is spent: none reaches the panel before it opens.
    panel = LoopbackPanel(SPENT_FOR_A_SECOND["x-ratelimit"])
    with HostileServer(panel) as server:
        data = {
            "database": {"path": str(tmp_path / "t.db")},
            "panels": [
                {"name": "p", "url": server.url, "key": KEY, "max_batch": 5, "concurrency": 4}
            ],
        }
        tracker = Tracker(config_from_dict(data, base_dir=tmp_path, env={}))
        try:
            tracker.store.track("p", list(range(101, 131)), tracker.clock())
            tracker.clients["p"].balance()
            assert tracker.poll("p")
        finally:
            tracker.close()
    (reopen,) = panel.reopens
    polled = [at for action, at in panel.arrivals if action == "status"]
    assert len(polled) == 6 and min(polled) >= reopen
    db = sqlite3.connect(tmp_path / "t.db")
    statuses = db.execute("SELECT DISTINCT status, error FROM orders").fetchall()
    db.close()
    assert statuses == [("In progress", None)]


class Scripted:
    """Answers the scripted responses in order (the last one for ever)."""

    def __init__(self, *answers: httpx.Response):
        self.answers, self.asked = list(answers), 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def balance(**headers: str) -> httpx.Response:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return httpx.Response(200, content=json.dumps(BALANCE).encode(), headers=named)


def scripted(panel: Scripted, t: FakeTime, budget: float = 300.0, **kwargs: Any) -> PanelClient:
    config = PanelConfig(name="t", url=URL, key=Secret(KEY), retries=3, retry_budget=budget)
    network = httpx.MockTransport(panel)
    return PanelClient(
        config, transport=network, sleep=t.sleep, clock=t.clock, wall=lambda: NOW, **kwargs
    )


@pytest.mark.parametrize(
    ("reset", "wait"),
    [
        ("7", 7.0),  # seconds to wait
        (str(int(NOW) + 42), 42.0),  # a Unix time, against the wall clock
        (f"{NOW + 12.5:.2f}", 12.5),  # one with a fraction
        (formatdate(NOW + 30, usegmt=True), 30.0),  # an HTTP-date
        ("600", 120.0),  # ten minutes: waited as long as a 429's wait, then asked again
    ],
)
def test_the_reset_is_read_as_a_429s_and_waited_at_most_as_long(reset, wait):
    t = FakeTime()
    panel = Scripted(balance(X_RateLimit_Remaining="0", X_RateLimit_Reset=reset), balance())
    client = scripted(panel, t)
    client.balance()
    client.balance()
    assert t.sleeps == [wait] and panel.asked == 2


# Not spent (some left), or garbled: the count, the reset, the combined field.
NOT_SPENT_OR_GARBLED: list[dict[str, str | bytes]] = [
    {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "30"},
    {"RateLimit-Remaining": "3", "RateLimit-Reset": "30"},
    *({"X-RateLimit-Remaining": r, "X-RateLimit-Reset": "5"} for r in
      ["none", "-1", "0.0", "1e0", "0x0", "\u0660".encode(), "0, 0", ""]),
    *({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": r} for r in
      ["soon", "-5", "1e3", "nan", "inf", "86401", str(int(NOW) * 1000), str(int(NOW) - 60),
       "Mon, 99 Jan 2025 00:00:00 GMT", ""]),
    *({"RateLimit-Remaining": "0", "RateLimit-Reset": r} for r in
      ["soon", "-5", "1.5", str(int(NOW) + 5), "86401"]),
    *({"RateLimit": r} for r in
      ['"d";r=0;t=soon', '"d";r=x;t=5', '"d";r=0', "r=0;t=5", '"d";r=0;t=99999999', '"d";r=2;t=5']),
]  # fmt: skip


@pytest.mark.parametrize("headers", NOT_SPENT_OR_GARBLED)
def test_some_left_or_garbled_values_hold_nothing_a_readable_spent_limit_does(headers):
    t = FakeTime()
    garbled = httpx.Response(200, content=json.dumps(BALANCE).encode(), headers=headers)
    readable = balance(X_RateLimit_Remaining="0", X_RateLimit_Reset="5")
    panel = Scripted(garbled, balance(), readable, balance())
    client = scripted(panel, t)
    client.balance()
    client.balance()
    assert t.sleeps == []  # the first answer held nothing
    client.balance()
    client.balance()
    assert t.sleeps == [5.0] and panel.asked == 4


def test_a_hold_past_the_retry_budget_fails_the_call_as_rate_limited_sending_nothing():
    t = FakeTime()
    panel = Scripted(balance(X_RateLimit_Remaining="0", X_RateLimit_Reset="50"), balance())
    client = scripted(panel, t, budget=20.0)
    client.balance()
    with pytest.raises(TransientError) as failed:
        client.balance()
    assert failed.value.detail == (
        "rate limited (the panel said its limit is spent for 50s more (X-RateLimit-Reset), "
        "past the 20s retry budget: not sent)"
    )
    assert t.sleeps == [] and panel.asked == 1


def test_a_call_held_by_a_reset_never_fails_an_order(tmp_path):
    # The poll's call would wait past its budget: the run fails, no order does.
    panel = Scripted(balance(X_RateLimit_Remaining="0", X_RateLimit_Reset="90"))
    data = {
        "database": {"path": str(tmp_path / "t.db")},
        "panels": [{"name": "p", "url": URL, "key": KEY, "retry_budget": "10s"}],
    }
    config = config_from_dict(data, base_dir=tmp_path, env={})
    tracker = Tracker(config, transport=lambda _panel: httpx.MockTransport(panel))
    try:
        tracker.store.track("p", [101, 102], tracker.clock())
        tracker.clients["p"].balance()
        assert not tracker.poll("p")
        rows = tracker.store.rows("SELECT status, error, error_count, polling FROM orders")
    finally:
        tracker.close()
    assert panel.asked == 1  # the status call was never sent
    assert [tuple(r.values()) for r in rows] == [(None, None, 0, 1)] * 2


class WatchedStop(threading.Event):
    """The stop event, telling when a wait on it began."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        self.waiting.set()
        return super().wait(timeout)


def test_a_stop_during_the_wait_ends_it_at_once_and_sends_nothing():
    stop = WatchedStop()
    panel = Scripted(balance(X_RateLimit_Remaining="0", X_RateLimit_Reset="30"), balance())
    config = PanelConfig(name="t", url=URL, key=Secret(KEY), retries=3, retry_budget=300.0)
    client = PanelClient(config, transport=httpx.MockTransport(panel), stop_event=stop)
    client.balance()  # spent for 30 s
    raised: list[BaseException] = []

    def held_call() -> None:
        try:
            client.balance()
        except BaseException as exc:  # noqa: BLE001 - what the call ended with
            raised.append(exc)

    worker = threading.Thread(target=held_call)
    worker.start()
    assert stop.waiting.wait(timeout=10)  # the call waits for the reset
    stop.set()  # SIGTERM
    worker.join(timeout=10)  # far inside the 30 s the wait would have lasted
    assert not worker.is_alive()
    assert len(raised) == 1 and isinstance(raised[0], StopRequested)
    assert panel.asked == 1


@pytest.mark.usefixtures("fresh_logs")
def test_each_pacing_episode_is_logged_once_without_the_key():
    t = FakeTime()
    spent = balance(X_RateLimit_Remaining="0", X_RateLimit_Reset="5")
    # Spent in two windows in a row (one episode), an answer with the limit
    # not spent, then spent again: a second episode.
    panel = Scripted(spent, spent, balance(), spent, balance())
    client = scripted(panel, t)
    with capture_logs() as logs:
        for _ in range(5):
            client.balance()
    paced = [e for e in logs if e["event"] == "panel_rate_paced"]
    assert [(e["panel"], e["wait"], e["header"]) for e in paced] == [
        ("t", 5.0, "X-RateLimit-Reset"),
        ("t", 5.0, "X-RateLimit-Reset"),
    ]
    assert t.sleeps == [5.0, 5.0, 5.0]
    assert KEY not in repr(logs)
