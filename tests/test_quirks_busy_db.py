"""A panel's quirk seen by the poll's workers while the database is busy.

Each call of a panel printing PHP notices before its JSON is a sighting of
``panel_prints_notices``. It used to be judged and stored by the worker that
made the call, under a lock every other worker took too: with another
process holding the database's write lock (a backup, a second writer), the
first worker waited up to ``busy_timeout`` to store it, every other worker
seeing the notices waited behind it, and the poll asked nothing more for a
log line's sake. Now what earlier processes told is read when the tracker is
built and the sightings are stored after the job's run: the workers go on
asking while the lock is held, and the poll stores its answers once it is
let go. Through a real Tracker against a scripted panel on loopback.
"""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest
from hostile import HostileServer, Reply, json_reply
from logcapture import fresh_logs  # noqa: F401  (fixture)
from simconfig import PanelClock
from structlog.testing import capture_logs
from test_busy_db import WriteLock

from tracker.clock import iso
from tracker.config.load import config_from_dict
from tracker.jobs.tracker import Tracker
from tracker.rules.quirks import quirk_kind
from tracker.service.daemon import JobStats
from tracker.service.runs import run_once
from tracker.sim.scripts import HTML_NOTICE

KEY = "quirk-busy-key-Wm4Rt8Zq"
ORDERS = list(range(5001, 5009))  # asked one a call: max_batch = 1
WORKERS = 2  # the poll's threads at concurrency 1: two batches in flight
DEADLINE = 30.0  # seconds any step may take, far under the busy timeout
ANSWER = {"status": "In progress", "remains": "10", "start_count": "5", "charge": "0.5"}

pytestmark = pytest.mark.usefixtures("fresh_logs")


class NoisyPanel:
    """Answers every status call with PHP notices before its JSON; counts them."""

    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        self.beyond_workers = threading.Event()  # more calls came than the poll has workers

    def __call__(self, form: dict[str, str]) -> Reply:
        if form.get("action") != "status":
            return json_reply({"balance": "10", "currency": "USD"})
        with self._lock:
            self.calls += 1
            if self.calls > WORKERS:
                self.beyond_workers.set()
        ids = form.get("orders")  # order= alone at max_batch 1; orders= answered too
        answer = {i: ANSWER for i in ids.split(",")} if ids else ANSWER
        return Reply(HTML_NOTICE + json.dumps(answer).encode(), 200, {"Content-Type": "text/html"})


def _tracker(tmp_path, url: str, clock: PanelClock, busy_timeout: str) -> Tracker:
    """A Tracker of one panel at ``url``, its orders tracked, polling all of them."""
    config = config_from_dict(
        {
            "database": {"path": "t.db", "busy_timeout": busy_timeout},
            "panels": [
                {"name": "sim", "url": url, "key_env": "K", "timeout": "10s"}
                | {"max_batch": 1, "concurrency": 1}
            ],
        },
        base_dir=tmp_path,
        env={"K": KEY},
    )
    tracker = Tracker(config, clock=clock.utc)
    tracker.everything = True
    tracker.store.track("sim", ORDERS, clock.utc())
    return tracker


def test_workers_seeing_a_quirk_go_on_asking_while_the_database_is_locked(tmp_path):
    panel, clock = NoisyPanel(), PanelClock()
    with HostileServer(panel) as server:
        # A busy timeout longer than the test waits: a worker waiting on it shows.
        tracker = _tracker(tmp_path, server.url, clock, "120s")
        try:
            jobs = [job for job in tracker.jobs() if job.name == "status:sim"]
            polled: list[bool] = []
            with capture_logs() as logs:
                lock = WriteLock(tmp_path / "t.db")
                poll = threading.Thread(target=lambda: polled.append(run_once(jobs, JobStats())))
                try:
                    poll.start()
                    # Before: 2 calls, both workers then waiting on the lock for the quirk.
                    came = panel.beyond_workers.wait(DEADLINE)
                    calls = panel.calls
                    assert lock.held(tmp_path / "t.db")  # all of them made under the lock
                finally:
                    lock.release()
                    poll.join(DEADLINE)
            assert came, f"{calls} status calls while the lock was held: the workers waited"
            assert not poll.is_alive() and polled == [True]
        finally:
            tracker.close()
        assert panel.calls == len(ORDERS)
        with sqlite3.connect(tmp_path / "t.db") as db:  # the poll's answers, stored
            stored = db.execute("SELECT order_id, status, remains FROM orders ORDER BY 1")
            assert stored.fetchall() == [(i, "In progress", 10) for i in ORDERS]
            kind = quirk_kind("panel_prints_notices", server.url)
            kept = db.execute("SELECT panel, kind, since, last_sent_at FROM alert_state")
            at = iso(clock.utc())
            assert kept.fetchall() == [("sim", kind, at, at)]  # stored after the job's run
    told = [e for e in logs if e["event"] == "panel_prints_notices"]
    assert [e["log_level"] for e in told] == ["warning"]  # told once, the first time


def test_a_quirk_the_busy_database_did_not_take_is_stored_after_a_later_run(tmp_path):
    panel, clock = NoisyPanel(), PanelClock()
    with HostileServer(panel) as server:
        tracker = _tracker(tmp_path, server.url, clock, "300ms")
        kind = quirk_kind("panel_prints_notices", server.url)
        first = iso(clock.utc())
        try:
            jobs = [job for job in tracker.jobs() if job.name == "status:sim"]
            lock = WriteLock(tmp_path / "t.db")
            try:  # the poll's answers refused: busy (tests/test_busy_db.py)
                assert run_once(jobs, JobStats()) is False
            finally:
                lock.release()
            clock.now += 60
            assert run_once(jobs, JobStats()) is True  # the quirk seen again, within the hour
            with sqlite3.connect(tmp_path / "t.db") as db:  # before: stored an hour later
                kept = db.execute("SELECT panel, kind, since, last_sent_at FROM alert_state")
                assert kept.fetchall() == [("sim", kind, first, first)]
        finally:
            tracker.close()
