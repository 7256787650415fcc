"""A clock step while a reload (SIGHUP) waits for a panel's hanging call:
acted on there, as in the main loop, so the watchdog's heartbeat goes on.

Jobs here are small functions coordinated with events, run by the real
APScheduler under ``serve``; the "hanging call" is a run the test holds open,
and the step is told by a stand-in for ``ClockWatch`` (as in
tests/test_daemon.py), so nothing waits for real minutes. Waits are bounded
only to turn a hang into a failure.
"""

from __future__ import annotations

import threading

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

import tracker.service.mainloop as mainloop
from tracker.jobs.base import Job
from tracker.service.daemon import Generation, JobStats
from tracker.service.mainloop import serve
from tracker.signals import Signals

WAIT = 10.0
NAMES = ("status:slow", "balance:slow", "status:ok")  # hourly; "status:slow" hangs


class Jobs:
    """A generation of hourly jobs recording their starts; with ``hang``, the
    runs of "status:slow" wait until the test lets go (``release``)."""

    def __init__(self, *, hang: bool = False):
        self.started = {name: threading.Event() for name in NAMES}
        self.ended = {name: threading.Event() for name in NAMES}
        self.release = threading.Event()
        self.stop_event = threading.Event()
        self.hang = hang
        self.generation = Generation(
            [Job(name, 3600, self._runner(name)) for name in NAMES], self.stop_event
        )

    def _runner(self, name: str):
        def run() -> bool:
            self.started[name].set()
            if self.hang and name == "status:slow":
                self.release.wait(WAIT)
            self.ended[name].set()
            return True

        return run


def stepping_once(armed: threading.Event, seconds: float) -> type:
    """A ClockWatch telling one step of ``seconds``, at its first look once ``armed``."""

    class Stepped:
        def __init__(self) -> None:
            self.told = False

        def stepped(self) -> float | None:
            if armed.is_set() and not self.told:
                self.told = True
                return seconds
            return None

    return Stepped


@pytest.mark.usefixtures("fresh_logs")
@pytest.mark.parametrize("seconds", [-3600.0, 86400.0])  # set back (NTP, a VM restored), ahead
def test_a_clock_step_while_a_reload_waits_for_a_hanging_call_runs_the_heartbeat_then(
    monkeypatch, seconds
):
    # Under systemd (WatchdogSec=2min) a reload waited in the handover for a
    # dripping panel's call, up to its timeout: minutes. A clock set back
    # meanwhile left the heartbeat's next run an hour ahead until the wait
    # ended, and systemd killed a healthy daemon. The step is acted on in the
    # wait: the heartbeat and every scheduled job run now, while the busy
    # panel's new jobs still wait for its old run, then start at once.
    signals, stats = Signals(), JobStats()
    old, new = Jobs(hang=True), Jobs()
    armed, beat, ended = threading.Event(), threading.Event(), threading.Event()
    readies: list[int] = []

    def on_ready() -> None:
        readies.append(1)
        if len(readies) == 1:  # after start: SIGHUP while "status:slow" hangs
            assert old.started["status:slow"].wait(WAIT)
            assert old.ended["balance:slow"].wait(WAIT) and old.ended["status:ok"].wait(WAIT)
            signals.reload = True

    def reload() -> Generation:
        armed.set()  # the clock steps from now on: inside the handover's wait
        return new.generation

    def serving() -> None:
        serve(
            old.generation,
            signals,
            stats=stats,
            on_ready=on_ready,
            reload=reload,
            heartbeat=beat.set,
            heartbeat_every=3600,  # no beat of its own within the test
            stop_bound=WAIT,
        )
        ended.set()

    monkeypatch.setattr(mainloop, "ClockWatch", stepping_once(armed, seconds))
    thread = threading.Thread(target=serving)
    before = set(threading.enumerate())
    with capture_logs() as logs:
        thread.start()
        try:
            assert beat.wait(WAIT), "no heartbeat while the reload waited"
            # Another panel's job, its kept turn an hour away, runs now too.
            assert new.started["status:ok"].wait(WAIT)
            # Still inside the wait: never two runs of one panel.
            assert not old.ended["status:slow"].is_set()
            assert not new.started["status:slow"].is_set()
            assert not new.started["balance:slow"].is_set()
            old.release.set()
            # Its old run over, the panel's new jobs start at once: the poll cut
            # short by the reload, and the balance whose turn was read before the step.
            assert new.started["status:slow"].wait(WAIT)
            assert new.started["balance:slow"].wait(WAIT), "it kept a turn read before the step"
        finally:
            old.release.set()
            signals.stop = True
            thread.join(WAIT)
            for left in set(threading.enumerate()) - before:  # the scheduler's workers:
                left.join(WAIT)  # ended here, not in a later test
        assert ended.is_set()
    steps = [e for e in logs if e["event"] == "clock_stepped"]
    assert [(e["seconds"], e["log_level"]) for e in steps] == [(seconds, "warning")]
    events = [e["event"] for e in logs]
    assert events.index("clock_stepped") < events.index("jobs_replaced")
