"""The per-panel rate limit: spacing, bursts, threads, shutdown, and its wiring."""

from __future__ import annotations

import random
import threading
from urllib.parse import parse_qs

import httpx
import pytest
from faketime import FakeTime

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient
from tracker.panel.ratelimit import HEADROOM, RateLimiter, RateLimitStopped


def sends(limiter: RateLimiter, t: FakeTime, count: int) -> list[float]:
    """Call the limiter ``count`` times in a row; return when each call was let through."""
    times = []
    for _ in range(count):
        limiter()
        times.append(t.now - 1000.0)
    return times


def test_requests_are_spaced_evenly_at_the_rate():
    t = FakeTime()
    limiter = RateLimiter(120, clock=t.clock, sleep=t.sleep)
    step = 0.5 * HEADROOM
    assert sends(limiter, t, 5) == pytest.approx([0.0, step, 2 * step, 3 * step, 4 * step])


def test_a_burst_goes_at_once_then_the_rate_holds():
    t = FakeTime()
    limiter = RateLimiter(60, burst=3, clock=t.clock, sleep=t.sleep)
    assert sends(limiter, t, 5) == pytest.approx([0.0, 0.0, 0.0, HEADROOM, 2 * HEADROOM])


def test_an_idle_bucket_refills_but_never_beyond_its_burst():
    t = FakeTime()
    limiter = RateLimiter(60, burst=2, clock=t.clock, sleep=t.sleep)
    sends(limiter, t, 4)
    t.now += 3600  # an hour of silence
    start = t.now - 1000.0
    got = [s - start for s in sends(limiter, t, 4)]
    assert got == pytest.approx([0.0, 0.0, HEADROOM, 2 * HEADROOM])


def busiest_minute(times: list[float]) -> int:
    return max(sum(1 for s in times if start <= s < start + 60) for start in times)


def test_no_sixty_second_window_holds_more_than_the_rate_even_with_network_jitter():
    t = FakeTime()
    limiter = RateLimiter(120, clock=t.clock, sleep=t.sleep)
    times = sends(limiter, t, 600)
    assert busiest_minute(times) == 119  # at the rate, less the headroom
    # The panel counts arrivals: each may be up to 0.3 s late, any of them.
    rng = random.Random(7)
    for _ in range(20):
        arrivals = sorted(s + rng.uniform(0, 0.3) for s in times)
        assert busiest_minute(arrivals) <= 120


def test_threads_each_get_their_own_slot():
    # A frozen clock: every reservation must still land on its own slot,
    # with no two threads sharing one and none skipped.
    limiter = RateLimiter(600, clock=lambda: 50.0)
    slots: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [limiter.reserve() for _ in range(200)]
        with lock:
            slots.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(round((s - 50.0) / limiter.interval) for s in slots) == list(range(1600))


def test_a_stop_during_the_wait_sends_nothing():
    t = FakeTime()
    stop = threading.Event()

    def sleep_until_stopped(seconds: float) -> None:
        t.sleep(seconds / 2)
        stop.set()  # SIGTERM arrives half-way through the wait

    limiter = RateLimiter(1, clock=t.clock, sleep=sleep_until_stopped, stop_event=stop)
    limiter()
    with pytest.raises(RateLimitStopped, match="not sent"):
        limiter()
    assert t.now - 1000.0 == pytest.approx(limiter.interval / 2)  # not the whole wait
    with pytest.raises(RateLimitStopped):
        limiter()  # and nothing more goes out once stopping


def test_the_default_wait_ends_when_the_stop_event_is_set():
    stop = threading.Event()
    limiter = RateLimiter(1, stop_event=stop)  # real clock: the next slot is a minute away
    limiter()
    outcome: list[BaseException] = []

    def wait() -> None:
        try:
            limiter()
        except RateLimitStopped as exc:
            outcome.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    stop.set()
    waiter.join(timeout=10)
    assert not waiter.is_alive() and len(outcome) == 1


def test_a_poll_stopped_at_the_limiter_is_not_a_panel_failure(tmp_path):
    from tracker.clock import utcnow
    from tracker.jobs.poll import poll_panel
    from tracker.rules.transitions import Cadence
    from tracker.store.orders import Store

    stop = threading.Event()
    sent: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        # Answers the first order it was asked about: which of the three
        # batches gets the bucket's one token is up to the threads (a loaded
        # host once gave it to the second, which the answer "1" did not name).
        sent.append(request.content)
        # SIGTERM while this call is on the wire and the other batches wait
        # on the bucket (a timer from the poll's start fired, on a loaded
        # host, before any batch had taken the token: nothing was sent).
        threading.Timer(0.2, stop.set).start()
        asked = parse_qs(request.content.decode())["orders"][0].split(",")
        return httpx.Response(200, json={asked[0]: {"status": "Pending"}})

    limiter = RateLimiter(1, stop_event=stop)  # the second request would wait a minute
    panel = PanelConfig(name="p", url="http://panel.test/api/v2", key=Secret("k" * 16))
    client = PanelClient(panel, transport=httpx.MockTransport(handler), limiter=limiter)
    store = Store(tmp_path / "t.db")
    store.track("p", list(range(1, 251)), utcnow())
    result = poll_panel(store, client, clock=utcnow, cadence=Cadence(300, 300), stop_event=stop)
    client.close()
    store.close()
    # The answer named one order only; the 99 others would be asked again, but the
    # stop came first: they are left untouched (not counted unknown) for the next run.
    assert len(sent) == 1 and result.checked == 1
    assert result.ok and not result.errors  # stopping is not the panel's fault


def test_bad_rates_are_refused():
    with pytest.raises(ValueError):
        RateLimiter(0)
    with pytest.raises(ValueError):
        RateLimiter(60, burst=0)


def test_the_client_asks_the_limiter_before_every_request_retries_included():
    answers = iter(
        [httpx.Response(503), httpx.Response(200, json={"balance": "1", "currency": "USD"})]
    )
    asked: list[str] = []
    limiter_calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.content.decode())
        return next(answers)

    panel = PanelConfig(name="p", url="http://panel.test/api/v2", key=Secret("k" * 16), retries=2)
    client = PanelClient(
        panel,
        transport=httpx.MockTransport(handler),
        limiter=lambda: limiter_calls.append(len(asked)),
        sleep=lambda _s: None,
    )
    try:
        assert client.balance().balance == 1
    finally:
        client.close()
    # Called once before each request, before it was sent.
    assert limiter_calls == [0, 1]
