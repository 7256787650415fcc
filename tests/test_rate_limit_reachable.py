"""A panel refusing calls for its rate limit is reachable: it answers.

A call the panel answered HTTP 429 (or "Too many requests" in words),
retries done, or one not sent because the panel's rate-limit hold outlasted
its retry budget, was a failed call for reachability: a panel rate limiting
the tracker for ``alerts.unreachable_after`` raised ``panel_unreachable``
"every call has failed for 15m" while it answered every request. Now it is
an answer for ``panel_unreachable``; a status poll it leaves orders unchecked
in still fails (``status_failing``); the metrics still count it failed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from resumable import Resumable
from structlog.testing import capture_logs

from tracker.alerts.alerter import Alerter
from tracker.config.load import config_from_dict
from tracker.config.model import PanelConfig, Secret
from tracker.errors import RateLimitedError
from tracker.jobs.reach import Reach
from tracker.jobs.tracker import Tracker
from tracker.panel.client import PanelClient
from tracker.rules.episodes import Alert
from tracker.service.callstats import CallCounters
from tracker.store.alerts import alerts_since

pytestmark = pytest.mark.usefixtures("fresh_logs")

START = datetime(2026, 12, 5, 0, 0, tzinfo=UTC)
KEY = "k3y-SECRET-0123456"


def limited(body: dict[str, str], status: int, **headers: str) -> httpx.MockTransport:
    content = json.dumps(body).encode()
    return httpx.MockTransport(
        lambda _request: httpx.Response(status, content=content, headers=headers)
    )


def watched_client(
    clock: Resumable, network: httpx.MockTransport
) -> tuple[PanelClient, list[Alert], list[tuple[bool, str | None]], CallCounters]:
    """A client of panel "p" on ``clock`` (its sleeps move it), its whole calls
    judged by a Reach (unreachable_after 15m): the client, the alerts raised,
    the whole calls told (ok, error) and the per-attempt metrics."""
    raised: list[Alert] = []
    sink = SimpleNamespace(send=raised.append)
    reach = Reach(clock, clock.monotonic, Alerter(None, sink, clock=clock), 900)
    url, key = "https://panel.test/api/v2", Secret(KEY)
    config = PanelConfig(name="p", url=url, key=key, retries=1, retry_budget=30.0)
    client = PanelClient(
        config,
        transport=network,
        sleep=clock.advance,
        clock=clock.monotonic,
        wall=lambda: clock().timestamp(),
    )
    told: list[tuple[bool, str | None]] = []
    client.call_observers.append(lambda _p, _a, ok, _s, error: told.append((ok, error)))
    client.call_observers.append(reach.observe)
    client.call_clock = clock.monotonic
    counters = CallCounters()
    client.observers.append(counters.observe)
    return client, raised, told, counters


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (429, "Too many requests", "rate limited (HTTP 429: Too many requests)"),
        (200, "Rate limit exceeded", "panel busy: Rate limit exceeded"),  # in words
    ],
)
def test_a_panel_refusing_every_call_for_its_rate_limit_for_20_minutes_is_not_unreachable(
    status: int, error: str, words: str
) -> None:
    clock = Resumable(START)
    client, raised, told, counters = watched_client(
        clock, limited({"error": error}, status, **{"Retry-After": "2"})
    )
    with capture_logs():
        for _ in range(21):  # a call a minute, each refused twice (its retry)
            with pytest.raises(RateLimitedError):
                client.balance()
            clock.advance(60)
    assert raised == []  # it answered every request: no panel_unreachable
    assert len(told) == 21 and all(ok for ok, _ in told)
    assert told[-1][1] == words
    # The metrics still count each attempt as a call with no usable answer.
    assert counters.calls[("p", "balance")] == 42
    assert counters.failures[("p", "balance")] == 42


def test_calls_not_sent_for_a_429s_hold_past_their_budget_are_answers_too() -> None:
    clock = Resumable(START)
    # A 429 asking 300 s: past the 30 s budget, so its call ends at once,
    # and the panel is held 120 s: the calls inside the hold are not sent.
    client, raised, told, _counters = watched_client(
        clock, limited({"error": "Too many requests"}, 429, **{"Retry-After": "300"})
    )
    with capture_logs():
        for _ in range(40):  # a call every 30 s for 20 minutes
            with pytest.raises(RateLimitedError):
                client.balance()
            clock.advance(30)
    assert raised == []
    assert len(told) == 40 and all(ok for ok, _ in told)
    assert sum(error is not None and error.endswith(": not sent)") for _, error in told) == 30


def test_status_calls_refused_for_the_rate_limit_still_leave_the_polls_failing(
    tmp_path: Path,
) -> None:
    """The panel answers, so no ``panel_unreachable``; its status calls'
    orders stay unchecked, so ``status_failing``, counted from the first
    refused status call's start."""
    clock = Resumable(START)
    config = config_from_dict(
        {
            "database": {"path": str(tmp_path / "tracker.db")},
            "panels": [{"name": "main", "url": "http://127.0.0.1:9/api/v2", "key": KEY}],
            "refill": {"enabled": False},
            "alerts": {"unreachable_after": "15m"},
        },
        base_dir=tmp_path,
        env={},
    )
    tracker = Tracker(config, clock=clock, monotonic=clock.monotonic)
    words = "main: status: rate limited (HTTP 429: Too many requests)"
    with capture_logs():
        for _ in range(4):  # a poll every 5 minutes, its call refused for 90 s
            clock.advance(90)
            tracker.watch.reach.observe("main", "status", True, 90.0, words)
            tracker.watch.after_status("main", [words])
            clock.advance(210)
    kinds = [row["kind"] for row in alerts_since(tracker.store, None)]
    assert kinds == ["status_failing"]
    (failing,) = alerts_since(tracker.store, None)
    assert failing["data"]["since"] == START.isoformat(timespec="seconds")
    assert failing["message"].startswith(
        "main: status checks have left orders unchecked at every poll for 16m: "
    )
    tracker.close()
