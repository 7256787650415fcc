"""`run --once` leaving jobs still running (a second Ctrl-C, or past its stop
bound): :meth:`Tracker.abandon` closes at once what no job's thread is using.

The process side (the -wal gone after a second Ctrl-C) is
tests/test_run_once_stop.py's; here, what is kept and what is left alone.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from hanging_hook import WAIT, hanging, kept, until  # noqa: F401  (fixture)
from logcapture import fresh_logs  # noqa: F401  (fixture)
from structlog.testing import capture_logs

from tracker.config.load import config_from_dict
from tracker.config.model import Config
from tracker.jobs.tracker import Tracker
from tracker.rules.episodes import Alert


def config_for(tmp_path: Path, webhook_url: str = "", busy: str = "10s") -> Config:
    return config_from_dict(
        {
            "database": {"path": "t.db", "busy_timeout": busy},
            # Never asked here: the panel's jobs do not run.
            "panels": [{"name": "p", "url": "http://127.0.0.1:9/api/v2", "key": "k" * 16}],
            "refill": {"enabled": False},
            "alerts": {"webhook_url": webhook_url},
        },
        base_dir=tmp_path,
        env={},
    )


@pytest.mark.usefixtures("fresh_logs")
def test_alerts_not_sent_are_kept_and_the_database_closed(
    tmp_path,
    hanging,  # noqa: F811  (the fixture)
):
    server, release = hanging
    tracker = Tracker(config_for(tmp_path, server.url.replace("/api/v2", "/hook")))
    assert tracker.watch.sink is not None
    sink = tracker.watch.sink._thread
    try:
        raised = tracker.watch.alerter.raise_alert
        on_the_wire = raised(Alert("balance_low", "p: balance 1.00 is below 5.00", panel="p"))
        assert until(lambda: len(server.requests) == 1)  # its POST hangs
        queued = raised(Alert("order_lost", "p: order #5 stopped being polled", panel="p"))

        with capture_logs() as logs:
            assert tracker.abandon()
    finally:  # the POST left on the wire answered: the sink's thread ends, not a later test's
        release.set()
        sink.join(WAIT)
    assert not sink.is_alive()
    unsent = [e["alerts"] for e in logs if e["event"] == "webhook_unsent"]
    assert unsent == [1]  # the one queued; the one on the wire is told by its own end

    assert not (tmp_path / "t.db-wal").exists()  # checkpointed into the file
    # Both tried again by the next run (`alerts --undelivered` lists them).
    assert kept(tmp_path / "t.db") == [(on_the_wire.id, "webhook"), (queued.id, "webhook")]


@pytest.mark.usefixtures("fresh_logs")
def test_the_sink_thread_left_on_the_wire_ends_with_its_post(
    tmp_path,
    hanging,  # noqa: F811  (the fixture)
):
    # Its POST failed after the abandon (the client closed under it), then
    # the thread read the targets' outages kept in the database, which the
    # abandon holds for good: it waited out busy_timeout (here 10 minutes)
    # before it ended, a thread no one would ever use again.
    server, release = hanging
    tracker = Tracker(config_for(tmp_path, server.url.replace("/api/v2", "/hook"), busy="600s"))
    assert tracker.watch.sink is not None
    sink = tracker.watch.sink._thread
    try:
        tracker.watch.alerter.raise_alert(Alert("balance_low", "p: balance 1.00", panel="p"))
        assert until(lambda: len(server.requests) == 1)  # its POST hangs
        with capture_logs() as logs:
            assert tracker.abandon()
            release.set()  # the POST ends
            sink.join(WAIT)
    finally:
        release.set()
    assert not sink.is_alive()  # before: alive, waiting for the database
    failed = [e for e in logs if e["event"] == "webhook_failed"]
    assert len(failed) == 1 and failed[0]["log_level"] == "warning"  # told, as before


@pytest.mark.usefixtures("fresh_logs")
def test_a_sink_with_nothing_to_send_says_nothing_unsent(
    tmp_path,
    hanging,  # noqa: F811  (the fixture)
):
    server, _release = hanging
    tracker = Tracker(config_for(tmp_path, server.url))
    assert tracker.watch.sink is not None
    sink = tracker.watch.sink._thread
    with capture_logs() as logs:
        assert tracker.abandon()
    sink.join(WAIT)  # it ends at the stop mark the close left it
    assert not sink.is_alive()
    assert [e for e in logs if e["event"] == "webhook_unsent"] == []


def test_a_database_a_job_is_writing_to_is_left_open(tmp_path):
    tracker = Tracker(config_for(tmp_path))
    writing, done = threading.Event(), threading.Event()

    def job() -> None:  # a job's step, its transaction open
        with tracker.store.write() as db:
            db.execute("UPDATE _sqlite_migrations SET name = name")
            writing.set()
            done.wait(30)

    thread = threading.Thread(target=job)
    thread.start()
    try:
        assert writing.wait(10)
        assert tracker.abandon() is False  # nothing closed under it, nothing raised
    finally:
        done.set()
        thread.join(10)
    assert not thread.is_alive()  # the job's step committed: the connection was never closed
    tracker.close()


@pytest.mark.usefixtures("fresh_logs")
def test_the_sink_thread_already_waiting_for_the_database_ends_when_the_run_leaves(
    tmp_path,
    hanging,  # noqa: F811  (the fixture)
    monkeypatch,
):
    # Its POST answered while a step held the database, the thread waited for
    # it; the run leaving took the database for good and let go of the sink
    # (the thread to keep to memory), but the wait begun went on to the end
    # of busy_timeout (here 10 minutes): a thread no one would ever use again.
    server, release = hanging
    tracker = Tracker(config_for(tmp_path, server.url.replace("/api/v2", "/hook"), busy="600s"))
    assert tracker.watch.sink is not None
    sink, lock = tracker.watch.sink._thread, tracker.store._lock
    waiting = threading.Event()

    class Watched:  # the store's lock, telling when the sink's thread waits for it
        def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
            if blocking and threading.current_thread() is sink:
                waiting.set()
            return lock.acquire(blocking, timeout)

        def release(self) -> None:
            lock.release()

        def __enter__(self) -> bool:
            return self.acquire()

        def __exit__(self, *_exc: object) -> None:
            lock.release()

    monkeypatch.setattr(tracker.store, "_lock", Watched())
    try:
        tracker.watch.alerter.raise_alert(Alert("balance_low", "p: balance 1.00", panel="p"))
        assert until(lambda: len(server.requests) == 1)  # its POST hangs
        assert lock.acquire(timeout=WAIT)  # a step holds the database
        release.set()  # the POST ends: the thread reads the outages kept, and waits
        assert waiting.wait(WAIT)
        tracker.stop_event.set()  # the stop, then the run leaves
        assert tracker.abandon()
        sink.join(WAIT)
    finally:
        release.set()
    assert not sink.is_alive()  # before: alive, waiting out busy_timeout
