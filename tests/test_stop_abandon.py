"""The daemon's stop past its bound (runs still going: ``stop_overdue``, then
``os._exit(1)``) closes at once what no run is using, in every generation
still open, as ``run --once`` does (tests/test_run_once_abandon.py): the
alerts its webhook had not sent are kept for the next start, and the
database is closed, its -wal checkpointed into the file.

The generations are the daemon's own (``Service._build``), their jobs
replaced by one the test holds open until it lets go.
"""

from __future__ import annotations

import threading

import pytest
from hanging_hook import hanging, kept, until  # noqa: F401  (fixture)
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.jobs.base import Job
from tracker.rules.episodes import Alert
from tracker.service.daemon import Generation, JobStats, Scheduler
from tracker.service.notify import Notifier
from tracker.service.process import Service

WAIT = 10.0  # only ever reached when something hangs


class Held:
    """A job that runs until the test lets go: a call hanging past the stop bound."""

    def __init__(self, name: str = "status:p"):
        self.started, self.release = threading.Event(), threading.Event()
        self.job = Job(name, 3600, self.run)

    def run(self) -> bool:
        self.started.set()
        self.release.wait(30)
        return True


@pytest.mark.usefixtures("fresh_logs")
def test_a_stop_past_its_bound_keeps_unsent_alerts_and_closes_the_database(
    tmp_path,
    hanging,  # noqa: F811  (the fixture)
):
    server, release = hanging
    settings = {
        # A stop bound of 2 s: the panel's timeout and the database's busy_timeout.
        "database": {"path": "t.db", "busy_timeout": "1s"},
        "panels": [
            {"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 16, "timeout": "1s"}
        ],
        "refill": {"enabled": False},
        "alerts": {"webhook_url": server.url.replace("/api/v2", "/hook")},
    }
    config = config_from_dict(settings, base_dir=tmp_path, env={})
    service = Service(config, load=lambda: config, notifier=Notifier(None))
    generation = service._build(config)
    held = Held()
    generation.jobs[:] = [held.job]
    scheduler = Scheduler(JobStats())
    scheduler.start(generation)
    try:
        assert held.started.wait(WAIT)
        assert service._watch is not None
        raised = service._watch.alerter.raise_alert
        on_the_wire = raised(Alert("balance_low", "p: balance 1.00 is below 5.00", panel="p"))
        assert until(lambda: len(server.requests) == 1)  # its POST hangs
        queued = raised(Alert("order_lost", "p: order #5 stopped being polled", panel="p"))
        assert (tmp_path / "t.db-wal").exists()

        sink = service._watch.sink
        assert sink is not None
        with capture_logs() as logs:
            assert scheduler.shutdown(0.2) is False  # the run goes on: the daemon leaves it
    finally:  # what the stop abandoned ends here, not in a later test
        held.release.set()
        release.set()
        scheduler._pool.shutdown(wait=True)
    sink._thread.join(WAIT)  # its POST answered: the sink's thread ends
    assert not sink._thread.is_alive()
    events = [e["event"] for e in logs]
    assert "stop_overdue" in events and "abandon_close_failed" not in events
    assert [e["alerts"] for e in logs if e["event"] == "webhook_unsent"] == [1]
    assert not (tmp_path / "t.db-wal").exists()  # the run's writes are in the file
    # Both sent by the next start (`alerts --undelivered` lists them).
    assert kept(tmp_path / "t.db") == [(on_the_wire.id, "webhook"), (queued.id, "webhook")]


def test_a_stop_past_its_bound_in_a_reloads_wait_abandons_both_generations():
    # SIGTERM while a reload waits for a panel's hanging call, the call going
    # on past the stop bound: the old generation (its run in flight) and the
    # new one are both still open, and each closes what no run uses.
    held = Held("status:slow")
    abandoned: list[str] = []

    def generation(name: str, jobs: list[Job]) -> Generation:
        return Generation(jobs, threading.Event(), abandon=lambda: abandoned.append(name))

    old, new = generation("old", [held.job]), generation("new", [Job("status:slow", 3600, bool)])
    scheduler, stop = Scheduler(JobStats()), threading.Event()
    scheduler.start(old)
    try:
        assert held.started.wait(WAIT)
        swapping = threading.Thread(
            target=lambda: scheduler.replace(new, stopping=stop.is_set), daemon=True
        )
        swapping.start()
        assert until(lambda: scheduler.retiring is old)  # the handover waits for its run
        stop.set()
        assert scheduler.shutdown(0.2) is False
    finally:  # what the stop abandoned ends here, not in a later test
        held.release.set()
        scheduler._pool.shutdown(wait=True)
    swapping.join(WAIT)
    assert not swapping.is_alive()
    assert sorted(abandoned) == ["new", "old"]


def test_a_clean_stop_abandons_nothing():
    abandoned: list[int] = []
    closed = threading.Event()
    done = threading.Event()

    def run() -> bool:
        done.set()
        return True

    generation = Generation(
        [Job("status:p", 3600, run)],
        threading.Event(),
        closed.set,
        abandon=lambda: abandoned.append(1),
    )
    scheduler = Scheduler(JobStats())
    scheduler.start(generation)
    assert done.wait(WAIT)
    assert scheduler.shutdown(WAIT) is True
    scheduler._pool.shutdown(wait=True)  # its idle worker ends here, not in a later test
    assert closed.is_set() and abandoned == []
