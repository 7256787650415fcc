"""A reload (SIGHUP) hands over panel by panel: a panel whose call hangs holds
back its own new jobs alone, never another panel's.

Jobs here are small functions coordinated with events, run by the real
APScheduler: the "hanging call" is a run the test holds open until it lets
go, so nothing depends on timing; waits are bounded only to turn a hang into
a failure.
"""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from waits import idle, until

import tracker.service.daemon as daemon
from tracker.jobs.base import Job
from tracker.service.daemon import Generation, JobStats, Scheduler
from tracker.service.mainloop import serve
from tracker.signals import Signals

WAIT = 10.0


class Panels:
    """A generation of one status job per panel; ``hang`` names the panels
    whose runs block until the test lets go (``release``). Panel "ok" polls
    every second, the others hourly: a reload keeps each job's turn, so "ok"
    is due again a second after its last poll, while "slow" still hangs."""

    def __init__(self, *panels: str, hang: tuple[str, ...] = ()):
        self.started = {p: threading.Event() for p in panels}
        self.ended = {p: threading.Event() for p in panels}
        self.release = threading.Event()
        self.stop_event = threading.Event()
        self.closed = threading.Event()
        self.closed_under_a_run = False
        self.hang = hang
        self.generation = Generation(
            [Job(f"status:{p}", 1 if p == "ok" else 3600, self._runner(p)) for p in panels],
            self.stop_event,
            self.close,
        )

    def _runner(self, panel: str):
        def run() -> bool:
            self.started[panel].set()
            if panel in self.hang:
                self.release.wait(WAIT)
            self.ended[panel].set()
            return True

        return run

    def close(self) -> None:
        self.closed_under_a_run = any(
            s.is_set() and not self.ended[p].is_set() for p, s in self.started.items()
        )
        self.closed.set()


def started(old: Panels, scheduler: Scheduler, stats: JobStats) -> None:
    scheduler.start(old.generation)
    for panel, event in old.started.items():
        assert event.wait(WAIT), panel
        if panel not in old.hang:
            assert old.ended[panel].wait(WAIT)


@pytest.mark.usefixtures("fresh_logs")
def test_a_healthy_panels_new_jobs_run_while_another_panels_call_still_hangs():
    stats = JobStats()
    old = Panels("slow", "ok", hang=("slow",))
    new = Panels("slow", "ok")
    scheduler = Scheduler(stats)
    started(old, scheduler, stats)
    with capture_logs() as logs:
        swapping = threading.Thread(target=scheduler.replace, args=(new.generation,))
        swapping.start()
        # The hanging call is still held open: "ok" has its new run all the same.
        assert new.ended["ok"].wait(WAIT), "the healthy panel waited for the hanging one"
        assert not old.release.is_set() and not old.ended["slow"].is_set()
        # "slow" itself waits for its own old run: never two runs of one panel.
        assert not new.started["slow"].is_set() and not old.closed.is_set()
        old.release.set()
        swapping.join(WAIT)
    assert not swapping.is_alive()
    assert old.ended["slow"].is_set() and old.closed.wait(WAIT)  # closed in a thread of its own
    assert not old.closed_under_a_run
    assert new.started["slow"].wait(WAIT)  # its run cut short: the new one runs at once
    scheduler.shutdown()
    assert new.closed.is_set()
    events = [(e["event"], e.get("running")) for e in logs if e["log_level"] != "debug"]
    # It waits for the hanging run; "ok" too when its poll (every second) was
    # on at that moment, as on a loaded host it may be.
    (waiting,) = [running for event, running in events if event == "reload_waiting"]
    assert "status:slow" in waiting and set(waiting) <= {"status:slow", "status:ok"}, waiting
    assert events[-1][0] == "jobs_replaced"


def test_a_removed_panels_hanging_run_holds_back_only_the_close_of_its_generation():
    stats = JobStats()
    old = Panels("gone", "ok", hang=("gone",))
    new = Panels("ok")
    scheduler = Scheduler(stats)
    started(old, scheduler, stats)
    swapping = threading.Thread(target=scheduler.replace, args=(new.generation,))
    swapping.start()
    assert new.ended["ok"].wait(WAIT)
    assert not old.closed.is_set()  # its store and clients stay open under the run
    old.release.set()
    swapping.join(WAIT)
    assert old.closed.wait(WAIT) and not old.closed_under_a_run  # in a thread of its own
    scheduler.shutdown()
    seen = stats.snapshot()  # the removed panel's job is forgotten once its run ended
    assert "status:gone" not in {*seen.last_ok, *seen.runs_by_job} and "status:ok" in seen.last_ok


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_while_a_panel_waits_starts_none_of_its_jobs_and_closes_both_generations():
    signals, stats = Signals(), JobStats()
    old = Panels("slow", "ok", hang=("slow",))
    new = Panels("slow", "ok")
    readies: list[int] = []
    ended = threading.Event()

    def on_ready() -> None:
        readies.append(1)
        if len(readies) == 1:  # after start: SIGHUP while "slow" hangs
            assert old.started["slow"].wait(WAIT) and old.ended["ok"].wait(WAIT)
            signals.reload = True

    def reload() -> Generation:
        def stop_once_ok_ran() -> None:  # SIGTERM while "slow" still waits
            if new.ended["ok"].wait(WAIT):
                signals.stop = True
                threading.Timer(0.5, old.release.set).start()

        threading.Thread(target=stop_once_ok_ran).start()
        return new.generation

    def serving() -> None:
        serve(old.generation, signals, stats=stats, on_ready=on_ready, reload=reload)
        ended.set()

    with capture_logs() as logs:
        thread = threading.Thread(target=serving)
        thread.start()
        assert ended.wait(WAIT)
        thread.join(WAIT)
    events = [e["event"] for e in logs if e["log_level"] != "debug"]
    assert "jobs_replaced" not in events and events[-2:] == ["daemon_stopping", "daemon_stopped"]
    assert not new.started["slow"].is_set()  # no request after the stop
    assert new.closed.is_set() and old.closed.is_set() and not old.closed_under_a_run


def test_a_stop_waits_as_long_as_the_reloaded_config_lets_a_call_take():
    # Started with a short timeout, reloaded with a longer one: a stop gave
    # up after the first config's bound while the new call could still end
    # within its own ("stop_overdue", clean=false, exit 1).
    stats = JobStats()
    old = Panels("ok")
    new = Panels("slow", hang=("slow",))
    new.generation.bound = WAIT
    scheduler = Scheduler(stats)
    started(old, scheduler, stats)
    assert scheduler.replace(new.generation)
    assert new.started["slow"].wait(WAIT)
    threading.Timer(1.0, new.release.set).start()
    assert scheduler.shutdown(0.2), "the stop gave up before the call's own deadline"
    assert new.ended["slow"].is_set() and new.closed.is_set()


def test_a_held_jobs_turn_that_passed_while_it_waited_runs_at_once():
    # A panel held by its own hanging run: its poll's kept turn passed during
    # the wait. Handed to APScheduler in the past by more than the misfire
    # grace (0.9 of the interval), that run was skipped: a whole interval more.
    from datetime import UTC, datetime, timedelta

    from tracker.service.firstrun import FirstRuns

    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    job = Job("status:slow", 30, lambda: True)
    first = FirstRuns(
        [job], lambda *a, **k: None, threading.Event(), {job.name: now - timedelta(seconds=60)}
    )
    assert first.start(job, now) == now
    later = FirstRuns(
        [job], lambda *a, **k: None, threading.Event(), {job.name: now + timedelta(seconds=10)}
    )
    assert later.start(job, now) == now + timedelta(seconds=10)  # a turn to come is kept


@pytest.mark.usefixtures("fresh_logs")
def test_the_database_check_goes_on_while_a_reload_waits_for_a_hanging_panel():
    # The main loop waited in the handover: the check each second (database
    # file replaced, lock taken) stopped while the other panels' new jobs
    # wrote, for up to the hanging call's timeout.
    signals, stats = Signals(), JobStats()
    old = Panels("slow", "ok", hang=("slow",))
    new = Panels("slow", "ok")
    replaced = threading.Event()
    ended = threading.Event()
    readies: list[int] = []

    def on_ready() -> None:
        readies.append(1)
        if len(readies) == 1:
            assert old.started["slow"].wait(WAIT) and old.ended["ok"].wait(WAIT)
            signals.reload = True

    def reload() -> Generation:
        threading.Thread(target=lambda: new.ended["ok"].wait(WAIT) and replaced.set()).start()
        return new.generation

    def serving() -> None:
        serve(
            old.generation,
            signals,
            stats=stats,
            on_ready=on_ready,
            reload=reload,
            check=replaced.is_set,
            check_every=0.05,
            stop_bound=0.2,
        )
        ended.set()

    before = set(threading.enumerate())
    with capture_logs() as logs:
        threading.Thread(target=serving).start()
        try:
            assert ended.wait(WAIT), "the check waited for the hanging panel"
            assert not old.ended["slow"].is_set()  # still hanging when the daemon stopped
        finally:
            old.release.set()
            for thread in set(threading.enumerate()) - before:  # the run the stop left, its
                thread.join(WAIT)  # worker and the serving: ended here, not in a later test
    events = [e["event"] for e in logs if e["log_level"] != "debug"]
    assert "jobs_replaced" not in events and "daemon_stopping" in events
    assert not new.started["slow"].is_set()


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_in_the_wait_that_ends_the_hanging_call_starts_none_of_the_held_jobs(monkeypatch):
    # SIGTERM and the end of the hanging call inside one wait of the handover
    # (a twentieth of a second, longer on a loaded host): the held panel's
    # new jobs were scheduled after the stop, their first run sending
    # requests as the daemon stopped, and the reload was logged as done.
    stats = JobStats()
    old, new = Panels("slow", hang=("slow",)), Panels("slow")
    scheduler = Scheduler(stats)
    started(old, scheduler, stats)
    waiting, go_on, stop, replaced = (threading.Event() for _ in range(4))

    def wait(seconds: float) -> None:  # the handover's wait, held open by the test
        waiting.set()
        go_on.wait(WAIT)

    swapping = threading.Thread(
        target=lambda: scheduler.replace(new.generation, stopping=stop.is_set) and replaced.set()
    )
    with capture_logs() as logs, monkeypatch.context() as patch:
        patch.setattr(daemon, "time", SimpleNamespace(sleep=wait, monotonic=time.monotonic))
        swapping.start()
        assert waiting.wait(WAIT)  # "slow"'s new jobs wait for its hanging call
        stop.set()  # SIGTERM
        old.release.set()  # the call ends in the same wait
        end = time.monotonic() + WAIT
        while stats.busy() and time.monotonic() < end:
            time.sleep(0.01)
        go_on.set()
        swapping.join(WAIT)
    scheduled = [job.id for job in scheduler._scheduler.get_jobs()]
    scheduler.shutdown()
    assert not stats.busy() and not swapping.is_alive()
    assert not replaced.is_set(), "the reload was told done after the stop"
    assert scheduled == [] and not new.started["slow"].is_set()  # no request after the stop
    assert "jobs_replaced" not in [e["event"] for e in logs]
    assert old.closed.is_set() and new.closed.is_set() and not old.closed_under_a_run


def test_a_reload_during_a_panels_first_poll_starts_its_held_round_after_the_new_poll():
    # SIGHUP while a panel's first poll still waits on the panel (a slow
    # one, just added or just started): its refill round, held for that
    # poll, had no turn to keep. Seen in a reload soak, not in a test: the
    # new generation holds the round for its own first poll, then runs it.
    stats, order = JobStats(), []
    release, stop_old, stop_new = threading.Event(), threading.Event(), threading.Event()

    def job(name: str, hang: bool = False) -> Job:
        def run() -> bool:
            order.append(name)
            if hang:
                release.wait(WAIT)
            return True

        return Job(name.partition("/")[0], 3600, run)

    old = Generation([job("status:p/old", hang=True), job("refill:p/old")], stop_old)
    new = Generation([job("status:p/new"), job("refill:p/new")], stop_new)
    scheduler = Scheduler(stats)
    scheduler.start(old)
    try:
        end = time.monotonic() + WAIT
        while not order and time.monotonic() < end:
            time.sleep(0.01)
        assert order == ["status:p/old"]  # the round is held behind it
        swapping = threading.Thread(target=scheduler.replace, args=(new,))
        swapping.start()
        assert stop_old.wait(WAIT)
        release.set()  # the old poll ends after the reload told it to stop
        swapping.join(WAIT)
        assert not swapping.is_alive(), "the reload never ended"
        # Nothing in flight, nothing due: a run the old poll's end released
        # into the new generation (its round, twice) has run by now, where a
        # fixed 0.1 s gave it the time on a quiet host only.
        until(lambda: idle(scheduler), "the reload's runs never went quiet")
    finally:
        scheduler.shutdown()
    assert order == ["status:p/old", "status:p/new", "refill:p/new"]
