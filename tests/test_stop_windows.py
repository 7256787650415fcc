"""A stop signal taken in the window between a look at the stop and the wait
after it: `run --once`, the daemon's main loop, a job's retry.

The handlers only set flags (tracker/signals.py) that the main thread looks
at between waits of a fraction of a second, and mark the jobs' stop event
asked, so nothing is sent from then on; the jobs' waits are the event's
own, set at the main loop's next look. Each test runs the handler at the
very point the window is (injected there, not raced) and checks the stop
is honoured all the same. Waits are bounded only to turn a missed stop
into a failure, not a hang.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import httpx
import pytest

from tracker.config.model import PanelConfig, Secret
from tracker.errors import StopRequested
from tracker.jobs.base import Job
from tracker.panel.client import PanelClient
from tracker.panel.transport import Transport
from tracker.service import mainloop
from tracker.service.daemon import Generation
from tracker.service.jobstats import JobStats
from tracker.service.once import run_stoppable
from tracker.signals import Signals, Stop

HANG = 20.0  # seconds: only reached when a stop goes unheard


class Asking:
    """A job that asks the panel for its balance once told to (``go``): what
    a poll's next batch is, queued as the stop signal comes."""

    def __init__(self, stop_event: threading.Event):
        self.ready, self.go, self.asked = (threading.Event() for _ in range(3))
        self.sent: list[bytes] = []
        self.said: list[str] = []

        def handle(request: httpx.Request) -> httpx.Response:
            self.sent.append(request.content)
            return httpx.Response(200, json={"balance": "1.00", "currency": "USD"})

        config = PanelConfig(
            name="a", url="https://panel.test/api/v2", key=Secret("ask-key-6Tq9Lm2Xc5Vb8Nz4")
        )
        transport = httpx.MockTransport(handle)
        self.client = PanelClient(config, transport=transport, stop_event=stop_event)
        self.job = Job("balance:a", 3600, self.run)

    def run(self) -> bool:
        self.ready.set()
        self.go.wait(HANG)
        try:
            self.client.balance()
            self.said.append("sent")
        except StopRequested:
            self.said.append("not sent")
        self.asked.set()
        return True

    def after_the_handler(self, handler: Any) -> None:
        """Once the job is about to ask, run ``handler`` (a stop signal's),
        then let the job ask, before the main loop looks at the flags again."""
        assert self.ready.wait(HANG)
        handler()
        self.go.set()
        assert self.asked.wait(HANG)


class Blocked:
    """A job whose run is a call on the wire: it ignores the stop, and ends
    only when released (or after HANG)."""

    def __init__(self, name: str = "status:a"):
        self.started, self.release, self.ended = (threading.Event() for _ in range(3))
        self.job = Job(name, 3600, self.run)

    def run(self) -> bool:
        self.started.set()
        self.release.wait(HANG)
        self.ended.set()
        return True


def test_run_once_two_ctrl_cs_taken_before_its_loop_looks_leave_now(monkeypatch):
    # A quick double Ctrl-C: both handlers ran while the main loop waited
    # for its next look. The stop was a flag: the two read as one, the
    # second's "leave now" was lost, and the run waited for the call on the
    # wire (up to its bound: the panel's timeout).
    blocked, fired = Blocked(), []
    joined = threading.Thread.join

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        if threading.current_thread() is threading.main_thread() and not fired:
            fired.append(True)
            assert blocked.started.wait(HANG)  # the job's call on the wire
            handler = signal.getsignal(signal.SIGINT)
            assert callable(handler)
            handler(signal.SIGINT, None)
            handler(signal.SIGINT, None)
        joined(self, timeout)

    monkeypatch.setattr(threading.Thread, "join", join)
    stops: list[float] = []
    try:
        outcome = run_stoppable(
            [blocked.job], JobStats(), threading.Event(), HANG * 10, on_stop=stops.append
        )
        still_on_the_wire = not blocked.ended.is_set()
    finally:
        blocked.release.set()
    assert stops == [HANG * 10]  # the first: "stopping: calls on the wire end within ..."
    assert (outcome.abandoned, outcome.exit_code) == (True, 130)  # the second: left now
    assert still_on_the_wire


def test_the_daemon_stops_on_a_signal_taken_as_its_loop_begins_a_wait(monkeypatch):
    # SIGTERM's handler runs once the main loop has looked at the flag and
    # as it begins its fifth of a second's sleep: the next look sees it, the
    # jobs' stop event is set, and the job's wait on it ends.
    signals, stop_event, seen = Signals(), threading.Event(), []
    ended = threading.Event()

    def retry_wait() -> bool:
        seen.append(stop_event.wait(HANG))  # a retry's wait: the stop event's own
        return True

    slept = mainloop.time.sleep

    def sleep(seconds: float) -> None:
        if threading.current_thread().name == "serving" and not signals.stop:
            signals._on_stop(signal.SIGTERM, None)  # looked already: the window
        slept(seconds)

    monkeypatch.setattr(mainloop.time, "sleep", sleep)
    generation = Generation([Job("status:a", 3600, retry_wait)], stop_event, lambda: None)

    def serving() -> None:
        mainloop.serve(generation, signals, stop_bound=HANG)
        ended.set()

    thread = threading.Thread(target=serving, name="serving", daemon=True)
    thread.start()
    assert ended.wait(HANG), "the stop was missed"
    thread.join(HANG)
    assert seen == [True]  # the job's wait ended by the stop, not by its time


@pytest.mark.parametrize("action", ["balance", "add"])
def test_a_stop_between_a_jobs_retry_decision_and_its_wait_ends_both(monkeypatch, action):
    # The stop event set (the daemon's shutdown, `run --once`'s first stop)
    # after tenacity decided to retry and before it sleeps: the sleep is the
    # event's own wait, so it ends at once, and the retry is not sent.
    class Stop(threading.Event):
        ended: list[bool] = []

        def wait(self, timeout: float | None = None) -> bool:
            self.ended.append(super().wait(HANG if timeout is None else min(timeout, HANG)))
            return self.ended[-1]

    stop, asked = Stop(), []
    logged = Transport._log_retry

    def retry_decided(self: Transport[Any], state: Any) -> None:
        logged(self, state)
        stop.set()

    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(request.content)
        # Cloudflare's own 521 (the origin never reached): an add not sent, retried.
        return httpx.Response(
            521, text="origin down", headers={"cf-ray": "1", "Server": "cloudflare"}
        )

    monkeypatch.setattr(Transport, "_log_retry", retry_decided)
    config = PanelConfig(
        name="t", url="https://panel.test/api/v2", key=Secret("stop-key-4Hd8Lq2Xv6Nm3Tc9"),
        retries=3, retry_budget=HANG * 4,
    )  # fmt: skip
    client = PanelClient(config, transport=httpx.MockTransport(handle), stop_event=stop)
    with pytest.raises(StopRequested):
        if action == "balance":
            client.balance()
        else:
            from tracker.panel.models import NewOrder

            client.add(NewOrder(1, "https://example.com/p", 100))
    assert len(asked) == 1  # never sent again
    assert stop.ended == [True]  # the retry's wait ended by the stop


def test_run_once_sends_nothing_once_a_stop_signals_handler_ran(monkeypatch):
    # The handler ran; the main loop, waiting for its next look (a tenth of a
    # second), had not set the jobs' stop event yet: a job asking then sent.
    stop_event, fired = Stop(), []
    asking = Asking(stop_event)
    joined = threading.Thread.join

    def ctrl_c() -> None:
        handler = signal.getsignal(signal.SIGINT)
        assert callable(handler)
        handler(signal.SIGINT, None)

    def join(self: threading.Thread, timeout: float | None = None) -> None:
        if threading.current_thread() is threading.main_thread() and not fired:
            fired.append(True)
            asking.after_the_handler(ctrl_c)
        joined(self, timeout)

    monkeypatch.setattr(threading.Thread, "join", join)
    outcome = run_stoppable([asking.job], JobStats(), stop_event, HANG)
    assert outcome.exit_code == 130
    assert (asking.said, asking.sent) == (["not sent"], [])


def test_the_daemon_sends_nothing_once_a_stop_signals_handler_ran(monkeypatch):
    # SIGTERM's handler ran as the main loop began its fifth of a second's
    # sleep: a job asking before the loop's next look sent its request.
    signals, stop_event = Signals(), Stop()
    asking, ended = Asking(stop_event), threading.Event()
    slept = mainloop.time.sleep

    def sleep(seconds: float) -> None:
        if threading.current_thread().name == "serving" and not signals.stop:
            asking.after_the_handler(lambda: signals._on_stop(signal.SIGTERM, None))
        slept(seconds)

    monkeypatch.setattr(mainloop.time, "sleep", sleep)
    generation = Generation([asking.job], stop_event, lambda: None)

    def serving() -> None:
        mainloop.serve(generation, signals, stop_bound=HANG)
        ended.set()

    thread = threading.Thread(target=serving, name="serving", daemon=True)
    thread.start()
    assert ended.wait(HANG), "the stop was missed"
    thread.join(HANG)
    assert (asking.said, asking.sent) == (["not sent"], [])


def test_a_stop_signal_marks_every_linked_stop_event_not_set_yet():
    # A reload's new generation is linked beside the old one; those set
    # already (a retired generation's) are let go.
    signals, old, current, new = Signals(), Stop(), Stop(), Stop()
    for event in (old, current):
        signals.link(event)
    old.set()
    signals.link(new)
    signals._on_stop(signal.SIGTERM, None)
    assert signals.stops == [current, new]
    assert current.is_set() and new.is_set()
    signals.link(later := Stop())  # linked once the stop came: asked already
    assert later.is_set()
