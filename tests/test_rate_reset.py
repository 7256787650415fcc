"""A rate limit that says when it resets (``X-RateLimit-Reset``) is waited out.

Some panels answer HTTP 429 without ``Retry-After``, saying in
``X-RateLimit-Reset`` when their window opens again: seconds to wait, a Unix
time or an HTTP-date. Unread, the retry came after the backoff's 1-2 s, into
another 429, and the retry budget burnt on a panel still refusing.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from email.utils import formatdate

import httpx
import pytest
from faketime import FakeTime
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.model import PanelConfig, Secret
from tracker.errors import TransientError
from tracker.panel.client import PanelClient
from tracker.panel.models import NewOrder

NOW = 1_750_000_000.0  # the wall clock the client is given: June 2025
URL = "https://panel.test/api/v2"


class Panel:
    """Answers the scripted responses in order (the last one for ever)."""

    def __init__(self, *answers: httpx.Response):
        self.answers, self.asked = list(answers), 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def limited(status: int = 429, body: object = None, **headers: str | bytes) -> httpx.Response:
    content = json.dumps(body if body is not None else {"error": "Too many requests"})
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return httpx.Response(status, content=content.encode(), headers=named)


BALANCE = httpx.Response(200, content=b'{"balance": "1.5", "currency": "USD"}')


def client(
    panel: Callable[[httpx.Request], httpx.Response],
    sleeps: list[float],
    budget: float = 300.0,
    **kwargs,
) -> PanelClient:
    config = PanelConfig(
        name="t", url=URL, key=Secret("k3y-SECRET-0123"), retries=3, retry_budget=budget
    )
    network = httpx.MockTransport(panel)
    t = FakeTime(sleeps=sleeps)  # the recorded sleeps move its clock on, as real ones do
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
    ],
)
def test_a_429_with_only_a_reset_waits_what_it_says(reset, wait):
    sleeps: list[float] = []
    panel = Panel(limited(X_RateLimit_Reset=reset, X_RateLimit_Limit="60"), BALANCE)
    assert str(client(panel, sleeps).balance().balance) == "1.5"
    assert sleeps == [wait] and panel.asked == 2


# Garbled (float() reads some: not ASCII digits), in the past, or further off
# than a day (a Unix time in milliseconds, 31 years of seconds): no wish read.
GARBLED = ["soon", "-5", "1e3", "nan", "inf", "1_0", "\u0663".encode(), "7, 7", "12.", "0x10"]
HUGE = ["86401", "999999999", "9" * 40, str(int(NOW) + 2 * 86_400), str(int(NOW) * 1000)]
PAST = [str(int(NOW) - 60), formatdate(NOW - 60, usegmt=True), "1000000001"]
DATES = ["Mon, 01 Jan 99999999999999999999 00:00:00 GMT", "Mon, 99 Jan 2025 00:00:00 GMT"]


@pytest.mark.parametrize("reset", GARBLED + HUGE + PAST + DATES)
def test_a_reset_garbled_huge_or_past_leaves_the_backoff(reset):
    sleeps: list[float] = []
    panel = Panel(limited(X_RateLimit_Reset=reset), BALANCE)
    client(panel, sleeps).balance()
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0  # the first backoff, as with none


def test_retry_after_wins_over_the_reset():
    sleeps: list[float] = []
    panel = Panel(limited(Retry_After="3", X_RateLimit_Reset="40"), BALANCE)
    client(panel, sleeps).balance()
    assert sleeps == [3.0]


def test_a_retry_after_that_cannot_be_read_leaves_the_reset_to_say():
    sleeps: list[float] = []
    panel = Panel(limited(Retry_After="soon", X_RateLimit_Reset="9"), BALANCE)
    client(panel, sleeps).balance()
    assert sleeps == [9.0]


def test_the_retry_budget_still_bounds_the_wait():
    # Waiting the 50 s the panel asks for would blow the 20 s budget: give up now.
    sleeps: list[float] = []
    panel = Panel(limited(X_RateLimit_Reset=str(int(NOW) + 50)))
    with pytest.raises(TransientError, match="rate limited \\(HTTP 429"):
        client(panel, sleeps, budget=20.0).balance()
    assert sleeps == [] and panel.asked == 1


def test_a_reset_is_waited_no_longer_than_a_retry_after_would_be():
    sleeps: list[float] = []
    panel = Panel(limited(X_RateLimit_Reset="600"), BALANCE)
    client(panel, sleeps).balance()
    assert sleeps == [120.0]  # Retry-After's cap


def test_a_stop_ends_the_call_rather_than_wait_for_the_reset():
    stop, sleeps = threading.Event(), []

    def panel(request: httpx.Request) -> httpx.Response:
        stop.set()  # SIGTERM while the panel answers
        return limited(X_RateLimit_Reset="30")

    with pytest.raises(TransientError, match="429"):
        client(panel, sleeps, stop_event=stop).balance()
    assert sleeps == []


def test_busy_words_with_a_reset_wait_for_it():
    sleeps: list[float] = []
    panel = Panel(limited(200, {"error": "Rate limit exceeded"}, X_RateLimit_Reset="5"), BALANCE)
    client(panel, sleeps).balance()
    assert sleeps == [5.0]


def test_add_waits_for_the_reset_before_it_is_sent_again():
    # A 429 never reached the panel: add is sent again, once the window opens.
    sleeps: list[float] = []
    panel = Panel(limited(X_RateLimit_Reset="4"), httpx.Response(200, content=b'{"order": 77}'))
    order = NewOrder(service=1, link="https://example.com/p", quantity=100)
    assert client(panel, sleeps).add(order) == 77
    assert sleeps == [4.0] and panel.asked == 2


@pytest.mark.usefixtures("fresh_logs")
def test_the_wait_is_said_in_the_retry_line():
    panel = Panel(limited(X_RateLimit_Reset=str(int(NOW) + 8)), BALANCE)
    with capture_logs() as logs:
        client(panel, []).balance()
    retries = [e for e in logs if e["event"] == "panel_retry"]
    assert [e["wait"] for e in retries] == [8.0]
    assert "rate limited (HTTP 429: Too many requests)" in retries[0]["error"]


# API gateways send their window's X-RateLimit-* on every answer. With some
# of the limit left, the reset is not why the panel refused this one ("Database
# busy", a burst limit's 429): waiting for the hour's window (120 s at most,
# the whole retry budget by default) failed a call a backoff would have saved.
@pytest.mark.parametrize(
    "answer",
    [
        limited(200, {"error": "Database busy, try again"}, X_RateLimit_Remaining="950"),
        limited(429, X_RateLimit_Remaining="3"),
    ],
    ids=["busy words", "429"],
)
def test_a_reset_beside_some_of_the_limit_left_is_not_waited(answer):
    sleeps: list[float] = []
    answer.headers["X-RateLimit-Reset"] = "3600"
    answer.headers["X-RateLimit-Limit"] = "1000"
    panel = Panel(answer, BALANCE)
    assert str(client(panel, sleeps, budget=120.0).balance().balance) == "1.5"
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0  # the first backoff, as with none


@pytest.mark.parametrize("left", ["0", "", "many", "-1"])
def test_a_reset_beside_none_left_or_a_garbled_count_is_waited(left):
    sleeps: list[float] = []
    answer = limited(X_RateLimit_Reset="9", X_RateLimit_Remaining=left)
    client(Panel(answer, BALANCE), sleeps).balance()
    assert sleeps[0] == 9.0  # (with none left, the panel's hold follows: test_rate_paced)


# A 429 whose only wait is in the IETF draft's fields (no Retry-After, no
# X-RateLimit-*): its call waited the backoff's 1-2 s, into the same 429.
IETF = {
    "RateLimit-Reset alone": ({"RateLimit_Reset": "7"}, 7.0),
    "none left": ({"RateLimit_Remaining": "0", "RateLimit_Reset": "9"}, 9.0),
    "combined": ({"RateLimit": '"default";r=0;t=11'}, 11.0),
    "combined, no r": ({"RateLimit": '"default";t=13'}, 13.0),
    "two policies": ({"RateLimit": '"burst";r=4;t=2, "day";r=0;t=30'}, 30.0),
    "ten minutes": ({"RateLimit_Reset": "600"}, 120.0),  # Retry-After's cap
}


@pytest.mark.parametrize(("headers", "wait"), IETF.values(), ids=IETF.keys())
def test_a_429_with_only_the_ietf_reset_waits_it_once(headers, wait):
    sleeps: list[float] = []
    panel = Panel(limited(**headers), BALANCE)
    assert str(client(panel, sleeps).balance().balance) == "1.5"
    assert sleeps == [wait] and panel.asked == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"RateLimit_Remaining": "3", "RateLimit_Reset": "30"},  # some left: not why
        {"RateLimit": '"default";r=3;t=30'},
        {"X_RateLimit_Remaining": "950", "RateLimit_Reset": "30"},  # the same window's
        {"RateLimit_Reset": str(int(NOW) + 30)},  # not delta-seconds
        {"RateLimit_Reset": "soon"},
    ],
)
def test_an_ietf_reset_beside_some_left_or_garbled_leaves_the_backoff(headers):
    sleeps: list[float] = []
    client(Panel(limited(**headers), BALANCE), sleeps).balance()
    assert len(sleeps) == 1 and 1.0 <= sleeps[0] <= 2.0


def test_an_ietf_reset_past_the_retry_budget_fails_the_call_at_once():
    sleeps: list[float] = []
    panel = Panel(limited(RateLimit_Reset="50"))
    with pytest.raises(TransientError, match="rate limited \\(HTTP 429"):
        client(panel, sleeps, budget=20.0).balance()
    assert sleeps == [] and panel.asked == 1
