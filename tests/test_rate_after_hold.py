"""After a hold, the requests it held go one at a time, not all at the reset.

Every request of a panel held by its rate limit (up to ``concurrency``
workers) went at the reset instant, a burst into a window just opened, and
into the same refusal when the panel had not reset yet. Now the first goes
at the reset and the others a second apart (``pacing.SPACING``): the first's
answer, back within the second on most panels, says whether the panel still
refuses, and if it does the others wait for the new reset, unsent.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable

import httpx

from tracker.config.model import PanelConfig, Secret
from tracker.panel.client import PanelClient

KEY = "k3y-SECRET-0123456"
URL = "https://panel.test/api/v2"
STATUS = {"status": "In progress", "remains": "5", "charge": "0.1"}


class SteppedTime:
    """A monotonic clock only the test moves on; a sleep blocks until the
    clock has reached its end. ``ends`` holds the ends of the sleeps on."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.ends: list[float] = []
        self.changed = threading.Condition()

    @property
    def sleeping(self) -> int:
        return len(self.ends)

    def clock(self) -> float:
        with self.changed:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.changed:
            end = self.now + seconds
            self.ends.append(end)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.now >= end, timeout=30)
            self.ends.remove(end)
            self.changed.notify_all()

    def to(self, when: float) -> None:
        with self.changed:
            self.now = when
            self.changed.notify_all()

    def until(self, ready: Callable[[], bool], arrivals: list[float] | None = None) -> None:
        with self.changed:
            assert self.changed.wait_for(ready, timeout=10), f"not so; arrivals: {arrivals}"

    def settled(self, sleeping: int) -> bool:
        """Return True when ``sleeping`` sleep, none of them due: every
        thread the clock woke has slept again or gone on."""
        return len(self.ends) == sleeping and all(end > self.now for end in self.ends)

    def notify(self) -> None:
        with self.changed:
            self.changed.notify_all()


class Panel:
    """Answers every request, the first ``spent`` of them saying the limit is
    spent for 5 s; records each request's arrival on the clock."""

    def __init__(self, t: SteppedTime, spent: int = 1):
        self.t, self.spent = t, spent
        self.arrivals: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        with self._lock:
            self.arrivals.append(self.t.clock())
            spent, self.spent = self.spent > 0, self.spent - 1
        left = {"X-RateLimit-Remaining": "0" if spent else "59", "X-RateLimit-Reset": "5"}
        if form["action"] == "status":
            ids = form["orders"].split(",") if "orders" in form else None
            body: object = STATUS if ids is None else dict.fromkeys(ids, STATUS)
        else:
            body = {"balance": "1.5", "currency": "USD"} if form["action"] == "balance" else []
        return httpx.Response(200, content=json.dumps(body).encode(), headers=left)


def held_workers(spent: int) -> tuple[SteppedTime, Panel, list[object]]:
    """A panel said spent for 5 s at 1000; four workers then ask, one after
    another, each held (asleep) before the next starts."""
    t = SteppedTime()
    panel = Panel(t, spent)
    config = PanelConfig(
        name="t", url=URL, key=Secret(KEY), concurrency=4, retries=0, retry_budget=300.0
    )
    client = PanelClient(
        config, transport=httpx.MockTransport(panel), sleep=t.sleep, clock=t.clock,
        wall=lambda: 1_750_000_000.0,
    )  # fmt: skip
    client.balance()
    done: list[object] = []

    def ask(call: Callable[[], object]) -> None:
        try:
            done.append(call())
        except Exception as exc:  # noqa: BLE001 - a failure is a result the test shows
            done.append(exc)
        t.notify()

    calls: list[Callable[[], object]] = [
        client.balance,
        lambda: client.statuses([11, 12]),
        client.services,
        lambda: client.status(13),
    ]
    for number, call in enumerate(calls, start=1):
        threading.Thread(target=ask, args=(call,), daemon=True).start()
        t.until(lambda n=number: t.settled(n))  # held until the reset
    return t, panel, done


def test_the_requests_a_hold_held_go_a_second_apart_from_the_reset():
    t, panel, done = held_workers(spent=1)
    assert panel.arrivals == [1000.0]
    # At the reset, one goes; the three others wait their turns.
    for step, when in enumerate([1005.0, 1006.0, 1007.0, 1008.0], start=1):
        t.to(when)
        t.until(lambda s=step: len(done) == s and t.settled(4 - s), panel.arrivals)
        assert panel.arrivals == [1000.0] + [1005.0 + n for n in range(step)]  # one more
    assert not [answer for answer in done if isinstance(answer, Exception)]


def test_when_the_first_after_a_hold_is_told_spent_again_the_others_wait_for_it():
    t, panel, done = held_workers(spent=2)  # the first one after the reset: spent again
    t.to(1005.0)
    t.until(lambda: len(done) == 1 and t.settled(3), panel.arrivals)
    assert panel.arrivals == [1000.0, 1005.0]  # spent again, until 1010
    for when in [1006.0, 1007.0, 1008.0]:  # the turns taken: the others wait for 1010
        t.to(when)
        t.until(lambda: t.settled(3), panel.arrivals)
        assert panel.arrivals == [1000.0, 1005.0] and len(done) == 1
    for step, when in enumerate([1010.0, 1011.0, 1012.0], start=2):
        t.to(when)
        t.until(lambda s=step: len(done) == s and t.settled(4 - s), panel.arrivals)
    assert panel.arrivals == [1000.0, 1005.0, 1010.0, 1011.0, 1012.0]


def test_calls_failed_during_a_hold_take_no_turn_after_it():
    # A hold past the retry budget fails each call at once, unsent; none of
    # them may push the first request after the reset further back.
    from faketime import FakeTime

    from tracker.errors import TransientError

    t = FakeTime()
    spent = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "100"}
    answers = [httpx.Response(200, content=b'{"balance": "1", "currency": "USD"}', headers=spent)]
    asked: list[float] = []

    def panel(request: httpx.Request) -> httpx.Response:
        asked.append(t.clock())
        return answers.pop() if answers else httpx.Response(200, content=b'{"balance": "1"}')

    config = PanelConfig(name="t", url=URL, key=Secret(KEY), retries=0, retry_budget=60.0)
    client = PanelClient(config, transport=httpx.MockTransport(panel), sleep=t.sleep, clock=t.clock)
    client.balance()  # spent for 100 s: past the 60 s budget
    for _ in range(5):
        try:
            client.balance()
        except TransientError:
            pass
    t.sleep(100.0)  # the reset
    client.balance()
    client.balance()  # the first answered: the next goes at once too
    assert asked == [1000.0, 1100.0, 1100.0] and t.sleeps == [100.0]
