"""A 429 saying how long to wait holds the whole panel, not only its call.

A plain HTTP 429 with a readable ``Retry-After`` (or an ``X-RateLimit-Reset``
beside no ``X-RateLimit-Remaining`` above 0) held only the call that got
it: the panel's other workers (``concurrency``, up to 8) and jobs went on
sending, each into its own 429, and panels behind Cloudflare or
fail2ban-style rules block a key or an address after a run of them.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.model import PanelConfig, Secret
from tracker.errors import StopRequested, TransientError
from tracker.panel.client import PanelClient

KEY = "k3y-SECRET-0123456"
NOW = 1_750_000_000.0  # the wall clock the clients are given: June 2025
URL = "https://panel.test/api/v2"
BALANCE = {"balance": "1.5", "currency": "USD"}
STATUS = {"status": "In progress", "remains": "5", "charge": "0.1"}


def reply(status: int = 200, body: object = None, **headers: str | bytes) -> httpx.Response:
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    content = json.dumps(BALANCE if body is None else body).encode()
    return httpx.Response(status, content=content, headers=named)


def too_many(**headers: str | bytes) -> httpx.Response:
    return reply(429, {"error": "Too many requests"}, **headers)


class FakeTime:
    """A monotonic clock its sleeps move on, shared by threads: a sleep of
    ``s`` begun at ``t`` ends at ``t + s`` at the earliest, as a real one does.
    ``during_first_sleep`` runs inside the first sleep, before it ends."""

    def __init__(self, during_first_sleep: Callable[[], None] | None = None) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.slept: dict[str, list[float]] = {}  # by thread
        self._during = during_first_sleep
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            began, during, self._during = self.now, self._during, None
            self.sleeps.append(seconds)
            self.slept.setdefault(threading.current_thread().name, []).append(seconds)
        if during is not None:
            during()
        with self._lock:
            self.now = max(self.now, began + seconds)


class Panel:
    """Answers a balance with each of ``first`` in turn, then the balance or
    the statuses asked; records every request (action, the fake clock's time)."""

    def __init__(self, t: FakeTime, *first: httpx.Response):
        self.t, self.first = t, list(first)
        self.arrivals: list[tuple[str, float]] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        with self._lock:
            self.arrivals.append((form["action"], self.t.clock()))
            if form["action"] == "balance" and self.first:
                return self.first.pop(0)
        if form["action"] == "status":
            ids = form.get("orders", "").split(",")
            return reply(body=dict.fromkeys(ids, STATUS) if "orders" in form else STATUS)
        return reply(body=[] if form["action"] == "services" else BALANCE)


def client_of(panel: Panel, t: FakeTime, **settings: Any) -> PanelClient:
    options: dict[str, Any] = {"retries": 3, "retry_budget": 300.0, "concurrency": 4, **settings}
    config = PanelConfig(name="t", url=URL, key=Secret(KEY), **options)
    network = httpx.MockTransport(panel)
    return PanelClient(config, transport=network, sleep=t.sleep, clock=t.clock, wall=lambda: NOW)


def test_no_worker_of_the_panel_sends_before_a_429s_retry_after_has_passed():
    # The balance job gets a 429 asking for 5 s; while its call waits them,
    # three workers of the panel's poll and catalogue ask.
    done: list[object] = []
    workers: list[threading.Thread] = []

    def the_other_workers_ask() -> None:
        calls: list[Callable[[], object]] = [
            lambda: client.statuses([11, 12]),
            client.services,
            lambda: client.status(13),
        ]
        workers.extend(threading.Thread(target=lambda c=c: done.append(c())) for c in calls)
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=30)

    t = FakeTime(during_first_sleep=the_other_workers_ask)
    panel = Panel(t, too_many(Retry_After="5"))
    client = client_of(panel, t)
    assert str(client.balance().balance) == "1.5"
    assert not any(worker.is_alive() for worker in workers) and len(done) == 3
    (limited, *later) = panel.arrivals
    assert limited == ("balance", 1000.0)
    assert len(later) == 4 and min(at for _, at in later) >= 1005.0
    # The call that got the 429 waited its Retry-After once, not the hold after it.
    assert t.slept[threading.current_thread().name] == [5.0]


class WatchedStop(threading.Event):
    """The stop event, counting the waits begun on it."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0
        self.changed = threading.Condition()

    def wait(self, timeout: float | None = None) -> bool:
        with self.changed:
            self.waits += 1
            self.changed.notify_all()
        return super().wait(timeout)

    def until(self, ready: Callable[[], bool]) -> bool:
        with self.changed:
            return self.changed.wait_for(ready, timeout=10)


def test_a_stop_during_a_429s_hold_ends_it_and_sends_nothing():
    stop = WatchedStop()
    answers = iter([too_many(Retry_After="30")])
    asked: list[str] = []

    def panel(request: httpx.Request) -> httpx.Response:
        asked.append(dict(httpx.QueryParams(request.content.decode()))["action"])
        return next(answers, reply())

    config = PanelConfig(name="t", url=URL, key=Secret(KEY), retries=3, retry_budget=300.0)
    client = PanelClient(config, transport=httpx.MockTransport(panel), stop_event=stop)
    raised: dict[str, BaseException | None] = {}

    def ask(name: str, call: Callable[[], object]) -> None:
        try:
            call()
            raised[name] = None
        except BaseException as exc:  # noqa: BLE001 - what the call ended with
            raised[name] = exc
        with stop.changed:
            stop.changed.notify_all()

    first = threading.Thread(target=ask, args=("balance", client.balance))
    first.start()
    assert stop.until(lambda: stop.waits >= 1)  # the 429's call waits its 30 s
    other = threading.Thread(target=ask, args=("status", lambda: client.status(13)))
    other.start()
    assert stop.until(lambda: stop.waits >= 2 or "status" in raised)
    stop.set()  # SIGTERM
    first.join(timeout=10)
    other.join(timeout=10)  # far inside the 30 s either wait would have lasted
    assert not first.is_alive() and not other.is_alive()
    assert asked == ["balance"]  # the status call was never sent
    assert all(isinstance(exc, StopRequested) for exc in raised.values())


# A 429 whose wait is not readable as its retry reads it, and a 200 saying
# it is busy ("Database busy" too: no rate limit), hold nothing: the call's
# own backoff or Retry-After alone.
HOLD_NOTHING = {
    **{f"Retry-After {v!r}": too_many(Retry_After=v) for v in
       ["soon", "1e3", "nan", "-5", "2.5", "\u0663".encode(), "Mon, 99 Jan 2025 00:00:00 GMT"]},
    "no wait said": too_many(),
    "a reset past": too_many(X_RateLimit_Reset=str(int(NOW) - 60)),
    "a reset beside some left": too_many(X_RateLimit_Reset="30", X_RateLimit_Remaining="3"),
    "an IETF reset beside some left": too_many(RateLimit_Reset="30", RateLimit_Remaining="3"),
    "busy words in a 200": reply(200, {"error": "Too many requests"}, Retry_After="5"),
    "database busy in a 200": reply(200, {"error": "Database busy"}, X_RateLimit_Reset="5"),
}  # fmt: skip
# A 429's wait read as its retry reads it (at most 120 s).
HOLDS = {
    "Retry-After": (too_many(Retry_After="5"), 5.0),
    "an HTTP-date": (too_many(Retry_After=formatdate(NOW + 30, usegmt=True)), 30.0),
    "X-RateLimit-Reset alone": (too_many(X_RateLimit_Reset="7"), 7.0),
    "a Unix time": (too_many(X_RateLimit_Reset=str(int(NOW) + 42)), 42.0),
    "the IETF RateLimit-Reset alone": (too_many(RateLimit_Reset="9"), 9.0),
    "the IETF RateLimit's t": (too_many(RateLimit='"default";t=11'), 11.0),
    "ten minutes": (too_many(Retry_After="600"), 120.0),
}


@pytest.mark.parametrize("answer", HOLD_NOTHING.values(), ids=HOLD_NOTHING.keys())
def test_a_429_without_a_readable_wait_holds_nothing_one_with_it_does(answer):
    # retries = 0: the call that got it fails at once, nothing waited.
    t = FakeTime()
    panel = Panel(t, answer, too_many(Retry_After="5"))
    client = client_of(panel, t, retries=0)
    with pytest.raises(TransientError):
        client.balance()
    client.statuses([11])  # sent at once
    assert t.sleeps == [] and [at for _, at in panel.arrivals] == [1000.0, 1000.0]
    with pytest.raises(TransientError):
        client.balance()
    client.statuses([11])  # held the 5 s the 429 asked for
    assert t.sleeps == [5.0] and [at for _, at in panel.arrivals[2:]] == [1000.0, 1005.0]


@pytest.mark.parametrize(("answer", "wait"), HOLDS.values(), ids=HOLDS.keys())
def test_a_429_with_a_readable_wait_holds_the_panels_next_call(answer, wait):
    t = FakeTime()
    panel = Panel(t, answer)
    client = client_of(panel, t, retries=0)
    with pytest.raises(TransientError):
        client.balance()
    client.statuses([11])
    assert t.sleeps == [wait] and [at for _, at in panel.arrivals] == [1000.0, 1000.0 + wait]


def test_a_429s_hold_past_the_retry_budget_fails_the_next_call_sending_nothing():
    # Each failure says it was the 429, the wait it asked and the budget: the
    # held call said "the panel said its limit is spent", the 429's own call
    # only "rate limited (HTTP 429: Too many requests)".
    t = FakeTime()
    panel = Panel(t, too_many(Retry_After="50"))
    client = client_of(panel, t, retry_budget=20.0)
    with pytest.raises(TransientError) as own:
        client.balance()  # its own retry would wait past the budget: failed at once
    assert own.value.detail == (
        "rate limited (HTTP 429: Too many requests): the panel asks us to wait 50s, "
        "past this call's retry budget of 20s"
    )
    with pytest.raises(TransientError) as failed:
        client.statuses([11])
    assert failed.value.detail == (
        "rate limited (HTTP 429: the panel asks us to wait 50s more (Retry-After), "
        "past this call's retry budget of 20s: not sent)"
    )
    assert str(failed.value) == f"t: status: {failed.value.detail}"  # one line
    assert t.sleeps == [] and len(panel.arrivals) == 1


def test_a_429s_wait_past_what_its_retries_left_of_the_budget_says_so():
    t = FakeTime()
    panel = Panel(t, too_many(), too_many(Retry_After="50"))  # a backoff, then 50 s asked
    client = client_of(panel, t, retry_budget=30.0, retries=3)
    with pytest.raises(TransientError) as own:
        client.balance()
    (backoff,) = t.sleeps
    assert own.value.detail == (
        "rate limited (HTTP 429: Too many requests): the panel asks us to wait 50s, "
        f"past the {30 - backoff:.0f}s left of this call's retry budget of 30s"
    )


@pytest.mark.usefixtures("fresh_logs")
def test_a_429s_hold_is_logged_once_an_episode_naming_the_header():
    t = FakeTime()
    # Two 429s in a row (one episode: the second came once the hold was
    # over, still refused), an answer, then another 429: a second episode.
    panel = Panel(t, too_many(Retry_After="5"), too_many(X_RateLimit_Reset="5"), reply(),
                  too_many(X_RateLimit_Reset="3"))  # fmt: skip
    client = client_of(panel, t, retries=0)
    with capture_logs() as logs:
        for _ in range(4):
            try:
                client.balance()
            except TransientError:
                pass
    paced = [e for e in logs if e["event"] == "panel_rate_paced"]
    assert [(e["panel"], e["wait"], e["header"], e["status"]) for e in paced] == [
        ("t", 5.0, "Retry-After", 429),
        ("t", 3.0, "X-RateLimit-Reset", 429),
    ]
    assert t.sleeps == [5.0, 5.0] and KEY not in repr(logs)
