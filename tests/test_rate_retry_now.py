"""A 429 saying "retry now" (``Retry-After: 0``) is retried after the backoff.

A wait of 0 was taken at its word: the call's retries went out at once, one
after the other, each into the same 429 (``retries`` + 1 requests in a few
milliseconds, per call, per worker), what rate limiters behind Cloudflare or
fail2ban-style rules answer by blocking a key or an address. Now a wish
under a second is the call's own backoff (1-2 s, then 2-3 s, 4-5 s...), the
retries bounded as ever; it holds none of the panel's other requests.
"""

from __future__ import annotations

import json
from email.utils import formatdate

import httpx
import pytest
from faketime import FakeTime

from tracker.config.load import config_from_dict
from tracker.config.model import PanelConfig, Secret
from tracker.errors import TransientError
from tracker.jobs.tracker import Tracker
from tracker.panel.client import PanelClient

KEY = "k3y-SECRET-0123456"
NOW = 1_750_000_000.0  # the wall clock the client is given: June 2025
URL = "https://panel.test/api/v2"

RETRY_NOW = {
    "Retry-After: 0": {"Retry-After": "0"},
    "a Retry-After date just past": {"Retry-After": formatdate(NOW - 1, usegmt=True)},
    "X-RateLimit-Reset: 0": {"X-RateLimit-Reset": "0"},
    "a reset this instant": {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{NOW:.2f}"},
    "the IETF reset 0": {"RateLimit": '"default";r=0;t=0'},
}


class Refusing:
    """Answers every request 429 with ``headers``, counting them."""

    def __init__(self, headers: dict[str, str]):
        self.headers, self.asked = headers, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked += 1
        body = json.dumps({"error": "Too many requests"}).encode()
        return httpx.Response(429, content=body, headers=self.headers)


@pytest.mark.parametrize("headers", RETRY_NOW.values(), ids=RETRY_NOW.keys())
def test_a_429_saying_retry_now_for_ever_is_asked_retries_times_more_backing_off(headers):
    t = FakeTime()
    panel = Refusing(headers)
    config = PanelConfig(name="t", url=URL, key=Secret(KEY), retries=3, retry_budget=300.0)
    client = PanelClient(
        config, transport=httpx.MockTransport(panel), sleep=t.sleep, clock=t.clock, wall=lambda: NOW
    )
    with pytest.raises(TransientError, match=r"rate limited \(HTTP 429"):
        client.balance()
    assert panel.asked == 4  # the first try and its 3 retries, no more
    # The backoff's waits (1-2 s, 2-3 s, 4-5 s), not 0: no tight loop.
    assert [int(wait) for wait in t.sleeps] == [1, 2, 4]


def test_a_poll_of_a_panel_saying_retry_now_for_ever_sends_a_bounded_number(tmp_path):
    # 40 orders in batches of 5 (8 calls), two at a time, one retry each: the
    # poll sends no new batch after its first failed call, so at most those
    # queued then (twice `concurrency`) are sent, each twice.
    panel = Refusing({"Retry-After": "0"})
    data = {
        "database": {"path": str(tmp_path / "t.db")},
        "panels": [
            {"name": "p", "url": URL, "key": KEY, "max_batch": 5, "concurrency": 2, "retries": 1}
        ],
    }
    config = config_from_dict(data, base_dir=tmp_path, env={})
    tracker = Tracker(config, transport=lambda _panel: httpx.MockTransport(panel))
    try:
        tracker.store.track("p", list(range(101, 141)), tracker.clock())
        assert not tracker.poll("p")
        rows = tracker.store.rows("SELECT error, error_count FROM orders")
    finally:
        tracker.close()
    assert panel.asked <= 2 * 2 * 2 < 8 * 2
    assert {tuple(r.values()) for r in rows} == {(None, 0)}  # no order blamed
