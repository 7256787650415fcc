"""`run` waits for a database it cannot write at start-up instead of exiting."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs
from waits import idle, until

import tracker.service.mainloop as mainloop
from tracker.config.load import config_from_dict
from tracker.errors import StoreError
from tracker.service.daemon import Generation, JobStats, Scheduler
from tracker.service.notify import Notifier
from tracker.service.process import Service
from tracker.service.startup import STARTUP_RETRY
from tracker.signals import Signals
from tracker.sim.server import PanelServer, SimulatedPanel


class Ticks:
    """An injected clock and sleep: sleeping moves the clock."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def make_service(tmp_path: Path, ticks: Ticks) -> Service:
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 12}],
        },
        base_dir=tmp_path,
        env={},
    )
    return Service(
        config,
        load=lambda: config,
        notifier=Notifier(None),
        clock=ticks.clock,
        sleep=ticks.sleep,
        monotonic=ticks.clock,
    )


@pytest.mark.usefixtures("fresh_logs")
def test_a_full_disk_at_start_is_waited_out_with_one_alert(tmp_path, monkeypatch):
    ticks = Ticks()
    service = make_service(tmp_path, ticks)
    attempts = []
    stop = threading.Event()
    built = Generation([], stop)

    def build(config):
        attempts.append(ticks.now)
        if len(attempts) < 4:
            raise StoreError(f"disk full while writing {tmp_path / 't.db'}")
        return built

    monkeypatch.setattr(service, "_build", build)
    with capture_logs() as events:
        assert service._build_when_writable(Signals()) is built
    # Tried at 0, then every STARTUP_RETRY seconds, until the disk had room.
    assert attempts == pytest.approx(
        [0, STARTUP_RETRY, 2 * STARTUP_RETRY, 3 * STARTUP_RETRY], abs=0.5
    )
    alerts = [e for e in events if e.get("alert") == "store_unwritable"]
    assert len(alerts) == 1 and alerts[0]["log_level"] == "error"


def test_a_stop_while_waiting_ends_the_wait(tmp_path, monkeypatch):
    ticks = Ticks()
    service = make_service(tmp_path, ticks)
    signals = Signals()

    def build(config):
        signals.stop = True  # SIGTERM arrives while the disk is still full
        raise StoreError("database /x/t.db is read-only")

    monkeypatch.setattr(service, "_build", build)
    assert service._build_when_writable(signals) is None


def test_a_missing_directory_is_still_an_error_not_a_wait(tmp_path, monkeypatch):
    service = make_service(tmp_path, Ticks())

    def build(config):
        raise StoreError("database directory /nope does not exist")

    monkeypatch.setattr(service, "_build", build)
    with pytest.raises(StoreError, match="does not exist"):
        service._build_when_writable(Signals())


def test_the_wait_keeps_its_pace_when_the_wall_clock_is_set_back(tmp_path, monkeypatch):
    # Deadlines on the wall clock: set back an hour, "retrying every 30s"
    # would wait an hour (fed to the watchdog all along, so nothing steps in).
    ticks = Ticks()
    service = make_service(tmp_path, ticks)
    service.clock = lambda: 1e9 - 3600.0 * (ticks.now > 5)  # set back an hour at 5 s
    slept = ticks.sleep

    def sleep(seconds: float) -> None:
        assert ticks.now < 10 * STARTUP_RETRY, "the wait followed the wall clock"
        slept(seconds)

    service.sleep = sleep
    attempts = []
    built = Generation([], threading.Event())

    def build(config):
        attempts.append(ticks.now)
        if len(attempts) < 3:
            raise StoreError("database /x/t.db is read-only")
        return built

    monkeypatch.setattr(service, "_build", build)
    with capture_logs():
        assert service._build_when_writable(Signals()) is built
    assert attempts == pytest.approx([0, STARTUP_RETRY, 2 * STARTUP_RETRY], abs=0.5)


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_during_the_migrations_sends_nothing_to_the_panel(tmp_path, monkeypatch):
    # systemd's SIGTERM while the first start migrates a large database: the
    # daemon then started every job and sent their first calls (services,
    # balance, a poll) after the stop, racing its own shutdown.
    key = "start-key-Wq4Lp8Zx2Nm7"
    server = PanelServer(SimulatedPanel(key=key)).start()
    config = config_from_dict(
        {
            "database": {"path": "t.db"},
            "panels": [{"name": "p", "url": server.url, "key": key}],
        },
        base_dir=tmp_path,
        env={},
    )
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    build = service._build

    def migrate_then_stop(config):
        generation = build(config)  # the migrations run here
        os.kill(os.getpid(), signal.SIGTERM)  # caught: Service.run installed its handler
        return generation

    schedulers: list[Scheduler] = []

    class Seen(Scheduler):  # the daemon's own, known to the test
        def __init__(self, stats: JobStats):
            super().__init__(stats)
            schedulers.append(self)

    def ready_once_the_first_runs_are_over() -> None:
        # READY=1 is told with the jobs scheduled, their first turns now: wait
        # until each turn has come and gone (skipped, or a call sent when the
        # stop is not heeded) before the stop goes on; a fixed 0.5 s looking
        # for a call gave a late one the time on a quiet host only.
        (scheduler,) = schedulers
        until(lambda: idle(scheduler), "the first runs never went by")

    monkeypatch.setattr(mainloop, "Scheduler", Seen)
    monkeypatch.setattr(service, "_build", migrate_then_stop)
    monkeypatch.setattr(service, "_ready", ready_once_the_first_runs_are_over)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        assert service.run()  # a clean stop
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
        server.stop()
    assert sum(server.panel.calls.values()) == 0
